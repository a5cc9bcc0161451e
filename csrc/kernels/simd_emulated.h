// 16-lane SIMD backend in portable C++ with the exact semantics of the AVX-512
// instructions the micro-kernels use (vpdpbusd without saturation, fused
// multiply-add with one rounding). It lets the AVX-512 micro-kernel source run
// and be tested on machines without AVX-512.
#pragma once
#include <cmath>
#include "kernels/bf16_semantics.h"
#include "kernels/int4_code_tables.h"
#include "kernels/op_counts.h"
#include <cstdint>
#include <cstring>
#include <limits>

namespace xeon::simd_emulated {

struct Simd {
  struct vi { int32_t v[16]; };
  struct vf { float v[16]; };
  static vi zero_i() { return vi{}; }
  static vf zero_f() { return vf{}; }
  static vi load_i(const void* p) {
    op_counts::vec(1, 0, 0, 0, 0);
    vi r; std::memcpy(r.v, p, 64); return r;
  }
  static vi xor_i(vi a, vi b) {
    op_counts::vec(0, 0, 0, 0, 1);
    for (int l = 0; l < 16; ++l) a.v[l] ^= b.v[l];
    return a;
  }
  static vi bcast_i32(const void* p) {
    op_counts::vec(1, 0, 0, 0, 0);
    int32_t x; std::memcpy(&x, p, 4);
    vi r; for (int l = 0; l < 16; ++l) r.v[l] = x;
    return r;
  }
  static vi dpbusd(vi acc, const vi& a_u8, const vi& b_s8) {
    op_counts::vec(0, 0, 1, 0, 0);
    const uint8_t* a = reinterpret_cast<const uint8_t*>(a_u8.v);
    const int8_t* b = reinterpret_cast<const int8_t*>(b_s8.v);
    for (int l = 0; l < 16; ++l) {
      int32_t s = 0;
      for (int i = 0; i < 4; ++i) s += int32_t{a[4 * l + i]} * int32_t{b[4 * l + i]};
      // vpdpbusd adds with wrap-around (no saturation): do it in uint32.
      acc.v[l] = static_cast<int32_t>(static_cast<uint32_t>(acc.v[l]) + static_cast<uint32_t>(s));
    }
    return acc;
  }
  static void store_i(int32_t* p, const vi& v) {
    op_counts::vec(0, 1, 0, 0, 0);
    std::memcpy(p, v.v, 64);
  }
  static vf load_s8_as_f(const int8_t* p) {
    op_counts::vec(1, 0, 0, 1, 1);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = p[l]; return r;
  }
  static vf bcast_f(float x) {
    op_counts::vec(0, 0, 0, 0, 1);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = x; return r;
  }
  static vf fma(const vf& a, const vf& b, vf c) {
    op_counts::vec(0, 0, 0, 1, 0);
    for (int l = 0; l < 16; ++l) c.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
    return c;
  }
  static void store_f(float* p, const vf& v) {
    op_counts::vec(0, 1, 0, 0, 0);
    std::memcpy(p, v.v, 64);
  }

  static void unpack_nibbles(const vi& x, vi& lo, vi& hi) {
    op_counts::vec(0, 0, 0, 0, 3);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(x.v);
    uint8_t* l = reinterpret_cast<uint8_t*>(lo.v);
    uint8_t* h = reinterpret_cast<uint8_t*>(hi.v);
    for (int i = 0; i < 64; ++i) { l[i] = b[i] & 0x0F; h[i] = b[i] >> 4; }
  }
  static void int4_row_minus_eight_as_f(const uint8_t* p, vf& lo, vf& hi) {  // as simd_avx512's
    op_counts::vec(1, 0, 0, 0, 4);  // load + vpmovzxbd, vpsrld, 2 x vpermps
    for (int l = 0; l < 16; ++l) lo.v[l] = kInt4MinusEightF32[p[l] & 0x0F], hi.v[l] = kInt4MinusEightF32[p[l] >> 4];
  }
  static vi set1_i(int32_t x) {
    op_counts::vec(0, 0, 0, 0, 1);
    vi r; for (int l = 0; l < 16; ++l) r.v[l] = x; return r;
  }
  static vi load_s8_as_i(const int8_t* p) {
    op_counts::vec(1, 0, 0, 0, 1);
    vi r; for (int l = 0; l < 16; ++l) r.v[l] = p[l]; return r;
  }
  static vf cvt_f(const vi& a) {
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = float(a.v[l]); return r;
  }
  static vf load_f(const float* p) {
    op_counts::vec(1, 0, 0, 0, 0);
    vf r; std::memcpy(r.v, p, 64); return r;
  }
  static vf sub_f(const vf& a, const vf& b) {
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = a.v[l] - b.v[l]; return r;
  }
  static vf mul_f(const vf& a, const vf& b) {
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = a.v[l] * b.v[l]; return r;
  }
  static vf add_f(const vf& a, const vf& b) {
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = a.v[l] + b.v[l]; return r;
  }
  static vf min_f(const vf& a, const vf& b) {  // vminps: a < b ? a : b
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = a.v[l] < b.v[l] ? a.v[l] : b.v[l]; return r;
  }
  static vf max_f(const vf& a, const vf& b) {  // vmaxps: a > b ? a : b
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = a.v[l] > b.v[l] ? a.v[l] : b.v[l]; return r;
  }
  static vf round_f(const vf& a) {  // vrndscaleps, nearest even (the default rounding mode's nearbyint)
    op_counts::vec(0, 0, 0, 1, 0);
    vf r; for (int l = 0; l < 16; ++l) r.v[l] = std::nearbyint(a.v[l]); return r;
  }
  static vf load_bf16_as_f(const uint16_t* p) {  // load, zero-extend, shift
    op_counts::vec(1, 0, 0, 0, 2);
    vf r;
    for (int l = 0; l < 16; ++l) {
      const uint32_t bits = static_cast<uint32_t>(p[l]) << 16;
      std::memcpy(&r.v[l], &bits, 4);
    }
    return r;
  }
  static void store_u8(uint8_t* p, const vf& v) {  // vcvttps2dq, vpmovdb, store; v: integers in [0, 255]
    op_counts::vec(0, 1, 0, 1, 1);
    for (int l = 0; l < 16; ++l) p[l] = static_cast<uint8_t>(static_cast<int32_t>(v.v[l]));
  }
  // vdpbf16ps as the SDM's pseudo-code: per lane, acc += a.odd * b.odd, then acc += a.even * b.even, each
  // product exact in fp32 and each sum rounded to nearest even; denormal bf16 inputs read as zero and
  // denormal results are flushed to zero (the instruction ignores MXCSR).
  static vf dpbf16(vf acc, const vi& a, const vi& b) {
    op_counts::vec(0, 0, 1, 0, 0);
    uint16_t x[32], y[32];  // copied, not cast: reading int32 lanes through uint16_t* breaks strict aliasing
    std::memcpy(x, a.v, 64);
    std::memcpy(y, b.v, 64);
    for (int l = 0; l < 16; ++l)
      for (int i = 1; i >= 0; --i)
        acc.v[l] = flush_denormal(acc.v[l] + bf16_daz(x[2 * l + i]) * bf16_daz(y[2 * l + i]));
    return acc;
  }
  static void int4_rows_as_bf16_pairs(const uint8_t* p, vi& lo, vi& hi) {  // as simd_avx512_bf16's
    op_counts::vec(1, 0, 0, 0, 4);  // load, vpermb, vpsrlw, 2 x vpermw
    uint16_t l16[32], h16[32];
    for (int j = 0; j < 16; ++j)
      for (int r = 0; r < 2; ++r) {
        l16[2 * j + r] = kInt4MinusEightBf16[p[16 * r + j] & 0x0F];
        h16[2 * j + r] = kInt4MinusEightBf16[p[16 * r + j] >> 4];
      }
    std::memcpy(lo.v, l16, 64);
    std::memcpy(hi.v, h16, 64);
  }
  static void store_bf16_pairs(uint16_t* p, const vf& even_k, const vf& odd_k) {
    op_counts::vec(0, 1, 0, 0, 12);
    for (int l = 0; l < 16; ++l) {
      p[2 * l] = bf16_bits(even_k.v[l]);
      p[2 * l + 1] = bf16_bits(odd_k.v[l]);
    }
  }

 private:
  static uint16_t bf16_bits(float v) {  // round to nearest even (finite inputs)
    uint32_t x;
    std::memcpy(&x, &v, 4);
    return static_cast<uint16_t>((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
  }
};

}  // namespace xeon::simd_emulated
