// Packing int8 weight codes [N, K] into the kernels' layouts (block_sizes.h),
// with the per-channel sums the u8 x s8 kernels subtract (compensation).
#pragma once
#include <cstdint>
#include "common/block_sizes.h"

namespace xeon {

// Bytes of the packed buffer for a layout.
int64_t packed_int8_bytes(Layout layout, int64_t N, int64_t K);

// codes: [N, K] row-major. packed: packed_int8_bytes(...) bytes, padding zeroed.
// w_sum (may be null): [roundup(N, 16)] sum_k codes[n, k], 0 for padding channels.
void pack_int8(Layout layout, const int8_t* codes, int64_t N, int64_t K, int8_t* packed, int32_t* w_sum);

}  // namespace xeon
