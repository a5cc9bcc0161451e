// 16-lane SIMD backend on AVX-512 F/BW/VL + VNNI intrinsics. Include only from a
// translation unit compiled with the matching -m flags.
#pragma once
#include <immintrin.h>
#include <cstdint>

namespace xeon::simd_avx512 {

struct Simd {
  using vi = __m512i;
  using vf = __m512;
  static vi zero_i() { return _mm512_setzero_si512(); }
  static vf zero_f() { return _mm512_setzero_ps(); }
  static vi load_i(const void* p) { return _mm512_loadu_si512(p); }
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
};

}  // namespace xeon::simd_avx512
