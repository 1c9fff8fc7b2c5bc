// A small strict JSON reader/writer for the model's metadata block and the
// CLI's output. Depth- and size-limited: the metadata comes from files that
// may be hostile.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace cxr::json {

struct Value {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // insertion order kept

  // One line each: a table of constructors.
  // clang-format off
  static Value of(double n) { Value v; v.type = Type::number; v.number = n; return v; }
  static Value of(const std::string& s) { Value v; v.type = Type::string; v.string = s; return v; }
  static Value of(const char* s) { return of(std::string(s)); }
  static Value of_bool(bool b) { Value v; v.type = Type::boolean; v.boolean = b; return v; }
  static Value make_array() { Value v; v.type = Type::array; return v; }
  static Value make_object() { Value v; v.type = Type::object; return v; }
  // clang-format on

  bool is_number() const { return type == Type::number; }
  bool is_string() const { return type == Type::string; }
  bool is_array() const { return type == Type::array; }
  bool is_object() const { return type == Type::object; }
  // Object member or nullptr.
  const Value* find(const std::string& key) const;
  Value* find(const std::string& key) { return const_cast<Value*>(static_cast<const Value*>(this)->find(key)); }
  // Sets (replacing) an object member; returns it.
  Value& set(const std::string& key, Value value);
  Value& push(Value value) {
    array.push_back(std::move(value));
    return array.back();
  }
};

Status parse(const std::string& text, Value* out);
// Compact serialisation; numbers with up to 9 significant digits (float-exact).
std::string serialize(const Value& value);
// `s` as a JSON string literal (quotes and escapes).
std::string quote(const std::string& s);

}  // namespace cxr::json
