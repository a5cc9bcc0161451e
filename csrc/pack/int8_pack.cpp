#include "pack/int8_pack.h"

#include <cstring>

namespace xeon {

int64_t packed_int8_bytes(Layout layout, int64_t N, int64_t K) {
  const int64_t npad = round_up(N, kNBlock);
  return layout == Layout::kInt8Vnni4 ? npad * round_up(K, kKPadInt8) : npad * K;
}

void pack_int8(Layout layout, const int8_t* codes, int64_t N, int64_t K, int8_t* packed, int32_t* w_sum) {
  const int64_t npad = round_up(N, kNBlock);
  std::memset(packed, 0, packed_int8_bytes(layout, N, K));
  const int64_t kpad = layout == Layout::kInt8Vnni4 ? round_up(K, kKPadInt8) : K;
  for (int64_t n = 0; n < npad; ++n) {
    int32_t s = 0;
    if (n < N) {
      int8_t* block = packed + (n / kNBlock) * kpad * kNBlock;
      const int64_t lane = n % kNBlock;
      for (int64_t k = 0; k < K; ++k) {
        const int8_t v = codes[n * K + k];
        s += v;
        if (layout == Layout::kInt8Vnni4)
          block[(k / kKQuad) * kKQuad * kNBlock + lane * kKQuad + k % kKQuad] = v;
        else
          block[k * kNBlock + lane] = v;
      }
    }
    if (w_sum) w_sum[n] = s;
  }
}

}  // namespace xeon
