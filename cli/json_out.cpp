#include "json_out.h"

#include <cstdio>

namespace cxr::cli::json {

Value Value::of(double n) {
  Value v;
  v.type = Type::number;
  v.number = n;
  return v;
}

Value Value::of(const std::string& s) {
  Value v;
  v.type = Type::string;
  v.string = s;
  return v;
}

Value Value::of_bool(bool b) {
  Value v;
  v.type = Type::boolean;
  v.boolean = b;
  return v;
}

Value Value::make_array() {
  Value v;
  v.type = Type::array;
  return v;
}

Value Value::make_object() {
  Value v;
  v.type = Type::object;
  return v;
}

void Value::set(const std::string& key, Value value) {
  for (auto& member : object)
    if (member.first == key) {
      member.second = std::move(value);
      return;
    }
  object.emplace_back(key, std::move(value));
}

namespace {

// Quotes, backslashes and control characters escaped; other bytes (UTF-8) as they are.
void append_string(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          out += escape;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}

void append(const Value& v, std::string& out) {
  switch (v.type) {
    case Value::Type::null: out += "null"; return;
    case Value::Type::boolean: out += v.boolean ? "true" : "false"; return;
    case Value::Type::number: {
      char digits[32];
      std::snprintf(digits, sizeof digits, "%.9g", v.number);
      out += digits;
      return;
    }
    case Value::Type::string: append_string(v.string, out); return;
    case Value::Type::array:
      out += '[';
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) out += ',';
        append(v.array[i], out);
      }
      out += ']';
      return;
    case Value::Type::object:
      out += '{';
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) out += ',';
        append_string(v.object[i].first, out);
        out += ':';
        append(v.object[i].second, out);
      }
      out += '}';
      return;
  }
}

}  // namespace

std::string serialize(const Value& value) {
  std::string out;
  append(value, out);
  return out;
}

}  // namespace cxr::cli::json
