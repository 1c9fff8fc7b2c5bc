// The dataset folder (ROOT/{train,test,val}/{NORMAL,PNEUMONIA}/*), patient
// ids, the patient-level validation split, and the cache of preprocessed
// planes. Images are read only through the core (decode_image + resample_plane
// with the model's PreprocessSpec); the cache stores stage 1 as u8.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "preprocess/preprocess.h"

namespace cxr::train {

constexpr int kNormal = 0, kPneumonia = 1;  // class indices, as in the model file
extern const char* const kClassNames[2];

struct Sample {
  std::string path;  // full path
  std::string name;  // "split/CLASS/file", the manifest key
  int label = kNormal;
  std::string patient;  // "person123", "IM-0115", "NORMAL2-IM-0115"
  std::string subtype;  // "normal", "bacteria", "virus"
};

// Sorted by name. Fails when the folder lacks the layout.
Status list_split(const std::string& root, const std::string& split, std::vector<Sample>* out);

// One half of the test split as test_halves.csv assigns it (columns file,
// class, subtype, patient, part; file relative to ROOT, e.g.
// "test/NORMAL/IM-0001-0001.jpeg"): part "tune" (chosen on) or "report"
// (reported once, never chosen on). Sorted by name. Fails on a malformed
// CSV, an unknown class, or a listed file that is missing.
Status list_test_half(const std::string& root, const std::string& halves_csv, const std::string& part,
                      std::vector<Sample>* out);

// The films a measuring command reads: a whole split (`halves` empty), or one
// `part` ("tune" or "report") of test/ as `halves` (test_halves.csv) assigns
// it; evenly thinned to `limit` films when non-zero (the list is sorted by
// class, so both classes stay). *name is what to call the set in reports:
// the split's name, or the part's.
Status select_films(const std::string& root, const std::string& split, const std::string& halves,
                    const std::string& part, size_t limit, std::vector<Sample>* out, std::string* name);

// Patient id from a file name (see the data README): personNNN for pneumonia,
// IM-NNNN / NORMAL2-IM-NNNN for normal; the file name itself when neither fits.
std::string patient_id(const std::string& file_name);
std::string subtype_of(const std::string& file_name, int label);

// Patient-level, class-stratified split: `fraction` of each class's patients
// (a patient's class is that of its first file) go to validation, chosen by a
// seeded shuffle, or (to study shift along the ids, which the dataset hands
// out in order) the patients with the lowest or highest numeric ids of their
// class. `normal2_batch` holds out a whole acquisition batch instead: every
// NORMAL2-* normal patient (the dataset's second batch of normal films) plus
// a seeded `fraction` of the pneumonia patients, so the model is judged on
// normal films from a batch it never saw. No patient is on both sides.
enum class SplitOrder { shuffle, lowest_ids, highest_ids, normal2_batch };
// "shuffle", "lowest-ids", "highest-ids"; false for anything else.
bool parse_split_order(const std::string& name, SplitOrder* order);
const char* split_order_name(SplitOrder order);
struct Split {
  std::vector<size_t> train, validation;  // indices into the samples
  std::string validation_patients_hash;   // FNV-1a of the sorted validation patient ids
  size_t validation_patients = 0;
};
Split split_by_patient(const std::vector<Sample>& samples, double fraction, uint64_t seed,
                       SplitOrder order = SplitOrder::shuffle);

// Stage-1 planes (resampled + equalised, [0, 1]) quantised to u8:
// round(v * 255), so a value is off by at most 1/510 once divided back.
struct PlaneSet {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // count x height x width
  std::vector<ContentRect> content;
  const uint8_t* plane(size_t i) const { return pixels.data() + i * size_t(width) * height; }
};

// Reads every file (hashing its bytes into the manifest hash) and decodes +
// resamples those missing from the cache file in `cache_dir` keyed by spec and
// manifest. `manifest_hash` (optional) receives the FNV-1a of names + bytes.
Status load_planes(const std::vector<Sample>& samples, const PreprocessSpec& spec, const std::string& cache_dir,
                   PlaneSet* out, std::string* manifest_hash);

// A float plane back from u8 (the inverse of the cache's quantisation).
inline float dequantize(uint8_t v) { return float(v) * (1.0f / 255.0f); }

}  // namespace cxr::train
