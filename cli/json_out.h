// The JSON Lines the CLI writes (`cxr classify --json`): a write-only value
// tree with the core's conventions (members in insertion order, numbers with
// up to 9 significant digits, so every float is exact). The CLI reaches the
// core only through cxr/cxr.h, so it does not borrow the core's JSON reader.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace cxr::cli::json {

struct Value {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;

  static Value of(double n);
  static Value of(const std::string& s);
  static Value of(const char* s) { return of(std::string(s)); }
  static Value of_bool(bool b);
  static Value make_array();
  static Value make_object();
  // Sets (replacing) an object member.
  void set(const std::string& key, Value value);
  void push(Value value) { array.push_back(std::move(value)); }
};

// Compact, on one line.
std::string serialize(const Value& value);

}  // namespace cxr::cli::json
