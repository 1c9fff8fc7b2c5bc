// cxr-train report: one self-contained HTML page (inline SVG and PNG data
// URIs; opens offline, nothing fetched) about a model file: class counts,
// sample films, training curves, test confusion matrix, ROC, reliability
// diagram, CAM overlays, and the comparison table. Reads the model's metadata
// (history, metrics.validation, metrics.test written by evaluate) and the
// images through the core. No LibTorch here.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>

#include "cxr/cxr.h"
#include "decode/image.h"
#include "encode/image_write.h"
#include "model/json.h"
#include "trainer/commands.h"
#include "trainer/dataset.h"

namespace cxr::train {
namespace {

using json::Value;

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t n = uint32_t(bytes[i]) << 16 | (i + 1 < bytes.size() ? bytes[i + 1] << 8 : 0) |
                       (i + 2 < bytes.size() ? bytes[i + 2] : 0);
    out += table[n >> 18 & 63], out += table[n >> 12 & 63];
    out += i + 1 < bytes.size() ? table[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? table[n & 63] : '=';
  }
  return out;
}

std::string png_img(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  const std::vector<uint8_t> png = encode_png(pixels, width, height, channels);
  return "<img width=\"" + std::to_string(width) + "\" src=\"data:image/png;base64," + base64(png) + "\">";
}

std::string num(double v, int digits = 3) {
  char text[32];
  snprintf(text, sizeof text, "%.*f", digits, v);
  return text;
}

// A line chart of named series over epochs (x) in a w x h SVG.
std::string line_chart(const std::string& title,
                       const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  const double w = 360, h = 200, pad = 30;
  double lo = 1e30, hi = -1e30;
  size_t n = 0;
  for (const auto& s : series)
    for (double v : s.second) lo = std::min(lo, v), hi = std::max(hi, v), n = std::max(n, s.second.size());
  if (hi <= lo) hi = lo + 1;
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  std::ostringstream svg;
  svg << "<figure><svg width=\"" << w << "\" height=\"" << h
      << "\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\" stroke=\"#ccc\"/>";
  for (size_t k = 0; k < series.size(); ++k) {
    svg << "<polyline fill=\"none\" stroke=\"" << colors[k % 4] << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < series[k].second.size(); ++i)
      svg << pad + (w - 2 * pad) * double(i) / double(std::max<size_t>(1, n - 1)) << ","
          << h - pad - (h - 2 * pad) * (series[k].second[i] - lo) / (hi - lo) << " ";
    svg << "\"/><text x=\"" << pad + 110 * k << "\" y=\"14\" fill=\"" << colors[k % 4] << "\" font-size=\"11\">"
        << series[k].first << "</text>";
  }
  svg << "<text x=\"2\" y=\"" << pad << "\" font-size=\"10\">" << num(hi) << "</text><text x=\"2\" y=\"" << h - pad
      << "\" font-size=\"10\">" << num(lo) << "</text><text x=\"" << w / 2 << "\" y=\"" << h - 8
      << "\" font-size=\"10\">epoch</text></svg><figcaption>" << title << "</figcaption></figure>";
  return svg.str();
}

// Points in the unit square (ROC, reliability) with the diagonal.
std::string unit_chart(const std::string& title, const std::vector<std::pair<double, double>>& points, bool bars,
                       const std::string& x_label, const std::string& y_label) {
  const double s = 220, pad = 30;
  std::ostringstream svg;
  svg << "<figure><svg width=\"" << s + 2 * pad << "\" height=\"" << s + 2 * pad << "\"><rect x=\"" << pad << "\" y=\""
      << pad << "\" width=\"" << s << "\" height=\"" << s << "\" fill=\"#fff\" stroke=\"#ccc\"/>"
      << "<line x1=\"" << pad << "\" y1=\"" << pad + s << "\" x2=\"" << pad + s << "\" y2=\"" << pad
      << "\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>";
  if (bars) {
    for (const auto& [x, y] : points)
      svg << "<rect x=\"" << pad + s * x - 8 << "\" y=\"" << pad + s * (1 - y) << "\" width=\"16\" height=\"" << s * y
          << "\" fill=\"#1f77b4\" opacity=\"0.7\"/>";
  } else {
    svg << "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"";
    for (const auto& [x, y] : points) svg << pad + s * x << "," << pad + s * (1 - y) << " ";
    svg << "\"/>";
  }
  svg << "<text x=\"" << pad + s / 2 - 20 << "\" y=\"" << s + 2 * pad - 8 << "\" font-size=\"11\">" << x_label
      << "</text><text x=\"2\" y=\"20\" font-size=\"11\">" << y_label << "</text></svg><figcaption>" << title
      << "</figcaption></figure>";
  return svg.str();
}

std::vector<double> numbers(const Value* array) {
  std::vector<double> out;
  if (array)
    for (const Value& v : array->array) out.push_back(v.number);
  return out;
}

std::string metric(const Value& report, const char* key) {
  const Value* m = report.find(key);
  if (!m) return "—";
  const Value* ci = m->find("ci95");
  std::string text = num(m->find("value")->number, 4);
  if (ci) text += " [" + num(ci->array[0].number, 4) + ", " + num(ci->array[1].number, 4) + "]";
  return text;
}

}  // namespace

Status run_report(const Options& options, const std::string& command_line) {
  const std::string model_path = options.model_path(), data = options.data_dir();
  const std::string out_path = options.get("out", "build/trainer/report.html");
  CXR_TRY(prepare_output(out_path));
  ClassifierPtr classifier;
  CXR_TRY(load_classifier(model_path, &classifier));
  Value meta;
  CXR_TRY(classifier_metadata(classifier.get(), &meta));
  const Value* training = meta.find("training");
  const Value* metrics = meta.find("metrics");
  const Value* test = metrics ? metrics->find("test") : nullptr;

  std::ostringstream html;
  html << "<!doctype html><html><head><meta charset=\"utf-8\"><title>cxr model report</title><style>"
          "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}figure{display:inline-block;margin:6px;"
          "vertical-align:top}"
          "figure.film{width:250px;font-size:11px}figure.film img{width:120px}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}img{margin:2px}"
          "</style></head><body><h1>cxr model report</h1><p>"
       << json::quote(model_path) << " — " << meta.find("name")->string << " " << meta.find("version")->string
       << ". Generated by <code>" << command_line << "</code>. Decision support only, not a diagnosis.</p>";

  // Class counts per split.
  html << "<h2>Data</h2><table><tr><th>split</th><th>NORMAL</th><th>PNEUMONIA</th></tr>";
  std::vector<Sample> train;
  for (const char* split : {"train", "val", "test"}) {
    std::vector<Sample> samples;
    if (!list_split(data, split, &samples).ok()) continue;
    const size_t positives =
        size_t(std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return s.label; }));
    html << "<tr><td>" << split << "</td><td>" << samples.size() - positives << "</td><td>" << positives
         << "</td></tr>";
    if (std::string(split) == "train") train = samples;
  }
  html << "</table>";

  // Image sizes as decoded (the train split).
  std::map<std::pair<uint32_t, uint32_t>, size_t> sizes;
  {
    Progress progress("report: image sizes", train.size());
    Image image;
    for (size_t i = 0; i < train.size(); ++i) {
      std::vector<uint8_t> bytes;
      if (read_file(train[i].path, &bytes).ok() && decode_image(bytes.data(), bytes.size(), &image).ok())
        ++sizes[{image.width, image.height}];
      if (i % 256 == 0) progress.step(i);
    }
  }
  html << "<p>Image sizes in train/ (width x height: films): ";
  for (const auto& [size, count] : sizes) html << size.first << "x" << size.second << ": " << count << "; ";
  html << "</p>";

  // Sample films (train) with the image sizes seen, and CAM overlays.
  html << "<h2>Sample training films with the model's heat map (CAM)</h2>";
  for (int label : {kNormal, kPneumonia}) {
    html << "<h3>" << kClassNames[label] << "</h3>";
    int shown = 0;
    for (size_t i = 0; i < train.size() && shown < 6; i += 97) {
      if (train[i].label != label) continue;
      std::vector<uint8_t> bytes;
      Image image;
      if (!read_file(train[i].path, &bytes).ok() || !decode_image(bytes.data(), bytes.size(), &image).ok()) continue;
      cxr_classify_options opts{1};
      cxr_result r;
      if (cxr_classify(classifier.get(), bytes.data(), bytes.size(), &opts, &r, nullptr) != cxr_status_ok || !r.heatmap)
        continue;
      PreprocessSpec view;  // the film at the heat map's size, unequalised
      view.width = r.heatmap_width, view.height = r.heatmap_height;
      std::vector<float> plane(size_t(view.width) * view.height);
      ContentRect content;
      if (!resample_plane(image, view, nullptr, plane.data(), &content).ok()) continue;
      std::vector<uint8_t> gray(plane.size()), overlay(plane.size() * 3);
      for (size_t k = 0; k < plane.size(); ++k) {
        gray[k] = uint8_t(std::lround(plane[k] * 255));
        const float heat = r.heatmap[k];
        overlay[3 * k + 0] = uint8_t(std::min(255.0f, plane[k] * 255 * (1 - 0.5f * heat) + 255 * 0.5f * heat));
        overlay[3 * k + 1] = uint8_t(plane[k] * 255 * (1 - 0.5f * heat));
        overlay[3 * k + 2] = uint8_t(plane[k] * 255 * (1 - 0.5f * heat));
      }
      html << "<figure class=\"film\">" << png_img(gray, int(view.width), int(view.height), 1)
           << png_img(overlay, int(view.width), int(view.height), 3) << "<figcaption>" << train[i].name << " ("
           << image.width << "x" << image.height << "), P(pneumonia) " << num(r.probabilities[1])
           << "</figcaption></figure>";
      ++shown;
    }
  }

  if (training) {
    html << "<h2 id=\"curves\">Training curves</h2>"
         << line_chart("loss (train: augmented, class-weighted, smoothed; validation: plain NLL)",
                       {{"train loss", numbers(training->find("history_train_loss"))},
                        {"validation loss", numbers(training->find("history_validation_loss"))}})
         << line_chart("train accuracy and validation AUC",
                       {{"train accuracy", numbers(training->find("history_train_accuracy"))},
                        {"validation AUC", numbers(training->find("history_validation_auc"))}});
  }

  for (const char* split : {"validation", "test"}) {
    const Value* r = metrics ? metrics->find(split) : nullptr;
    if (!r) continue;
    html << "<h2>" << split << " (" << r->find("count")->number << " images)</h2><table>";
    for (const char* key :
         {"auc", "argmax_accuracy", "accuracy", "sensitivity", "specificity", "precision", "f1_pneumonia", "f1_normal"})
      html << "<tr><td>" << key << "</td><td>" << metric(*r, key) << "</td></tr>";
    const Value& c = *r->find("confusion_threshold");
    html << "</table><p>Confusion at threshold " << num(r->find("threshold")->number, 4)
         << " (rows true, columns predicted):</p><table><tr><th></th><th>pred NORMAL</th><th>pred PNEUMONIA</th></tr>"
         << "<tr><th>NORMAL</th><td>" << c.array[0].array[0].number << "</td><td>" << c.array[0].array[1].number
         << "</td></tr>"
         << "<tr><th>PNEUMONIA</th><td>" << c.array[1].array[0].number << "</td><td>" << c.array[1].array[1].number
         << "</td></tr></table>";
    std::vector<std::pair<double, double>> roc, reliability;
    for (const Value& p : r->find("roc")->array) roc.emplace_back(p.array[0].number, p.array[1].number);
    for (const Value& b : r->find("calibration")->find("bins")->array)
      if (b.find("mean_probability"))
        reliability.emplace_back(b.find("mean_probability")->number, b.find("fraction_positive")->number);
    html << unit_chart(std::string("ROC, AUC ") + num(r->find("auc")->find("value")->number, 4), roc, false,
                       "1 - specificity", "sensitivity")
         << unit_chart("reliability, ECE " + num(r->find("calibration")->find("ece")->number), reliability, true,
                       "predicted P", "observed fraction");
  }

  // Ours vs the study's models (as re-run by `baseline`, when given) and the published numbers.
  html << "<h2>Compared with (official test split)</h2><table><tr><th>model</th><th>accuracy</th><th>AUC</th></tr>";
  if (test)
    html << "<tr><td>this model (argmax)</td><td>" << metric(*test, "argmax_accuracy") << "</td><td>"
         << metric(*test, "auc") << "</td></tr>";
  for (const char* key : {"cnn", "svm"}) {
    const std::string path = options.get(std::string("baseline-") + key, "");
    std::vector<uint8_t> bytes;
    Value b;
    if (path.empty() || !read_file(path, &bytes).ok() || !json::parse(std::string(bytes.begin(), bytes.end()), &b).ok())
      continue;
    html << "<tr><td>origin study's " << key << ", re-run here</td><td>" << metric(b, "argmax_accuracy") << "</td><td>"
         << metric(b, "auc") << "</td></tr>";
  }
  html << "<tr><td>origin study's CNN as published</td><td>0.9263</td><td>—</td></tr>"
          "<tr><td>origin study's SVM as published</td><td>0.7644</td><td>—</td></tr>"
          "<tr><td>Kermany et al. 2018 (threshold chosen on test)</td><td>0.928</td><td>0.968</td></tr>"
          "<tr><td>all-pneumonia</td><td>0.625</td><td>0.5</td></tr></table></body></html>\n";
  CXR_TRY(write_file(out_path, html.str()));
  logf("wrote %s", out_path.c_str());
  return Ok();
}

}  // namespace cxr::train
