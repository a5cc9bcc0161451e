// Validation and small helpers shared by the op translation units. Every check runs before any
// parallel region: with target 2.10 an error thrown inside one loses its message.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/csrc/stable/tensor.h>

#include "common/float_types.h"
#include "kernels/gemm_args.h"
#include "pack/layouts.h"
#include "quant/act_quant.h"

namespace xeon {

using torch::stable::Tensor;

bool is_float_type(ScalarType t);
const char* dtype_name(ScalarType t);
// t itself when contiguous (no dispatcher round trip: it is most of a tiny call's overhead), else a copy.
Tensor as_contiguous(const Tensor& t);
// A process-wide unique id per kernel call (keys the kernels' per-thread weight caches).
uint64_t next_call_id();
// A one-element CPU tensor holding `text` as uint8 (how the describing ops hand JSON to Python).
Tensor text_tensor(const std::string& text);

// The geometry of a packed weight, validated: N >= 1, K >= 1, group legal for the scheme (0 for the int8
// schemes; one of kInt4GroupSizes dividing K for int4), K <= kMaxKInt8 for DA8W8.
PackedLayout checked_layout(Scheme scheme, int64_t N, int64_t K, int64_t group);
// A packed weight's part: a contiguous CPU tensor of exactly the dtype and shape layouts.h gives it.
void check_part(const Tensor& t, const char* name, const PackedLayout& layout, Part part);

// Where a packed weight's shapes cannot tell N or K apart (int4 parts are alike for every N of one 32-channel
// block; DA8W8's codes for every K of one 64-wide block), its padding must be what packing left there:
// int4 padding channels have scale 0 and a real channel's scales are at least torchao's eps (1e-6); DA8W8's
// codes past K are 0. Anything else means the N or K given is not the weight's. (codes: DA8W8 only.)
void check_padding(const PackedLayout& layout, const Tensor& codes, const Tensor& scale);
// x: CPU, float32 / bfloat16 / float16, at least 1-D, last dimension K.
void check_activation(const Tensor& x, int64_t K);
// A 1-D CPU tensor of `numel` elements of dtype (contiguity not required).
void check_vector(const Tensor& t, const char* name, ScalarType dtype, int64_t numel);
// The bias as fp32 (nullptr when absent); keeps its storage in `buf`.
const float* bias_as_float(const std::optional<Tensor>& bias, ScalarType x_dtype, int64_t N, std::vector<float>& buf);

// The common prologue of the linear ops, after their argument checks: x made contiguous, its row count M,
// the output [..., N] in x's dtype and the bias as fp32.
struct LinearCall {
  Tensor x, out;
  int64_t M;
  std::vector<float> bias_buf;
  bool has_bias;
  const float* bias() const { return has_bias ? bias_buf.data() : nullptr; }
  OutputArgs output() const { return OutputArgs{out.data_ptr(), out.scalar_type(), bias()}; }
  A16Activations a16() const { return A16Activations{x.data_ptr(), x.scalar_type()}; }
};
LinearCall begin_linear(const Tensor& x_in, int64_t K, int64_t N, const std::optional<Tensor>& bias);

// x.shape[:-1] + [N]
std::vector<int64_t> out_shape(const Tensor& x, int64_t N);

// The per-token activation range of a dynamic scheme (torchao's): DA8W8 int8 [-128, 127] either way (Int8Tensor:
// torch.int8 bounds); DA8W4 (torchao's _da8w4_linear) int8 [-127, 127] symmetric, uint8 [0, 255] asymmetric.
// xeon::info exports them (the Inductor rewrite reads them there).
inline QuantRange activation_range(Scheme scheme, bool symmetric) {
  if (scheme == Scheme::kDa8w4) return symmetric ? QuantRange{-127, 127} : QuantRange{0, 255};
  return QuantRange{-128, 127};
}

// Per-token quantized activations as the int8 kernels read them (gemm_args.h U8Activations).
struct QuantizedActivations {
  std::unique_ptr<uint8_t[]> codes;  // [M, ld] u8 (code + range.offset()), zero in columns K..ld
  int64_t ld;
  std::vector<float> scale;          // [M]
  std::vector<int32_t> zero_u8;      // [M] the u8 value that means 0 (zero point + range.offset())
  U8Activations view() const { return {codes.get(), ld, scale.data(), zero_u8.data()}; }
};
// Rows m0..m1 whose codes all equal their zero point contribute exactly 0 (every a - zero is 0), but the
// fp32 decomposition of DA8W4 (gemm_args.h) would leave a rounding residue: their kernel-side scale is set
// to 0 so that they give exactly the bias. A row with a NaN scale keeps it.
void zero_scale_of_null_rows(const uint8_t* codes, int64_t ld, int64_t K, const int32_t* zero_u8, float* scale,
                             int64_t m0, int64_t m1);
// Quantizes the rows of x (contiguous, M x K) into rows of stride ld (common/row_stride.h) in parallel with the
// path's quantizer (kt.quantize_rows: torchao's arithmetic, act_quant.h); the scale of a row of zero points is 0
// (zero_scale_of_null_rows).
QuantizedActivations quantize_activations(const KernelTable& kt, const Tensor& x, int64_t M, int64_t K, int64_t ld,
                                          const QuantRange& range, bool symmetric);

}  // namespace xeon
