/* cxr — site calibration: a clinic measures the model on its own labelled
 * films, chooses its operating point, and applies it. Public, C, beside cxr.h.
 *
 * The maths lives here once, in the core; the CLI (`cxr calibrate`) and the
 * web page (through the wasm door) call the same functions, so they give the
 * same threshold on the same films.
 *
 * Definitions (what the tests check against naive versions)
 *  - A film's score is the model's positive-class probability as cxr_result
 *    reports it (float). Decision rule everywhere: positive when score >=
 *    threshold.
 *  - AUC: the probability that a random positive film scores above a random
 *    negative one, ties counting one half (Mann-Whitney). 95% CI: percentile
 *    bootstrap, resampling positives and negatives separately (stratified),
 *    `bootstrap_resamples` times (default 2000) from a fixed seed with the
 *    core's own generator (splitmix64), so every platform gives the same CI.
 *  - Target sensitivity s: the highest threshold that keeps the sensitivity
 *    on these films >= s (it is the score of the ceil(s * positives)-th
 *    highest positive film). Target specificity s: the lowest threshold with
 *    specificity >= s (the lowest film score above the ceil(s * negatives)-th
 *    lowest negative film).
 *  - Sensitivity and specificity carry Wilson score 95% intervals.
 *  - Reliability: 10 equal-width bins of the probability over [0, 1]; per bin
 *    the mean probability, the observed positive rate and the count.
 *  - Temperature and bias (optional, Platt scaling on the model's log-odds z):
 *    site probability = 1 / (1 + exp(-(z / temperature + bias))), fitted by
 *    maximum likelihood with Newton's method from (1, 0), deterministic. With
 *    them, the threshold and every number above are on the site probability.
 *
 * Lifetimes: a cxr_calibration owns its report, ROC points and record text;
 * they stay valid until cxr_calibration_destroy. Inputs are copied.
 */
#ifndef CXR_CALIBRATION_H_
#define CXR_CALIBRATION_H_

#include "cxr/cxr.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CXR_RELIABILITY_BINS 10
/* A class with fewer films is refused; with fewer than the second, warned. */
#define CXR_CALIBRATION_MIN_FILMS 20u
#define CXR_CALIBRATION_ADVISED_FILMS 100u

typedef enum cxr_target_kind {
  cxr_target_sensitivity = 0,
  cxr_target_specificity = 1,
} cxr_target_kind;

typedef struct cxr_calibration_films {
  size_t count;
  /* result.probabilities[result.positive_class], classified under the model
   * default (no site calibration active: its temperature would change them) */
  const float* probability;
  const float* log_odds;   /* result.positive_log_odds; may be NULL unless fitting a temperature */
  const uint8_t* positive; /* nonzero: the film is labelled with the positive class */
  /* Each film's SHA-256 as 64 hex digits; may be NULL (the record then
   * cannot be written). The record keeps only the hash of their sorted list. */
  const char* const* sha256_hex;
} cxr_calibration_films;

typedef struct cxr_calibration_options {
  cxr_target_kind target;
  double target_value;          /* in (0, 1), e.g. 0.95 */
  int fit_temperature;          /* nonzero: fit temperature and bias too */
  uint32_t bootstrap_resamples; /* 0: 2000 */
  uint64_t seed;                /* 0: the default seed (same CI everywhere) */
  /* Nonzero: choose nothing; measure the classifier's active site
   * calibration (its threshold, temperature and bias) on these films, e.g.
   * on films held out from the ones it was made on. Target and
   * fit_temperature are then ignored; without an active one, refused. */
  int check_active_site;
} cxr_calibration_options;

typedef struct cxr_proportion {
  double value, low, high; /* Wilson 95% interval */
  uint32_t count, total;
} cxr_proportion;

typedef struct cxr_operating_point {
  float threshold;
  cxr_proportion sensitivity, specificity;
} cxr_operating_point;

typedef struct cxr_roc_point {
  float threshold; /* positive when score >= threshold */
  double false_positive_rate, true_positive_rate;
} cxr_roc_point;

typedef struct cxr_reliability_bin {
  double mean_predicted, observed_rate; /* 0 when count is 0 */
  uint32_t count;
} cxr_reliability_bin;

typedef struct cxr_calibration_report {
  uint32_t num_positive, num_negative;
  int few_films; /* nonzero: a class has fewer than CXR_CALIBRATION_ADVISED_FILMS films */
  cxr_target_kind target;
  double target_value;
  double auc, auc_low, auc_high; /* on the model's probability (temperature does not change it) */
  uint32_t bootstrap_resamples;
  uint32_t num_roc_points;           /* from (0, 0) to (1, 1), one per distinct score */
  const cxr_roc_point* roc;          /* on the model's probability */
  cxr_operating_point model_default; /* the model's own threshold, model probability */
  cxr_operating_point site;          /* the chosen threshold (site probability) */
  /* Films whose decision would change from the model default to the site
   * threshold: turned positive (correctly / wrongly), turned negative
   * (correctly / wrongly). */
  uint32_t now_positive_correct, now_positive_wrong, now_negative_correct, now_negative_wrong;
  int temperature_fitted;
  double temperature, bias;                                   /* 1 and 0 when not fitted */
  cxr_reliability_bin reliability[CXR_RELIABILITY_BINS];      /* model probability */
  cxr_reliability_bin site_reliability[CXR_RELIABILITY_BINS]; /* site probability */
} cxr_calibration_report;

typedef struct cxr_calibration cxr_calibration;

/* Measures `classifier`'s model on labelled films and chooses the site
 * threshold. Refuses (NULL, *error filled) fewer than CXR_CALIBRATION_MIN_FILMS
 * films in a class, a target outside (0, 1), a model without two classes,
 * non-finite scores. The classifier is only read (its default threshold and
 * identity); it may be destroyed afterwards. */
cxr_calibration* cxr_calibration_create(const cxr_classifier* classifier, const cxr_calibration_films* films,
                                        const cxr_calibration_options* options, cxr_error* error);
void cxr_calibration_destroy(cxr_calibration* calibration);
const cxr_calibration_report* cxr_calibration_get_report(const cxr_calibration* calibration);

/* The site calibration record (JSON, schema "cxr-site-calibration" version 1;
 * see docs/DESIGN.md) for `date` ("YYYY-MM-DD"). NULL with *error filled when
 * the films' SHA-256s were not given or the date is malformed. Owned by the
 * calibration. */
const char* cxr_calibration_record_json(cxr_calibration* calibration, const char* date, cxr_error* error);

/* Applies a site calibration record to every later cxr_classify: the
 * threshold (and, with temperature/bias, the positive probability) follow the
 * site, and result.calibration names it. The model's uncertainty band keeps
 * its width in log-odds around the new threshold (a band from 0.2 to 0.8
 * around 0.5 is +-1.386 log-odds; around a threshold of 0.1 it becomes 0.027
 * to 0.31); a model without a band stays without one.
 * A malformed record, a newer schema version, or one made for another model
 * (CRC-32 differs) is refused with a reason naming both models; the
 * classifier then keeps its previous calibration. `json` NULL or empty
 * returns to the model default. The text is copied. */
cxr_status cxr_classifier_set_site_calibration(cxr_classifier* classifier, const char* json, size_t length,
                                               cxr_error* error);

/* The active calibration in words: "model default" or "site calibration of
 * 2026-12-07, 412 films". Owned by the classifier, valid until the next
 * cxr_classifier_set_site_calibration. */
const char* cxr_classifier_calibration_label(const cxr_classifier* classifier);

/* The active record's JSON as applied (normalised), or "" under the model
 * default. Owned by the classifier, valid until the next set call. */
const char* cxr_classifier_site_calibration_json(const cxr_classifier* classifier);

/* SHA-256 of `size` bytes as 64 lower-case hex digits and a NUL, into `out`:
 * how the CLI names each film (the page uses crypto.subtle, the same digest). */
void cxr_sha256_hex(const uint8_t* bytes, size_t size, char out[65]);

#ifdef __cplusplus
}
#endif
#endif /* CXR_CALIBRATION_H_ */
