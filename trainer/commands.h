// The subcommands of cxr-train; each returns the process exit status.
#pragma once
#include "trainer/util.h"

namespace cxr::train {

int run_fit(const Options& options, const std::string& command_line);               // fit.cpp (LibTorch)
int run_parity(const Options& options);                                             // parity.cpp (LibTorch)
int run_evaluate(const Options& options, const std::string& command_line);          // evaluate.cpp (core only)
int run_baseline_cnn(const Options& options, const std::string& command_line);      // baseline_cnn.cpp (LibTorch)
int run_report(const Options& options, const std::string& command_line);            // report.cpp (core only)
int run_ood_bench(const Options& options, const std::string& command_line);         // ood_bench.cpp (core only)
int run_convert(const Options& options, const std::string& command_line);           // convert.cpp (core only)
int run_gate(const Options& options, const std::string& command_line);              // gate.cpp (core only)
int run_repack(const Options& options, const std::string& command_line);            // repack.cpp (core only)
int run_baseline_svm(const Options& options, const std::string& command_line);      // baseline_svm.cpp (libsvm)
int run_pretrained_model(const Options& options, const std::string& command_line);  // pretrained_model.cpp (core only)
int run_shortcuts(const Options& options, const std::string& command_line);         // shortcuts.cpp (core only)

}  // namespace cxr::train
