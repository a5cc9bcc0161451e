// The AVX-512 backend plus AVX512_BF16's vdpbf16ps. Include only from a translation unit whose
// `#pragma GCC target` enables avx512bf16 besides the avx512 backend's features.
#pragma once
#include <immintrin.h>
#include "kernels/simd_avx512.h"
#include "kernels/bf16_semantics.h"

namespace xeon::simd_avx512_bf16 {

struct Simd : simd_avx512::Simd {
  // acc[l] += a.bf16[2l+1] * b.bf16[2l+1] + a.bf16[2l] * b.bf16[2l] (fp32 accumulation)
  static vf dpbf16(vf acc, vi a, vi b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
  // Two int4 k rows (p: 16 bytes of row k, then 16 of row k + 1; byte j holds channel j in its low nibble
  // and channel 16 + j in its high one) as vdpbf16ps operands: lo lane l = (q[l, k] - 8, q[l, k + 1] - 8)
  // in bf16, hi the same for channel 16 + l.
  static void int4_rows_as_bf16_pairs(const uint8_t* p, vi& lo, vi& hi) {
    const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    const __m256i pairs = _mm256_set_m128i(_mm_unpackhi_epi8(r0, r1), _mm_unpacklo_epi8(r0, r1));
    const __m512i w = _mm512_cvtepu8_epi16(pairs);  // word 2j: row k's byte j, word 2j + 1: row k + 1's
    const __m512i table = _mm512_loadu_si512(kInt4MinusEightBf16);
    lo = _mm512_permutexvar_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x0F)), table);
    hi = _mm512_permutexvar_epi16(_mm512_srli_epi16(w, 4), table);
  }
};

}  // namespace xeon::simd_avx512_bf16
