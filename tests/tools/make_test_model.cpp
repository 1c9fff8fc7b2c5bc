// Writes a random-weight model of a reference architecture, for the wasm tests
// and the bench:  cxr_make_test_model ARCH SEED OUT.cxrm
#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/reference_nets.h"
#include "support/test_model.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ARCH SEED OUT.cxrm   (ARCH: study_cnn, resnet18, tiny)\n", argv[0]);
    return 2;
  }
  const cxr::testing::ReferenceNet net = cxr::testing::make_reference_net(argv[1], uint32_t(std::atoi(argv[2])));
  if (net.layers.empty()) {
    std::fprintf(stderr, "unknown architecture '%s'\n", argv[1]);
    return 2;
  }
  const std::vector<uint8_t> bytes = cxr::testing::make_test_model_file(net);
  FILE* f = std::fopen(argv[3], "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
    std::perror(argv[3]);
    return 1;
  }
  return 0;
}
