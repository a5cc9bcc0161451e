// A per-thread buffer holding weights converted for one N-block (int4 unpacked
// to int8, or dequantized to bf16), reused while a thread's consecutive tasks
// share that block. The key includes a per-call id, so a new call (or new
// weights at a reused address) never sees stale data.
#pragma once
#include <cstdint>
#include <vector>

namespace xeon {
namespace {

template <int Slot, class Fill>
const uint8_t* thread_cached_block(uint64_t call_id, int64_t block, int64_t bytes, Fill&& fill) {
  struct Cache {
    uint64_t call = ~uint64_t{0};
    int64_t block = -1;
    std::vector<uint8_t> data;
  };
  thread_local Cache cache;
  if (cache.call != call_id || cache.block != block) {
    cache.data.resize(bytes);
    fill(cache.data.data());
    cache.call = call_id;
    cache.block = block;
  }
  return cache.data.data();
}

}  // namespace
}  // namespace xeon
