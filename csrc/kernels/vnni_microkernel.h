// Register-blocked micro-kernels on a 16-lane SIMD backend S (simd_avx512.h, simd_avx2.h or
// simd_emulated.h): the int8 VNNI dot product for DA8W8 and the int8->fp32 FMA
// kernel for A16W8. MR rows x NR blocks of 16 columns, accumulators in registers.
#pragma once
#include <cstdint>
#include <type_traits>
#include "pack/layouts.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// c[i][j] = sum over kq quads of a_u8[i][4q..4q+3] . w_s8[block j][q][lane][0..3]
// a: rows of lda bytes; w: the da8w8 codes (layouts.h), w_bstride bytes between N-blocks.
template <class S, int MR, int NR>
void vnni_tile(const uint8_t* a, int64_t lda, const int8_t* w, int64_t w_bstride, int64_t kq, int32_t* c,
               int64_t ldc) {
  typename S::vi acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = S::zero_i();
  for (int64_t q = 0; q < kq; ++q) {
    typename S::vi b[NR];
    for (int j = 0; j < NR; ++j) b[j] = S::load_i(w + j * w_bstride + q * kKQuad * kNBlock);
    for (int i = 0; i < MR; ++i) {
      const typename S::vi av = S::bcast_i32(a + i * lda + q * kKQuad);
      for (int j = 0; j < NR; ++j) acc[i][j] = S::dpbusd(acc[i][j], av, b[j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) S::store_i(c + i * ldc + j * kNBlock, acc[i][j]);
}

// c[i][j] = fma-chain over k of x[i][k] * float(w[block j][k][lane]), k ascending.
// w: the a16w8 codes (layouts.h), w_bstride bytes between N-blocks.
template <class S, int MR, int NR>
void fma_tile(const float* x, int64_t ldx, const int8_t* w, int64_t w_bstride, int64_t K, float* c,
              int64_t ldc) {
  typename S::vf acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = S::zero_f();
  for (int64_t k = 0; k < K; ++k) {
    typename S::vf b[NR];
    for (int j = 0; j < NR; ++j) b[j] = S::load_s8_as_f(w + j * w_bstride + k * kNBlock);
    for (int i = 0; i < MR; ++i) {
      const typename S::vf av = S::bcast_f(x[i * ldx + k]);
      for (int j = 0; j < NR; ++j) acc[i][j] = S::fma(av, b[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) S::store_f(c + i * ldc + j * kNBlock, acc[i][j]);
}

// Calls T::template run<MR, NR>() for runtime (rows, nblocks) in [1, MaxR] x [1, MaxN].
template <int MaxR, int MaxN, class T>
inline void dispatch_tile_shape(int rows, int nblocks, T&& t) {
  auto by_n = [&](auto r_tag) {
    constexpr int R = decltype(r_tag)::value;
    switch (nblocks) {
      case 1: t.template operator()<R, 1>(); break;
      case 2: if constexpr (MaxN >= 2) { t.template operator()<R, 2>(); } break;
      case 3: if constexpr (MaxN >= 3) { t.template operator()<R, 3>(); } break;
      case 4: if constexpr (MaxN >= 4) { t.template operator()<R, 4>(); } break;
    }
  };
  switch (rows) {
    case 1: by_n(std::integral_constant<int, 1>{}); break;
    case 2: if constexpr (MaxR >= 2) by_n(std::integral_constant<int, 2>{}); break;
    case 3: if constexpr (MaxR >= 3) by_n(std::integral_constant<int, 3>{}); break;
    case 4: if constexpr (MaxR >= 4) by_n(std::integral_constant<int, 4>{}); break;
  }
}

}  // namespace
}  // namespace xeon
