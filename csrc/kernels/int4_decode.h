// A16W4 with bf16 or fp16 activations, below the path's decode rows (xeon::info's a16w4_decode_rows:
// kAvx512Bf16DecodeRows, kAvx512DecodeRows, kAvx2DecodeRows, the amx tile threshold; a16w4_decode_rows_fp16:
// every M): the int4 codes read once, without dequantizing each weight.
//
// y[m, n] = sum_g s[n, g] * A[m, n, g] + z[n, g] * X[m, g], with A = sum_{k in g} (q[n, k] - 8) * x[m, k] and
// X = sum_{k in g} x[m, k] (A16Activations::group_sums, once per call). q - 8 lies in [-8, 7] and x is bf16 or
// fp16, so every product x (q - 8) is exact in fp32 (at most 11 + 4 significant bits), in either dot-product step:
//   Bf16PairDot  vdpbf16ps (AVX512_BF16; bf16 x): two k rows of codes per instruction as bf16 pairs
//                (S::int4_rows_as_bf16_pairs);
//   Fp32Dot      fp32 FMA (bf16 x on AVX-512 without BF16 and AVX2; fp16 x everywhere): one k row, codes as fp32
//                (S::int4_row_minus_eight_as_f), the activations widened to fp32 once per call;
// where the exact fp32-FMA kernel (int4_microkernel.h) spends a multiply-add per weight on dequantizing it
// before the multiply-add with x. The sums run in another order than the reference's sum_k x * ((q - 8) s + z):
// the tests hold this kernel to that order's error bound (conftest).
#pragma once
#include <cstdint>
#include "kernels/gemm_args.h"
#include "kernels/int4_microkernel.h"

namespace xeon {
namespace {

template <class S>
struct Bf16PairDot {
  using W = typename S::vi;
  using X = typename S::vi;
  static constexpr int kK = 2;             // k rows per step
  static constexpr bool kBf16 = true;      // a bf16 dot-product instruction
  static constexpr bool kF32Acts = false;  // reads g.x.bf16
  static void codes(const uint8_t* p, W& lo, W& hi) { S::int4_rows_as_bf16_pairs(p, lo, hi); }
  static X act(const A16w4Args& g, int64_t m, int64_t k) { return S::bcast_i32(g.x.bf16 + m * g.x.bf16_ld + k); }
  static typename S::vf dot(typename S::vf acc, const X& x, const W& w) { return S::dpbf16(acc, x, w); }
};

template <class S>
struct Fp32Dot {
  using W = typename S::vf;
  using X = typename S::vf;
  static constexpr int kK = 1;
  static constexpr bool kBf16 = false;
  static constexpr bool kF32Acts = true;  // reads g.x.f32
  static void codes(const uint8_t* p, W& lo, W& hi) { S::int4_row_minus_eight_as_f(p, lo, hi); }
  static X act(const A16w4Args& g, int64_t m, int64_t k) { return S::bcast_f(g.x.f32[m * g.K + k]); }
  static typename S::vf dot(typename S::vf acc, const X& x, const W& w) { return S::fma(x, w, acc); }
};

// MR rows from m0, NB int4 N-blocks from nb (32 channels each): c[i][0:32 NB] = y (before bias). Each
// broadcast of x serves the NB blocks (AVX-512 paths: 2, RESULTS.md "A16W4's integer-code kernel over two
// N-blocks").
template <class S, class Dot, int MR, int NB>
void a16w4_decode_tile(const A16w4Args& g, int64_t m0, int64_t nb, float* c, int64_t ldc) {
  constexpr int V = 2 * NB;  // output vectors per row: channels 16 v .. 16 v + 15
  const int64_t G = g.K / g.group;
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < V; ++v) S::store_f(c + i * ldc + v * kInt4Half, S::zero_f());
  for (int64_t gi = 0; gi < G; ++gi) {
    const uint8_t* wg[NB];
    for (int b = 0; b < NB; ++b) wg[b] = g.w + ((nb + b) * G + gi) * g.group * kInt4Half;
    // NA independent sums per output vector: at one or two rows a single chain of dot steps would wait on
    // the instruction's latency (one step per 16 or 32 weight bytes) below the memory's rate (RESULTS.md,
    // "A16W4 decode"). Each product still passes through at most `group` roundings in its group's sum.
    constexpr int NA = MR <= 2 ? 2 : 1;
    typename S::vf a[NA][MR][V];
    for (int u = 0; u < NA; ++u)
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < V; ++v) a[u][i][v] = S::zero_f();
    for (int64_t kk = 0; kk < g.group; kk += Dot::kK * NA) {  // group: 32 to 256 (checked_layout)
      for (int u = 0; u < NA; ++u) {
        typename Dot::W w[V];  // k rows from kk + kK u
        for (int b = 0; b < NB; ++b) Dot::codes(wg[b] + (kk + Dot::kK * u) * kInt4Half, w[2 * b], w[2 * b + 1]);
        const int64_t k = gi * g.group + kk + Dot::kK * u;
        for (int i = 0; i < MR; ++i) {
          const typename Dot::X xv = Dot::act(g, m0 + i, k);
          for (int v = 0; v < V; ++v) a[u][i][v] = Dot::dot(a[u][i][v], xv, w[v]);
        }
      }
    }
    for (int u = 1; u < NA; ++u)
      for (int i = 0; i < MR; ++i)
        for (int v = 0; v < V; ++v) a[0][i][v] = S::add_f(a[0][i][v], a[u][i][v]);
    for (int v = 0; v < V; ++v) {
      const int64_t p = ((nb + v / 2) * G + gi) * kNBlockInt4 + (v % 2) * kInt4Half;
      const typename S::vf s = S::load_f(g.w_scale + p), z = S::load_f(g.w_zero + p);
      for (int i = 0; i < MR; ++i) {
        const typename S::vf xs = S::bcast_f(g.x.group_sums[(m0 + i) * G + gi]);
        float* y = c + i * ldc + v * kInt4Half;  // the running sum over groups, in the tile buffer
        S::store_f(y, S::fma(z, xs, S::fma(s, a[0][i][v], S::load_f(y))));
      }
    }
  }
}

}  // namespace
}  // namespace xeon
