// The int4-grouped ops: xeon::da8w4_linear (activation quantization fused in),
// xeon::da8w4_linear_quantized (pre-quantized activations: backs torchao's
// da8w4_linear_cpu schema) and xeon::a16w4_linear.
#include <memory>
#include <vector>

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/parallel_rows.h"
#include "common/row_stride.h"
#include "ops/op_utils.h"
#include "ops/paths.h"

namespace xeon {
namespace {

// The validated layout of an int4 weight: its group is its dim 2 (layouts.h), checked with the rest.
PackedLayout int4_layout(Scheme scheme, const Tensor& weight, int64_t N, int64_t K) {
  STD_TORCH_CHECK(weight.dim() == 4, "weight: expected a packed int4 weight [N/32, K/group, group, 16], got ",
                  weight.dim(), " dimensions");
  const PackedLayout L = checked_layout(scheme, N, K, weight.size(2));
  check_part(weight, "weight", L, Part::kCodes);
  return L;
}

void check_da8w4_params(const PackedLayout& L, const Tensor& scale, const Tensor& zero, const Tensor& sum) {
  check_part(scale, "weight_scale", L, Part::kScale);
  check_padding(L, Tensor(), scale);
  check_part(zero, "weight_zero", L, Part::kZero);
  check_part(sum, "weight_centered_sum", L, Part::kSum);
}

// Per row: the sums of the u8 codes over each group.
std::vector<int32_t> group_sums(const uint8_t* a, int64_t ld, int64_t M, int64_t K, int64_t group) {
  const int64_t G = K / group;
  std::vector<int32_t> a_sum(M * G);
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t gi = 0; gi < G; ++gi) {
        int32_t s = 0;
        for (int64_t k = gi * group; k < (gi + 1) * group; ++k) s += a[m * ld + k];
        a_sum[m * G + gi] = s;
      }
  });
  return a_sum;
}

void run_da8w4(const PackedLayout& L, int64_t M, const U8Activations& a, const Tensor& weight, const Tensor& scale,
               const Tensor& zero, const Tensor& sum, const OutputArgs& o, const KernelTable& kt) {
  const std::vector<int32_t> a_sum = group_sums(a.codes, a.ld, M, L.K, L.group);
  kt.da8w4(Da8w4Args{M, L.N, L.K, L.group, a, a_sum.data(), static_cast<const uint8_t*>(weight.data_ptr()),
                     static_cast<const float*>(scale.data_ptr()), static_cast<const int8_t*>(zero.data_ptr()),
                     static_cast<const int32_t*>(sum.data_ptr()), o, next_call_id()});
}

Tensor da8w4_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale, const Tensor& weight_zero,
                    const Tensor& weight_centered_sum, const std::optional<Tensor>& bias, int64_t N, int64_t K,
                    bool act_symmetric, int64_t path) {
  const PackedLayout L = int4_layout(Scheme::kDa8w4, weight, N, K);
  check_activation(x_in, K);
  check_da8w4_params(L, weight_scale, weight_zero, weight_centered_sum);
  const KernelTable& kt = *path_for(path).kernels;
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  const QuantizedActivations a =
      quantize_activations(kt, c.x, c.M, K, set_spreading_row_stride(K),
                           activation_range(Scheme::kDa8w4, act_symmetric), act_symmetric);
  run_da8w4(L, c.M, a.view(), weight, weight_scale, weight_zero, weight_centered_sum, c.output(), kt);
  return c.out;
}

Tensor da8w4_linear_quantized(const Tensor& a_in, const Tensor& a_scale, const Tensor& a_zero, const Tensor& weight,
                              const Tensor& weight_scale, const Tensor& weight_zero, const Tensor& weight_centered_sum,
                              const std::optional<Tensor>& bias, int64_t N,
                              std::optional<torch::headeronly::ScalarType> out_dtype, int64_t path) {
  STD_TORCH_CHECK(a_in.is_cpu() && (a_in.scalar_type() == ScalarType::Byte || a_in.scalar_type() == ScalarType::Char),
                  "input: expected uint8 (asymmetric) or int8 (symmetric) activation codes on CPU");
  STD_TORCH_CHECK(a_in.dim() >= 1, "input: expected at least 1 dimension");
  const int64_t K = a_in.size(-1);
  const PackedLayout L = int4_layout(Scheme::kDa8w4, weight, N, K);
  const int64_t M = a_in.numel() / K;
  check_vector(a_scale, "input_scales", ScalarType::Float, M);
  check_vector(a_zero, "input_qzeros", ScalarType::Int, M);
  check_da8w4_params(L, weight_scale, weight_zero, weight_centered_sum);
  const ScalarType odt = out_dtype.value_or(ScalarType::Float);
  STD_TORCH_CHECK(is_float_type(odt), "output_dtype: expected float32, bfloat16 or float16");
  const KernelTable& kt = *path_for(path).kernels;
  std::vector<float> bias_buf;
  const float* b = bias_as_float(bias, odt, N, bias_buf);

  const Tensor a_c = as_contiguous(a_in);
  const Tensor scale_c = as_contiguous(a_scale), zero_c = as_contiguous(a_zero);
  Tensor out = torch::stable::new_empty(a_c, out_shape(a_c, N), odt);
  if (M == 0) return out;
  // uint8 codes are what the kernels read; int8 codes become u8 = code + 128 (the zero moves with them)
  const bool is_signed = a_c.scalar_type() == ScalarType::Char;
  const int32_t offset = is_signed ? 128 : 0;
  const uint8_t* src = static_cast<const uint8_t*>(a_c.data_ptr());
  const int32_t* zp = static_cast<const int32_t*>(zero_c.data_ptr());
  std::unique_ptr<uint8_t[]> shifted(is_signed ? new uint8_t[M * K] : nullptr);
  std::vector<int32_t> zero_u8(M);
  std::vector<float> scale(static_cast<const float*>(scale_c.data_ptr()),
                           static_cast<const float*>(scale_c.data_ptr()) + M);
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      zero_u8[m] = zp[m] + offset;
      if (is_signed)
        for (int64_t k = 0; k < K; ++k) shifted[m * K + k] = static_cast<uint8_t>(src[m * K + k] + offset);
    }
    zero_scale_of_null_rows(is_signed ? shifted.get() : src, K, K, zero_u8.data(), scale.data(), m0, m1);
  });
  const U8Activations a{is_signed ? shifted.get() : src, K, scale.data(), zero_u8.data()};
  run_da8w4(L, M, a, weight, weight_scale, weight_zero, weight_centered_sum, OutputArgs{out.data_ptr(), odt, b}, kt);
  return out;
}

Tensor a16w4_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale, const Tensor& weight_zero,
                    const std::optional<Tensor>& bias, int64_t N, int64_t K, int64_t path) {
  const PackedLayout L = int4_layout(Scheme::kA16w4, weight, N, K);
  check_activation(x_in, K);
  check_part(weight_scale, "weight_scale", L, Part::kScale);
  check_padding(L, Tensor(), weight_scale);
  check_part(weight_zero, "weight_zero", L, Part::kZero);
  const KernelTable& kt = *path_for(path).kernels;
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  kt.a16w4(A16w4Args{c.M, N, K, L.group, c.a16(), static_cast<const uint8_t*>(weight.data_ptr()),
                     static_cast<const float*>(weight_scale.data_ptr()),
                     static_cast<const float*>(weight_zero.data_ptr()), c.output(), next_call_id()});
  return c.out;
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("da8w4_linear", TORCH_BOX(&xeon::da8w4_linear));
  m.impl("da8w4_linear.inference", TORCH_BOX(&xeon::da8w4_linear));
  m.impl("da8w4_linear_quantized", TORCH_BOX(&xeon::da8w4_linear_quantized));
  m.impl("a16w4_linear", TORCH_BOX(&xeon::a16w4_linear));
  m.impl("a16w4_linear.inference", TORCH_BOX(&xeon::a16w4_linear));
}
