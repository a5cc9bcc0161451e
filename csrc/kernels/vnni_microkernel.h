// Register-blocked micro-kernels on a 16-lane SIMD backend S (simd_avx512.h, simd_avx512_bf16.h,
// simd_avx2.h or simd_emulated.h): one dot-product tile for the int8 VNNI (DA8W8) and bf16 (A16W8 / A16W4
// on vdpbf16ps) kernels, and the int8->fp32 FMA kernel for A16W8. MR rows x NR blocks of 16 columns,
// accumulators in registers.
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/prefetch.h"
#include "kernels/shape_dispatch.h"
#include "pack/layouts.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// The dot-product instructions of the register-blocked tile below: per 32-bit lane, the activation elements
// of one k step times the weight row of one 16-channel block, accumulated per lane.
struct Int8Dot {  // vpdpbusd: 4 k (u8 activation x s8 weight) per lane, int32 accumulators
  static constexpr int64_t kK = kKQuad;
  template <class S> using Acc = typename S::vi;
  template <class S> static Acc<S> zero() { return S::zero_i(); }
  template <class S> static Acc<S> dot(Acc<S> acc, typename S::vi a, typename S::vi b) { return S::dpbusd(acc, a, b); }
  template <class S> static void store(int32_t* c, Acc<S> acc) { S::store_i(c, acc); }
};
struct Bf16Dot {  // vdpbf16ps: 2 k (bf16 x bf16) per lane, fp32 accumulators
  static constexpr int64_t kK = 2;
  template <class S> using Acc = typename S::vf;
  template <class S> static Acc<S> zero() { return S::zero_f(); }
  template <class S> static Acc<S> dot(Acc<S> acc, typename S::vi a, typename S::vi b) { return S::dpbf16(acc, a, b); }
  template <class S> static void store(float* c, Acc<S> acc) { S::store_f(c, acc); }
};

// c[i][j * 16 + lane] = sum over the K / D::kK steps s of D::dot(a[i][s], w[block j][s][lane]), steps ascending.
// a: MR rows of lda elements (u8 codes or bf16); w: NR blocks w_bstride elements apart, each step one 64-byte
// row of 16 lanes x D::kK k (the da8w8 codes, or bf16 VNNI-2 rows); K a multiple of D::kK. pf: lines to prefetch
// meanwhile (prefetch.h), spread over the k steps.
template <class S, class D, int MR, int NR, class AT, class WT, class CT>
void dot_tile(const AT* a, int64_t lda, const WT* w, int64_t w_bstride, int64_t K, CT* c, int64_t ldc,
              PrefetchSpan pf = {}) {
  typename D::template Acc<S> acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = D::template zero<S>();
  PrefetchStream prefetch(pf, K / D::kK);
  for (int64_t k = 0; k < K; k += D::kK) {
    prefetch.step(k / D::kK);
    typename S::vi b[NR];
    for (int j = 0; j < NR; ++j) b[j] = S::load_i(w + j * w_bstride + k * kNBlock);
    for (int i = 0; i < MR; ++i) {
      const typename S::vi av = S::bcast_i32(a + i * lda + k);
      for (int j = 0; j < NR; ++j) acc[i][j] = D::template dot<S>(acc[i][j], av, b[j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) D::template store<S>(c + i * ldc + j * kNBlock, acc[i][j]);
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

}  // namespace
}  // namespace xeon
