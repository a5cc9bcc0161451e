// The int8-weight linear ops: xeon::da8w8_linear (activation quantization fused in) and xeon::a16w8_linear.
#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/row_stride.h"
#include "ops/op_utils.h"
#include "ops/paths.h"

namespace xeon {
namespace {

Tensor da8w8_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_sum, const Tensor& weight_scale,
                    const std::optional<Tensor>& bias, int64_t N, int64_t K, bool act_symmetric, int64_t path) {
  const PackedLayout L = checked_layout(Scheme::kDa8w8, N, K, 0);
  check_activation(x_in, K);
  check_part(weight, "weight", L, Part::kCodes);
  check_part(weight_sum, "weight_sum", L, Part::kSum);
  check_part(weight_scale, "weight_scale", L, Part::kScale);
  check_padding(L, weight, weight_scale);
  const KernelTable& kt = *path_for(path).kernels;
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  const QuantizedActivations a =
      quantize_activations(kt, c.x, c.M, K, set_spreading_row_stride(L.kpad()),
                           activation_range(Scheme::kDa8w8, act_symmetric), act_symmetric);
  kt.da8w8(Da8w8Args{c.M, N, L.kpad(), a.view(), static_cast<const int8_t*>(weight.data_ptr()),
                     static_cast<const int32_t*>(weight_sum.data_ptr()),
                     static_cast<const float*>(weight_scale.data_ptr()), c.output()});
  return c.out;
}

Tensor a16w8_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale,
                    const std::optional<Tensor>& bias, int64_t N, int64_t K, int64_t path) {
  const PackedLayout L = checked_layout(Scheme::kA16w8, N, K, 0);
  check_activation(x_in, K);
  check_part(weight, "weight", L, Part::kCodes);
  check_part(weight_scale, "weight_scale", L, Part::kScale);
  const KernelTable& kt = *path_for(path).kernels;
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  kt.a16w8(A16w8Args{c.M, N, K, c.a16(), static_cast<const int8_t*>(weight.data_ptr()),
                     static_cast<const float*>(weight_scale.data_ptr()), c.output(), next_call_id()});
  return c.out;
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("da8w8_linear", TORCH_BOX(&xeon::da8w8_linear));
  m.impl("da8w8_linear.inference", TORCH_BOX(&xeon::da8w8_linear));
  m.impl("a16w8_linear", TORCH_BOX(&xeon::a16w8_linear));
  m.impl("a16w8_linear.inference", TORCH_BOX(&xeon::a16w8_linear));
}
