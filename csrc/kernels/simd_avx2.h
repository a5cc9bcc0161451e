// 16-lane SIMD backend on AVX2 + FMA: each 16-lane vector is two 256-bit halves.
// vpdpbusd has no AVX2 form, so dpbusd widens to 16 bits and sums pairs with
// vpmaddwd (exact: a pair of u8 x s8 products is at most 2 x 255 x 128 < 2^31),
// then adds the pairs of pairs: the same wrap-around int32 result as vpdpbusd.
// Include only from a translation unit whose target enables avx2 and fma.
#pragma once
#include <immintrin.h>
#include <cstdint>
#include "kernels/int4_code_tables.h"

namespace xeon::simd_avx2 {

struct Simd {
  struct vi { __m256i lo, hi; };
  struct vf { __m256 lo, hi; };
  static vi zero_i() { return {_mm256_setzero_si256(), _mm256_setzero_si256()}; }
  static vf zero_f() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static vi load_i(const void* p) {
    const __m256i* q = static_cast<const __m256i*>(p);
    return {_mm256_loadu_si256(q), _mm256_loadu_si256(q + 1)};
  }
  static vi xor_i(vi a, vi b) { return {_mm256_xor_si256(a.lo, b.lo), _mm256_xor_si256(a.hi, b.hi)}; }
  static vi bcast_i32(const void* p) {
    const __m256i v = _mm256_set1_epi32(*static_cast<const int32_t*>(p));
    return {v, v};
  }
  static vi dpbusd(vi acc, vi a_u8, vi b_s8) {
    return {_mm256_add_epi32(acc.lo, dot4(a_u8.lo, b_s8.lo)), _mm256_add_epi32(acc.hi, dot4(a_u8.hi, b_s8.hi))};
  }
  static void store_i(int32_t* p, vi v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v.lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p) + 1, v.hi);
  }
  static vf load_s8_as_f(const int8_t* p) {
    return {_mm256_cvtepi32_ps(s8x8_to_i32(p)), _mm256_cvtepi32_ps(s8x8_to_i32(p + 8))};
  }
  static vf bcast_f(float v) { return {_mm256_set1_ps(v), _mm256_set1_ps(v)}; }
  static vf fma(vf a, vf b, vf c) { return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)}; }
  static void store_f(float* p, vf v) {
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
  }

  static void unpack_nibbles(vi x, vi& lo, vi& hi) {
    const __m256i m = _mm256_set1_epi8(0x0F);
    lo = {_mm256_and_si256(x.lo, m), _mm256_and_si256(x.hi, m)};
    hi = {_mm256_and_si256(_mm256_srli_epi16(x.lo, 4), m), _mm256_and_si256(_mm256_srli_epi16(x.hi, 4), m)};
  }
  // One int4 k row (16 bytes; byte j: channel j low nibble, channel 16 + j high) as exact fp32 q - 8: the
  // nibbles index pshufb's int8 table of q - 8, then sign-extend and convert (no subtract).
  static void int4_row_minus_eight_as_f(const uint8_t* p, vf& lo, vf& hi) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m = _mm_set1_epi8(0x0F);
    const __m128i table = _mm_load_si128(reinterpret_cast<const __m128i*>(kInt4MinusEightI8Table.data()));
    const __m128i l = _mm_shuffle_epi8(table, _mm_and_si128(x, m));
    const __m128i h = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(x, 4), m));
    lo = {_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(l)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(l, 8)))};
    hi = {_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(h)), _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(h, 8)))};
  }
  static vi set1_i(int32_t v) { return {_mm256_set1_epi32(v), _mm256_set1_epi32(v)}; }
  static vi load_s8_as_i(const int8_t* p) { return {s8x8_to_i32(p), s8x8_to_i32(p + 8)}; }
  static vf cvt_f(vi a) { return {_mm256_cvtepi32_ps(a.lo), _mm256_cvtepi32_ps(a.hi)}; }
  static vf load_f(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static vf sub_f(vf a, vf b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
  static vf mul_f(vf a, vf b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
  static vf add_f(vf a, vf b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
  static vf min_f(vf a, vf b) { return {_mm256_min_ps(a.lo, b.lo), _mm256_min_ps(a.hi, b.hi)}; }  // a < b ? a : b
  static vf max_f(vf a, vf b) { return {_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)}; }  // a > b ? a : b
  static vf round_f(vf a) {
    constexpr int kMode = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    return {_mm256_round_ps(a.lo, kMode), _mm256_round_ps(a.hi, kMode)};
  }
  static vf load_bf16_as_f(const uint16_t* p) {
    const __m128i* q = reinterpret_cast<const __m128i*>(p);
    return {_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(q)), 16)),
            _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(q + 1)), 16))};
  }
  // v: integers in [0, 255]; stores them as 16 bytes (the saturating packs keep them, the permute undoes
  // packus_epi32's per-128-bit-lane interleaving).
  static void store_u8(uint8_t* p, vf v) {
    const __m256i w = _mm256_permute4x64_epi64(
        _mm256_packus_epi32(_mm256_cvttps_epi32(v.lo), _mm256_cvttps_epi32(v.hi)), 0xD8);  // 16 u16, in order
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1)));
  }

 private:
  static __m256i s8x8_to_i32(const int8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  // 8 lanes: sum over i < 4 of u8(a[4l+i]) * s8(b[4l+i]).
  static __m256i dot4(__m256i a, __m256i b) {
    const __m256i p0 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(a)),
                                         _mm256_cvtepi8_epi16(_mm256_castsi256_si128(b)));  // lanes 0-3, pairs
    const __m256i p1 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(a, 1)),
                                         _mm256_cvtepi8_epi16(_mm256_extracti128_si256(b, 1)));  // lanes 4-7
    // hadd within 128-bit halves gives lanes [0 1 4 5 | 2 3 6 7]; restore the order.
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(p0, p1), 0xD8);
  }
};

}  // namespace xeon::simd_avx2
