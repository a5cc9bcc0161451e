// The op layer: schemas of the xeon:: ops, input validation (always before any
// parallel region: with target 2.10 an error thrown inside one loses its
// message), activation quantization and the call into the selected path.
#include <memory>
#include <vector>

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/util/Exception.h>

#include "common/block_sizes.h"
#include "common/cpu_features.h"
#include "common/float_types.h"
#include "ops/op_utils.h"
#include "ops/paths.h"
#include "pack/int8_pack.h"
#include "quant/act_quant.h"

namespace xeon {
namespace {

using torch::stable::Tensor;

// The stable-ABI version this library targets (setup.py: TORCH_TARGET_VERSION).
constexpr int64_t kStableAbiTarget = TORCH_TARGET_VERSION;

// torchao's per-token int8 range for DA8W8 activations (Int8Tensor: torch.int8 bounds).
constexpr QuantRange kInt8Range{-128, 127};

Tensor da8w8_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_comp, const Tensor& weight_scale,
                    const std::optional<Tensor>& bias, int64_t K, bool act_symmetric, int64_t path) {
  STD_TORCH_CHECK(K >= 1 && K <= kMaxKInt8, "K: expected 1 <= K <= ", kMaxKInt8,
                  " (longer K could overflow the int32 accumulators), got ", K);
  check_activation(x_in, K);
  const int64_t N = weight_scale.numel();
  STD_TORCH_CHECK(N >= 1, "weight_scale: expected at least one output channel");
  const int64_t Kpad = round_up(K, kKPadInt8);
  check_tensor(weight, "weight", ScalarType::Char, packed_int8_bytes(Layout::kInt8Vnni4, N, K));
  check_tensor(weight_comp, "weight_comp", ScalarType::Int, round_up(N, kNBlock));
  check_tensor(weight_scale, "weight_scale", ScalarType::Float, N);
  const KernelTable& kt = kernels_for(path);
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  const QuantizedActivations a = quantize_activations(c.x, c.M, K, Kpad, kInt8Range, act_symmetric);
  Int8GemmArgs g{c.M, N, Kpad, a.codes.get(), static_cast<const int8_t*>(weight.data_ptr()),
                 static_cast<const int32_t*>(weight_comp.data_ptr()),
                 static_cast<const float*>(weight_scale.data_ptr()), a.scale.data(), a.comp.data(),
                 OutputArgs{c.out.data_ptr(), c.x.scalar_type(), c.bias()}};
  kt.int8_gemm(g);
  return c.out;
}

Tensor a16w8_linear(const Tensor& x_in, const Tensor& weight, const Tensor& weight_scale,
                    const std::optional<Tensor>& bias, int64_t K, int64_t path) {
  STD_TORCH_CHECK(K >= 1, "K: expected K >= 1, got ", K);
  check_activation(x_in, K);
  const int64_t N = weight_scale.numel();
  STD_TORCH_CHECK(N >= 1, "weight_scale: expected at least one output channel");
  check_tensor(weight, "weight", ScalarType::Char, packed_int8_bytes(Layout::kInt8KMajor, N, K));
  check_tensor(weight_scale, "weight_scale", ScalarType::Float, N);
  const KernelTable& kt = kernels_for(path);
  const LinearCall c = begin_linear(x_in, K, N, bias);
  if (c.M == 0) return c.out;
  std::unique_ptr<float[]> x_f32;
  const A16Activations xa = a16_activations(c.x, c.M, K, kt, x_f32);
  A16W8GemmArgs g{c.M, N, K, xa.f32, static_cast<const int8_t*>(weight.data_ptr()),
                  static_cast<const float*>(weight_scale.data_ptr()),
                  OutputArgs{c.out.data_ptr(), c.x.scalar_type(), c.bias()}, xa.bf16, next_call_id()};
  kt.a16w8_gemm(g);
  return c.out;
}

std::vector<Tensor> quantize_per_token(const Tensor& x_in, bool symmetric, int64_t quant_min, int64_t quant_max) {
  STD_TORCH_CHECK(x_in.is_cpu() && is_float_type(x_in.scalar_type()),
                  "x: expected a CPU tensor of dtype float32, bfloat16 or float16");
  STD_TORCH_CHECK(x_in.dim() >= 1 && x_in.size(-1) >= 1, "x: expected at least 1 dimension and K >= 1");
  STD_TORCH_CHECK(((quant_min == -128 || quant_min == -127) && quant_max == 127) || (quant_min == 0 && quant_max == 255),
                  "quant_min, quant_max: expected (-128, 127) or (-127, 127) for int8, or (0, 255) for uint8");
  const QuantRange r{static_cast<int32_t>(quant_min), static_cast<int32_t>(quant_max)};
  const Tensor x = as_contiguous(x_in);
  const int64_t K = x.size(-1), M = x.numel() / K;
  std::vector<int64_t> qp_shape = out_shape(x, 1);
  Tensor codes = torch::stable::new_empty(x, x.sizes(), quant_min < 0 ? ScalarType::Char : ScalarType::Byte);
  Tensor scale = torch::stable::new_empty(x, qp_shape, ScalarType::Float);
  Tensor zp = torch::stable::new_empty(x, qp_shape, ScalarType::Int);
  uint8_t* c = static_cast<uint8_t*>(codes.data_ptr());
  float* s = static_cast<float*>(scale.data_ptr());
  int32_t* z = static_cast<int32_t*>(zp.data_ptr());
  const void* xp = x.data_ptr();
  const ScalarType dt = x.scalar_type();
  torch::stable::parallel_for(0, M, std::max<int64_t>(1, kRowGrainElems / K), [&](int64_t m0, int64_t m1) {
    quantize_rows(xp, dt, K, m0, m1, r, symmetric, c, K, s, z);
    const uint8_t off = static_cast<uint8_t>(r.offset());
    for (int64_t i = m0 * K; i < m1 * K; ++i) c[i] = static_cast<uint8_t>(c[i] - off);  // back to int8 bits
  });
  return {codes, scale, zp};
}

std::vector<Tensor> pack_int8_weight(const Tensor& codes_in, int64_t layout) {
  STD_TORCH_CHECK(layout == static_cast<int64_t>(Layout::kInt8Vnni4) ||
                      layout == static_cast<int64_t>(Layout::kInt8KMajor),
                  "layout: expected 0 (int8 VNNI4) or 1 (int8 K-major), got ", layout);
  STD_TORCH_CHECK(codes_in.is_cpu() && codes_in.scalar_type() == ScalarType::Char && codes_in.dim() == 2,
                  "weight: expected a 2-D int8 CPU tensor [N, K]");
  const int64_t N = codes_in.size(0), K = codes_in.size(1);
  STD_TORCH_CHECK(N >= 1 && K >= 1, "weight: expected N >= 1 and K >= 1");
  const Layout l = static_cast<Layout>(layout);
  const Tensor codes = as_contiguous(codes_in);
  Tensor packed = torch::stable::new_empty(codes, {packed_int8_bytes(l, N, K)});
  Tensor w_sum = torch::stable::new_empty(codes, {round_up(N, kNBlock)}, ScalarType::Int);
  pack_int8(l, static_cast<const int8_t*>(codes.data_ptr()), N, K, static_cast<int8_t*>(packed.data_ptr()),
            static_cast<int32_t*>(w_sum.data_ptr()));
  return {packed, w_sum};
}

// [feature bits (cpu_features.h order), best path id, stable-ABI target version, bit mask of the path
// ids this CPU runs] (the one place path support is decided: paths.cpp)
Tensor cpu_info() {
  Tensor t = torch::stable::empty({4}, ScalarType::Long, std::nullopt,
                                  torch::stable::Device(torch::headeronly::DeviceType::CPU));
  int64_t* p = static_cast<int64_t*>(t.data_ptr());
  p[0] = cpu_features().as_bits();
  p[1] = static_cast<int64_t>(best_path());
  p[2] = kStableAbiTarget;
  p[3] = 0;
  for (int64_t id = 0; id <= kMaxPathId; ++id)
    if (path_supported(static_cast<Path>(id))) p[3] |= int64_t{1} << id;
  return t;
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY(xeon, m) {
  m.def("cpu_info() -> Tensor");
  m.def("quantize_per_token(Tensor x, bool symmetric, int quant_min, int quant_max) -> Tensor[]");
  m.def("pack_int8_weight(Tensor weight, int layout) -> Tensor[]");
  m.def(
      "da8w8_linear(Tensor x, Tensor weight, Tensor weight_comp, Tensor weight_scale, Tensor? bias, int K, "
      "bool act_symmetric, int path=-1) -> Tensor");
  m.def("a16w8_linear(Tensor x, Tensor weight, Tensor weight_scale, Tensor? bias, int K, int path=-1) -> Tensor");
}

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("quantize_per_token", TORCH_BOX(&xeon::quantize_per_token));
  m.impl("pack_int8_weight", TORCH_BOX(&xeon::pack_int8_weight));
  m.impl("da8w8_linear", TORCH_BOX(&xeon::da8w8_linear));
  m.impl("a16w8_linear", TORCH_BOX(&xeon::a16w8_linear));
}

STABLE_TORCH_LIBRARY_IMPL(xeon, CompositeExplicitAutograd, m) {
  m.impl("cpu_info", TORCH_BOX(&xeon::cpu_info));
}
