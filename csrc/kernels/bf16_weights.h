// The weights of the bf16 dot-product kernels (AMX-BF16 tiles, AVX512_BF16 vdpbf16ps): each thread converts
// the weights of one 32-column micro-block once into bf16 VNNI-2 rows (k pairs x 16 channels, 64 bytes: an
// AMX-BF16 B-tile row and a vdpbf16ps operand) in a per-thread cache (K x 32 x 2 bytes: 256 KiB at K = 4096,
// L2-resident) reused by every M-block of the task. A16W8's int8 codes are exact in bf16 (its scale is
// applied in the epilogue); A16W4 rounds fma(q - 8, scale, zero) to bf16, as PyTorch's weight-only int4
// kernels do on this path. K must be even (k pairs).
#pragma once
#include <cstdint>
#include "kernels/int4_microkernel.h"
#include "kernels/thread_cache.h"
#include "pack/layouts.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// N-blocks of 16 columns per micro-block of the bf16 kernels (32 columns: one int4 N-block).
constexpr int64_t kBf16MicroBlocks = 2;

// int4 N-block nb of A16W4 -> bf16 [2 halves][K/2][16][2].
template <class S>
const uint16_t* dequantized_a16w4_block(const A16w4Args& g, int64_t nb) {
  const int64_t half_bytes = g.K * kInt4Half * 2;
  return reinterpret_cast<const uint16_t*>(thread_cached_block<1>(g.call_id, nb, 2 * half_bytes, [&](uint8_t* dst) {
    const int64_t G = g.K / g.group;
    uint16_t* out[2] = {reinterpret_cast<uint16_t*>(dst), reinterpret_cast<uint16_t*>(dst + half_bytes)};
    for (int64_t gi = 0; gi < G; ++gi) {
      const int64_t p = (nb * G + gi) * kNBlockInt4;
      const typename S::vf s[2] = {S::load_f(g.w_scale + p), S::load_f(g.w_scale + p + kInt4Half)};
      const typename S::vf z[2] = {S::load_f(g.w_zero + p), S::load_f(g.w_zero + p + kInt4Half)};
      const uint8_t* wg = g.w + (nb * G + gi) * g.group * kInt4Half;
      for (int64_t kk = 0; kk < g.group; kk += 2) {
        typename S::vf q[2][2];  // [k parity][half]
        S::int4_row_minus_eight_as_f(wg + kk * kInt4Half, q[0][0], q[0][1]);  // exact q - 8
        S::int4_row_minus_eight_as_f(wg + (kk + 1) * kInt4Half, q[1][0], q[1][1]);
        const int64_t k = gi * g.group + kk;
        for (int h = 0; h < 2; ++h)
          S::store_bf16_pairs(out[h] + k * kInt4Half, S::fma(q[0][h], s[h], z[h]), S::fma(q[1][h], s[h], z[h]));
      }
    }
  }));
}

// int8 N-blocks [nb0, nb0 + nbs) of A16W8 -> bf16 [nbs][K/2][16][2] (exact).
template <class S>
const uint16_t* converted_a16w8_panel(const A16w8Args& g, int64_t nb0, int64_t nbs) {
  const int64_t block_bytes = g.K * kNBlock * 2;
  // keyed by micro-block (nb0 advances by kBf16MicroBlocks), so a panel's micro-blocks take distinct slots
  const int64_t key = nb0 / kBf16MicroBlocks;
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

}  // namespace
}  // namespace xeon
