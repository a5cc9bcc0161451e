// A16W4 and A16W8 on AMX-BF16, for bf16 activations: the weights converted once per thread into bf16 VNNI-2
// rows (bf16_weights.h) are the B tiles, the bf16 input rows the A tiles (at a set-spreading stride:
// path_kernels.h); TDPBF16PS accumulates in fp32 over all of K, in K-chunks (gemm_driver.h).
#pragma once
#include <cstdint>
#include "pack/layouts.h"
#include "kernels/amx_microkernel.h"
#include "kernels/bf16_weights.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// c[0:rows][0:NT*16] (fp32) (+)= x_bf16[0:rows] (row stride ld elements) x W (bf16 VNNI-2, NT blocks w_bstride
// bytes apart) over the bytes [kb0, kb0 + kbl) of each x row (a K-chunk; accumulate: c holds the earlier
// chunks' sums, amx_run).
template <class T>
void amx_bf16_gemm_block(const BFloat16* x, int64_t ld, int64_t rows, const uint16_t* w, int64_t w_bstride,
                         int64_t nblocks, int64_t kb0, int64_t kbl, bool accumulate, float* c, int64_t ldc) {
  dispatch_amx_shape(rows, nblocks, [&]<int MT, int NT>() {
    amx_configure<T, MT, NT>(static_cast<int>(rows), kTileColsBytes);
    amx_run<T, MT, NT, TileDot::kBf16>(reinterpret_cast<const uint8_t*>(x) + kb0, ld * 2,
                                       reinterpret_cast<const uint8_t*>(w) + tile_b_offset(kb0), w_bstride, kbl,
                                       kTileColsBytes, c, ldc, accumulate);
  });
}

}  // namespace
}  // namespace xeon
