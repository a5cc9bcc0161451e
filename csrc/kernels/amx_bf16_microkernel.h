// A16W4 and A16W8 on AMX-BF16, for bf16 activations: the weights converted once per thread into bf16 VNNI-2
// rows (bf16_weights.h) are the B tiles, the bf16 input rows the A tiles as they are; TDPBF16PS accumulates in
// fp32 over all of K.
#pragma once
#include <cstdint>
#include "pack/layouts.h"
#include "kernels/amx_microkernel.h"
#include "kernels/bf16_weights.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

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
