// Per-token (per-row) dynamic activation quantization with torchao 0.18's exact
// arithmetic: choose_qparams_affine (scale and zero point computed in the
// activation dtype, eps = fp32 eps) then quantize_affine (fp32 x * (1 / scale),
// round half to even, + zero point, clamp).
#pragma once
#include <cstdint>
#include "common/float_types.h"

namespace xeon {

struct QuantRange {
  int32_t qmin, qmax;
  // Codes are stored as u8 = code + offset: 128 for int8 ranges, 0 for uint8.
  int32_t offset() const { return qmin < 0 ? 128 : 0; }
};

// Quantizes rows [m_begin, m_end) of x ([M, K] row-major, dtype float/bf16/fp16).
// Writes u8 codes (code + range.offset()) to out + m * ld_out, and per row the fp32
// scale and the integer zero point. A row holding NaN or +-Inf gets scale NaN,
// zero point 0 and all codes equal to the zero point: its outputs become NaN.
void quantize_rows(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                   const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                   int32_t* zero_point);

}  // namespace xeon
