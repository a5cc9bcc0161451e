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

// The one place outputs are written: out[m0 + i][n0 + j] = dtype(value(i, j) + bias[n0 + j]) for
// i < rows, j < n, where value computes the fp32 result from the accumulators (j counts from n0).
template <class Value>
inline void write_outputs(const OutputArgs& o, int64_t N, int64_t m0, int64_t rows, int64_t n0, int64_t n,
                          Value&& value) {
  dispatch_float_type(o.out_dtype, [&](auto* tag) {
    using OutT = std::remove_pointer_t<decltype(tag)>;
    for (int64_t i = 0; i < rows; ++i) {
      OutT* dst = static_cast<OutT*>(o.out) + (m0 + i) * N + n0;
      for (int64_t j = 0; j < n; ++j) {
        float y = value(i, j);
        // + 0 turns a -0 into +0 (an all-zero row gives +0 without bias, as float arithmetic on zeros does)
        y = o.bias ? y + o.bias[n0 + j] : y + 0.f;
        dst[j] = from_float<OutT>(y);
      }
    }
  });
}

// acc: [rows][ldc] fp32; y = acc * row_scale[m] (when given) + bias[n].
inline void float_epilogue(const OutputArgs& o, int64_t N, const float* acc, int64_t ldc, int64_t m0, int64_t rows,
                           int64_t n0, int64_t n, const float* row_scale) {
  write_outputs(o, N, m0, rows, n0, n, [&](int64_t i, int64_t j) {
    return row_scale ? acc[i * ldc + j] * row_scale[m0 + i] : acc[i * ldc + j];
  });
}

// One epilogue per scheme, overloaded on its argument struct. acc: [rows][ldc] for rows m0.., columns
// n0.. (n columns valid).

// DA8W8: y = (acc - zero_u8[m] * w_sum[n]) * a.scale[m] * w_scale[n] + bias[n].
inline void epilogue(const Da8w8Args& g, const int32_t* acc, int64_t ldc, int64_t m0, int64_t rows, int64_t n0,
                     int64_t n) {
  write_outputs(g.o, g.N, m0, rows, n0, n, [&](int64_t i, int64_t j) {
    const int64_t m = m0 + i, c = n0 + j;
    // Modulo-2^32 arithmetic is exact here: the true value fits in int32 (kMaxKInt8).
    const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[i * ldc + j]) -
                                           static_cast<uint32_t>(g.a.zero_u8[m]) * static_cast<uint32_t>(g.w_sum[c]));
    return static_cast<float>(v) * g.a.scale[m] * g.w_scale[c];
  });
}

// A16W8: y = acc * w_scale[n] + bias[n].
inline void epilogue(const A16w8Args& g, const float* acc, int64_t ldc, int64_t m0, int64_t rows, int64_t n0,
                     int64_t n) {
  write_outputs(g.o, g.N, m0, rows, n0, n,
                [&](int64_t i, int64_t j) { return acc[i * ldc + j] * g.w_scale[n0 + j]; });
}

// DA8W4: the micro-kernels leave the scaled group sums; y = acc * a.scale[m] + bias[n].
inline void epilogue(const Da8w4Args& g, const float* acc, int64_t ldc, int64_t m0, int64_t rows, int64_t n0,
                     int64_t n) {
  float_epilogue(g.o, g.N, acc, ldc, m0, rows, n0, n, g.a.scale);
}

// A16W4: y = acc + bias[n].
inline void epilogue(const A16w4Args& g, const float* acc, int64_t ldc, int64_t m0, int64_t rows, int64_t n0,
                     int64_t n) {
  float_epilogue(g.o, g.N, acc, ldc, m0, rows, n0, n, nullptr);
}

}  // namespace
}  // namespace xeon
