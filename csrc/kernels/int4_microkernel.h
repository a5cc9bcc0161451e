// int4-grouped micro-kernels on a 16-lane SIMD backend S: DA8W4 on VNNI (small M),
// the DA8W4 per-group update shared with the AMX kernel, and A16W4 by fp32 FMA.
// One call covers one 32-channel int4 N-block (block_sizes.h, Layout::kInt4*) and
// writes fp32 [rows][32] for the final epilogue (y = acc * row scale + bias).
#pragma once
#include <cstdint>
#include "common/block_sizes.h"
#include "kernels/gemm_args.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

constexpr int64_t kHalf = kNBlockInt4 / 2;  // 16 channels: one vector of lanes

// f[h] = fma(float(acc[h] - zw * a_sum - a_comp * w_comp), w_scale, f[h]) for both halves h of
// N-block nb, group gi, row m.
template <class S>
inline void da8w4_group_update(const Da8w4GemmArgs& g, int64_t nb, int64_t gi, int64_t m,
                               const typename S::vi* acc, typename S::vf* f) {
  const int64_t G = g.K / g.group;
  const int64_t p = (nb * G + gi) * kNBlockInt4;
  const typename S::vi asum = S::set1_i(g.a_sum[m * G + gi]);
  const typename S::vi comp_a = S::set1_i(g.a_comp[m]);
  for (int h = 0; h < 2; ++h) {
    const typename S::vi zw = S::load_s8_as_i(g.w_zero + p + h * kHalf);
    const typename S::vi wc = S::load_i(g.w_comp + p + h * kHalf);
    const typename S::vi t = S::sub_i(S::sub_i(acc[h], S::mullo_i(zw, asum)), S::mullo_i(comp_a, wc));
    f[h] = S::fma(S::cvt_f(t), S::load_f(g.w_scale + p + h * kHalf), f[h]);
  }
}

// DA8W4, MR rows from m0, N-block nb: c[i][0:32] = sum_g scale * (exact group dot product).
template <class S, int MR>
void da8w4_vnni_tile(const Da8w4GemmArgs& g, int64_t m0, int64_t nb, float* c, int64_t ldc) {
  const int64_t G = g.K / g.group, quads = g.group / kKQuad;
  typename S::vf f[MR][2];
  for (int i = 0; i < MR; ++i) f[i][0] = f[i][1] = S::zero_f();
  for (int64_t gi = 0; gi < G; ++gi) {
    const uint8_t* wg = g.w + (nb * G + gi) * g.group * kHalf;
    const uint8_t* ag = g.a + m0 * g.K + gi * g.group;
    typename S::vi acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = S::zero_i();
    for (int64_t q = 0; q < quads; ++q) {
      typename S::vi b[2];
      S::unpack_nibbles(S::load_i(wg + q * kKQuad * kHalf), b[0], b[1]);
      for (int i = 0; i < MR; ++i) {
        const typename S::vi av = S::bcast_i32(ag + i * g.K + q * kKQuad);
        acc[i][0] = S::dpbusd(acc[i][0], av, b[0]);
        acc[i][1] = S::dpbusd(acc[i][1], av, b[1]);
      }
    }
    for (int i = 0; i < MR; ++i) da8w4_group_update<S>(g, nb, gi, m0 + i, acc[i], f[i]);
  }
  for (int i = 0; i < MR; ++i) {
    S::store_f(c + i * ldc, f[i][0]);
    S::store_f(c + i * ldc + kHalf, f[i][1]);
  }
}

// A16W4, MR rows from m0, N-block nb: c[i][0:32] = fma-chain over k of x * fma(q - 8, s, z).
template <class S, int MR>
void a16w4_fma_tile(const A16w4GemmArgs& g, int64_t m0, int64_t nb, float* c, int64_t ldc) {
  const int64_t G = g.K / g.group;
  const typename S::vf eight = S::bcast_f(8.f);  // tinygemm's mid point of [0, 15]
  typename S::vf acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = S::zero_f();
  for (int64_t gi = 0; gi < G; ++gi) {
    const int64_t p = (nb * G + gi) * kNBlockInt4;
    const typename S::vf s0 = S::load_f(g.w_scale + p), s1 = S::load_f(g.w_scale + p + kHalf);
    const typename S::vf z0 = S::load_f(g.w_zero + p), z1 = S::load_f(g.w_zero + p + kHalf);
    const uint8_t* wg = g.w + (nb * G + gi) * g.group * kHalf;
    for (int64_t kk = 0; kk < g.group; ++kk) {
      typename S::vf q0, q1;
      S::load_u4x32_as_f(wg + kk * kHalf, q0, q1);
      const typename S::vf w0 = S::fma(S::sub_f(q0, eight), s0, z0);
      const typename S::vf w1 = S::fma(S::sub_f(q1, eight), s1, z1);
      const int64_t k = gi * g.group + kk;
      for (int i = 0; i < MR; ++i) {
        const typename S::vf xv = S::bcast_f(g.x[(m0 + i) * g.K + k]);
        acc[i][0] = S::fma(xv, w0, acc[i][0]);
        acc[i][1] = S::fma(xv, w1, acc[i][1]);
      }
    }
  }
  for (int i = 0; i < MR; ++i) {
    S::store_f(c + i * ldc, acc[i][0]);
    S::store_f(c + i * ldc + kHalf, acc[i][1]);
  }
}

// Calls f.template operator()<R>() for R = rows in [1, 4].
template <class F>
inline void dispatch_rows4(int64_t rows, F&& f) {
  switch (rows) {
    case 1: f.template operator()<1>(); break;
    case 2: f.template operator()<2>(); break;
    case 3: f.template operator()<3>(); break;
    default: f.template operator()<4>(); break;
  }
}

}  // namespace
}  // namespace xeon
