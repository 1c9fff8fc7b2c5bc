// Embind door over the core's C API (whisper.cpp's wasm example is the model):
//   const c = new Module.Classifier(modelBytes);   // Uint8Array
//   if (c.error()) ...                              // "" when loaded
//   c.info()                                        // plain object
//   c.classify(imageBytes, {heatmap: true})         // plain object, never throws
//   c.calibrate(films, options), c.setSiteCalibration(json)  // calibration_door.h
//   c.delete()                                      // frees wasm memory
// Bytes (Uint8Array or ArrayBuffer) cross into wasm once, in one
// TypedArray.set (Embind's std::string binding copies byte by byte in JS:
// 8 ms for the model, 2 ms per full-size JPEG).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "calibration_door.h"
#include "cxr/cxr.h"

using emscripten::val;

namespace {

val float_array(const float* data, size_t n) {
  // Copy out of the heap: a view would dangle after the next classify.
  return val::global("Float32Array").new_(emscripten::typed_memory_view(n, data));
}

val string_list(const char* const* items, uint32_t n) {
  val list = val::array();
  for (uint32_t i = 0; i < n; ++i) list.call<void>("push", std::string(items[i]));
  return list;
}

// Copies a Uint8Array or ArrayBuffer into `out`; false for anything else.
bool copy_bytes(const val& js, std::vector<uint8_t>* out) {
  val array = js;
  if (js.instanceof (val::global("ArrayBuffer"))) array = val::global("Uint8Array").new_(js);
  else if (!js.instanceof (val::global("Uint8Array"))) return false;
  out->resize(array["length"].as<size_t>());
  // The view is made after the resize: growing the heap would detach an older one.
  if (!out->empty()) val(emscripten::typed_memory_view(out->size(), out->data())).call<void>("set", array);
  return true;
}

class Classifier {
 public:
  explicit Classifier(const val& model_bytes) {
    std::vector<uint8_t> bytes;
    if (!copy_bytes(model_bytes, &bytes)) {
      error_ = "the model must be given as bytes (a Uint8Array or ArrayBuffer)";
      return;
    }
    cxr_error e;
    classifier_ = cxr_classifier_create(bytes.data(), bytes.size(), cxr_backend_portable, &e);
    if (!classifier_) error_ = e.message;
  }
  ~Classifier() { cxr_classifier_destroy(classifier_); }
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  std::string error() const { return error_; }

  val info() const {
    val o = val::object();
    if (!classifier_) return o;
    cxr_model_info i;
    cxr_classifier_info(classifier_, &i);
    char checksum[16];
    std::snprintf(checksum, sizeof checksum, "%08x", i.checksum);
    o.set("name", std::string(i.name));
    o.set("version", std::string(i.version));
    o.set("checksum", std::string(checksum));
    o.set("inputWidth", i.input_width);
    o.set("inputHeight", i.input_height);
    o.set("inputChannels", i.input_channels);
    o.set("classes", string_list(i.class_names, i.num_classes));
    o.set("positiveClass", i.positive_class);
    o.set("temperature", i.temperature);
    o.set("threshold", i.threshold);
    if (i.validation_sensitivity >= 0) o.set("validationSensitivity", i.validation_sensitivity);
    if (i.validation_specificity >= 0) o.set("validationSpecificity", i.validation_specificity);
    o.set("uncertainLow", i.uncertain_low);
    o.set("uncertainHigh", i.uncertain_high);
    o.set("oodFeatureCheckAvailable", bool(i.ood_feature_check_available));
    o.set("adultCheckAvailable", bool(i.adult_check_available));
    o.set("intendedPopulation", std::string(i.intended_population));
    o.set("backend", std::string(i.backend));
    o.set("metadata", std::string(cxr_classifier_metadata_json(classifier_)));
    return o;
  }

  // The core's result schema (cxr_outcome_json), parsed into a plain object;
  // the heat map's values come as a Float32Array in heatmap.values.
  // options: {heatmap: bool, ood: 'withhold' (the default) | 'warn'}; the
  // page asks for 'warn' and applies its user's policy through `verdicts`.
  val classify(const val& image_bytes, val options) const {
    if (!classifier_) return failure(cxr_status_invalid_model, error_.c_str());
    // Freed on return: memory after a big file goes back to where it was.
    std::vector<uint8_t> input;
    if (!copy_bytes(image_bytes, &input))
      return failure(cxr_status_invalid_argument, "the image must be given as bytes (a Uint8Array or ArrayBuffer)");
    const bool has_options = options.typeOf().as<std::string>() == "object" && !options.isNull();
    cxr_classify_options opts{has_options && options["heatmap"].as<bool>() ? 1 : 0};
    cxr_outcome_json_options json{cxr_ood_withhold, 0, nullptr};
    if (has_options && options["ood"].isString() && options["ood"].as<std::string>() == "warn")
      json.policy = cxr_ood_warn;
    cxr_result r;
    cxr_error e;
    const cxr_status s = cxr_classify(classifier_, input.data(), input.size(), &opts, &r, &e);
    val o = parsed(classifier_, s, &r, &e, json);
    if (s == cxr_status_ok && !o["heatmap"].isUndefined())
      o["heatmap"].set("values", float_array(r.heatmap, size_t(r.heatmap_width) * r.heatmap_height));
    return o;
  }

  val calibrate(const val& films, const val& options) const {
    return cxr::wasm::calibrate(classifier_, films, options);
  }
  val setSiteCalibration(const std::string& json) { return cxr::wasm::set_site_calibration(classifier_, json); }

 private:
  static val parsed(const cxr_classifier* classifier, cxr_status status, const cxr_result* r, const cxr_error* e,
                    const cxr_outcome_json_options& options) {
    std::string text(cxr_outcome_json(classifier, status, r, e, &options, nullptr, 0), '\0');
    cxr_outcome_json(classifier, status, r, e, &options, text.data(), text.size() + 1);
    return val::global("JSON").call<val>("parse", text);
  }

  static val failure(cxr_status status, const char* message) {
    cxr_error e{status, {}};
    std::snprintf(e.message, sizeof e.message, "%s", message);
    return parsed(nullptr, status, nullptr, &e, {});
  }

  cxr_classifier* classifier_ = nullptr;
  std::string error_;
};

// Bytes currently allocated on the wasm heap: lets tests prove that repeated
// calls do not leak.
size_t heap_bytes_in_use() { return mallinfo().uordblks; }

}  // namespace

EMSCRIPTEN_BINDINGS(cxr) {
  emscripten::function("heapBytesInUse", &heap_bytes_in_use);
  emscripten::class_<Classifier>("Classifier")
      .constructor<const val&>()
      .function("error", &Classifier::error)
      .function("info", &Classifier::info)
      .function("classify", &Classifier::classify)
      .function("calibrate", &Classifier::calibrate)
      .function("setSiteCalibration", &Classifier::setSiteCalibration);
}
