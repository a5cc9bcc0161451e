// The shape dispatch of the vdpbf16ps kernels (A16W8 / A16W4 with bf16 activations on AVX512_BF16): up to 8
// rows x 2 blocks of 16 columns (one 32-column micro-block of bf16_weights.h) of dot_tile<S, Bf16Dot>
// (vnni_microkernel.h): per k pair, each row's two bf16 activations are broadcast as one 32-bit lane pair
// and each block's VNNI-2 weight row (16 channels x 2 k) is one load.
#pragma once
#include <cstdint>
#include <type_traits>
#include "kernels/bf16_weights.h"
#include "kernels/vnni_microkernel.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// Calls f.template operator()<R, NB>() for rows in [1, MaxR] (MaxR <= 8) and nblocks in {1, 2}.
template <int MaxR, class F>
inline void dispatch_bf16_shape(int64_t rows, int64_t nblocks, F&& f) {
  static_assert(MaxR >= 1 && MaxR <= 8, "up to 8 rows");
  auto by_rows = [&]<int NB>() {
    [&]<int... R>(std::integer_sequence<int, R...>) {
      ((rows == R + 1 ? (f.template operator()<R + 1, NB>(), 0) : 0), ...);
    }(std::make_integer_sequence<int, MaxR>{});
  };
  if (nblocks == 2) by_rows.template operator()<2>();
  else by_rows.template operator()<1>();
}

}  // namespace
}  // namespace xeon
