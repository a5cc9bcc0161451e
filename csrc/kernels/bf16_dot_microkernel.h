// A16W8 and A16W4 with bf16 activations on AVX512_BF16 (vdpbf16ps): MR rows x 2 blocks of 16 columns (one
// 32-column micro-block of bf16_weights.h), fp32 accumulators in registers. Per k pair, each row's two bf16
// activations are broadcast as one 32-bit lane pair and each block's VNNI-2 weight row (16 channels x 2 k) is
// one load: acc[lane] += x[k] w[k][lane] + x[k+1] w[k+1][lane] (S::dpbf16).
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/bf16_weights.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// c[i][j * 16 + lane] = sum over k of x[i][k] w[block j][k][lane], k pairs ascending (fp32, vdpbf16ps rounding).
// x: MR bf16 rows of ldx elements; w: NB blocks of bf16 VNNI-2 rows, w_bstride elements apart; K even.
template <class S, int MR, int NB>
void dpbf16_tile(const BFloat16* x, int64_t ldx, const uint16_t* w, int64_t w_bstride, int64_t K, float* c,
                 int64_t ldc) {
  typename S::vf acc[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) acc[i][j] = S::zero_f();
  for (int64_t k = 0; k < K; k += 2) {
    typename S::vi b[NB];
    for (int j = 0; j < NB; ++j) b[j] = S::load_i(w + j * w_bstride + k * kNBlock);
    for (int i = 0; i < MR; ++i) {
      const typename S::vi a = S::bcast_i32(x + i * ldx + k);
      for (int j = 0; j < NB; ++j) acc[i][j] = S::dpbf16(acc[i][j], a, b[j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) S::store_f(c + i * ldc + j * kNBlock, acc[i][j]);
}

// Calls f.template operator()<R, NB>() for rows in [1, MaxR] (MaxR <= 8) and nblocks in {1, 2}.
template <int MaxR, class F>
inline void dispatch_bf16_shape(int64_t rows, int64_t nblocks, F&& f) {
  static_assert(MaxR >= 1 && MaxR <= 8, "up to 8 rows");
  auto by_rows = [&]<int NB>() {
    [&]<int... R>(std::integer_sequence<int, R...>) {
      ((rows == R + 1 ? (f.template operator()<R + 1, NB>(), 0) : 0), ...);
    }(std::make_integer_sequence<int, MaxR>{});
  };
  if (nblocks == 2) by_rows.template operator()<2>();
  else by_rows.template operator()<1>();
}

}  // namespace
}  // namespace xeon
