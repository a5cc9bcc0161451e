// The int4-grouped ops: xeon::da8w4_linear (activation quantization fused in),
// xeon::da8w4_linear_quantized (pre-quantized activations: backs torchao's
// da8w4_linear_cpu schema) and xeon::a16w4_linear.
#include <memory>
#include <vector>

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/util/Exception.h>

#include "common/block_sizes.h"
#include "ops/op_utils.h"
#include "ops/paths.h"
#include "quant/act_quant.h"

namespace xeon {
namespace {

using torch::stable::Tensor;

// DA8W4 activations (torchao's _da8w4_linear): symmetric int8 in [-127, 127] or asymmetric uint8.
constexpr QuantRange kSymRange{-127, 127};
constexpr QuantRange kAsymRange{0, 255};

struct Int4Geometry {
  int64_t N, K, group, G;
};

// weight: uint8 [Npad/32, G, group, 16]; per-group parameters [Npad/32, G, 32].
Int4Geometry check_int4_weight(const Tensor& weight, int64_t N) {
  STD_TORCH_CHECK(weight.is_cpu() && weight.scalar_type() == ScalarType::Byte && weight.dim() == 4 &&
                      weight.size(3) == kNBlockInt4 / 2 && weight.is_contiguous(),
                  "weight: expected a contiguous uint8 CPU tensor [N/32, K/group, group, 16] (a packed int4 weight)");
  const int64_t group = weight.size(2);
  STD_TORCH_CHECK(group == 32 || group == 64 || group == 128 || group == 256,
                  "weight: group size (dim 2) must be 32, 64, 128 or 256, got ", group);
  const int64_t npad = weight.size(0) * kNBlockInt4;
  STD_TORCH_CHECK(N >= 1 && N <= npad && N > npad - kNBlockInt4, "N: expected ", npad - kNBlockInt4 + 1, " <= N <= ",
                  npad, " for this packed weight, got ", N);
  STD_TORCH_CHECK(weight.size(1) >= 1, "weight: expected at least one group");
  return {N, weight.size(1) * group, group, weight.size(1)};
}

int64_t n_params(const Tensor& weight) { return weight.size(0) * weight.size(1) * kNBlockInt4; }

// Per row: u8 codes (already in `a`), their per-group sums.
void group_sums(const uint8_t* a, int64_t M, int64_t K, int64_t group, int32_t* a_sum) {
  const int64_t G = K / group;
  torch::stable::parallel_for(0, M, std::max<int64_t>(1, kRowGrainElems / K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m)
      for (int64_t gi = 0; gi < G; ++gi) {
        int32_t s = 0;
        for (int64_t k = gi * group; k < (gi + 1) * group; ++k) s += a[m * K + k];
        a_sum[m * G + gi] = s;
      }
  });
}

Tensor run_da8w4(const Int4Geometry& geo, int64_t M, const uint8_t* a, const float* a_scale, const int32_t* a_comp,
                 const Tensor& weight, const Tensor& weight_scale, const Tensor& weight_zero,
                 const Tensor& weight_comp, const float* bias, Tensor out, const KernelTable& kt) {
  std::vector<int32_t> a_sum(M * geo.G);
  group_sums(a, M, geo.K, geo.group, a_sum.data());
  Da8w4GemmArgs g{M, geo.N, geo.K, geo.group, a, a_sum.data(), a_scale, a_comp,
                  static_cast<const uint8_t*>(weight.data_ptr()), static_cast<const float*>(weight_scale.data_ptr()),
                  static_cast<const int8_t*>(weight_zero.data_ptr()),
                  static_cast<const int32_t*>(weight_comp.data_ptr()), next_call_id(),
                  OutputArgs{out.data_ptr(), out.scalar_type(), bias}};
  kt.da8w4_gemm(g);
  return out;
}

void check_da8w4_params(const Tensor& weight, const Tensor& scale, const Tensor& zero, const Tensor& comp) {
  const int64_t np = n_params(weight);
  check_tensor(scale, "weight_scale", ScalarType::Float, np);
  check_tensor(zero, "weight_zero", ScalarType::Char, np);
  check_tensor(comp, "weight_comp", ScalarType::Int, np);
}

Tensor da8w4_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale, const Tensor& weight_zero,
                    const Tensor& weight_comp, const std::optional<Tensor>& bias, int64_t N, bool act_symmetric,
                    int64_t path) {
  const Int4Geometry geo = check_int4_weight(weight, N);
  check_activation(x_in, geo.K);
  check_da8w4_params(weight, weight_scale, weight_zero, weight_comp);
  const KernelTable& kt = kernels_for(path);
  const LinearCall c = begin_linear(x_in, geo.K, N, bias);
  if (c.M == 0) return c.out;
  const QuantizedActivations a =
      quantize_activations(c.x, c.M, geo.K, geo.K, act_symmetric ? kSymRange : kAsymRange, act_symmetric);
  return run_da8w4(geo, c.M, a.codes.get(), a.scale.data(), a.comp.data(), weight, weight_scale, weight_zero,
                   weight_comp, c.bias(), c.out, kt);
}

Tensor da8w4_linear_quantized(const Tensor& a_in, const Tensor& a_scale, const Tensor& a_zero, const Tensor& weight,
                              const Tensor& weight_scale, const Tensor& weight_zero, const Tensor& weight_comp,
                              const std::optional<Tensor>& bias, int64_t N,
                              std::optional<torch::headeronly::ScalarType> out_dtype, int64_t path) {
  const Int4Geometry geo = check_int4_weight(weight, N);
  STD_TORCH_CHECK(a_in.is_cpu() && (a_in.scalar_type() == ScalarType::Byte || a_in.scalar_type() == ScalarType::Char),
                  "input: expected uint8 (asymmetric) or int8 (symmetric) activation codes on CPU");
  STD_TORCH_CHECK(a_in.dim() >= 1 && a_in.size(-1) == geo.K, "input: expected last dimension K = ", geo.K);
  const int64_t M = a_in.numel() / geo.K;
  check_tensor(a_scale, "input_scales", ScalarType::Float, M);
  check_tensor(a_zero, "input_qzeros", ScalarType::Int, M);
  check_da8w4_params(weight, weight_scale, weight_zero, weight_comp);
  const ScalarType odt = out_dtype.value_or(ScalarType::Float);
  STD_TORCH_CHECK(is_float_type(odt), "output_dtype: expected float32, bfloat16 or float16");
  const KernelTable& kt = kernels_for(path);
  std::vector<float> bias_buf;
  const float* b = bias_as_float(bias, odt, N, bias_buf);

  const Tensor a_c = as_contiguous(a_in);
  Tensor out = torch::stable::new_empty(a_c, out_shape(a_c, N), odt);
  if (M == 0) return out;
  // uint8 codes are what the kernels read; int8 codes become u8 = code + 128 (the zero moves with them)
  const bool is_signed = a_c.scalar_type() == ScalarType::Char;
  const int32_t offset = is_signed ? 128 : 0;
  const uint8_t* src = static_cast<const uint8_t*>(a_c.data_ptr());
  const int32_t* zp = static_cast<const int32_t*>(a_zero.data_ptr());
  const int64_t K = geo.K;
  std::unique_ptr<uint8_t[]> shifted(is_signed ? new uint8_t[M * K] : nullptr);
  std::vector<int32_t> a_comp(M);
  torch::stable::parallel_for(0, M, std::max<int64_t>(1, kRowGrainElems / K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      a_comp[m] = zp[m] + offset;
      if (is_signed)
        for (int64_t k = 0; k < K; ++k) shifted[m * K + k] = static_cast<uint8_t>(src[m * K + k] + offset);
    }
  });
  const uint8_t* a = is_signed ? shifted.get() : src;
  return run_da8w4(geo, M, a, static_cast<const float*>(a_scale.data_ptr()), a_comp.data(), weight,
                   weight_scale, weight_zero, weight_comp, b, out, kt);
}

Tensor a16w4_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale, const Tensor& weight_zero,
                    const std::optional<Tensor>& bias, int64_t N, int64_t path) {
  const Int4Geometry geo = check_int4_weight(weight, N);
  check_activation(x_in, geo.K);
  check_tensor(weight_scale, "weight_scale", ScalarType::Float, n_params(weight));
  check_tensor(weight_zero, "weight_zero", ScalarType::Float, n_params(weight));
  const KernelTable& kt = kernels_for(path);
  const LinearCall c = begin_linear(x_in, geo.K, N, bias);
  if (c.M == 0) return c.out;
  std::unique_ptr<float[]> x_f32;
  const A16Activations xa = a16_activations(c.x, c.M, geo.K, kt, x_f32);
  A16w4GemmArgs g{c.M, N, geo.K, geo.group, xa.f32, static_cast<const uint8_t*>(weight.data_ptr()),
                  static_cast<const float*>(weight_scale.data_ptr()), static_cast<const float*>(weight_zero.data_ptr()),
                  OutputArgs{c.out.data_ptr(), c.x.scalar_type(), c.bias()}, xa.bf16, next_call_id()};
  kt.a16w4_gemm(g);
  return c.out;
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_FRAGMENT(xeon, m) {
  m.def(
      "da8w4_linear(Tensor x, Tensor weight, Tensor weight_scale, Tensor weight_zero, Tensor weight_comp, "
      "Tensor? bias, int N, bool act_symmetric, int path=-1) -> Tensor");
  m.def(
      "da8w4_linear_quantized(Tensor input, Tensor input_scales, Tensor input_qzeros, Tensor weight, "
      "Tensor weight_scale, Tensor weight_zero, Tensor weight_comp, Tensor? bias, int N, ScalarType? output_dtype, "
      "int path=-1) -> Tensor");
  m.def(
      "a16w4_linear(Tensor x, Tensor weight, Tensor weight_scale, Tensor weight_zero, Tensor? bias, int N, "
      "int path=-1) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("da8w4_linear", TORCH_BOX(&xeon::da8w4_linear));
  m.impl("da8w4_linear_quantized", TORCH_BOX(&xeon::da8w4_linear_quantized));
  m.impl("a16w4_linear", TORCH_BOX(&xeon::a16w4_linear));
}
