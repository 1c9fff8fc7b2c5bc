/* cxr — chest X-ray classifier core. The one public header.
 *
 * A C-style API in the spirit of xnnpack.h / whisper.h: opaque handles, status
 * codes, and for every failure a sentence a user can act on. Everything loads
 * from memory (bytes), never from paths, so the same calls serve the native CLI
 * and the WebAssembly module.
 *
 * Lifetimes
 *  - cxr_classifier_create copies what it needs from the model bytes; the caller
 *    may free them as soon as it returns.
 *  - A classifier is not thread-safe: it owns one arena that every call reuses
 *    (no allocation per image once the image size stabilises). Use one
 *    classifier per thread.
 *  - Pointers inside a cxr_result (class names, heat map, warnings, OOD
 *    reasons, features) stay valid until the next cxr_classify on the same
 *    classifier or its destruction.
 */
#ifndef CXR_CXR_H_
#define CXR_CXR_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cxr_status {
  cxr_status_ok = 0,
  cxr_status_invalid_argument = 1,   /* caller error: NULL pointer, bad option */
  cxr_status_unsupported_format = 2, /* not an image we read (PDF, ZIP, GIF, ...) */
  cxr_status_corrupt_input = 3,      /* truncated or damaged image data */
  cxr_status_too_large = 4,          /* over the documented pixel limits */
  cxr_status_invalid_model = 5,      /* model file damaged or inconsistent */
  cxr_status_unsupported_model_version = 6,
  cxr_status_out_of_memory = 7,
  cxr_status_backend_unavailable = 8, /* e.g. XNNPACK requested in wasm */
  cxr_status_internal = 9,
} cxr_status;

/* Largest image accepted, checked from the header before any pixel is
 * decoded: either side over CXR_MAX_IMAGE_SIDE or more than CXR_MAX_IMAGE_PIXELS
 * pixels is refused. Digital chest detectors are at most ~4300 px a side. */
#define CXR_MAX_IMAGE_SIDE 16384u
#define CXR_MAX_IMAGE_PIXELS 40000000u

#define CXR_MAX_CLASSES 8
#define CXR_MAX_WARNINGS 8
#define CXR_MAX_OOD_REASONS 6
#define CXR_MESSAGE_CAPACITY 256

typedef struct cxr_error {
  cxr_status status;
  char message[CXR_MESSAGE_CAPACITY]; /* empty when status is ok */
} cxr_error;

typedef enum cxr_backend {
  cxr_backend_portable = 0, /* Highway kernels: native SIMD and wasm SIMD128 */
  cxr_backend_xnnpack = 1,  /* native only */
} cxr_backend;

typedef struct cxr_classifier cxr_classifier;

typedef struct cxr_timings {
  double decode_ms, preprocess_ms, inference_ms, heatmap_ms, total_ms;
} cxr_timings;

/* The out-of-distribution gate: does the input look like the films the model
 * was trained on (frontal pediatric chest X-rays)? Image checks (colour, too
 * small, odd shape, blank or saturated) always run; the feature check needs
 * statistics in the model file and is reported unavailable without them. A
 * flagged result still carries the model's output: whether to withhold it or
 * show it with the reasons is the front end's (the user's) choice. */
typedef struct cxr_ood {
  int flagged;                 /* nonzero: an image check or the feature check failed */
  int feature_check_available; /* zero: the model file has no OOD statistics */
  /* Squared Mahalanobis distance of the features to the nearest class, per
   * feature (training-like films score about 1); -1 when unavailable. Flagged
   * above `threshold`, set so that most validation films pass. */
  float score, threshold;
  uint32_t num_reasons;
  const char* reasons[CXR_MAX_OOD_REASONS]; /* each a phrase: "it is a colour image (X-rays are gray)" */
  /* Out of scope: a patient the model was not made for (it is for young
   * children). Nonzero when the adult check's score is over its threshold or
   * a DICOM file states an age outside the model's intended range; `flagged`
   * is then set too and the out-of-scope reason comes first in `reasons`, so
   * a front end can say "this looks like an adult's film" rather than the
   * generic "unlike the training films". */
  int out_of_scope;
  int adult_check_available; /* zero: the model file has no adult check */
  /* The adult check's score (a logit: above 0 leans adult) and its threshold,
   * set so that most pediatric validation films pass; 0 when unavailable. */
  float adult_score, adult_threshold;
  int age_outside_range; /* the DICOM file's stated age is outside the intended range (never shown) */
} cxr_ood;

typedef struct cxr_result {
  uint32_t num_classes;
  const char* class_names[CXR_MAX_CLASSES];
  float logits[CXR_MAX_CLASSES];
  float probabilities[CXR_MAX_CLASSES]; /* softmax(logits / temperature) */
  uint32_t predicted_class;             /* argmax of probabilities */
  /* Two classes: the positive class when probabilities[positive] >= threshold,
   * else the other one. More classes: the argmax. */
  uint32_t decision_class;
  uint32_t positive_class;
  float threshold;
  /* Two classes: nonzero when probabilities[positive] lies in the model's
   * uncertainty band [uncertain_low, uncertain_high] around the threshold,
   * where the page says "uncertain" rather than forcing a label. Models
   * without a band report low = high = threshold and never uncertain. */
  int uncertain;
  float uncertain_low, uncertain_high;
  cxr_ood ood;
  /* The features the OOD gate scores (channel means of the layers the model
   * names; without a gate, the pooled penultimate features), num_features of
   * them (0 when there are none): what the trainer fits the gate on. */
  const float* features;
  uint32_t num_features;
  uint32_t image_width, image_height, image_bit_depth; /* as decoded */
  /* Class activation map for the positive class, in the model's input frame
   * (heatmap_width x heatmap_height, row-major), scaled to [0, 1]; NULL when
   * not requested or the model has no GAP+dense head. */
  const float* heatmap;
  uint32_t heatmap_width, heatmap_height;
  cxr_timings timings;
  uint32_t num_warnings;
  const char* warnings[CXR_MAX_WARNINGS];
  /* Two classes: the positive class's log-odds after the model's temperature,
   * (logit[positive] - logit[other]) / temperature, before any site
   * calibration: what cxr_calibration_create fits a temperature on. */
  float positive_log_odds;
  /* The calibration in force: "model default" or "site calibration of
   * 2026-12-07, 412 films" (cxr/calibration.h). */
  const char* calibration;
} cxr_result;

typedef struct cxr_classify_options {
  int want_heatmap; /* nonzero: compute the class activation map */
} cxr_classify_options;

/* Parses and validates a model file, plans the network for the backend and
 * sizes its arena. On failure returns NULL and fills *error (may be NULL). */
cxr_classifier* cxr_classifier_create(const uint8_t* model_bytes, size_t size, cxr_backend backend, cxr_error* error);
void cxr_classifier_destroy(cxr_classifier* classifier);

typedef struct cxr_model_info {
  const char* name;
  const char* version;
  uint32_t checksum; /* CRC-32 of the model file: identifies the exact weights */
  uint32_t input_width, input_height, input_channels;
  uint32_t num_classes;
  const char* class_names[CXR_MAX_CLASSES];
  uint32_t positive_class;
  float temperature;
  float threshold;
  /* Sensitivity/specificity measured on validation at `threshold`; -1 if the
   * model does not record them. */
  float validation_sensitivity, validation_specificity;
  float uncertain_low, uncertain_high; /* see cxr_result */
  int ood_feature_check_available;
  float ood_threshold;
  int adult_check_available;
  float adult_threshold;
  /* The intended patients in words ("children aged about 1 to 5"), from the
   * model file; "children" when it does not say. */
  const char* intended_population;
  const char* backend;
} cxr_model_info;

/* Fills *info; its strings are owned by the classifier. */
void cxr_classifier_info(const cxr_classifier* classifier, cxr_model_info* info);

/* The model's metadata as a JSON object (UTF-8, NUL-terminated). Owned by the
 * classifier. */
const char* cxr_classifier_metadata_json(const cxr_classifier* classifier);

/* Decodes (JPEG, PNG, DICOM; format sniffed from the bytes), preprocesses with the
 * model's spec, runs the network and calibrates. On failure returns the status,
 * fills *error and leaves *result zeroed; the classifier stays usable. */
cxr_status cxr_classify(cxr_classifier* classifier, const uint8_t* image_bytes, size_t size,
                        const cxr_classify_options* options, cxr_result* result, cxr_error* error);

/* What a front end does with a result the OOD gate flags: withhold the
 * model's output (the default: the model was not made for such an image) or
 * give it beside the reasons. */
typedef enum cxr_ood_policy {
  cxr_ood_withhold = 0,
  cxr_ood_warn = 1,
} cxr_ood_policy;

/* The one word a person reads first, decided here and nowhere else:
 * "WITHHELD" when the gate flagged the film and the policy withholds,
 * "UNCERTAIN" inside the model's uncertainty band, else the decision's class
 * name. Valid as long as the result's strings. */
const char* cxr_verdict(const cxr_result* result, cxr_ood_policy policy);

typedef struct cxr_outcome_json_options {
  /* "verdict" follows it, and under withhold a flagged result leaves out the
   * model's output (class, probabilities, log-odds, heat map; decision null).
   * "verdicts" always has both. */
  cxr_ood_policy policy;
  /* Nonzero: "heatmap" carries its values as numbers; zero: only its width
   * and height (the wasm door hands the values over as a Float32Array). */
  int heatmap_values;
  const char* file; /* the film's name as the front end shows it; NULL: no "file" member */
} cxr_outcome_json_options;

/* One outcome of cxr_classify as one line of JSON, the result schema the CLI
 * writes (`cxr classify --json`) and the web app reads (docs/DESIGN.md, "The
 * result schema"): the one place where a result's members get their names.
 * `status` is what cxr_classify returned; when it is not ok, `error` says why
 * and the object is {"file", "ok": false, "status", "error"}. `classifier`
 * may be NULL for a failure (a front end that has no model). Writes at most
 * `capacity` bytes (NUL included) to `out` (may be NULL when capacity is 0)
 * and returns the length the whole text needs, without the NUL, as
 * snprintf does. */
size_t cxr_outcome_json(const cxr_classifier* classifier, cxr_status status, const cxr_result* result,
                        const cxr_error* error, const cxr_outcome_json_options* options, char* out, size_t capacity);

const char* cxr_status_name(cxr_status status);
const char* cxr_backend_name(cxr_backend backend);

#ifdef __cplusplus
}
#endif
#endif /* CXR_CXR_H_ */
