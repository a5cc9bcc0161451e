// A16W4 and A16W8 on AMX-BF16, for bf16 activations: each thread dequantizes the
// weights of its N-block once into bf16 VNNI-2 rows (k pairs x 16 channels, 64
// bytes: an AMX-BF16 B-tile row) in a per-thread cache (K x 32 x 2 bytes: 256 KiB
// at K = 4096, L2-resident) reused by every 32-row M-block of the task; the bf16
// input rows are the A tiles as they are. TDPBF16PS accumulates in fp32 over all
// of K. A16W8's int8 codes are exact in bf16 (its scale is applied in the
// epilogue); A16W4 rounds fma(q - 8, scale, zero) to bf16, as the weight-only int4
// kernels of PyTorch do on this path.
#pragma once
#include <cstdint>
#include "pack/layouts.h"
#include "kernels/amx_microkernel.h"
#include "kernels/int4_microkernel.h"
#include "kernels/thread_cache.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {




// int4 N-block nb of A16W4 -> bf16 [2 halves][K/2][16][2].
template <class S>
const uint16_t* dequantized_a16w4_block(const A16w4Args& g, int64_t nb) {
  const int64_t half_bytes = g.K * kInt4Half * 2;
  return reinterpret_cast<const uint16_t*>(thread_cached_block<1>(g.call_id, nb, 2 * half_bytes, [&](uint8_t* dst) {
    const int64_t G = g.K / g.group;
    const typename S::vf eight = S::bcast_f(8.f);
    uint16_t* out[2] = {reinterpret_cast<uint16_t*>(dst), reinterpret_cast<uint16_t*>(dst + half_bytes)};
    for (int64_t gi = 0; gi < G; ++gi) {
      const int64_t p = (nb * G + gi) * kNBlockInt4;
      const typename S::vf s[2] = {S::load_f(g.w_scale + p), S::load_f(g.w_scale + p + kInt4Half)};
      const typename S::vf z[2] = {S::load_f(g.w_zero + p), S::load_f(g.w_zero + p + kInt4Half)};
      const uint8_t* wg = g.w + (nb * G + gi) * g.group * kInt4Half;
      for (int64_t kk = 0; kk < g.group; kk += 2) {
        typename S::vf q[2][2];  // [k parity][half]
        S::load_u4x32_as_f(wg + kk * kInt4Half, q[0][0], q[0][1]);
        S::load_u4x32_as_f(wg + (kk + 1) * kInt4Half, q[1][0], q[1][1]);
        const int64_t k = gi * g.group + kk;
        for (int h = 0; h < 2; ++h)
          S::store_bf16_pairs(out[h] + k * kInt4Half, S::fma(S::sub_f(q[0][h], eight), s[h], z[h]),
                              S::fma(S::sub_f(q[1][h], eight), s[h], z[h]));
      }
    }
  }));
}

// int8 N-blocks [nb0, nb0 + nbs) of A16W8 -> bf16 [nbs][K/2][16][2] (exact).
template <class S>
const uint16_t* converted_a16w8_panel(const A16w8Args& g, int64_t nb0, int64_t nbs) {
  const int64_t block_bytes = g.K * kNBlock * 2;
  // keyed by micro-block (nb0 advances by kAmxMaxBlocks), so a panel's micro-blocks take distinct slots
  const int64_t key = nb0 / kAmxMaxBlocks;
  return reinterpret_cast<const uint16_t*>(thread_cached_block<2>(g.call_id, key, nbs * block_bytes, [&](uint8_t* dst) {
    for (int64_t j = 0; j < nbs; ++j) {
      const int8_t* src = g.w + (nb0 + j) * g.K * kNBlock;
      uint16_t* out = reinterpret_cast<uint16_t*>(dst + j * block_bytes);
      for (int64_t k = 0; k < g.K; k += 2)
        S::store_bf16_pairs(out + k * kNBlock, S::load_s8_as_f(src + k * kNBlock),
                            S::load_s8_as_f(src + (k + 1) * kNBlock));
    }
  }));
}

// c[0:rows][0:NT*16] (fp32) = x_bf16[m0:m0+rows] x W (bf16 VNNI-2, NT blocks w_bstride bytes apart).
template <class T>
void amx_bf16_gemm_block(const BFloat16* x, int64_t K, int64_t rows, const uint16_t* w, int64_t w_bstride,
                         int64_t nblocks, float* c, int64_t ldc) {
  dispatch_amx_shape(rows, nblocks, [&]<int MT, int NT>() {
    amx_configure<T, MT, NT>(static_cast<int>(rows), kTileColsBytes);
    amx_run<T, MT, NT, TileDot::kBf16>(x, K * 2, w, w_bstride, K * 2, kTileColsBytes, c, ldc);
  });
}

}  // namespace
}  // namespace xeon
