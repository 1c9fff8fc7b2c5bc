// The metadata the core reads: parsed and checked field by field on load,
// and built from a ModelInfo and layers for writers.
#include "model/model_metadata.h"

#include <cmath>

#include "model/model_encoding.h"

namespace cxr {

namespace {

// Metadata accessors: each refuses a missing or ill-typed field by name.
struct Fields {
  const json::Value& object;
  const char* where;
  Status number(const char* key, double lo, double hi, double* out, bool optional = false) const {
    const json::Value* v = object.find(key);
    if (!v && optional) return Ok();
    if (!v || !v->is_number() || !(v->number >= lo && v->number <= hi))
      return bad_model(std::string(where) + "." + key + " is missing or out of range");
    *out = v->number;
    return Ok();
  }
  Status u32(const char* key, uint32_t lo, uint32_t hi, uint32_t* out) const {
    double d;
    Status s = number(key, lo, hi, &d);
    if (s.ok() && d != std::floor(d)) return bad_model(std::string(where) + "." + key + " is not an integer");
    if (s.ok()) *out = uint32_t(d);
    return s;
  }
  Status string(const char* key, std::string* out, bool optional = false) const {
    const json::Value* v = object.find(key);
    if (!v && optional) return Ok();
    if (!v || !v->is_string()) return bad_model(std::string(where) + "." + key + " is missing or not a string");
    *out = v->string;
    return Ok();
  }
  Status pair(const char* key, uint32_t* a, uint32_t* b, uint32_t deflt) const {
    const json::Value* v = object.find(key);
    if (!v) return *a = *b = deflt, Ok();
    if (!v->is_array() || v->array.size() != 2) return bad_model(std::string(where) + "." + key + " must be [a, b]");
    for (int i = 0; i < 2; ++i) {
      const json::Value& x = v->array[i];
      if (!x.is_number() || x.number < 0 || x.number > 4096 || x.number != std::floor(x.number))
        return bad_model(std::string(where) + "." + key + " has a bad value");
      (i ? *b : *a) = uint32_t(x.number);
    }
    return Ok();
  }
};

template <typename Enum, size_t N>
Status parse_enum(const Fields& f, const char* key, const char* const (&names)[N], Enum deflt, Enum* out,
                  bool optional = true) {
  std::string name;
  CXR_TRY(f.string(key, &name, optional));
  if (name.empty()) return *out = deflt, Ok();
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) return *out = Enum(i), Ok();
  return bad_model(std::string(f.where) + "." + key + " has unknown value '" + name + "'");
}

}  // namespace

Status parse_layer(const json::Value& v, size_t index, LayerDesc* l) {
  if (!v.is_object()) return bad_model("layer " + std::to_string(index) + " is not an object");
  const std::string where = "layers[" + std::to_string(index) + "]";
  Fields f{v, where.c_str()};
  CXR_TRY(f.string("name", &l->name));
  CXR_TRY(parse_enum(f, "type", kLayerTypeNames, LayerType::conv2d, &l->type, /*optional=*/false));
  CXR_TRY(parse_enum(f, "activation", kActivationNames, Activation::none, &l->activation));
  if (const json::Value* in = v.find("inputs")) {
    if (!in->is_array()) return bad_model(where + ".inputs must be a list of layer names");
    for (const json::Value& name : in->array) {
      if (!name.is_string()) return bad_model(where + ".inputs must be a list of layer names");
      l->inputs.push_back(name.string);
    }
  }
  CXR_TRY(f.pair("kernel", &l->kernel_h, &l->kernel_w, 1));
  CXR_TRY(f.pair("stride", &l->stride_h, &l->stride_w, 1));
  if (const json::Value* pad = v.find("padding")) {
    uint32_t p[4];
    if (!pad->is_array() || pad->array.size() != 4)
      return bad_model(where + ".padding must be [top, left, bottom, right]");
    for (int i = 0; i < 4; ++i) {
      const json::Value& x = pad->array[i];
      if (!x.is_number() || x.number < 0 || x.number > 64 || x.number != std::floor(x.number))
        return bad_model(where + ".padding has a bad value");
      p[i] = uint32_t(x.number);
    }
    l->pad_top = p[0], l->pad_left = p[1], l->pad_bottom = p[2], l->pad_right = p[3];
  }
  if (v.find("groups")) CXR_TRY(f.u32("groups", 1, 1u << 16, &l->groups));
  if (l->type == LayerType::conv2d || l->type == LayerType::dense)
    CXR_TRY(f.u32(l->type == LayerType::conv2d ? "filters" : "units", 1, 1u << 16, &l->out_channels));
  return Ok();
}

namespace {

Status check_metadata_schema(const json::Value& meta) {
  const json::Value* schema = meta.find("metadata_schema");
  if (!schema) return Ok();  // written before the schema had a number: schema 1
  if (!schema->is_number() || !(schema->number >= 1) || schema->number != std::floor(schema->number))
    return bad_model("metadata.metadata_schema is not a whole number from 1");
  if (schema->number > kMetadataSchema)
    return Fail(cxr_status_unsupported_model_version,
                "this model file's metadata is schema %.0f; this cxr reads up to %u: update cxr to use this model",
                std::fmin(schema->number, 1e15), kMetadataSchema);
  return Ok();
}

}  // namespace

Status parse_info(const json::Value& meta, ModelInfo* info) {
  CXR_TRY(check_metadata_schema(meta));
  Fields top{meta, "metadata"};
  CXR_TRY(top.string("name", &info->name));
  CXR_TRY(top.string("version", &info->version));
  const json::Value* input = meta.find("input");
  if (!input || !input->is_object()) return bad_model("metadata.input is missing");
  Fields in{*input, "input"};
  CXR_TRY(in.u32("height", 1, 4096, &info->input.h));
  CXR_TRY(in.u32("width", 1, 4096, &info->input.w));
  CXR_TRY(in.u32("channels", 1, 4, &info->input.c));

  const json::Value* pre = meta.find("preprocess");
  if (!pre || !pre->is_object()) return bad_model("metadata.preprocess is missing");
  Fields p{*pre, "preprocess"};
  PreprocessSpec& spec = info->preprocess;
  CXR_TRY(p.u32("width", 1, 4096, &spec.width));
  CXR_TRY(p.u32("height", 1, 4096, &spec.height));
  CXR_TRY(p.u32("channels", 1, 4, &spec.channels));
  CXR_TRY(parse_enum(p, "resize", kResizePolicyNames, ResizePolicy::stretch, &spec.resize));
  CXR_TRY(parse_enum(p, "normalize", kNormalizationNames, Normalization::unit, &spec.normalize));
  if (const json::Value* eq = pre->find("equalize")) {
    if (eq->type != json::Value::Type::boolean) return bad_model("preprocess.equalize must be true or false");
    spec.equalize = eq->boolean;
  }
  double mean = 0, std = 1;
  CXR_TRY(p.number("mean", -1e6, 1e6, &mean, true));
  CXR_TRY(p.number("std", 1e-12, 1e6, &std, true));
  spec.mean = float(mean), spec.std = float(std);
  if (const json::Value* pre_scale = pre->find("prescale")) {  // preprocess.h: the train-serve match
    const json::Value* w = pre_scale->is_object() ? pre_scale->find("width") : nullptr;
    const json::Value* h = pre_scale->is_object() ? pre_scale->find("height") : nullptr;
    const json::Value* filter = pre_scale->is_object() ? pre_scale->find("filter") : nullptr;
    if (!w || !h || !w->is_number() || !h->is_number() || !(w->number >= 1 && w->number <= 4096) ||
        !(h->number >= 1 && h->number <= 4096) || w->number != std::floor(w->number) ||
        h->number != std::floor(h->number))
      return bad_model("preprocess.prescale must be {width, height, filter} with sides in 1..4096");
    if (!filter || !filter->is_string() || filter->string != "triangle")
      return bad_model("preprocess.prescale.filter is unknown (this core knows \"triangle\")");
    spec.prescale_width = uint32_t(w->number), spec.prescale_height = uint32_t(h->number);
  }
  CXR_TRY(validate_spec(spec));
  if (spec.width != info->input.w || spec.height != info->input.h || spec.channels != info->input.c)
    return bad_model("preprocess output size does not match the network input");

  const json::Value* classes = meta.find("classes");
  if (!classes || !classes->is_array() || classes->array.size() < 2 || classes->array.size() > CXR_MAX_CLASSES)
    return bad_model("metadata.classes must list 2 to " + std::to_string(CXR_MAX_CLASSES) + " class names");
  for (const json::Value& c : classes->array) {
    if (!c.is_string() || c.string.empty() || c.string.size() > 64)
      return bad_model("a class name is empty or not a string");
    info->classes.push_back(c.string);
  }
  CXR_TRY(top.u32("positive_class", 0, uint32_t(info->classes.size() - 1), &info->positive_class));
  double temperature = 1;
  CXR_TRY(top.number("temperature", 1e-3, 1e3, &temperature));
  info->temperature = float(temperature);
  const json::Value* threshold = meta.find("threshold");
  if (!threshold || !threshold->is_object()) return bad_model("metadata.threshold is missing");
  Fields t{*threshold, "threshold"};
  double prob = 0.5, sens = -1, spec_ = -1;
  CXR_TRY(t.number("probability", 0, 1, &prob));
  CXR_TRY(t.number("validation_sensitivity", 0, 1, &sens, true));
  CXR_TRY(t.number("validation_specificity", 0, 1, &spec_, true));
  double low = prob, high = prob;  // no band unless the model has one
  CXR_TRY(t.number("uncertain_low", 0, prob, &low, true));
  CXR_TRY(t.number("uncertain_high", prob, 1, &high, true));
  info->threshold = float(prob);
  info->validation_sensitivity = float(sens), info->validation_specificity = float(spec_);
  info->uncertain_low = float(low), info->uncertain_high = float(high);
  return Ok();
}

json::Value layers_to_json(const std::vector<LayerDesc>& layers) {
  json::Value list = json::Value::make_array();
  auto pair = [](uint32_t a, uint32_t b) {
    json::Value v = json::Value::make_array();
    v.push(json::Value::of(a));
    v.push(json::Value::of(b));
    return v;
  };
  for (const LayerDesc& l : layers) {
    json::Value o = json::Value::make_object();
    o.set("name", json::Value::of(l.name));
    o.set("type", json::Value::of(layer_type_name(l.type)));
    if (!l.inputs.empty()) {
      json::Value in = json::Value::make_array();
      for (const std::string& name : l.inputs) in.push(json::Value::of(name));
      o.set("inputs", std::move(in));
    }
    const bool windowed = l.type == LayerType::conv2d || l.type == LayerType::max_pool || l.type == LayerType::avg_pool;
    if (l.type == LayerType::conv2d) o.set("filters", json::Value::of(l.out_channels));
    if (l.type == LayerType::dense) o.set("units", json::Value::of(l.out_channels));
    if (windowed) {
      o.set("kernel", pair(l.kernel_h, l.kernel_w));
      o.set("stride", pair(l.stride_h, l.stride_w));
      json::Value pad = json::Value::make_array();
      for (uint32_t p : {l.pad_top, l.pad_left, l.pad_bottom, l.pad_right}) pad.push(json::Value::of(p));
      o.set("padding", std::move(pad));
    }
    if (l.type == LayerType::conv2d) o.set("groups", json::Value::of(l.groups));
    if (l.activation != Activation::none) o.set("activation", json::Value::of(activation_name(l.activation)));
    list.push(std::move(o));
  }
  return list;
}

json::Value preprocess_to_json(const PreprocessSpec& spec) {
  json::Value o = json::Value::make_object();
  o.set("width", json::Value::of(spec.width));
  o.set("height", json::Value::of(spec.height));
  o.set("channels", json::Value::of(spec.channels));
  o.set("resize", json::Value::of(enum_name(spec.resize, kResizePolicyNames)));
  o.set("equalize", json::Value::of_bool(spec.equalize));
  o.set("normalize", json::Value::of(enum_name(spec.normalize, kNormalizationNames)));
  o.set("mean", json::Value::of(spec.mean));
  o.set("std", json::Value::of(spec.std));
  if (spec.prescale_width) {
    json::Value pre_scale = json::Value::make_object();
    pre_scale.set("width", json::Value::of(spec.prescale_width));
    pre_scale.set("height", json::Value::of(spec.prescale_height));
    pre_scale.set("filter", json::Value::of("triangle"));
    o.set("prescale", std::move(pre_scale));
  }
  return o;
}

json::Value make_metadata(const ModelInfo& info, const std::vector<LayerDesc>& layers) {
  json::Value m = json::Value::make_object();
  m.set("metadata_schema", json::Value::of(kMetadataSchema));
  m.set("name", json::Value::of(info.name));
  m.set("version", json::Value::of(info.version));
  json::Value input = json::Value::make_object();
  input.set("height", json::Value::of(info.input.h));
  input.set("width", json::Value::of(info.input.w));
  input.set("channels", json::Value::of(info.input.c));
  m.set("input", std::move(input));
  m.set("preprocess", preprocess_to_json(info.preprocess));
  json::Value classes = json::Value::make_array();
  for (const std::string& c : info.classes) classes.push(json::Value::of(c));
  m.set("classes", std::move(classes));
  m.set("positive_class", json::Value::of(info.positive_class));
  m.set("temperature", json::Value::of(info.temperature));
  json::Value threshold = json::Value::make_object();
  threshold.set("probability", json::Value::of(info.threshold));
  if (info.validation_sensitivity >= 0)
    threshold.set("validation_sensitivity", json::Value::of(info.validation_sensitivity));
  if (info.validation_specificity >= 0)
    threshold.set("validation_specificity", json::Value::of(info.validation_specificity));
  if (info.uncertain_low < info.uncertain_high) {
    threshold.set("uncertain_low", json::Value::of(info.uncertain_low));
    threshold.set("uncertain_high", json::Value::of(info.uncertain_high));
  }
  m.set("threshold", std::move(threshold));
  m.set("layers", layers_to_json(layers));
  return m;
}

}  // namespace cxr
