#include "torch_net.h"

namespace cxr::bench {

std::unique_ptr<PeerNet> make_torch_net(const Model&, std::string* why_not) {
  *why_not = "LibTorch not found when cxr was configured (apt-get install libtorch-dev)";
  return nullptr;
}

}  // namespace cxr::bench
