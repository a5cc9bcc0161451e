// The row stride of the buffers whose rows the kernels read many at a time (activation codes, bf16 activation
// copies for AMX, a tile task's accumulators).
#pragma once
#include <cstdint>
#include "common/int_math.h"

namespace xeon {

constexpr int64_t kCacheLineBytes = 64;

// For rows of `bytes` bytes: whole cache lines, one more when their count is even, so that consecutive rows
// fall in different cache sets. At a power-of-two stride (K = 4096 int8 codes: 64 lines) the 16 rows of an AMX
// A tile all map to one set of a 64-set L1D, which holds 12 of them (Sapphire Rapids' 48 KiB, 12-way L1D:
// Intel's optimization manual); an odd number of lines spreads any 64 consecutive rows over all 64 sets.
inline int64_t set_spreading_row_stride(int64_t bytes) {
  const int64_t lines = ceil_div(bytes, kCacheLineBytes);
  return (lines % 2 == 0 ? lines + 1 : lines) * kCacheLineBytes;
}

}  // namespace xeon
