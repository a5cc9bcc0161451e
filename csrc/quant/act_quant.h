// Per-token (per-row) dynamic activation quantization with torchao 0.18's exact
// arithmetic: choose_qparams_affine (scale and zero point computed in the
// activation dtype, eps = fp32 eps) then quantize_affine (fp32 x * (1 / scale),
// round half to even, + zero point, clamp).
// The parts every implementation shares live here: the row's quantization parameters from its min / max,
// one element's code, and the scalar rows (the ref path's; kernels/act_quant_simd.h is the paths' vector form).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include "common/float_types.h"

namespace xeon {

struct QuantRange {
  int32_t qmin, qmax;
  // Codes are stored as u8 = code + offset: 128 for int8 ranges, 0 for uint8.
  int32_t offset() const { return qmin < 0 ? 128 : 0; }
};

// torch.finfo(torch.float32).eps, the eps torchao's Int8Tensor passes for every dtype.
constexpr float kActQuantEps = std::numeric_limits<float>::epsilon();

struct RowQParams {
  float scale;
  float inv;  // torch: 1.0 / scale == reciprocal(scale) in fp32
  int32_t zero_point;
};

// The quantization parameters of a finite row whose min_val_neg / max_val_pos are mn = min(amin, 0),
// mx = max(amax, 0) (exact in T): every step rounded to T, as torch computes it on a T tensor.
template <typename T>
inline RowQParams row_qparams(float mn, float mx, const QuantRange& r, bool symmetric) {
  float scale;
  int32_t zp;
  if (symmetric) {
    const float amax = std::max(-mn, mx);
    scale = round_to<T>(amax / (static_cast<float>(r.qmax - r.qmin) / 2.f));
    scale = std::max(scale, round_to<T>(kActQuantEps));
    zp = (r.qmax + r.qmin + 1) / 2;
  } else {
    const float range = round_to<T>(mx - mn);
    scale = round_to<T>(range / static_cast<float>(r.qmax - r.qmin));
    scale = std::max(scale, round_to<T>(kActQuantEps));
    const float shifted = round_to<T>(std::nearbyint(round_to<T>(mn / scale)));
    float z = round_to<T>(static_cast<float>(r.qmin) - shifted);
    z = std::min(std::max(z, static_cast<float>(r.qmin)), static_cast<float>(r.qmax));
    zp = static_cast<int32_t>(z);
  }
  return {scale, 1.f / scale, zp};
}

// One element's stored code (code + offset): round half to even of v * inv, + zero point, clamped.
inline uint8_t quantize_value(float v, const RowQParams& p, const QuantRange& r) {
  float q = std::nearbyint(v * p.inv) + static_cast<float>(p.zero_point);
  q = std::min(std::max(q, static_cast<float>(r.qmin)), static_cast<float>(r.qmax));
  return static_cast<uint8_t>(static_cast<int32_t>(q) + r.offset());
}

// A row's min_val_neg / max_val_pos (min(amin, 0), max(amax, 0), exact in T) and whether it is finite, value
// by value. For finite values the order of add() does not change the result.
struct RowRange {
  float mn = 0.f, mx = 0.f;
  bool finite = true;
  void add(float v) {
    finite &= std::isfinite(v);
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
};

// Given the whole row's range: writes the row's scale and zero point and the codes of x[k0, K) by the scalar
// formula, and returns the parameters for the codes of x[0, k0); a row holding NaN or +-Inf gets scale NaN, zero
// point 0 and every code the zero point, and no parameters back (nothing left to do).
template <typename T>
inline bool finish_row(const T* x, int64_t k0, int64_t K, const RowRange& range, const QuantRange& r, bool symmetric,
                       uint8_t* out, float* scale_out, int32_t* zp_out, RowQParams* params) {
  if (!range.finite) {
    *scale_out = std::numeric_limits<float>::quiet_NaN();
    *zp_out = 0;
    std::fill(out, out + K, static_cast<uint8_t>(r.offset()));
    return false;
  }
  const RowQParams p = row_qparams<T>(range.mn, range.mx, r, symmetric);
  for (int64_t k = k0; k < K; ++k) out[k] = quantize_value(to_float(x[k]), p, r);
  *scale_out = p.scale;
  *zp_out = p.zero_point;
  *params = p;
  return true;
}

// Calls row(x_row, out_row, &scale[m], &zero_point[m]) for rows m in [m_begin, m_end) of x ([M, K] row-major,
// x_row typed by dtype).
template <class RowFn>
inline void for_each_row(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end, uint8_t* out,
                         int64_t ld_out, float* scale, int32_t* zero_point, RowFn&& row) {
  dispatch_float_type(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xt = static_cast<const T*>(x);
    for (int64_t m = m_begin; m < m_end; ++m) row(xt + m * K, out + m * ld_out, scale + m, zero_point + m);
  });
}

// Quantizes rows [m_begin, m_end) of x ([M, K] row-major, dtype float/bf16/fp16).
// Writes u8 codes (code + range.offset()) to out + m * ld_out, and per row the fp32
// scale and the integer zero point. A row holding NaN or +-Inf gets scale NaN,
// zero point 0 and all codes equal to the zero point: its outputs become NaN.
// Every path's implementation (KernelTable::quantize_rows) gives the same bits.
using QuantizeRowsFn = void (*)(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                                const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                                int32_t* zero_point);

// The scalar form (the ref path's).
void quantize_rows(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                   const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                   int32_t* zero_point);

}  // namespace xeon
