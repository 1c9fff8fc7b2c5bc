// cxr-train baseline --kind svm: the origin study's SVM (libsvm, RBF, C = 1,
// gamma = 'scale' = 1 / (n_features * X.var()), as sklearn's SVC defaults) on
// 50x50 gray pixels in [0, 1], trained on all of train/ and evaluated on
// test/ with the same report as our model. Images come through the core's
// preprocess (stretch to 50x50, no equalisation, unit normalisation).
#include <libsvm/svm.h>

#include <cmath>

#include "trainer/commands.h"
#include "trainer/dataset.h"
#include "trainer/metrics.h"

namespace cxr::train {
namespace {

void quiet(const char*) {}

// libsvm's sparse rows, dense here: index 1..n, then the -1 terminator.
std::vector<svm_node> rows_of(const PlaneSet& planes) {
  const size_t n = size_t(planes.width) * planes.height, count = planes.content.size();
  std::vector<svm_node> nodes(count * (n + 1));
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < n; ++k)
      nodes[i * (n + 1) + k] = svm_node{int(k + 1), double(dequantize(planes.plane(i)[k]))};
    nodes[i * (n + 1) + n] = svm_node{-1, 0.0};
  }
  return nodes;
}

}  // namespace

Status run_baseline_svm(const Options& options, const std::string& command_line) {
  const std::string data = options.data_dir();
  const std::string out_path = options.get("out", "build/trainer/baseline_svm.test.json");
  CXR_TRY(prepare_output(out_path));
  start_log("baseline", options.get("log", out_path + ".log"), command_line);
  PreprocessSpec spec;
  spec.width = spec.height = 50;
  std::vector<Sample> train, test;
  PlaneSet train_planes, test_planes;
  std::string hash;
  const std::string cache = options.get("cache", "build/cache");
  CXR_TRY(list_split(data, "train", &train));
  CXR_TRY(list_split(data, "test", &test));
  CXR_TRY(load_planes(train, spec, cache, &train_planes, &hash));
  CXR_TRY(load_planes(test, spec, cache, &test_planes, &hash));

  std::vector<svm_node> train_nodes = rows_of(train_planes), test_nodes = rows_of(test_planes);
  const size_t n = 50 * 50;
  double sum = 0, squares = 0;
  for (const svm_node& v : train_nodes)
    if (v.index > 0) sum += v.value, squares += v.value * v.value;
  const double count = double(train.size() * n), mean = sum / count;
  const double gamma = 1.0 / (double(n) * (squares / count - mean * mean));

  std::vector<double> y;
  std::vector<svm_node*> x;
  for (size_t i = 0; i < train.size(); ++i)
    y.push_back(train[i].label ? 1 : -1), x.push_back(&train_nodes[i * (n + 1)]);
  svm_problem problem{int(train.size()), y.data(), x.data()};
  svm_parameter param{};
  param.svm_type = C_SVC, param.kernel_type = RBF, param.gamma = gamma, param.C = 1;
  param.cache_size = 1000, param.eps = 1e-3, param.shrinking = 1;
  svm_set_print_string_function(quiet);
  logf("training RBF SVM on %zu images x %zu pixels, C 1, gamma %.6g (scale)", train.size(), n, gamma);
  Progress progress("svm train", 1);
  svm_model* model = svm_train(&problem, &param);
  progress.finish();

  // Decision value for PNEUMONIA (libsvm orders labels as first seen).
  const double sign = model->label[0] == 1 ? 1 : -1;
  std::vector<double> scores;
  std::vector<int> labels, argmax;
  std::vector<std::string> subtypes;
  for (size_t i = 0; i < test.size(); ++i) {
    double decision = 0;
    svm_predict_values(model, &test_nodes[i * (n + 1)], &decision);
    scores.push_back(sigmoid(sign * decision));  // a monotone map: AUC unchanged, 0.5 is the SVM's own boundary
    argmax.push_back(sign * decision > 0);
    labels.push_back(test[i].label), subtypes.push_back(test[i].subtype);
  }
  svm_free_and_destroy_model(&model);
  json::Value report = evaluation_report(scores, labels, argmax, subtypes, 0.5, 1000, 1);
  report.set("model", json::Value::of("RBF SVM (libsvm), C 1, gamma scale, 50x50 gray"));
  report.set("command_line", json::Value::of(command_line));
  const json::Value& c = *report.find("confusion_argmax");
  logf("SVM on test: accuracy %.4f AUC %.4f confusion %s", report.find("argmax_accuracy")->find("value")->number,
       report.find("auc")->find("value")->number, json::serialize(c).c_str());
  return write_file(out_path, json::serialize(report) + "\n");
}

}  // namespace cxr::train
