// Per-token activation quantization (quant/act_quant.h) on a 16-lane SIMD backend S: the same bits as the
// scalar rows (the tests compare every path with ref and with torchao), 16 elements per step.
// - min / max: lane-wise with the scalar loop's comparisons (min_f(v, m) == v < m ? v : m), then across the
//   lanes; for finite values the order does not change the result (a -0 never replaces the initial +0,
//   in a lane or across them, as in the scalar loop);
// - finiteness: v * 0 is NaN exactly for NaN and +-Inf, and a sum holding a NaN stays NaN;
// - codes: fp32 v * inv, round half to even (the instruction's nearest-even mode), + zero point, clamp:
//   the operations of quantize_value, each exact or identically rounded.
// K % 16 trailing elements take the scalar code.
#pragma once
#include <cstdint>
#include <type_traits>
#include "common/float_types.h"
#include "quant/act_quant.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

template <class S, typename T>
typename S::vf load_as_f(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    return S::load_f(p);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return S::load_bf16_as_f(reinterpret_cast<const uint16_t*>(p));
  } else {  // fp16: converted one by one (exact); no backend needs an fp16 load for anything else
    alignas(64) float f[16];
    for (int l = 0; l < 16; ++l) f[l] = to_float(p[l]);
    return S::load_f(f);
  }
}

template <class S, typename T>
void quantize_row_simd(const T* x, int64_t K, const QuantRange& r, bool symmetric, uint8_t* out, float* scale_out,
                       int32_t* zp_out) {
  using vf = typename S::vf;
  const int64_t Kv = K / 16 * 16;
  const vf zero = S::zero_f();
  vf vmn = zero, vmx = zero, nonfinite = zero;
  for (int64_t k = 0; k < Kv; k += 16) {
    const vf v = load_as_f<S>(x + k);
    vmn = S::min_f(v, vmn);
    vmx = S::max_f(v, vmx);
    nonfinite = S::add_f(nonfinite, S::mul_f(v, zero));
  }
  alignas(64) float lane_mn[16], lane_mx[16], lane_nonfinite[16];
  S::store_f(lane_mn, vmn);
  S::store_f(lane_mx, vmx);
  S::store_f(lane_nonfinite, nonfinite);
  RowRange range;  // lane minima are <= 0 and maxima >= 0: each changes only its own end of the range
  for (int l = 0; l < 16; ++l) {
    range.finite &= lane_nonfinite[l] == 0.f;
    range.add(lane_mn[l]);
    range.add(lane_mx[l]);
  }
  for (int64_t k = Kv; k < K; ++k) range.add(to_float(x[k]));
  RowQParams p;
  if (!finish_row(x, Kv, K, range, r, symmetric, out, scale_out, zp_out, &p)) return;
  const vf inv = S::bcast_f(p.inv), zp = S::bcast_f(static_cast<float>(p.zero_point));
  const vf lo = S::bcast_f(static_cast<float>(r.qmin)), hi = S::bcast_f(static_cast<float>(r.qmax));
  const vf off = S::bcast_f(static_cast<float>(r.offset()));
  for (int64_t k = 0; k < Kv; k += 16) {
    const vf q = S::add_f(S::round_f(S::mul_f(load_as_f<S>(x + k), inv)), zp);
    S::store_u8(out + k, S::add_f(S::min_f(S::max_f(q, lo), hi), off));  // integers in [0, 255]: exact
  }
}

// KernelTable::quantize_rows of a vector path.
template <class S>
void quantize_rows_simd(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                        const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                        int32_t* zero_point) {
  for_each_row(x, dtype, K, m_begin, m_end, out, ld_out, scale, zero_point,
               [&](const auto* row, uint8_t* o, float* s, int32_t* z) {
                 quantize_row_simd<S>(row, K, range, symmetric, o, s, z);
               });
}

}  // namespace
}  // namespace xeon
