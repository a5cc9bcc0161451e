// The AVX-512 backend plus AVX512_BF16's vdpbf16ps. Include only from a translation unit whose
// `#pragma GCC target` enables avx512bf16 besides the avx512 backend's features.
#pragma once
#include <immintrin.h>
#include <array>
#include <cstdint>
#include "kernels/simd_avx512.h"
#include "kernels/int4_code_tables.h"

namespace xeon::simd_avx512_bf16 {

// vpermb indices that interleave two rows of 16 bytes into words: byte 4j + {0, 1} <- j (row k),
// byte 4j + {2, 3} <- 16 + j (row k + 1).
constexpr std::array<uint8_t, 64> interleave_row_bytes() {
  std::array<uint8_t, 64> t{};
  for (int i = 0; i < 64; ++i) t[i] = static_cast<uint8_t>((i & 2 ? 16 : 0) + i / 4);
  return t;
}
alignas(64) inline constexpr std::array<uint8_t, 64> kInterleaveRowBytes = interleave_row_bytes();

struct Simd : simd_avx512::Simd {
  // acc[l] += a.bf16[2l+1] * b.bf16[2l+1] + a.bf16[2l] * b.bf16[2l] (fp32 accumulation)
  static vf dpbf16(vf acc, vi a, vi b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
  // Two int4 k rows (p: 16 bytes of row k, then 16 of row k + 1; byte j holds channel j in its low nibble
  // and channel 16 + j in its high one) as vdpbf16ps operands: lo lane l = (q[l, k] - 8, q[l, k + 1] - 8)
  // in bf16, hi the same for channel 16 + l.
  static void int4_rows_as_bf16_pairs(const uint8_t* p, vi& lo, vi& hi) {
    // vpermb (AVX512_VBMI) interleaves the two rows' bytes: word 2j's low byte is row k's byte j, word
    // 2j + 1's row k + 1's; each high byte repeats its low one. vpermw reads index bits 4:0 only, i.e. a
    // word's low nibble plus one bit the table's upper copy ignores, so neither lookup needs a mask (a
    // word shifted right by 4 brings the high nibble down, plus one high-byte bit, ignored the same way).
    // One cross-lane shuffle where zero-extending and unpacking the rows took four (RESULTS.md, "A16W4
    // decode: cheaper code conversion").
    const __m512i rows = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    const __m512i pairs = _mm512_permutexvar_epi8(_mm512_load_si512(kInterleaveRowBytes.data()), rows);
    const __m512i table = _mm512_load_si512(kInt4MinusEightBf16);
    lo = _mm512_permutexvar_epi16(pairs, table);
    hi = _mm512_permutexvar_epi16(_mm512_srli_epi16(pairs, 4), table);
  }
};

}  // namespace xeon::simd_avx512_bf16
