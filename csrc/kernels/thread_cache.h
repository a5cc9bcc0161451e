// Per-thread buffers holding weights converted for one N-block (int4 unpacked to
// int8, or dequantized to bf16), reused while a thread's consecutive tasks and
// M-blocks touch that block. Direct-mapped by block index over kCacheSlots slots,
// so the kMaxPanelBlocks consecutive blocks of one task panel never evict each
// other. The key includes a per-call id: a new call (or new weights at a reused
// address) never sees stale data.
#pragma once
#include <cstdint>
#include <vector>

namespace xeon {
namespace {

// Upper bound of micro-blocks per task panel (gemm_driver.h).
constexpr int64_t kMaxPanelBlocks = 8;
constexpr int64_t kCacheSlots = kMaxPanelBlocks;

template <int Kind, class Fill>
const uint8_t* thread_cached_block(uint64_t call_id, int64_t block, int64_t bytes, Fill&& fill) {
  struct Slot {
    uint64_t call = ~uint64_t{0};
    int64_t block = -1;
    std::vector<uint8_t> data;
  };
  thread_local Slot slots[kCacheSlots];
  Slot& s = slots[block % kCacheSlots];
  if (s.call != call_id || s.block != block) {
    s.data.resize(bytes);
    fill(s.data.data());
    s.call = call_id;
    s.block = block;
  }
  return s.data.data();
}

}  // namespace
}  // namespace xeon
