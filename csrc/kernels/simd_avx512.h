// 16-lane SIMD backend on AVX-512 F/BW/VL + VNNI intrinsics. Include only from a
// translation unit whose `#pragma GCC target` enables avx512f, avx512bw, avx512vl, avx512dq and avx512vnni.
#pragma once
#include <immintrin.h>
#include <cstdint>
#include "kernels/int4_code_tables.h"

namespace xeon::simd_avx512 {

struct Simd {
  using vi = __m512i;
  using vf = __m512;
  static vi zero_i() { return _mm512_setzero_si512(); }
  static vf zero_f() { return _mm512_setzero_ps(); }
  static vi load_i(const void* p) { return _mm512_loadu_si512(p); }
  static vi xor_i(vi a, vi b) { return _mm512_xor_si512(a, b); }
  static vi bcast_i32(const void* p) { return _mm512_set1_epi32(*static_cast<const int32_t*>(p)); }
  // acc[l] += sum_{i<4} u8(a[4l+i]) * s8(b[4l+i])
  static vi dpbusd(vi acc, vi a_u8, vi b_s8) { return _mm512_dpbusd_epi32(acc, a_u8, b_s8); }
  static void store_i(int32_t* p, vi v) { _mm512_storeu_si512(p, v); }
  static vf load_s8_as_f(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static vf bcast_f(float v) { return _mm512_set1_ps(v); }
  static vf fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
  static void store_f(float* p, vf v) { _mm512_storeu_ps(p, v); }

  // int4 helpers: 64 packed bytes -> low nibbles and high nibbles as 64 bytes each.
  static void unpack_nibbles(vi x, vi& lo, vi& hi) {
    const vi m = _mm512_set1_epi8(0x0F);
    lo = _mm512_and_si512(x, m);
    hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), m);
  }
  // 16 packed bytes -> 16 low nibbles and 16 high nibbles as fp32.
  // One int4 k row (16 bytes; byte j holds channel j in its low nibble, channel 16 + j in its high one) as
  // exact fp32 q - 8: lo lane l channel l, hi channel 16 + l. vpermps reads index bits 3:0 only, so the
  // zero-extended byte indexes the table by its low nibble, and shifted right by 4 by its high one.
  static void int4_row_minus_eight_as_f(const uint8_t* p, vf& lo, vf& hi) {
    const __m512i d = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    const __m512 table = _mm512_load_ps(kInt4MinusEightF32);
    lo = _mm512_permutexvar_ps(d, table);
    hi = _mm512_permutexvar_ps(_mm512_srli_epi32(d, 4), table);
  }
  static vi set1_i(int32_t v) { return _mm512_set1_epi32(v); }
  static vi load_s8_as_i(const int8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static vf cvt_f(vi a) { return _mm512_cvtepi32_ps(a); }
  static vf load_f(const float* p) { return _mm512_loadu_ps(p); }
  static vf sub_f(vf a, vf b) { return _mm512_sub_ps(a, b); }
  static vf mul_f(vf a, vf b) { return _mm512_mul_ps(a, b); }
  static vf add_f(vf a, vf b) { return _mm512_add_ps(a, b); }
  static vf min_f(vf a, vf b) { return _mm512_min_ps(a, b); }  // a < b ? a : b
  static vf max_f(vf a, vf b) { return _mm512_max_ps(a, b); }  // a > b ? a : b
  static vf round_f(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static vf load_bf16_as_f(const uint16_t* p) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
  }
  // v: integers in [0, 255]; stores them as 16 bytes.
  static void store_u8(uint8_t* p, vf v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(v)));
  }
  // Writes 16 bf16 pairs (even_k[l], odd_k[l]) to p, rounding to nearest even: the VNNI-2 row of an
  // AMX-BF16 B tile. Finite inputs only (packed weights are checked finite).
  static void store_bf16_pairs(uint16_t* p, vf even_k, vf odd_k) {
    _mm512_storeu_si512(p, _mm512_or_si512(bf16_bits(even_k), _mm512_slli_epi32(bf16_bits(odd_k), 16)));
  }
  // Per 32-bit lane: the bf16 bits of v (round to nearest even) in the low half.
  static vi bf16_bits(vf v) {
    const __m512i x = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    return _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7FFF)), lsb), 16);
  }
};

}  // namespace xeon::simd_avx512
