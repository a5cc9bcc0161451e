// Epilogues: int32 / fp32 accumulator blocks -> scaled, biased output rows.
// Shared by every path (the same expression in the same order, compiled with
// -ffp-contract=off) so all paths give bit-identical outputs.
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/gemm_args.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

template <typename OutT>
inline void store_row(const OutputArgs& o, int64_t ldo, int64_t m, int64_t n0, int64_t n, const float* v) {
  OutT* dst = static_cast<OutT*>(o.out) + m * ldo + n0;
  for (int64_t j = 0; j < n; ++j) dst[j] = from_float<OutT>(v[j]);
}

template <typename F> inline void with_out_type(ScalarType t, F&& f) { dispatch_float_type(t, f); }

// acc: [rows][ldc] int32 for rows m0.., columns n0.. (n columns valid).
inline void int8_epilogue(const Int8GemmArgs& g, const int32_t* acc, int64_t ldc, int64_t m0, int64_t rows,
                          int64_t n0, int64_t n) {
  float buf[256];
  with_out_type(g.o.out_dtype, [&](auto* tag) {
    using OutT = std::remove_pointer_t<decltype(tag)>;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t m = m0 + i;
      const uint32_t comp = static_cast<uint32_t>(g.a_comp[m]);
      const float sa = g.a_scale[m];
      for (int64_t j0 = 0; j0 < n; j0 += 256) {
        const int64_t nj = n - j0 < 256 ? n - j0 : 256;
        for (int64_t j = 0; j < nj; ++j) {
          const int64_t c = n0 + j0 + j;
          // Modulo-2^32 arithmetic is exact here: the true value fits in int32 (kMaxKInt8).
          const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[i * ldc + j0 + j]) -
                                                 comp * static_cast<uint32_t>(g.w_sum[c]));
          float y = static_cast<float>(v) * sa * g.w_scale[c];
          if (g.o.bias) y = y + g.o.bias[c];
          buf[j] = y;
        }
        store_row<OutT>(g.o, g.N, m, n0 + j0, nj, buf);
      }
    }
  });
}

// acc: [rows][ldc] fp32; y = acc * row_scale[m] (when given) + bias[n].
inline void float_epilogue(const OutputArgs& o, int64_t N, const float* acc, int64_t ldc, int64_t m0, int64_t rows,
                           int64_t n0, int64_t n, const float* row_scale) {
  float buf[256];
  with_out_type(o.out_dtype, [&](auto* tag) {
    using OutT = std::remove_pointer_t<decltype(tag)>;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j0 = 0; j0 < n; j0 += 256) {
        const int64_t nj = n - j0 < 256 ? n - j0 : 256;
        for (int64_t j = 0; j < nj; ++j) {
          float y = acc[i * ldc + j0 + j];
          if (row_scale) y = y * row_scale[m0 + i];
          if (o.bias) y = y + o.bias[n0 + j0 + j];
          buf[j] = y;
        }
        store_row<OutT>(o, N, m0 + i, n0 + j0, nj, buf);
      }
    }
  });
}

inline void a16w8_epilogue(const A16W8GemmArgs& g, const float* acc, int64_t ldc, int64_t m0, int64_t rows,
                           int64_t n0, int64_t n) {
  float buf[256];
  with_out_type(g.o.out_dtype, [&](auto* tag) {
    using OutT = std::remove_pointer_t<decltype(tag)>;
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j0 = 0; j0 < n; j0 += 256) {
        const int64_t nj = n - j0 < 256 ? n - j0 : 256;
        for (int64_t j = 0; j < nj; ++j) {
          const int64_t c = n0 + j0 + j;
          float y = acc[i * ldc + j0 + j] * g.w_scale[c];
          if (g.o.bias) y = y + g.o.bias[c];
          buf[j] = y;
        }
        store_row<OutT>(g.o, g.N, m0 + i, n0 + j0, nj, buf);
      }
    }
  });
}

}  // namespace
}  // namespace xeon
