// int4-grouped micro-kernels on a 16-lane SIMD backend S: DA8W4 on VNNI dot products,
// the DA8W4 per-group update shared with the AMX kernel, and A16W4 by fp32 FMA.
// One call covers one 32-channel int4 N-block (layouts.h) and
// writes fp32 [rows][32] for the final epilogue (y = acc * row scale + bias).
#pragma once
#include <cstdint>
#include "pack/layouts.h"
#include "kernels/gemm_args.h"
#include "common/int_math.h"
#include "kernels/prefetch.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// 16-column driver blocks (gemm_driver.h) per 32-channel int4 N-block.
constexpr int64_t kInt4Blocks16 = kNBlockInt4 / kNBlock;

// DA8W4 in fp32, per output (m, n), with acc_g = sum over group g of a_u8 * w, asum_g = sum of a_u8 and
// c = the u8 value meaning 0 (gemm_args.h):
//   sum_g s_g sum_k (a_u8 - c)(w - zw_g) = sum_g [s_g acc_g - (s_g zw_g) asum_g] - c sum_g s_g csum_g,
// csum_g = w_centered_sum = sum over the group of (w - zw_g).
// Per group only f = fma(-asum, s zw, fma(float(acc), s, f)) runs per row; the channel terms s, s zw and
// s3 = sum_g s csum are computed once per group for all rows, and f -= c * s3 once at the end. (acc and
// asum are exact in fp32: at most 255 x 15 x 256 and 255 x 256.)
template <class S>
struct Da8w4Channels {
  typename S::vf s[2], szw[2], s3[2];  // per 16-channel half
  Da8w4Channels() { s3[0] = s3[1] = S::zero_f(); }
  void load_group(const Da8w4Args& g, int64_t nb, int64_t gi) {
    const int64_t p = (nb * (g.K / g.group) + gi) * kNBlockInt4;
    for (int h = 0; h < 2; ++h) {
      s[h] = S::load_f(g.w_scale + p + h * kInt4Half);
      szw[h] = S::mul_f(s[h], S::cvt_f(S::load_s8_as_i(g.w_zero + p + h * kInt4Half)));
      s3[h] = S::fma(s[h], S::cvt_f(S::load_i(g.w_centered_sum + p + h * kInt4Half)), s3[h]);
    }
  }
  void update_row(const typename S::vi* acc, int32_t asum, typename S::vf* f) const {
    const typename S::vf neg_asum = S::bcast_f(-static_cast<float>(asum));
    for (int h = 0; h < 2; ++h) f[h] = S::fma(neg_asum, szw[h], S::fma(S::cvt_f(acc[h]), s[h], f[h]));
  }
  void finish_row(int32_t zero_u8, typename S::vf* f) const {
    const typename S::vf c = S::bcast_f(static_cast<float>(zero_u8));
    for (int h = 0; h < 2; ++h) f[h] = S::sub_f(f[h], S::mul_f(c, s3[h]));
  }
};

// The packed DA8W4 codes of the 32-channel N-blocks holding 16-column blocks [nb0, nb0 + nbs):
// contiguous, K rows of 16 bytes each (layouts.h); the driver's prefetch target (the per-group parameters, 1/16
// of the codes' bytes at group 128, are left out).
inline PrefetchSpan int4_weight_span(const uint8_t* w, int64_t K, int64_t nb0, int64_t nbs) {
  const int64_t block_bytes = K * kInt4Half;
  const int64_t nb = nb0 / kInt4Blocks16, blocks = ceil_div(nbs, kInt4Blocks16);
  return {reinterpret_cast<const char*>(w + nb * block_bytes), blocks * block_bytes / kCacheLineBytes};
}

// DA8W4, MR rows from m0, N-block nb: c[i][0:32] = the scaled group sums before the row scale. pf: lines to
// prefetch meanwhile (prefetch.h), spread over the groups.
template <class S, int MR>
void da8w4_vnni_tile(const Da8w4Args& g, int64_t m0, int64_t nb, float* c, int64_t ldc, PrefetchSpan pf = {}) {
  const int64_t G = g.K / g.group, quads = g.group / kKQuad;
  Da8w4Channels<S> ch;
  typename S::vf f[MR][2];
  for (int i = 0; i < MR; ++i) f[i][0] = f[i][1] = S::zero_f();
  PrefetchStream prefetch(pf, G);
  for (int64_t gi = 0; gi < G; ++gi) {
    prefetch.step(gi);
    const uint8_t* wg = g.w + (nb * G + gi) * g.group * kInt4Half;
    const uint8_t* ag = g.a.codes + m0 * g.a.ld + gi * g.group;
    typename S::vi acc[MR][2];
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = S::zero_i();
    for (int64_t q = 0; q < quads; ++q) {
      typename S::vi b[2];
      S::unpack_nibbles(S::load_i(wg + q * kKQuad * kInt4Half), b[0], b[1]);
      for (int i = 0; i < MR; ++i) {
        const typename S::vi av = S::bcast_i32(ag + i * g.a.ld + q * kKQuad);
        acc[i][0] = S::dpbusd(acc[i][0], av, b[0]);
        acc[i][1] = S::dpbusd(acc[i][1], av, b[1]);
      }
    }
    ch.load_group(g, nb, gi);
    for (int i = 0; i < MR; ++i) ch.update_row(acc[i], g.a_sum[(m0 + i) * G + gi], f[i]);
  }
  for (int i = 0; i < MR; ++i) {
    ch.finish_row(g.a.zero_u8[m0 + i], f[i]);
    S::store_f(c + i * ldc, f[i][0]);
    S::store_f(c + i * ldc + kInt4Half, f[i][1]);
  }
}

// A16W4, MR rows from m0, N-block nb: c[i][0:32] = fma-chain over k of x * fma(q - 8, s, z).
template <class S, int MR>
void a16w4_fma_tile(const A16w4Args& g, int64_t m0, int64_t nb, float* c, int64_t ldc) {
  const int64_t G = g.K / g.group;
  typename S::vf acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = S::zero_f();
  for (int64_t gi = 0; gi < G; ++gi) {
    const int64_t p = (nb * G + gi) * kNBlockInt4;
    const typename S::vf s0 = S::load_f(g.w_scale + p), s1 = S::load_f(g.w_scale + p + kInt4Half);
    const typename S::vf z0 = S::load_f(g.w_zero + p), z1 = S::load_f(g.w_zero + p + kInt4Half);
    const uint8_t* wg = g.w + (nb * G + gi) * g.group * kInt4Half;
    for (int64_t kk = 0; kk < g.group; ++kk) {
      typename S::vf q0, q1;
      S::int4_row_minus_eight_as_f(wg + kk * kInt4Half, q0, q1);  // exact q - 8
      const typename S::vf w0 = S::fma(q0, s0, z0);
      const typename S::vf w1 = S::fma(q1, s1, z1);
      const int64_t k = gi * g.group + kk;
      for (int i = 0; i < MR; ++i) {
        const typename S::vf xv = S::bcast_f(g.x.f32[(m0 + i) * g.K + k]);
        acc[i][0] = S::fma(xv, w0, acc[i][0]);
        acc[i][1] = S::fma(xv, w1, acc[i][1]);
      }
    }
  }
  for (int i = 0; i < MR; ++i) {
    S::store_f(c + i * ldc, acc[i][0]);
    S::store_f(c + i * ldc + kInt4Half, acc[i][1]);
  }
}

}  // namespace
}  // namespace xeon
