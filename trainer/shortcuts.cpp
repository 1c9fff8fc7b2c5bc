// cxr-train shortcuts: does a model read the lungs, or the shape and the edges
// of the film (issue 14)? On a labelled folder (a split, or one half of test/),
// every film goes through the core's public API as the CLI and the browser run
// it (cxr_classify on file bytes), then again with its content scaled
// horizontally (x0.8 padded, x1.25 cropped: shortcut_measures.h), re-encoded
// as PNG. Reports how often the decision flips and how far the positive
// probability moves per class, and where the original film's heat map puts
// its mass (outer 10% frame) and its peak. No LibTorch here.
#include <cmath>

#include "cxr/cxr.h"
#include "encode/image_write.h"
#include "model/json.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/metrics.h"
#include "trainer/shortcut_measures.h"

namespace cxr::train {
namespace {

using json::Value;

// One input through cxr_classify.
struct Call {
  Status status;           // of cxr_classify
  double probability = 0;  // of the positive class
  bool positive = false;   // the decision at the model's threshold
  bool flagged = false;    // by the OOD gate (the probability is still the model's)
  bool has_heatmap = false;
  uint32_t heatmap_width = 0, heatmap_height = 0;
  HeatmapPlacement placement;
};

Call classify_bytes(cxr_classifier* classifier, const std::vector<uint8_t>& bytes, bool want_heatmap) {
  Call call;
  cxr_result r;
  cxr_error e;
  const cxr_classify_options options{want_heatmap ? 1 : 0};
  if (cxr_classify(classifier, bytes.data(), bytes.size(), &options, &r, &e) != cxr_status_ok) {
    call.status = Status{e.status, e.message};
    return call;
  }
  call.probability = r.probabilities[r.positive_class];
  call.positive = r.decision_class == r.positive_class;
  call.flagged = r.ood.flagged;
  if (r.heatmap) {
    call.has_heatmap = true;
    call.heatmap_width = r.heatmap_width;
    call.heatmap_height = r.heatmap_height;
    call.placement = heatmap_placement(r.heatmap, r.heatmap_width, r.heatmap_height);
  }
  return call;
}

// A mean with its normal-approximation 95% interval (the sets have hundreds
// of films; the interval says how far the next half of test/ may land).
struct Mean {
  size_t n = 0;
  double sum = 0, squares = 0;
  void add(double v) { ++n, sum += v, squares += v * v; }
  double value() const { return n ? sum / double(n) : 0; }
  Value report() const {
    const double mean = value();
    const double variance = n > 1 ? std::max(0.0, (squares - double(n) * mean * mean) / double(n - 1)) : 0;
    const double half = n ? 1.959964 * std::sqrt(variance / double(n)) : 0;
    Value v = Value::make_object();
    v.set("value", Value::of(mean));
    Value ci = Value::make_array();
    ci.push(Value::of(mean - half)), ci.push(Value::of(mean + half));
    v.set("ci95", std::move(ci));
    v.set("of", Value::of(double(n)));
    return v;
  }
};

// What one horizontal scaling does to the decisions and probabilities.
struct Variant {
  Variant(std::string name, double factor) : name(std::move(name)), factor(factor) {}
  std::string name;
  double factor;
  size_t films = 0, flips = 0, flagged = 0;
  Mean shift[2], size[2];  // per true class: signed and absolute change of the positive probability
  double largest_change = 0;
  void add(const Call& original, const Call& scaled, int label) {
    ++films;
    flips += scaled.positive != original.positive;
    flagged += scaled.flagged;
    const double delta = scaled.probability - original.probability;
    shift[label].add(delta);
    size[label].add(std::fabs(delta));
    largest_change = std::max(largest_change, std::fabs(delta));
  }
  double flip_share() const { return films ? double(flips) / double(films) : 0; }
  Value report() const {
    Value v = Value::make_object();
    v.set("factor", Value::of(factor));
    v.set("flips", proportion_with_ci(flips, films));
    v.set("ood_flagged", proportion_with_ci(flagged, films));
    v.set("largest_abs_delta", Value::of(largest_change));
    for (int label : {kNormal, kPneumonia}) {
      Value c = Value::make_object();
      c.set("mean_delta", shift[label].report());
      c.set("mean_abs_delta", size[label].report());
      v.set(label == kNormal ? "normal" : "pneumonia", std::move(c));
    }
    return v;
  }
};

// Where the heat maps of a group of films look.
struct Placements {
  size_t films = 0, without_mass = 0, peak_in_frame = 0;
  Mean border;
  void add(const HeatmapPlacement& p) {
    ++films;
    if (!p.has_mass) return void(++without_mass);
    border.add(p.border_mass);
    peak_in_frame += p.peak_in_frame;
  }
  size_t with_mass() const { return films - without_mass; }
  double peak_share() const { return with_mass() ? double(peak_in_frame) / double(with_mass()) : 0; }
  Value report() const {
    Value v = Value::make_object();
    v.set("films", Value::of(double(films)));
    v.set("without_positive_evidence", Value::of(double(without_mass)));
    v.set("mean_border_mass", border.report());
    v.set("peak_in_frame", proportion_with_ci(peak_in_frame, with_mass()));
    return v;
  }
};

std::string percent(const Value& proportion) {
  char text[64];
  snprintf(text, sizeof text, "%5.1f%% [%4.1f, %4.1f] (%.0f/%.0f)", 100 * proportion.find("value")->number,
           100 * proportion.find("ci95")->array[0].number, 100 * proportion.find("ci95")->array[1].number,
           proportion.find("count")->number, proportion.find("of")->number);
  return text;
}

std::string signed_mean(const Value& mean) {
  char text[48];
  snprintf(text, sizeof text, "%+.3f [%+.3f, %+.3f]", mean.find("value")->number, mean.find("ci95")->array[0].number,
           mean.find("ci95")->array[1].number);
  return text;
}

// The --check-max-* bars; each names what exceeded it.
std::vector<std::string> failed_checks(const Options& options, const std::vector<Variant>& variants,
                                       const Placements& called_positive, bool have_heatmaps) {
  std::vector<std::string> failures;
  auto fail = [&](const char* format, auto... values) {
    char line[160];
    snprintf(line, sizeof line, format, values...);
    failures.push_back(line);
  };
  auto asked = [&](const char* key) { return options.values.count(key) > 0; };
  for (const Variant& v : variants) {
    if (v.factor == 1) continue;
    if (asked("check-max-flips") && v.flip_share() > options.number("check-max-flips", 0))
      fail("decision flips at %s: %.1f%% > %.1f%%", v.name.c_str(), 100 * v.flip_share(),
           100 * options.number("check-max-flips", 0));
    if (asked("check-max-normal-shift") &&
        std::fabs(v.shift[kNormal].value()) > options.number("check-max-normal-shift", 0))
      fail("mean shift of normal films' probability at %s: %+.3f, beyond +-%.3f", v.name.c_str(),
           v.shift[kNormal].value(), options.number("check-max-normal-shift", 0));
  }
  const bool heatmap_checks = asked("check-max-border-mass") || asked("check-max-peak-in-frame");
  if (heatmap_checks && !have_heatmaps) {
    failures.push_back("the model returns no heat map to check");
    return failures;
  }
  if (asked("check-max-border-mass") && called_positive.border.value() > options.number("check-max-border-mass", 0))
    fail("border mass of films called positive: %.1f%% > %.1f%%", 100 * called_positive.border.value(),
         100 * options.number("check-max-border-mass", 0));
  if (asked("check-max-peak-in-frame") && called_positive.peak_share() > options.number("check-max-peak-in-frame", 0))
    fail("heat-map peak in the frame for films called positive: %.1f%% > %.1f%%", 100 * called_positive.peak_share(),
         100 * options.number("check-max-peak-in-frame", 0));
  return failures;
}

}  // namespace

Status run_shortcuts(const Options& options, const std::string& command_line) {
  std::vector<Sample> samples;
  std::string label;
  CXR_TRY(select_films(options.data_dir(), options.get("split", "test"), options.get("halves", ""),
                       options.get("part", "tune"), size_t(options.number("limit", 0)), &samples, &label));
  Measurement measurement;
  CXR_TRY(start_measuring("shortcuts", options, command_line, ".shortcuts-" + label + ".json", &measurement));
  const auto& [out_path, classifier, info] = measurement;

  // Factor 1 is a control: decode + re-encode alone must not move an 8-bit film.
  std::vector<Variant> variants = {{"identity", 1.0}, {"x0.8", 0.8}, {"x1.25", 1.25}};
  Placements by_class[2], called_positive;
  bool have_heatmaps = false;
  uint32_t heatmap_width = 0, heatmap_height = 0;
  Value films = Value::make_array();
  Progress progress("shortcuts " + label, samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& sample = samples[i];
    std::vector<uint8_t> bytes;
    CXR_TRY(read_file(sample.path, &bytes));
    const Call original = classify_bytes(classifier.get(), bytes, true);
    CXR_TRY(about_file(sample.path, original.status));
    Image image;
    CXR_TRY(about_file(sample.path, decode_image(bytes.data(), bytes.size(), &image)));
    Value row = Value::make_object();
    row.set("file", Value::of(sample.name));
    row.set("label", Value::of(kClassNames[sample.label]));
    row.set("p", Value::of(original.probability));
    for (Variant& variant : variants) {
      GrayImage scaled;
      CXR_TRY(about_file(sample.path, scale_content_horizontally(image, variant.factor, &scaled)));
      const Call call =
          classify_bytes(classifier.get(), encode_png(scaled.pixels, scaled.width, scaled.height, 1), false);
      CXR_TRY(about_file(sample.path + " " + variant.name, call.status));
      variant.add(original, call, sample.label);
      row.set("p_" + variant.name, Value::of(call.probability));
    }
    if (original.has_heatmap) {
      have_heatmaps = true;
      heatmap_width = original.heatmap_width, heatmap_height = original.heatmap_height;
      by_class[sample.label].add(original.placement);
      if (original.positive) called_positive.add(original.placement);
      if (original.placement.has_mass) {
        row.set("border_mass", Value::of(original.placement.border_mass));
        row.set("peak_in_frame", Value::of_bool(original.placement.peak_in_frame));
      }
    }
    films.push(std::move(row));
    progress.step(i + 1);
  }
  progress.finish();

  Value report = Value::make_object();
  char crc[16];
  snprintf(crc, sizeof crc, "%08x", info.checksum);
  Value model = Value::make_object();
  model.set("name", Value::of(info.name)), model.set("version", Value::of(info.version));
  model.set("crc32", Value::of(crc)), model.set("threshold", Value::of(info.threshold));
  report.set("model", std::move(model));
  report.set("films", Value::of(label)), report.set("count", Value::of(double(samples.size())));
  logf("%s %s (crc32 %s), %zu films (%s), decision at threshold %.4f", info.name, info.version, crc, samples.size(),
       label.c_str(), double(info.threshold));

  Value shape = Value::make_object();
  logf("shape: content scaled horizontally (x0.8 padded with its edge columns, x1.25 centre-cropped); "
       "delta = p(scaled) - p(original) of %s",
       info.class_names[info.positive_class]);
  logf("%-9s %-28s %-26s %-8s %-26s %-8s", "variant", "decision flips [95% CI]", "NORMAL mean delta", "|delta|",
       "PNEUMONIA mean delta", "|delta|");
  for (const Variant& v : variants) {
    const Value r = v.report();
    logf("%-9s %-28s %-26s %-8.3f %-26s %-8.3f", v.name.c_str(), percent(*r.find("flips")).c_str(),
         signed_mean(*r.find("normal")->find("mean_delta")).c_str(), v.size[kNormal].value(),
         signed_mean(*r.find("pneumonia")->find("mean_delta")).c_str(), v.size[kPneumonia].value());
    shape.set(v.name, r);
  }
  if (variants[0].largest_change > 0)
    logf("note: decoding and re-encoding alone (identity) moved a probability by up to %.2g (not an 8-bit film?); "
         "the scaled variants carry that too",
         variants[0].largest_change);
  report.set("shape", std::move(shape));

  if (have_heatmaps) {
    logf("heat map (%ux%u, the core's positive CAM): outer frame 10%% of each side wide (36%% of the area)",
         heatmap_width, heatmap_height);
    logf("%-18s %-6s %-26s %s", "films", "count", "mean border mass", "peak in the frame [95% CI]");
    Value heatmap = Value::make_object();
    heatmap.set("width", Value::of(heatmap_width)), heatmap.set("height", Value::of(heatmap_height));
    heatmap.set("frame_fraction", Value::of(0.1));
    const std::string called = std::string("called ") + info.class_names[info.positive_class];
    const std::pair<std::string, const Placements*> groups[] = {
        {called, &called_positive}, {"true NORMAL", &by_class[kNormal]}, {"true PNEUMONIA", &by_class[kPneumonia]}};
    const char* keys[] = {"called_positive", "normal", "pneumonia"};
    for (size_t g = 0; g < 3; ++g) {
      const Value r = groups[g].second->report();
      char mass[48];
      snprintf(mass, sizeof mass, "%.1f%% [%.1f, %.1f]", 100 * groups[g].second->border.value(),
               100 * r.find("mean_border_mass")->find("ci95")->array[0].number,
               100 * r.find("mean_border_mass")->find("ci95")->array[1].number);
      logf("%-18s %-6zu %-26s %s%s", groups[g].first.c_str(), groups[g].second->films, mass,
           percent(*r.find("peak_in_frame")).c_str(),
           groups[g].second->without_mass ? " (some maps have no positive evidence)" : "");
      heatmap.set(keys[g], r);
    }
    report.set("heatmap", std::move(heatmap));
  } else {
    logf("heat map: the model returns none (no global-average-pool + dense head)");
  }

  const std::vector<std::string> failures = failed_checks(options, variants, called_positive, have_heatmaps);
  Value checks = Value::make_array();
  for (const std::string& f : failures) checks.push(Value::of(f));
  report.set("failed_checks", std::move(checks));
  report.set("per_film", std::move(films));
  report.set("command_line", Value::of(command_line));
  report.set("date", Value::of(utc_now_iso8601()));
  CXR_TRY(write_file(out_path, json::serialize(report) + "\n"));
  logf("wrote %s", out_path.c_str());
  if (!failures.empty()) {
    std::string all = failures[0];
    for (size_t i = 1; i < failures.size(); ++i) all += "; " + failures[i];
    return Fail(kCheckFailed, "%s", all.c_str());
  }
  if (options.values.lower_bound("check-max-") != options.values.end() &&
      options.values.lower_bound("check-max-")->first.rfind("check-max-", 0) == 0)
    logf("checks passed");
  return Ok();
}

}  // namespace cxr::train
