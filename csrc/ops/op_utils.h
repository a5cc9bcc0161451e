// Validation and small helpers shared by the op translation units.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/csrc/stable/tensor.h>

#include "common/float_types.h"
#include "kernels/gemm_args.h"
#include "quant/act_quant.h"

namespace xeon {

// Rows per parallel_for grain in elementwise passes, so a few short rows stay on one thread.
constexpr int64_t kRowGrainElems = 16384;

bool is_float_type(ScalarType t);
// t itself when contiguous (no dispatcher round trip: it is most of a tiny call's overhead), else a copy.
torch::stable::Tensor as_contiguous(const torch::stable::Tensor& t);
// A process-wide unique id per kernel call (keys the kernels' per-thread weight caches).
uint64_t next_call_id();
// The activations for an A16 kernel: the bf16 rows themselves where the path runs AMX-BF16 tiles
// for this call (bf16 x, K a multiple of 32, M >= the path's bf16_tile_min_rows), else x as fp32
// (converted into buf unless already fp32). Exactly one of the two is non-null.
struct A16Activations {
  const float* f32;
  const BFloat16* bf16;
};
A16Activations a16_activations(const torch::stable::Tensor& x, int64_t M, int64_t K, const KernelTable& kt,
                               std::unique_ptr<float[]>& buf);
// x: CPU, float32 / bfloat16 / float16, at least 1-D, last dimension K.
void check_activation(const torch::stable::Tensor& x, int64_t K);
// A packed-weight tensor: CPU, dtype, element count, contiguous.
void check_tensor(const torch::stable::Tensor& t, const char* name, ScalarType dtype, int64_t numel);
// The bias as fp32 (nullptr when absent); keeps its storage in `buf`.
const float* bias_as_float(const std::optional<torch::stable::Tensor>& bias, ScalarType x_dtype, int64_t N,
                           std::vector<float>& buf);
// The common prologue of the linear ops, after their argument checks: x made contiguous, its row count M,
// the output [..., N] in x's dtype and the bias as fp32.
struct LinearCall {
  torch::stable::Tensor x, out;
  int64_t M;
  std::vector<float> bias_buf;
  bool has_bias;
  const float* bias() const { return has_bias ? bias_buf.data() : nullptr; }
};
LinearCall begin_linear(const torch::stable::Tensor& x_in, int64_t K, int64_t N,
                        const std::optional<torch::stable::Tensor>& bias);

// x.shape[:-1] + [N]
std::vector<int64_t> out_shape(const torch::stable::Tensor& x, int64_t N);
// Per-token quantized activations as the int8 kernels read them.
struct QuantizedActivations {
  std::unique_ptr<uint8_t[]> codes;  // [M, ld] u8 (code + range.offset()), zero in columns K..ld
  std::vector<float> scale;          // [M]
  std::vector<int32_t> comp;         // [M] the u8 value that means 0 (zero point + range.offset())
};
// Quantizes the rows of x (contiguous, M x K) in parallel, with torchao's arithmetic (act_quant.h).
QuantizedActivations quantize_activations(const torch::stable::Tensor& x, int64_t M, int64_t K, int64_t ld,
                                          const QuantRange& range, bool symmetric);

// x (contiguous, M x K) as fp32: x itself when already fp32, else converted into `buf`.
const float* activation_as_float(const torch::stable::Tensor& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf);

}  // namespace xeon
