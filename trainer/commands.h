// The subcommands of cxr-train; each returns the process exit status.
#pragma once
#include "trainer/util.h"

namespace cxr::train {

int run_fit(const Options& options, const std::string& command_line);       // fit.cpp (LibTorch)
int run_parity(const Options& options);                                     // fit.cpp (LibTorch)
int run_evaluate(const Options& options, const std::string& command_line);  // evaluate.cpp (core only)

}  // namespace cxr::train
