// Policies that bind a micro-kernel family to the GEMM driver (gemm_driver.h).
#pragma once
#include "kernels/amx_microkernel.h"
#include "kernels/gemm_driver.h"
#include "kernels/vnni_microkernel.h"

namespace xeon {
namespace {

// 4 rows x 4 blocks: 16 accumulators + 4 weight vectors + 1 broadcast = 21 of
// the 32 vector registers of AVX-512.
constexpr int kVnniRows = 4;
constexpr int kVnniBlocks = 4;

template <class S>
struct VnniPolicy {
  static constexpr int64_t kRows = kVnniRows, kCols = kVnniBlocks * kNBlock;
  static void int8_block(const Int8GemmArgs& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c,
                         int64_t ldc) {
    const int64_t bstride = g.Kpad * kNBlock;
    dispatch_tile_shape<kVnniRows, kVnniBlocks>(int(rows), int(nbs), [&]<int R, int NB>() {
      vnni_tile<S, R, NB>(g.a + m0 * g.Kpad, g.Kpad, g.w + nb0 * bstride, bstride, g.Kpad / kKQuad, c, ldc);
    });
  }
  static void fma_block(const A16W8GemmArgs& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c,
                        int64_t ldc) {
    const int64_t bstride = g.K * kNBlock;
    dispatch_tile_shape<kVnniRows, kVnniBlocks>(int(rows), int(nbs), [&]<int R, int NB>() {
      fma_tile<S, R, NB>(g.x + m0 * g.K, g.K, g.w + nb0 * bstride, bstride, g.K, c, ldc);
    });
  }
};

template <class T>
struct AmxPolicy {
  static constexpr int64_t kRows = kAmxMaxRows, kCols = kAmxMaxBlocks * kNBlock;
  static void int8_block(const Int8GemmArgs& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c,
                         int64_t ldc) {
    const int64_t bstride = g.Kpad * kNBlock;
    const uint8_t* a = g.a + m0 * g.Kpad;
    const int8_t* w = g.w + nb0 * bstride;
    const int r = int(rows);
    if (rows > kTileRows) {
      if (nbs == 2) amx_int8_tile<T, 2, 2>(a, g.Kpad, w, bstride, g.Kpad, r, c, ldc);
      else amx_int8_tile<T, 2, 1>(a, g.Kpad, w, bstride, g.Kpad, r, c, ldc);
    } else {
      if (nbs == 2) amx_int8_tile<T, 1, 2>(a, g.Kpad, w, bstride, g.Kpad, r, c, ldc);
      else amx_int8_tile<T, 1, 1>(a, g.Kpad, w, bstride, g.Kpad, r, c, ldc);
    }
  }
};

}  // namespace
}  // namespace xeon
