// Policies that bind a micro-kernel family to the GEMM driver (gemm_driver.h).
#pragma once
#include "kernels/amx_bf16_microkernel.h"
#include "kernels/amx_int4_microkernel.h"
#include "kernels/amx_microkernel.h"
#include "kernels/int4_microkernel.h"
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
  static constexpr bool kWidePanels = false;
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
  static constexpr bool kWidePanels = true;
  static void int8_block(const Int8GemmArgs& g, int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c,
                         int64_t ldc) {
    const int64_t bstride = g.Kpad * kNBlock;
    dispatch_amx_shape(rows, nbs, [&]<int MT, int NT>() {
      amx_configure<T, MT, NT>(int(rows), kTileColsBytes);
      amx_run<T, MT, NT>(g.a + m0 * g.Kpad, g.Kpad, g.w + nb0 * bstride, bstride, g.Kpad, kTileColsBytes, c,
                              ldc);
    });
  }
};

// int4 schemes: one 32-channel int4 N-block per call, up to 4 rows (VNNI / FMA).
template <class S>
struct VnniInt4Policy {
  static constexpr int64_t kRows = kVnniRows, kCols = kNBlockInt4;
  static constexpr bool kWidePanels = false;
  static void da8w4_block(const Da8w4GemmArgs& g, int64_t m0, int64_t rows, int64_t nb, float* c, int64_t ldc) {
    dispatch_rows4(rows, [&]<int R>() { da8w4_vnni_tile<S, R>(g, m0, nb, c, ldc); });
  }
  static void a16w4_block(const A16w4GemmArgs& g, int64_t m0, int64_t rows, int64_t nb, float* c, int64_t ldc) {
    dispatch_rows4(rows, [&]<int R>() { a16w4_fma_tile<S, R>(g, m0, nb, c, ldc); });
  }
};

// DA8W4 on AMX tiles, 32 rows x one 32-channel int4 N-block per call.
template <class T, class S>
struct AmxInt4Policy {
  static constexpr int64_t kRows = kAmxMaxRows, kCols = kNBlockInt4;
  static constexpr bool kWidePanels = true;
  static void da8w4_block(const Da8w4GemmArgs& g, int64_t m0, int64_t rows, int64_t nb, float* c, int64_t ldc) {
    amx_da8w4_block<T, S>(g, m0, rows, nb, c, ldc);
  }
};

}  // namespace
}  // namespace xeon
