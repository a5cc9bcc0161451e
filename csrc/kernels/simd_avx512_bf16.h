// The AVX-512 backend plus AVX512_BF16's vdpbf16ps. Include only from a translation unit whose
// `#pragma GCC target` enables avx512bf16 besides the avx512 backend's features.
#pragma once
#include <immintrin.h>
#include "kernels/simd_avx512.h"

namespace xeon::simd_avx512_bf16 {

struct Simd : simd_avx512::Simd {
  // acc[l] += a.bf16[2l+1] * b.bf16[2l+1] + a.bf16[2l] * b.bf16[2l] (fp32 accumulation)
  static vf dpbf16(vf acc, vi a, vi b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
};

}  // namespace xeon::simd_avx512_bf16
