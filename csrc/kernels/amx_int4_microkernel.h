// DA8W4 on AMX: the int4 weights of one 32-channel N-block are unpacked once into
// a per-thread int8 buffer (the Vnni4 layout of two 16-channel halves, K x 32 bytes:
// 128 KiB at K = 4096, resident in L2) and reused by every 32-row M-block of the
// task; each group runs TDPBUSD over its K, then its integer sums are scaled into the
// fp32 accumulators (Da8w4Channels in int4_microkernel.h), pipelined (amx_da8w4_block).
#pragma once
#include <cstdint>
#include "kernels/amx_microkernel.h"
#include "kernels/int4_microkernel.h"
#include "kernels/thread_cache.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

template <class S>
const int8_t* unpacked_int4_block(const Da8w4Args& g, int64_t nb) {
  const int64_t half_bytes = g.K * kInt4Half;
  return reinterpret_cast<const int8_t*>(thread_cached_block<0>(g.call_id, nb, 2 * half_bytes, [&](uint8_t* dst) {
    // The packed quads of consecutive groups are contiguous: quad k/4 is at byte (k/4) * 64.
    const uint8_t* src = g.w + nb * g.K * kInt4Half;
    for (int64_t q = 0; q < g.K / kKQuad; ++q) {
      typename S::vi lo, hi;
      S::unpack_nibbles(S::load_i(src + q * kKQuad * kInt4Half), lo, hi);
      S::store_i(reinterpret_cast<int32_t*>(dst + q * kKQuad * kInt4Half), lo);
      S::store_i(reinterpret_cast<int32_t*>(dst + half_bytes + q * kKQuad * kInt4Half), hi);
    }
  }));
}

// Software-pipelined over the groups, so that the vector scaling of group gi's sums (from acc[gi % 2]) runs while
// the tile unit computes group gi + 1. With 32 rows the two 16-row halves alternate as well (D = the half's
// TDPBUSDs, S = its tile store, V = the vector scaling), issued in the order
//   D0(0) D1(0) S0(0) | per group g: D0(g+1) S1(g) D1(g+1) V(g) S0(g+1)
// so each half's store overlaps the other half's TDPBUSDs instead of waiting between groups (a half's next
// TDPBUSDs follow its own store, issued a half earlier). The cost model (benchmarks/cost_model.py) predicted the
// serial form at 36% of the AMX peak at group 128 and the single-set pipeline at 65% (its 4 tile stores per group
// in series with the TDPBUSDs). The same integer sums and the same vector operations in the same order per group
// as the serial form: bit-identical.
// Groups [g0, g1) only (a K-chunk of whole groups, gemm_driver.h): with accumulate, c holds the fp32 sums of the
// groups before g0 and the chain continues from them; the row's zero-point term is applied once g1 reaches the
// last group. The same operations in the same order as one pass over all groups: bit-identical.
template <class T, class S>
void amx_da8w4_block(const Da8w4Args& g, int64_t m0, int64_t rows, int64_t nb, int64_t g0, int64_t g1,
                     bool accumulate, float* c, int64_t ldc) {
  const int8_t* w = unpacked_int4_block<S>(g, nb);
  const int64_t G = g.K / g.group;
  const int kstep = static_cast<int>(std::min<int64_t>(g.group, kTileColsBytes));
  alignas(64) int32_t acc[2][kAmxMaxRows * kNBlockInt4];
  if (!accumulate)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < kNBlockInt4; ++j) c[i * ldc + j] = 0.f;
  Da8w4Channels<S> ch;
  auto scale_group = [&](int64_t gi) {  // V(gi): group gi's sums into the fp32 accumulators
    const int32_t* sums = acc[gi % 2];
    ch.load_group(g, nb, gi);
    for (int64_t i = 0; i < rows; ++i) {
      const typename S::vi a[2] = {S::load_i(sums + i * kNBlockInt4), S::load_i(sums + i * kNBlockInt4 + kInt4Half)};
      typename S::vf f[2] = {S::load_f(c + i * ldc), S::load_f(c + i * ldc + kInt4Half)};
      ch.update_row(a, g.a_sum[(m0 + i) * G + gi], f);
      S::store_f(c + i * ldc, f[0]);
      S::store_f(c + i * ldc + kInt4Half, f[1]);
    }
  };
  const uint8_t* a = g.a.codes + m0 * g.a.ld;
  dispatch_amx_shape(rows, 2, [&]<int MT, int NT>() {
    amx_configure<T, MT, NT>(static_cast<int>(rows), kstep);
    if constexpr (MT == 2) {
      auto half = [&]<int H>(int64_t gi) {
        amx_accumulate_half<T, H, NT>(a + gi * g.group, g.a.ld, w + gi * g.group * kInt4Half, g.K * kInt4Half, g.group,
                                      kstep);
      };
      half.template operator()<0>(g0);
      half.template operator()<1>(g0);
      amx_store_half<T, 0, NT>(acc[g0 % 2], kNBlockInt4);
      for (int64_t gi = g0; gi < g1; ++gi) {
        if (gi + 1 < g1) half.template operator()<0>(gi + 1);
        amx_store_half<T, 1, NT>(acc[gi % 2], kNBlockInt4);
        if (gi + 1 < g1) half.template operator()<1>(gi + 1);
        scale_group(gi);
        if (gi + 1 < g1) amx_store_half<T, 0, NT>(acc[(gi + 1) % 2], kNBlockInt4);
      }
    } else {  // one half: the next group's tile work before this group's scaling
      auto accumulate = [&](int64_t gi) {
        amx_accumulate<T, MT, NT>(a + gi * g.group, g.a.ld, w + gi * g.group * kInt4Half, g.K * kInt4Half, g.group,
                                  kstep);
      };
      accumulate(g0);
      amx_store<T, MT, NT>(acc[g0 % 2], kNBlockInt4);
      for (int64_t gi = g0; gi < g1; ++gi) {
        if (gi + 1 < g1) accumulate(gi + 1);
        scale_group(gi);
        if (gi + 1 < g1) amx_store<T, MT, NT>(acc[(gi + 1) % 2], kNBlockInt4);
      }
    }
  });
  if (g1 < G) return;
  if (g0 > 0) {  // the zero-point term's chain s3 over all groups, as one pass builds it (ch holds g0..G only)
    ch = Da8w4Channels<S>();
    for (int64_t gi = 0; gi < G; ++gi) ch.load_group(g, nb, gi);
  }
  for (int64_t i = 0; i < rows; ++i) {
    typename S::vf f[2] = {S::load_f(c + i * ldc), S::load_f(c + i * ldc + kInt4Half)};
    ch.finish_row(g.a.zero_u8[m0 + i], f);
    S::store_f(c + i * ldc, f[0]);
    S::store_f(c + i * ldc + kInt4Half, f[1]);
  }
}

}  // namespace
}  // namespace xeon
