// Runtime (rows, blocks) of a micro-kernel call -> the compile-time register-block shape of the micro-kernel.
#pragma once
#include <cstdint>
#include <utility>

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// Calls f.template operator()<R, NB>() with R = rows in [1, MaxR] and NB = nblocks in [1, MaxNB]; every shape
// up to (MaxR, MaxNB) is instantiated once.
template <int MaxR, int MaxNB, class F>
inline void dispatch_shape(int64_t rows, int64_t nblocks, F&& f) {
  static_assert(MaxR >= 1 && MaxNB >= 1, "at least one row and one block");
  // one index I per shape: R = I / MaxNB + 1, NB = I % MaxNB + 1
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((rows == I / MaxNB + 1 && nblocks == I % MaxNB + 1 ? (f.template operator()<I / MaxNB + 1, I % MaxNB + 1>(), 0)
                                                        : 0),
     ...);
  }(std::make_integer_sequence<int, MaxR * MaxNB>{});
}

}  // namespace
}  // namespace xeon
