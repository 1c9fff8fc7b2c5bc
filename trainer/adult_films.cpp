#include "trainer/adult_films.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "trainer/util.h"

namespace fs = std::filesystem;

namespace cxr::train {

const char* adult_role_name(AdultRole role) {
  switch (role) {
    case AdultRole::set_aside: return "set-aside";
    case AdultRole::check: return "check";
    case AdultRole::fit: return "fit";
  }
  return "?";
}

Status list_adult_films(const std::string& dir, std::vector<AdultFilm>* out) {
  out->clear();
  const std::string manifest = (fs::path(dir) / "manifest.csv").string();
  std::vector<std::vector<std::string>> rows;
  CXR_TRY(read_csv_rows(manifest, 5, &rows));
  std::map<std::string, std::vector<AdultFilm>> by_label;
  for (const std::vector<std::string>& cells : rows) {
    AdultFilm film{(fs::path(dir) / cells[0]).string(), cells[1], cells[4], AdultRole::fit};
    std::error_code ec;
    if (!fs::is_regular_file(film.path, ec))
      return Fail(cxr_status_invalid_argument, "%s is listed in %s but missing", film.path.c_str(), manifest.c_str());
    if (film.sha256.size() != 64)
      return Fail(cxr_status_invalid_argument, "%s: %s has no sha256", manifest.c_str(), cells[0].c_str());
    by_label[film.label].push_back(std::move(film));
  }
  if (by_label.size() < 2) return Fail(cxr_status_invalid_argument, "%s lists fewer than two labels", manifest.c_str());
  for (auto& [label, films] : by_label) {
    std::sort(films.begin(), films.end(), [](const AdultFilm& a, const AdultFilm& b) { return a.sha256 < b.sha256; });
    if (films.size() < kAdultSetAsidePerLabel + kAdultCheckPerLabel + 1)
      return Fail(cxr_status_invalid_argument, "%s: too few films labelled %s", manifest.c_str(), label.c_str());
    for (size_t i = 0; i < films.size(); ++i)
      films[i].role = i < kAdultSetAsidePerLabel                         ? AdultRole::set_aside
                      : i < kAdultSetAsidePerLabel + kAdultCheckPerLabel ? AdultRole::check
                                                                         : AdultRole::fit;
    out->insert(out->end(), films.begin(), films.end());
  }
  std::sort(out->begin(), out->end(), [](const AdultFilm& a, const AdultFilm& b) { return a.path < b.path; });
  return Ok();
}

std::string adult_films_dir(const Options& options) {
  const std::string asked = options.get("adult", "");
  if (asked == "none") return "";
  if (!asked.empty()) return asked;
  const fs::path beside = fs::path(options.get("data", "../shared/data/chest_xray_224")).parent_path() / "adult_nih";
  std::error_code ec;
  return fs::is_regular_file(beside / "manifest.csv", ec) ? beside.string() : "";
}

std::vector<AdultFilm> adult_films_with(const std::vector<AdultFilm>& films, std::vector<AdultRole> roles) {
  std::vector<AdultFilm> out;
  for (const AdultFilm& f : films)
    if (std::find(roles.begin(), roles.end(), f.role) != roles.end()) out.push_back(f);
  return out;
}

}  // namespace cxr::train
