#include "calibrate/record.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "common/sha256.h"
#include "model/json.h"

namespace cxr::calibrate {
namespace {

using json::Value;

constexpr size_t kMaxRecordBytes = 64 * 1024;

Status bad(const std::string& what) {
  return Fail(cxr_status_invalid_argument,
              "this is not a valid site calibration file (%s); export it again from the page or run cxr calibrate",
              what.c_str());
}

std::string crc_hex(uint32_t crc) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

std::string describe(const ModelIdentity& m) { return m.name + " " + m.version + " (crc32 " + crc_hex(m.crc32) + ")"; }

bool is_hex(const std::string& s, size_t length) {
  return s.size() == length &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Typed member lookups that say which field is wrong.
Status member(const Value& object, const char* key, Value::Type type, const Value** out) {
  const Value* v = object.find(key);
  if (!v) return bad(std::string("\"") + key + "\" is missing");
  if (v->type != type) return bad(std::string("\"") + key + "\" has the wrong type");
  *out = v;
  return Ok();
}

Status number(const Value& object, const char* key, double low, double high, double* out) {
  const Value* v;
  CXR_TRY(member(object, key, Value::Type::number, &v));
  if (!(v->number >= low && v->number <= high)) return bad(std::string("\"") + key + "\" is out of range");
  *out = v->number;
  return Ok();
}

Status text(const Value& object, const char* key, size_t max_length, std::string* out) {
  const Value* v;
  CXR_TRY(member(object, key, Value::Type::string, &v));
  if (v->string.empty() || v->string.size() > max_length)
    return bad(std::string("\"") + key + "\" is empty or too long");
  *out = v->string;
  return Ok();
}

Status count(const Value& object, const char* key, uint32_t* out) {
  double n;
  CXR_TRY(number(object, key, 0, 1e9, &n));
  if (n != std::floor(n)) return bad(std::string("\"") + key + "\" is not a whole number");
  *out = uint32_t(n);
  return Ok();
}

}  // namespace

bool valid_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  const int month = std::atoi(d.substr(5, 2).c_str()), day = std::atoi(d.substr(8, 2).c_str());
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

Status films_hash(const std::vector<std::string>& digests, std::string* out) {
  std::vector<std::string> sorted;
  sorted.reserve(digests.size());
  for (std::string d : digests) {
    std::transform(d.begin(), d.end(), d.begin(), [](char c) { return char(c >= 'A' && c <= 'F' ? c + 32 : c); });
    if (!is_hex(d, 64))
      return Fail(cxr_status_invalid_argument, "a film's SHA-256 is not 64 hex digits: \"%.70s\"", d.c_str());
    sorted.push_back(d);
  }
  std::sort(sorted.begin(), sorted.end());
  std::string list;
  for (const std::string& d : sorted) list += d + "\n";
  *out = sha256_hex(reinterpret_cast<const uint8_t*>(list.data()), list.size());
  return Ok();
}

double as_stored(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return std::strtod(buf, nullptr);
}

std::string write_record(const SiteRecord& r) {
  const auto object = [](std::initializer_list<std::pair<std::string, Value>> members) {
    Value o = Value::make_object();
    for (const auto& [key, value] : members) o.set(key, value);
    return o;
  };
  Value v = object(
      {{"schema", Value::of(kRecordSchema)}, {"version", Value::of(kRecordVersion)}, {"date", Value::of(r.date)}});
  v.set("model", object({{"name", Value::of(r.model.name)},
                         {"version", Value::of(r.model.version)},
                         {"crc32", Value::of(crc_hex(r.model.crc32))}}));
  v.set("target", object({{"kind", Value::of(r.target == cxr_target_sensitivity ? "sensitivity" : "specificity")},
                          {"value", Value::of(r.target_value)}}));
  v.set("threshold", Value::of(r.threshold));
  if (r.has_temperature) {
    v.set("temperature", Value::of(r.temperature));
    v.set("bias", Value::of(r.bias));
  }
  v.set("films", object({{"count", Value::of(r.positives + r.negatives)},
                         {"positive_class", Value::of(r.positive_class)},
                         {"per_class", object({{r.negative_class, Value::of(r.negatives)},
                                               {r.positive_class, Value::of(r.positives)}})},
                         {"sha256_of_sorted_sha256s", Value::of(r.films_sha256)}}));
  v.set("auc", object({{"value", Value::of(r.auc)}, {"low", Value::of(r.auc_low)}, {"high", Value::of(r.auc_high)}}));
  v.set("at_threshold", object({{"sensitivity", Value::of(r.sensitivity)}, {"specificity", Value::of(r.specificity)}}));
  return json::serialize(v);
}

Status parse_record(const std::string& input, SiteRecord* out) {
  if (input.size() > kMaxRecordBytes) return bad("it is larger than 64 KiB");
  Value v;
  Status s = json::parse(input, &v);
  if (!s.ok()) return bad("not JSON: " + s.message);
  if (!v.is_object()) return bad("not a JSON object");
  SiteRecord r;
  std::string schema;
  const Value* field = v.find("schema");
  if (!field || !field->is_string() || field->string != kRecordSchema)
    return bad("\"schema\" is not \"cxr-site-calibration\"");
  double version;
  CXR_TRY(number(v, "version", 0, 1e9, &version));
  if (version > kRecordVersion)
    return Fail(cxr_status_invalid_argument,
                "this site calibration file has version %g; this cxr reads version %d: update cxr", version,
                kRecordVersion);
  if (version != kRecordVersion) return bad("unknown version");
  CXR_TRY(text(v, "date", 10, &r.date));
  if (!valid_date(r.date)) return bad("\"date\" is not YYYY-MM-DD");
  const Value *model, *target, *films, *per_class, *auc, *at;
  CXR_TRY(member(v, "model", Value::Type::object, &model));
  CXR_TRY(text(*model, "name", 256, &r.model.name));
  CXR_TRY(text(*model, "version", 256, &r.model.version));
  std::string crc;
  CXR_TRY(text(*model, "crc32", 8, &crc));
  if (!is_hex(crc, 8)) return bad("\"crc32\" is not 8 hex digits");
  r.model.crc32 = uint32_t(std::strtoul(crc.c_str(), nullptr, 16));
  CXR_TRY(member(v, "target", Value::Type::object, &target));
  std::string kind;
  CXR_TRY(text(*target, "kind", 16, &kind));
  if (kind != "sensitivity" && kind != "specificity") return bad("\"kind\" is not sensitivity or specificity");
  r.target = kind == "sensitivity" ? cxr_target_sensitivity : cxr_target_specificity;
  CXR_TRY(number(*target, "value", 1e-6, 1 - 1e-6, &r.target_value));
  double threshold;
  CXR_TRY(number(v, "threshold", 0, 1, &threshold));
  r.threshold = float(threshold);
  r.has_temperature = v.find("temperature") || v.find("bias");
  if (r.has_temperature) {
    CXR_TRY(number(v, "temperature", 1e-3, 1e3, &r.temperature));
    CXR_TRY(number(v, "bias", -100, 100, &r.bias));
  }
  CXR_TRY(member(v, "films", Value::Type::object, &films));
  CXR_TRY(text(*films, "positive_class", 64, &r.positive_class));
  CXR_TRY(text(*films, "sha256_of_sorted_sha256s", 64, &r.films_sha256));
  if (!is_hex(r.films_sha256, 64)) return bad("the films' hash is not 64 hex digits");
  CXR_TRY(member(*films, "per_class", Value::Type::object, &per_class));
  if (per_class->object.size() != 2) return bad("\"per_class\" does not name two classes");
  for (const auto& [name, n] : per_class->object) {
    uint32_t value;
    CXR_TRY(count(*per_class, name.c_str(), &value));
    if (name == r.positive_class) r.positives = value;
    else r.negative_class = name, r.negatives = value;
  }
  if (r.negative_class.empty()) return bad("\"per_class\" does not count the positive class and one other");
  uint32_t total;
  CXR_TRY(count(*films, "count", &total));
  if (total != r.positives + r.negatives) return bad("the film counts do not add up");
  CXR_TRY(member(v, "auc", Value::Type::object, &auc));
  CXR_TRY(number(*auc, "value", 0, 1, &r.auc));
  CXR_TRY(number(*auc, "low", 0, 1, &r.auc_low));
  CXR_TRY(number(*auc, "high", 0, 1, &r.auc_high));
  CXR_TRY(member(v, "at_threshold", Value::Type::object, &at));
  CXR_TRY(number(*at, "sensitivity", 0, 1, &r.sensitivity));
  CXR_TRY(number(*at, "specificity", 0, 1, &r.specificity));
  *out = r;
  return Ok();
}

Status check_model(const SiteRecord& r, const ModelIdentity& m) {
  if (r.model.crc32 == m.crc32) return Ok();
  return Fail(cxr_status_invalid_argument,
              "this site calibration was made for the model %s, but the model in use is %s; calibrate again with this "
              "model or load the model it was made for",
              describe(r.model).c_str(), describe(m).c_str());
}

std::string label(const SiteRecord& r) {
  return "site calibration of " + r.date + ", " + std::to_string(r.positives + r.negatives) + " films";
}

}  // namespace cxr::calibrate
