#include "model/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cxr::json {

const Value* Value::find(const std::string& key) const {
  for (const auto& kv : object)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

Value& Value::set(const std::string& key, Value value) {
  for (auto& kv : object)
    if (kv.first == key) return kv.second = std::move(value);
  object.emplace_back(key, std::move(value));
  return object.back().second;
}

namespace {

constexpr int kMaxDepth = 64;

struct Parser {
  const std::string& text;
  size_t pos = 0;
  std::string error;

  bool fail(const char* what) {
    if (error.empty()) error = std::string(what) + " at byte " + std::to_string(pos);
    return false;
  }
  void skip_space() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
      ++pos;
  }
  bool literal(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (text.compare(pos, n, word) != 0) return fail("unexpected token");
    pos += n;
    return true;
  }
  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
    }
  }
  bool hex4(unsigned* cp) {
    if (pos + 4 > text.size()) return fail("truncated \\u escape");
    *cp = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      unsigned d = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : 16;
      if (d == 16) return fail("bad \\u escape");
      *cp = *cp * 16 + d;
    }
    return true;
  }
  bool string_literal(std::string* out) {
    ++pos;  // opening quote
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos >= text.size()) break;
      char e = text[pos++];
      switch (e) {
        case '"':
        case '\\':
        case '/': *out += e; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && text.compare(pos, 2, "\\u") == 0) {
            pos += 2;
            unsigned low = 0;
            if (!hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(*out, cp);
          break;
        }
        default: return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  bool number(Value* out) {
    const size_t start = pos;
    if (pos < text.size() && text[pos] == '-') ++pos;
    if (pos >= text.size() || !(text[pos] >= '0' && text[pos] <= '9')) return fail("bad number");
    while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.' || text[pos] == 'e' ||
                                 text[pos] == 'E' || text[pos] == '+' || text[pos] == '-'))
      ++pos;
    const std::string token = text.substr(start, pos - start);
    char* end = nullptr;
    out->type = Value::Type::number;
    out->number = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size() || !std::isfinite(out->number)) return fail("bad number");
    return true;
  }
  // An object's members or an array's items, from the opening bracket at
  // `pos`: `entry` reads one; a comma goes on to the next, `close` ends them.
  template <typename ReadEntry>
  bool list(char close, const char* expected_comma_or_close, ReadEntry entry) {
    ++pos;
    skip_space();
    if (pos < text.size() && text[pos] == close) {
      ++pos;
      return true;
    }
    for (;;) {
      if (!entry()) return false;
      skip_space();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == close) {
        ++pos;
        return true;
      }
      return fail(expected_comma_or_close);
    }
  }
  bool value(Value* out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    skip_space();
    if (pos >= text.size()) return fail("unexpected end");
    const char c = text[pos];
    if (c == '{') {
      out->type = Value::Type::object;
      return list('}', "expected ',' or '}'", [&] {
        skip_space();
        if (pos >= text.size() || text[pos] != '"') return fail("expected a key");
        std::string key;
        if (!string_literal(&key)) return false;
        skip_space();
        if (pos >= text.size() || text[pos] != ':') return fail("expected ':'");
        ++pos;
        Value member;
        if (!value(&member, depth + 1)) return false;
        out->object.emplace_back(std::move(key), std::move(member));
        return true;
      });
    }
    if (c == '[') {
      out->type = Value::Type::array;
      return list(']', "expected ',' or ']'", [&] {
        Value item;
        if (!value(&item, depth + 1)) return false;
        out->array.push_back(std::move(item));
        return true;
      });
    }
    if (c == '"') {
      out->type = Value::Type::string;
      return string_literal(&out->string);
    }
    if (c == 't') {
      out->type = Value::Type::boolean;
      out->boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      out->type = Value::Type::boolean;
      return literal("false");
    }
    if (c == 'n') {
      out->type = Value::Type::null;
      return literal("null");
    }
    return number(out);
  }
};

void write(const Value& v, std::string& out) {
  switch (v.type) {
    case Value::Type::null: out += "null"; return;
    case Value::Type::boolean: out += v.boolean ? "true" : "false"; return;
    case Value::Type::number: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.9g", v.number);
      out += buf;
      return;
    }
    case Value::Type::string: out += quote(v.string); return;
    case Value::Type::array:
      out += '[';
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) out += ',';
        write(v.array[i], out);
      }
      out += ']';
      return;
    case Value::Type::object:
      out += '{';
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) out += ',';
        out += quote(v.object[i].first);
        out += ':';
        write(v.object[i].second, out);
      }
      out += '}';
      return;
  }
}

}  // namespace

Status parse(const std::string& text, Value* out) {
  *out = Value{};
  Parser p{text, 0, {}};
  if (p.value(out, 0)) {
    p.skip_space();
    if (p.pos == text.size()) return Ok();
    p.fail("trailing characters");
  }
  return Fail(cxr_status_invalid_model, "metadata is not valid JSON (%s)", p.error.c_str());
}

std::string serialize(const Value& value) {
  std::string out;
  write(value, out);
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += char(c);
  }
  return out + "\"";
}

}  // namespace cxr::json
