// The adult films (../shared/data/adult_nih) and the set-aside rule of
// models/PROTOCOL-gate-v2.md, in one place: within each NIH label, rows sorted
// by their sha256; positions 0-79 are set aside (measured only, by ood-bench),
// 80-129 are the check films (choices), 130-249 the fit films.
#pragma once
#include <string>
#include <vector>

#include "trainer/util.h"

namespace cxr::train {

enum class AdultRole { set_aside, check, fit };
const char* adult_role_name(AdultRole role);

struct AdultFilm {
  std::string path, label, sha256;  // label: the manifest's NIH label
  AdultRole role = AdultRole::fit;
};

constexpr size_t kAdultSetAsidePerLabel = 80, kAdultCheckPerLabel = 50;

// Reads DIR/manifest.csv (file,nih_label,orig_width,orig_height,sha256), checks
// that each listed file exists, and assigns the roles. Sorted by path.
Status list_adult_films(const std::string& dir, std::vector<AdultFilm>* out);

// --adult DIR; by default the folder adult_nih beside --data's folder
// (../shared/data/adult_nih) when it exists; "" for --adult none.
std::string adult_films_dir(const Options& options);

// The films of the given roles.
std::vector<AdultFilm> adult_films_with(const std::vector<AdultFilm>& films, std::vector<AdultRole> roles);

}  // namespace cxr::train
