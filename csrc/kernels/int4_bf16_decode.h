// A16W4 with bf16 activations at decode sizes (fewer rows than the bf16 panel kernels start at): the int4
// codes read once, at the memory's rate, without dequantizing each weight.
//
// y[m, n] = sum_g s[n, g] * A[m, n, g] + z[n, g] * X[m, g], with A = sum_{k in g} (q[n, k] - 8) * x[m, k] and
// X = sum_{k in g} x[m, k] (A16Activations::group_sums, once per call). q - 8 lies in [-8, 7]: exact in bf16,
// so vdpbf16ps takes two k rows of codes per instruction with exact products (S::int4_rows_as_bf16_pairs
// turns 2 x 16 bytes of codes into the 2 x 32 bf16 operands), where the fp32-FMA kernel spends a subtract,
// a multiply-add and a multiply-add per weight. The sums run in another order than the reference's
// sum_k x * ((q - 8) s + z): the tests hold this kernel to that order's error bound (conftest).
#pragma once
#include <cstdint>
#include "kernels/gemm_args.h"
#include "kernels/int4_microkernel.h"

namespace xeon {
namespace {

// MR rows from m0, int4 N-block nb (32 channels): c[i][0:32] = y (before bias).
template <class S, int MR>
void a16w4_bf16_decode_tile(const A16w4Args& g, int64_t m0, int64_t nb, float* c, int64_t ldc) {
  const int64_t G = g.K / g.group;
  typename S::vf y[MR][2];
  for (int i = 0; i < MR; ++i) y[i][0] = y[i][1] = S::zero_f();
  for (int64_t gi = 0; gi < G; ++gi) {
    const int64_t p = (nb * G + gi) * kNBlockInt4;
    const uint8_t* wg = g.w + (nb * G + gi) * g.group * kInt4Half;
    // NA independent sums per output vector: at one or two rows a single chain of vdpbf16ps would wait on
    // the instruction's latency (one per 32 weight bytes) below the memory's rate (RESULTS.md, "A16W4 decode").
    // Each product still passes through at most `group` roundings in its group's sum (the tests' bound).
    constexpr int NA = MR <= 2 ? 2 : 1;
    typename S::vf a[NA][MR][2];
    for (int u = 0; u < NA; ++u)
      for (int i = 0; i < MR; ++i) a[u][i][0] = a[u][i][1] = S::zero_f();
    for (int64_t kk = 0; kk < g.group; kk += 2 * NA) {  // group: 32 to 256 (checked_layout)
      for (int u = 0; u < NA; ++u) {
        typename S::vi lo, hi;  // channels 0-15 and 16-31, k rows kk + 2u and kk + 2u + 1
        S::int4_rows_as_bf16_pairs(wg + (kk + 2 * u) * kInt4Half, lo, hi);
        const int64_t k = gi * g.group + kk + 2 * u;
        for (int i = 0; i < MR; ++i) {
          const typename S::vi xv = S::bcast_i32(g.x.bf16 + (m0 + i) * g.K + k);  // x[k], x[k + 1]
          a[u][i][0] = S::dpbf16(a[u][i][0], xv, lo);
          a[u][i][1] = S::dpbf16(a[u][i][1], xv, hi);
        }
      }
    }
    for (int u = 1; u < NA; ++u)
      for (int i = 0; i < MR; ++i)
        for (int h = 0; h < 2; ++h) a[0][i][h] = S::add_f(a[0][i][h], a[u][i][h]);
    const typename S::vf s0 = S::load_f(g.w_scale + p), s1 = S::load_f(g.w_scale + p + kInt4Half);
    const typename S::vf z0 = S::load_f(g.w_zero + p), z1 = S::load_f(g.w_zero + p + kInt4Half);
    for (int i = 0; i < MR; ++i) {
      const typename S::vf xs = S::bcast_f(g.x.group_sums[(m0 + i) * G + gi]);
      y[i][0] = S::fma(z0, xs, S::fma(s0, a[0][i][0], y[i][0]));
      y[i][1] = S::fma(z1, xs, S::fma(s1, a[0][i][1], y[i][1]));
    }
  }
  for (int i = 0; i < MR; ++i) {
    S::store_f(c + i * ldc, y[i][0]);
    S::store_f(c + i * ldc + kInt4Half, y[i][1]);
  }
}

}  // namespace
}  // namespace xeon
