// The grain of row-parallel elementwise passes (activation quantization, dtype conversion).
#pragma once
#include <algorithm>
#include <cstdint>

namespace xeon {

// Elements per parallel_for grain, so that a few short rows stay on one thread (a task switch costs
// more than converting 16 K elements).
constexpr int64_t kRowGrainElems = 16384;
inline int64_t row_grain(int64_t row_elems) {
  return std::max<int64_t>(1, kRowGrainElems / std::max<int64_t>(1, row_elems));
}

}  // namespace xeon
