// Policies that bind a micro-kernel family to the GEMM driver (gemm_driver.h states the contract).
// Each is a template over its backends (SIMD S, tiles T) and a Blocking chosen by the ISA file that uses
// it, so every path owns its block sizes.
#pragma once
#include "kernels/amx_bf16_microkernel.h"
#include "kernels/amx_int4_microkernel.h"
#include "kernels/amx_microkernel.h"
#include "kernels/bf16_weights.h"
#include "kernels/gemm_driver.h"
#include "kernels/int4_decode.h"
#include "kernels/int4_microkernel.h"
#include "kernels/vnni_microkernel.h"

namespace xeon {
namespace {

// Block sizes of one path's policies.
struct Blocking {
  // Vector policies: rows and 16-column blocks of one register-blocked micro-kernel call (at most 4 each:
  // vnni_microkernel.h's dispatch). Tile policies ignore them (2 x 2 tiles: 32 rows x 32 columns).
  int rows;
  int col_blocks;
  // Rows of one driver task: consecutive M-blocks of a task reuse its weight panel from cache.
  int64_t task_rows;
  // Tile policies: weight bytes (as the policy caches them) of one task panel.
  int64_t panel_bytes;
  // Int8 vector policies (DA8W8, DA8W4): a task's passes prefetch the next panel's weights (gemm_driver.h
  // next_panel_slice), where the kernels are fast enough for the memory to be what they wait for.
  bool prefetch_next_panel = false;
};

// DA8W8 (vpdpbusd) and A16W8 (int8 -> fp32 FMA), B.rows x B.col_blocks blocks of 16 columns.
template <class S, Blocking B>
struct VnniPolicy {
  using Simd = S;
  static constexpr int64_t kRows = B.rows, kCols = B.col_blocks * kNBlock, kTaskRows = B.task_rows;
  static constexpr bool kWidePanels = false, kTiles = false, kBf16 = false;
  // The packed codes of N-blocks [nb0, nb0 + nbs): contiguous (layouts.h), the driver's prefetch target.
  static PrefetchSpan weight_span(const Da8w8Args& g, int64_t nb0, int64_t nbs)
    requires(B.prefetch_next_panel)
  {
    const int64_t bstride = g.Kpad * kNBlock;
    return {reinterpret_cast<const char*>(g.w + nb0 * bstride), nbs * bstride / kCacheLineBytes};
  }
  static void block(const Da8w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c,
                    int64_t ldc, PrefetchSpan pf = {}) {
    const int64_t bstride = g.Kpad * kNBlock;
    dispatch_shape<B.rows, B.col_blocks>(rows, nbs, [&]<int R, int NB>() {
      dot_tile<S, Int8Dot, R, NB>(g.a.codes + m0 * g.a.ld, g.a.ld, g.w + nb0 * bstride, bstride, g.Kpad, c, ldc,
                                  pf);
    });
  }
  static void block(const A16w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c,
                    int64_t ldc) {
    const int64_t bstride = g.K * kNBlock;
    dispatch_shape<B.rows, B.col_blocks>(rows, nbs, [&]<int R, int NB>() {
      fma_tile<S, R, NB>(g.x.f32 + m0 * g.K, g.K, g.w + nb0 * bstride, bstride, g.K, c, ldc);
    });
  }
};

// The int4 schemes on vectors: one 32-channel int4 N-block per call, up to B.rows rows. A16W4's FMA kernel
// may take its own blocking (A16w4: this policy with BA16 for both).
template <class S, Blocking B, Blocking BA16 = B>
struct VnniInt4Policy {
  using A16w4 = VnniInt4Policy<S, BA16, BA16>;
  static constexpr int64_t kRows = B.rows, kCols = kNBlockInt4, kTaskRows = B.task_rows;
  static constexpr bool kWidePanels = false, kTiles = false, kBf16 = false;
  static PrefetchSpan weight_span(const Da8w4Args& g, int64_t nb0, int64_t nbs)
    requires(B.prefetch_next_panel)
  {
    return int4_weight_span(g.w, g.K, nb0, nbs);
  }
  static void block(const Da8w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t, float* c, int64_t ldc,
                    PrefetchSpan pf = {}) {
    dispatch_shape<B.rows, 1>(rows, 1,
                              [&]<int R, int>() { da8w4_vnni_tile<S, R>(g, m0, nb0 / kInt4Blocks16, c, ldc, pf); });
  }
  static void block(const A16w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t, float* c, int64_t ldc) {
    dispatch_shape<B.rows, 1>(rows, 1, [&]<int R, int>() { a16w4_fma_tile<S, R>(g, m0, nb0 / kInt4Blocks16, c, ldc); });
  }
};

// A16W4 with bf16 activations (fp16 too, with Fp32Dot) below kBelowRows rows: B.rows rows x B.col_blocks
// 16-column blocks per call (whole 32-channel int4 N-blocks: fewer at the last columns), codes straight into
// the dot-product step Dot (int4_decode.h: Bf16PairDot or Fp32Dot).
template <class S, Blocking B, template <class> class Dot, int64_t kBelow>
struct Int4DecodePolicy {
  static_assert(B.col_blocks % kInt4Blocks16 == 0, "whole int4 N-blocks");
  static constexpr int64_t kRows = B.rows, kCols = B.col_blocks * kNBlock, kTaskRows = B.task_rows;
  static constexpr int64_t kBelowRows = kBelow;
  static constexpr bool kWidePanels = false, kTiles = false, kBf16 = Dot<S>::kBf16;  // kBf16: gemm_stats
  static constexpr bool kF32Acts = Dot<S>::kF32Acts;  // the driver widens the activations to g.x.f32
  static void block(const A16w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c,
                    int64_t ldc) {
    dispatch_shape<B.rows, B.col_blocks / kInt4Blocks16>(rows, ceil_div(nbs, kInt4Blocks16), [&]<int R, int NB>() {
      a16w4_decode_tile<S, Dot<S>, R, NB>(g, m0, nb0 / kInt4Blocks16, c, ldc);
    });
  }
};

// A16W4's fp16 activations: the decode kernel's fp32 form at every M (x (q - 8) is exact in fp32 for fp16 x
// too: 11 + 4 significant bits), as for bf16 on the avx512 and avx2 paths (avx512_blocking.h).
template <class S, Blocking B>
using Int4DecodeF16Policy = Int4DecodePolicy<S, B, Fp32Dot, std::numeric_limits<int64_t>::max()>;

// Common members of the tile policies (tile backend T): 32 rows x 32 columns per call (2 x 2 tiles), wide
// panels, and the tiles released at the end of each thread's share of a kernel region. A tile policy that
// also has k_bytes(g) (the bytes of an A row the kernel reads: K's extent) and
//   block_k(g, m0, rows, nb0, nbs, kb0, kbl, accumulate, acc, ldc)
// (block over the bytes [kb0, kb0 + kbl) of each A row, continuing acc's sums when accumulate) runs a task's K
// in chunks (gemm_driver.h, tile_k_chunk.h); its block(...) is block_k over all of K.
template <class T, Blocking B>
struct TilePolicyBase {
  static constexpr int64_t kRows = kAmxMaxRows, kCols = kAmxMaxBlocks * kNBlock, kTaskRows = B.task_rows;
  static constexpr int64_t kPanelBytes = B.panel_bytes;
  static constexpr bool kWidePanels = true, kTiles = true, kBf16 = false;
  static void release_tiles() { xeon::release_tiles<T>(); }
  // K-chunks are whole multiples of this many bytes of an A row (one tile row; a policy may need more).
  template <class Args>
  static int64_t k_quantum(const Args&) { return kTileKChunkMultiple; }
};

// DA8W8 on AMX int8 tiles, straight from the packed codes.
template <class T, Blocking B>
struct AmxPolicy : TilePolicyBase<T, B> {
  static int64_t cached_bytes_per_column(const Da8w8Args& g) { return g.Kpad; }
  static int64_t k_bytes(const Da8w8Args& g) { return g.Kpad; }
  static void block_k(const Da8w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int64_t kb0,
                      int64_t kbl, bool accumulate, int32_t* c, int64_t ldc) {
    const int64_t bstride = g.Kpad * kNBlock;
    dispatch_amx_shape(rows, nbs, [&]<int MT, int NT>() {
      amx_configure<T, MT, NT>(int(rows), kTileColsBytes);
      amx_run<T, MT, NT>(g.a.codes + m0 * g.a.ld + kb0, g.a.ld, g.w + nb0 * bstride + tile_b_offset(kb0), bstride,
                         kbl, kTileColsBytes, c, ldc, accumulate);
    });
  }
  static void block(const Da8w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c,
                    int64_t ldc) {
    block_k(g, m0, rows, nb0, nbs, 0, k_bytes(g), false, c, ldc);
  }
};

// DA8W4 on AMX int8 tiles: one 32-channel int4 N-block per call, unpacked once per thread to int8.
template <class T, class S, Blocking B>
struct AmxInt4Policy : TilePolicyBase<T, B> {
  static_assert(kAmxMaxBlocks * kNBlock == kNBlockInt4, "one int4 N-block per call");
  static int64_t cached_bytes_per_column(const Da8w4Args& g) { return g.K; }
  static int64_t k_bytes(const Da8w4Args& g) { return g.K; }
  static int64_t k_quantum(const Da8w4Args& g) { return std::max(g.group, kTileKChunkMultiple); }  // whole groups
  static void block_k(const Da8w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t, int64_t kb0, int64_t kbl,
                      bool accumulate, float* c, int64_t ldc) {
    amx_da8w4_block<T, S>(g, m0, rows, nb0 / kInt4Blocks16, kb0 / g.group, (kb0 + kbl) / g.group, accumulate, c,
                          ldc);
  }
  static void block(const Da8w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c, int64_t ldc) {
    block_k(g, m0, rows, nb0, nbs, 0, k_bytes(g), false, c, ldc);
  }
};

// A16W8 and A16W4 on AMX-BF16 tiles, bf16 activations; weights converted to bf16 once per thread.
template <class T, class S, Blocking B>
struct AmxBf16Policy : TilePolicyBase<T, B> {
  static_assert(kAmxMaxBlocks == kBf16MicroBlocks, "one bf16 weight micro-block per call");
  static constexpr bool kBf16 = true;
  static constexpr int64_t kKMultiple = kBf16TileK;  // one TDPBF16PS step of k
  static int64_t cached_bytes_per_column(const A16w8Args& g) { return g.K * 2; }
  static int64_t cached_bytes_per_column(const A16w4Args& g) { return g.K * 2; }
  static int64_t k_bytes(const A16w8Args& g) { return g.K * 2; }
  static int64_t k_bytes(const A16w4Args& g) { return g.K * 2; }
  static void block_k(const A16w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int64_t kb0,
                      int64_t kbl, bool accumulate, float* c, int64_t ldc) {
    amx_bf16_gemm_block<T>(g.x.bf16 + m0 * g.x.bf16_ld, g.x.bf16_ld, rows, converted_a16w8_panel<S>(g, nb0, nbs),
                           g.K * kNBlock * 2, nbs, kb0, kbl, accumulate, c, ldc);
  }
  static void block_k(const A16w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t, int64_t kb0,
                      int64_t kbl, bool accumulate, float* c, int64_t ldc) {
    amx_bf16_gemm_block<T>(g.x.bf16 + m0 * g.x.bf16_ld, g.x.bf16_ld, rows,
                           dequantized_a16w4_block<S>(g, nb0 / kInt4Blocks16),
                           g.K * kInt4Half * 2, 2, kb0, kbl, accumulate, c, ldc);
  }
  template <class Args>
  static void block(const Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c, int64_t ldc) {
    block_k(g, m0, rows, nb0, nbs, 0, k_bytes(g), false, c, ldc);
  }
};

// A16W8 and A16W4 with bf16 activations on vdpbf16ps (AVX512_BF16): dot_tile<S, Bf16Dot> (vnni_microkernel.h)
// over B.rows rows x one 32-column micro-block per call: per k pair, each row's two bf16 activations are
// broadcast as one 32-bit lane pair against each block's VNNI-2 weight row; the weights converted to bf16
// once per thread and task panel (bf16_weights.h).
template <class S, Blocking B>
struct Bf16DotPolicy {
  static constexpr int64_t kRows = B.rows, kCols = kBf16MicroBlocks * kNBlock, kTaskRows = B.task_rows;
  static constexpr int64_t kPanelBytes = B.panel_bytes;
  static constexpr bool kWidePanels = true, kTiles = false, kBf16 = true;
  static constexpr int64_t kKMultiple = 2;  // k pairs
  static int64_t cached_bytes_per_column(const A16w8Args& g) { return g.K * 2; }
  static int64_t cached_bytes_per_column(const A16w4Args& g) { return g.K * 2; }
  static void block(const A16w8Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c,
                    int64_t ldc) {
    const uint16_t* w = converted_a16w8_panel<S>(g, nb0, nbs);
    dispatch_shape<B.rows, kBf16MicroBlocks>(rows, nbs, [&]<int R, int NB>() {
      dot_tile<S, Bf16Dot, R, NB>(g.x.bf16 + m0 * g.x.bf16_ld, g.x.bf16_ld, w, g.K * kNBlock, g.K, c, ldc);
    });
  }
  static void block(const A16w4Args& g, int64_t m0, int64_t rows, int64_t nb0, int64_t, float* c, int64_t ldc) {
    const uint16_t* w = dequantized_a16w4_block<S>(g, nb0 / kInt4Blocks16);
    dispatch_shape<B.rows, kBf16MicroBlocks>(rows, kBf16MicroBlocks, [&]<int R, int NB>() {
      dot_tile<S, Bf16Dot, R, NB>(g.x.bf16 + m0 * g.x.bf16_ld, g.x.bf16_ld, w, g.K * kInt4Half, g.K, c, ldc);
    });
  }
};

}  // namespace
}  // namespace xeon
