// A network planned once at load: every shape inferred and checked, every
// intermediate given a fixed place in one float arena (buffers whose lifetimes
// do not overlap share memory). Backends run a plan; nothing is allocated per
// image.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "nn/layers.h"

namespace cxr {

struct PlannedLayer {
  LayerDesc desc;
  std::vector<size_t> inputs;  // value ids (0 = network input)
  size_t output = 0;           // value id
};

struct Plan {
  // Value 0 is the network input; value i+1 is the output of layer i.
  std::vector<Shape> shapes;
  std::vector<size_t> offsets;  // in floats into the arena, each 64-byte aligned
  size_t arena_floats = 0;      // includes slack for XNNPACK's over-reads
  std::vector<PlannedLayer> layers;
  // The feature map read by a global_avg_pool that is followed by the final
  // dense layer (the CAM pair), or SIZE_MAX when the network has none.
  size_t cam_features = SIZE_MAX;
  size_t cam_dense_layer = SIZE_MAX;
  // That global_avg_pool's output (the penultimate features the OOD gate
  // scores), kept live after the run like cam_features; SIZE_MAX when none.
  size_t pooled_features = SIZE_MAX;
  // Values the caller reads after the run (build_plan's keep_alive), in order.
  std::vector<size_t> kept_values;
  size_t logits_value() const;  // input of a final softmax, else the last output
  size_t output_value() const { return shapes.size() - 1; }
};

// Infers and checks shapes (weights' dims included), resolves inputs, and lays
// out the arena. Refuses inconsistent networks with a reason. The outputs of
// the layers named in `keep_alive` are not overwritten during the run.
Status build_plan(const std::vector<LayerDesc>& layers, Shape input, Plan* plan,
                  const std::vector<std::string>& keep_alive = {});

// Output size of a window op along one axis, or 0 when the window does not fit.
uint32_t window_output_size(uint32_t in, uint32_t kernel, uint32_t stride, uint32_t pad_before, uint32_t pad_after);

}  // namespace cxr
