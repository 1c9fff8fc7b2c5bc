// The subcommands of cxr-train; each returns its Status, which main.cpp turns
// into the line it prints and the exit status (trainer/util.h: 0, 1 a failed
// check, 2 could not run).
#pragma once
#include "trainer/util.h"

namespace cxr::train {

Status run_fit(const Options& options, const std::string& command_line);           // fit.cpp (LibTorch)
Status run_parity(const Options& options);                                         // parity.cpp (LibTorch)
Status run_evaluate(const Options& options, const std::string& command_line);      // evaluate.cpp (core only)
Status run_baseline_cnn(const Options& options, const std::string& command_line);  // baseline_cnn.cpp (LibTorch)
Status run_report(const Options& options, const std::string& command_line);        // report.cpp (core only)
Status run_ood_bench(const Options& options, const std::string& command_line);     // ood_bench.cpp (core only)
Status run_convert(const Options& options, const std::string& command_line);       // convert.cpp (core only)
Status run_gate(const Options& options, const std::string& command_line);          // gate.cpp (core only)
Status run_repack(const Options& options, const std::string& command_line);        // repack.cpp (core only)
Status run_baseline_svm(const Options& options, const std::string& command_line);  // baseline_svm.cpp (libsvm)
Status run_pretrained_model(const Options& options,
                            const std::string& command_line);                   // pretrained_model.cpp (core only)
Status run_shortcuts(const Options& options, const std::string& command_line);  // shortcuts.cpp (core only)

}  // namespace cxr::train
