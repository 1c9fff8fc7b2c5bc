#include "trainer/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "decode/image.h"
#include "model/json.h"
#include "model/model_file.h"
#include "trainer/util.h"

namespace fs = std::filesystem;

namespace cxr::train {

const char* const kClassNames[2] = {"NORMAL", "PNEUMONIA"};

Status list_split(const std::string& root, const std::string& split, std::vector<Sample>* out) {
  out->clear();
  for (int label : {kNormal, kPneumonia}) {
    const fs::path dir = fs::path(root) / split / kClassNames[label];
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      return Fail(cxr_status_invalid_argument, "%s is not a folder: expected ROOT/{train,test,val}/{NORMAL,PNEUMONIA}/",
                  dir.string().c_str());
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string file = entry.path().filename().string();
      if (!entry.is_regular_file() || file.empty() || file[0] == '.') continue;
      Sample s;
      s.path = entry.path().string();
      s.name = split + "/" + kClassNames[label] + "/" + file;
      s.label = label;
      s.patient = patient_id(file);
      s.subtype = subtype_of(file, label);
      out->push_back(std::move(s));
    }
  }
  std::sort(out->begin(), out->end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  if (out->empty()) return Fail(cxr_status_invalid_argument, "no images under %s/%s", root.c_str(), split.c_str());
  return Ok();
}

Status list_test_half(const std::string& root, const std::string& halves_csv, const std::string& part,
                      std::vector<Sample>* out) {
  out->clear();
  std::vector<std::vector<std::string>> rows;  // file,class,subtype,patient,part
  CXR_TRY(read_csv_rows(halves_csv, 5, &rows));
  for (const std::vector<std::string>& cells : rows) {
    if (cells[4] != part) continue;
    Sample s;
    s.name = cells[0];
    s.path = (fs::path(root) / cells[0]).string();
    if (cells[1] == kClassNames[kNormal]) s.label = kNormal;
    else if (cells[1] == kClassNames[kPneumonia]) s.label = kPneumonia;
    else return Fail(cxr_status_invalid_argument, "%s: unknown class '%s'", halves_csv.c_str(), cells[1].c_str());
    s.subtype = cells[2];
    s.patient = cells[3];
    std::error_code ec;
    if (!fs::is_regular_file(s.path, ec))
      return Fail(cxr_status_invalid_argument, "%s is listed in %s but missing", s.path.c_str(), halves_csv.c_str());
    out->push_back(std::move(s));
  }
  std::sort(out->begin(), out->end(), [](const Sample& a, const Sample& b) { return a.name < b.name; });
  if (out->empty()) return Fail(cxr_status_invalid_argument, "no '%s' films in %s", part.c_str(), halves_csv.c_str());
  return Ok();
}

Status select_films(const std::string& root, const std::string& split, const std::string& halves,
                    const std::string& part, size_t limit, std::vector<Sample>* out, std::string* name) {
  if (halves.empty()) {
    *name = split;
    CXR_TRY(list_split(root, split, out));
  } else {
    *name = part;
    if (part != "tune" && part != "report")
      return Fail(cxr_status_invalid_argument, "--part is tune or report, not %s", part.c_str());
    if (split != "test") return Fail(cxr_status_invalid_argument, "--halves splits test/: drop --split or use test");
    CXR_TRY(list_test_half(root, halves, part, out));
  }
  if (limit && limit < out->size()) {
    std::vector<Sample> kept;
    for (size_t i = 0; i < limit; ++i) kept.push_back((*out)[i * out->size() / limit]);
    out->swap(kept);
  }
  return Ok();
}

std::string patient_id(const std::string& file) {
  if (file.rfind("person", 0) == 0) return file.substr(0, file.find('_'));
  // IM-0115-0001.jpeg -> IM-0115; NORMAL2-IM-0115-0001.jpeg -> NORMAL2-IM-0115
  const size_t im = file.find("IM-");
  if (im != std::string::npos) {
    const size_t end = file.find('-', im + 3);
    if (end != std::string::npos) return file.substr(0, end);
  }
  return file;
}

std::string subtype_of(const std::string& file, int label) {
  if (label == kNormal) return "normal";
  if (file.find("virus") != std::string::npos) return "virus";
  if (file.find("bacteria") != std::string::npos) return "bacteria";
  return "unknown";
}

bool parse_split_order(const std::string& name, SplitOrder* order) {
  for (SplitOrder o : {SplitOrder::shuffle, SplitOrder::lowest_ids, SplitOrder::highest_ids, SplitOrder::normal2_batch})
    if (name == split_order_name(o)) {
      *order = o;
      return true;
    }
  return false;
}

const char* split_order_name(SplitOrder order) {
  switch (order) {
    case SplitOrder::lowest_ids: return "lowest-ids";
    case SplitOrder::highest_ids: return "highest-ids";
    case SplitOrder::normal2_batch: return "normal2-batch";
    default: return "shuffle";
  }
}

namespace {

// The number in a patient id ("person123" -> 123, "NORMAL2-IM-0115" -> 115).
long id_number(const std::string& patient) {
  const size_t end = patient.find_last_of("0123456789");
  if (end == std::string::npos) return -1;
  const size_t begin = patient.find_last_not_of("0123456789", end);
  return std::stol(patient.substr(begin == std::string::npos ? 0 : begin + 1, end - begin));
}

}  // namespace

Split split_by_patient(const std::vector<Sample>& samples, double fraction, uint64_t seed, SplitOrder order) {
  std::map<std::string, int> patient_label;
  for (const Sample& s : samples) patient_label.emplace(s.patient, s.label);
  std::set<std::string> chosen;
  std::mt19937_64 rng(seed);
  for (int label : {kNormal, kPneumonia}) {
    std::vector<std::string> patients;  // sorted (map order): the shuffle alone decides
    for (const auto& [patient, l] : patient_label)
      if (l == label) patients.push_back(patient);
    if (order == SplitOrder::normal2_batch && label == kNormal) {
      for (const std::string& p : patients)
        if (p.rfind("NORMAL2-", 0) == 0) chosen.insert(p);
      continue;
    }
    if (order == SplitOrder::shuffle || order == SplitOrder::normal2_batch) {
      std::shuffle(patients.begin(), patients.end(), rng);
    } else {
      std::stable_sort(patients.begin(), patients.end(),
                       [](const std::string& a, const std::string& b) { return id_number(a) < id_number(b); });
      if (order == SplitOrder::highest_ids) std::reverse(patients.begin(), patients.end());
    }
    const size_t take = size_t(std::lround(fraction * double(patients.size())));
    chosen.insert(patients.begin(), patients.begin() + std::min(take, patients.size()));
  }
  Split split;
  for (size_t i = 0; i < samples.size(); ++i)
    (chosen.count(samples[i].patient) ? split.validation : split.train).push_back(i);
  uint64_t hash = fnv1a(nullptr, 0);
  for (const std::string& p : chosen) hash = fnv1a(p.data(), p.size() + 1, hash);  // + NUL separator
  split.validation_patients_hash = hex64(hash);
  split.validation_patients = chosen.size();
  return split;
}

namespace {

constexpr char kCacheMagic[8] = {'C', 'X', 'R', 'P', 'L', 'N', '1', 0};

bool read_cache(const std::string& path, size_t count, PlaneSet* out) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, kCacheMagic, 8) != 0) return false;
  out->content.resize(count);
  out->pixels.resize(count * out->width * out->height);
  in.read(reinterpret_cast<char*>(out->content.data()), std::streamsize(count * sizeof(ContentRect)));
  in.read(reinterpret_cast<char*>(out->pixels.data()), std::streamsize(out->pixels.size()));
  return bool(in) && in.peek() == EOF;
}

void write_cache(const std::string& path, const PlaneSet& set) {
  std::string bytes(kCacheMagic, 8);
  bytes.append(reinterpret_cast<const char*>(set.content.data()), set.content.size() * sizeof(ContentRect));
  bytes.append(reinterpret_cast<const char*>(set.pixels.data()), set.pixels.size());
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const Status written = write_file(path, bytes);
  if (!written.ok()) logf("warning: plane cache not written: %s", written.message.c_str());
}

}  // namespace

Status load_planes(const std::vector<Sample>& samples, const PreprocessSpec& spec, const std::string& cache_dir,
                   PlaneSet* out, std::string* manifest_hash) {
  // Manifest: every name and every byte, so the cache and the provenance
  // change whenever any image does.
  std::vector<std::vector<uint8_t>> files(samples.size());
  uint64_t manifest = fnv1a(nullptr, 0);
  Progress reading("read files", samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    CXR_TRY(read_file(samples[i].path, &files[i]));
    manifest = fnv1a(samples[i].name.data(), samples[i].name.size() + 1, manifest);
    manifest = fnv1a(files[i].data(), files[i].size(), manifest);
    if (i % 64 == 0) reading.step(i);
  }
  reading.finish();
  if (manifest_hash) *manifest_hash = hex64(manifest);

  const std::string spec_text = json::serialize(preprocess_to_json(spec));
  const uint64_t key = fnv1a(spec_text.data(), spec_text.size(), manifest);
  const std::string cache_path = (fs::path(cache_dir) / ("planes-" + hex64(key) + ".bin")).string();
  out->width = spec.width;
  out->height = spec.height;
  if (read_cache(cache_path, samples.size(), out)) {
    logf("planes: %zu from cache %s", samples.size(), cache_path.c_str());
    return Ok();
  }

  const size_t plane_size = size_t(spec.width) * spec.height;
  out->pixels.assign(samples.size() * plane_size, 0);
  out->content.assign(samples.size(), ContentRect{});
  std::vector<float> plane(plane_size);
  Image image;
  PreprocessScratch scratch;
  Progress decoding("decode+preprocess (core)", samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    Status s = decode_image(files[i].data(), files[i].size(), &image);
    if (s.ok()) s = resample_plane(image, spec, &scratch, plane.data(), &out->content[i]);
    CXR_TRY(about_file(samples[i].path, s));
    uint8_t* dst = out->pixels.data() + i * plane_size;
    for (size_t k = 0; k < plane_size; ++k) dst[k] = uint8_t(std::lround(plane[k] * 255.0f));
    std::vector<uint8_t>().swap(files[i]);
    if (i % 32 == 0) decoding.step(i);
  }
  decoding.finish();
  write_cache(cache_path, *out);
  return Ok();
}

}  // namespace cxr::train
