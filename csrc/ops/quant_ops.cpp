// xeon::quantize_per_token: torchao's per-token dynamic quantization as one op (act_quant.h).
#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/parallel_rows.h"
#include "ops/op_utils.h"
#include "ops/paths.h"

namespace xeon {
namespace {

std::vector<Tensor> quantize_per_token(const Tensor& x_in, bool symmetric, int64_t quant_min, int64_t quant_max,
                                       int64_t path) {
  STD_TORCH_CHECK(x_in.is_cpu() && is_float_type(x_in.scalar_type()),
                  "x: expected a CPU tensor of dtype float32, bfloat16 or float16");
  STD_TORCH_CHECK(x_in.dim() >= 1 && x_in.size(-1) >= 1, "x: expected at least 1 dimension and K >= 1");
  const bool int8_range = (quant_min == -128 || quant_min == -127) && quant_max == 127;
  STD_TORCH_CHECK(int8_range || (quant_min == 0 && quant_max == 255),
                  "quant_min, quant_max: expected (-128, 127) or (-127, 127) for int8, or (0, 255) for uint8");
  const QuantRange r{static_cast<int32_t>(quant_min), static_cast<int32_t>(quant_max)};
  const KernelTable& kt = *path_for(path).kernels;
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
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    kt.quantize_rows(xp, dt, K, m0, m1, r, symmetric, c, K, s, z);
    const uint8_t off = static_cast<uint8_t>(r.offset());
    for (int64_t i = m0 * K; i < m1 * K; ++i) c[i] = static_cast<uint8_t>(c[i] - off);  // back to int8 bits
  });
  return {codes, scale, zp};
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) { m.impl("quantize_per_token", TORCH_BOX(&xeon::quantize_per_token)); }
