// The XNNPACK backend (native only): one XNNPACK operator per layer, created
// at prepare (XNNPACK packs the weights then), run single-threaded (no
// threadpool). XNNPACK binds buffers at setup and may allocate there (e.g.
// indirection buffers), so setup runs on the first run() with a given arena
// pointer and is cached: a caller that reuses its arena never pays it again.
// The plan leaves 16 floats (> XNN_EXTRA_BYTES) after every value for
// XNNPACK's over-reads.
#include "nn/backend.h"

#ifndef CXR_HAVE_XNNPACK

namespace cxr {
std::unique_ptr<Backend> make_xnnpack_backend() { return nullptr; }
}  // namespace cxr

#else

#include <xnnpack.h>

#include <limits>
#include <vector>

namespace cxr {
namespace {

static_assert(XNN_EXTRA_BYTES <= 16 * sizeof(float), "plan slack is smaller than XNNPACK's over-read");

const char* xnn_status_name(xnn_status status) {
  switch (status) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

class XnnpackBackend final : public Backend {
 public:
  ~XnnpackBackend() override { release(); }

  Status prepare(const Plan& plan) override {
    release();
    // Once per process, never deinitialised: operators of any backend may
    // live until exit.
    static const xnn_status init = xnn_initialize(/*allocator=*/nullptr);
    if (init != xnn_status_success)
      return Fail(cxr_status_backend_unavailable, "XNNPACK cannot start on this CPU (%s); use the portable backend",
                  xnn_status_name(init));
    plan_ = &plan;
    operators_.reserve(plan.layers.size());
    for (const PlannedLayer& layer : plan.layers) {
      xnn_operator_t op = nullptr;
      const xnn_status status = create(plan, layer, &op);
      if (status != xnn_status_success) {
        release();
        const cxr_status code =
            status == xnn_status_out_of_memory ? cxr_status_out_of_memory : cxr_status_backend_unavailable;
        return Fail(code, "XNNPACK cannot run %s layer '%s' (%s); use the portable backend",
                    layer_type_name(layer.desc.type), layer.desc.name.c_str(), xnn_status_name(status));
      }
      operators_.push_back(op);
    }
    return Ok();
  }

  Status run(float* arena) override {
    if (plan_ == nullptr) return Fail(cxr_status_internal, "XNNPACK backend run before prepare");
    if (arena != bound_arena_) {
      bound_arena_ = nullptr;
      for (size_t i = 0; i < operators_.size(); ++i) {
        const xnn_status status = setup(plan_->layers[i], operators_[i], arena);
        if (status != xnn_status_success)
          return Fail(cxr_status_internal, "XNNPACK setup failed for layer '%s' (%s)",
                      plan_->layers[i].desc.name.c_str(), xnn_status_name(status));
      }
      bound_arena_ = arena;
    }
    for (size_t i = 0; i < operators_.size(); ++i) {
      const xnn_status status = xnn_run_operator(operators_[i], /*threadpool=*/nullptr);
      if (status != xnn_status_success)
        return Fail(cxr_status_internal, "XNNPACK failed running layer '%s' (%s)", plan_->layers[i].desc.name.c_str(),
                    xnn_status_name(status));
    }
    return Ok();
  }

  const char* name() const override { return "xnnpack"; }

 private:
  void release() {
    for (xnn_operator_t op : operators_) xnn_delete_operator(op);
    operators_.clear();
    plan_ = nullptr;
    bound_arena_ = nullptr;
  }

  static xnn_status create(const Plan& plan, const PlannedLayer& layer, xnn_operator_t* op) {
    const LayerDesc& l = layer.desc;
    const Shape in = plan.shapes[layer.inputs[0]], out = plan.shapes[layer.output];
    const ActivationRange range = activation_range(l.activation);
    constexpr float inf = std::numeric_limits<float>::infinity();
    switch (l.type) {
      case LayerType::conv2d:
        // OHWI is XNNPACK's grouped layout [groups][group_out][kh][kw][group_in];
        // without XNN_FLAG_DEPTHWISE_CONVOLUTION it also takes depthwise
        // weights in it (and repacks them for its depthwise kernels).
        return xnn_create_convolution2d_nhwc_f32(
            l.pad_top, l.pad_right, l.pad_bottom, l.pad_left, l.kernel_h, l.kernel_w, l.stride_h, l.stride_w,
            /*dilation=*/1, 1, l.groups, in.c / l.groups, out.c / l.groups, in.c, out.c, l.weight.data, l.bias.data,
            range.lo, range.hi, /*flags=*/0, op);
      case LayerType::max_pool:
        return xnn_create_max_pooling2d_nhwc_f32(l.pad_top, l.pad_right, l.pad_bottom, l.pad_left, l.kernel_h,
                                                 l.kernel_w, l.stride_h, l.stride_w, /*dilation=*/1, 1, in.c, in.c,
                                                 in.c, -inf, inf, /*flags=*/0, op);
      case LayerType::avg_pool:
        // With padding XNNPACK divides by the count of valid elements, as our
        // definition does (reference.h).
        return xnn_create_average_pooling2d_nhwc_f32(l.pad_top, l.pad_right, l.pad_bottom, l.pad_left, l.kernel_h,
                                                     l.kernel_w, l.stride_h, l.stride_w, in.c, in.c, in.c, -inf, inf,
                                                     /*flags=*/0, op);
      case LayerType::global_avg_pool:
        return xnn_create_global_average_pooling_nwc_f32(in.c, in.c, in.c, -inf, inf, /*flags=*/0, op);
      case LayerType::dense:
        return xnn_create_fully_connected_nc_f32(in.size(), out.c, in.size(), out.c, l.weight.data, l.bias.data,
                                                 range.lo, range.hi, /*flags=*/0, op);
      case LayerType::add: return xnn_create_add_nd_f32(range.lo, range.hi, /*flags=*/0, op);
      case LayerType::softmax: return xnn_create_softmax_nc_f32(in.c, in.c, in.c, /*flags=*/0, op);
    }
    return xnn_status_invalid_parameter;
  }

  xnn_status setup(const PlannedLayer& layer, xnn_operator_t op, float* arena) const {
    const Shape in = plan_->shapes[layer.inputs[0]];
    const float* x = arena + plan_->offsets[layer.inputs[0]];
    float* y = arena + plan_->offsets[layer.output];
    switch (layer.desc.type) {
      case LayerType::conv2d: return xnn_setup_convolution2d_nhwc_f32(op, 1, in.h, in.w, x, y, nullptr);
      case LayerType::max_pool: return xnn_setup_max_pooling2d_nhwc_f32(op, 1, in.h, in.w, x, y, nullptr);
      case LayerType::avg_pool: return xnn_setup_average_pooling2d_nhwc_f32(op, 1, in.h, in.w, x, y, nullptr);
      case LayerType::global_avg_pool:
        return xnn_setup_global_average_pooling_nwc_f32(op, 1, size_t(in.h) * in.w, x, y, nullptr);
      case LayerType::dense: return xnn_setup_fully_connected_nc_f32(op, 1, x, y, nullptr);
      case LayerType::add: {
        const size_t shape[1] = {in.size()};
        return xnn_setup_add_nd_f32(op, 1, shape, 1, shape, x, arena + plan_->offsets[layer.inputs[1]], y, nullptr);
      }
      case LayerType::softmax: return xnn_setup_softmax_nc_f32(op, size_t(in.h) * in.w, x, y, nullptr);
    }
    return xnn_status_invalid_parameter;
  }

  const Plan* plan_ = nullptr;
  std::vector<xnn_operator_t> operators_;  // one per layer, owned
  float* bound_arena_ = nullptr;           // the arena the operators are set up for
};

}  // namespace

std::unique_ptr<Backend> make_xnnpack_backend() { return std::make_unique<XnnpackBackend>(); }

}  // namespace cxr

#endif  // CXR_HAVE_XNNPACK
