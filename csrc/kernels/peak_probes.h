// Ceiling probes for the benchmarks: tight loops of independent int8 dot-product
// instructions with no memory traffic, so ops / second is the instruction peak.
#pragma once
#include <cstdint>
#include "kernels/amx_microkernel.h"

namespace xeon {
namespace {

// 8 independent accumulator chains: vpdpbusd's latency (5 cycles on Ice Lake) times its issue rate (one or
// two a cycle) is at most 10 instructions in flight; fewer chains than that measure the latency, not the peak.
template <class S>
int64_t vnni_peak_loop(int64_t iters) {
  // Named accumulators, not an array: gcc 12 copies an array of accumulators through extra registers
  // every iteration (16 moves per 8 vpdpbusd, seen in objdump), which would understate the peak.
  const int32_t pa = 0x01020304, pb = 0x01010101;
  const typename S::vi a = S::bcast_i32(&pa), b = S::bcast_i32(&pb);
  // distinct starting values, or the compiler merges the identical chains into one
  typename S::vi c0 = S::set1_i(0), c1 = S::set1_i(1), c2 = S::set1_i(2), c3 = S::set1_i(3), c4 = S::set1_i(4),
                 c5 = S::set1_i(5), c6 = S::set1_i(6), c7 = S::set1_i(7);
  for (int64_t i = 0; i < iters; ++i) {
    c0 = S::dpbusd(c0, a, b); c1 = S::dpbusd(c1, a, b); c2 = S::dpbusd(c2, a, b); c3 = S::dpbusd(c3, a, b);
    c4 = S::dpbusd(c4, a, b); c5 = S::dpbusd(c5, a, b); c6 = S::dpbusd(c6, a, b); c7 = S::dpbusd(c7, a, b);
  }
  alignas(64) int32_t out[16];
  int32_t sum = 0;
  for (const auto& c : {c0, c1, c2, c3, c4, c5, c6, c7}) { S::store_i(out, c); sum += out[0]; }
  [[maybe_unused]] static volatile int32_t sink;
  sink = sum;
  constexpr int kAcc = 8;
  return iters * kAcc * 16 * 4 * 2;  // 16 lanes x 4 products, multiply + add
}

// 4 accumulator tiles fed by 2 A and 2 B tiles: the micro-kernel's 2 x 2 shape (amx_microkernel.h), whose
// 4 independent TDPBUSDs per step cover the instruction's latency.
template <class T>
int64_t amx_peak_loop(int64_t iters) {
  alignas(64) static const uint8_t src[kTileRows * kTileColsBytes] = {1};
  alignas(64) int32_t dst[kTileRows * kNBlock];
  TileConfig cfg{};
  cfg.palette_id = 1;
  for (int t = 0; t < kNumTiles; ++t) { cfg.rows[t] = kTileRows; cfg.colsb[t] = kTileColsBytes; }
  load_tile_config<T>(cfg);
  T::template load<4>(src, kTileColsBytes); T::template load<5>(src, kTileColsBytes);
  T::template load<6>(src, kTileColsBytes); T::template load<7>(src, kTileColsBytes);
  T::template zero<0>(); T::template zero<1>(); T::template zero<2>(); T::template zero<3>();
  for (int64_t i = 0; i < iters; ++i) {
    T::template dpbusd<0, 4, 6>(); T::template dpbusd<1, 4, 7>();
    T::template dpbusd<2, 5, 6>(); T::template dpbusd<3, 5, 7>();
  }
  T::template store<0>(dst, kNBlock * 4);
  release_tiles<T>();
  [[maybe_unused]] static volatile int32_t sink;
  sink = dst[0];
  return iters * 4 * int64_t{kTileRows} * kNBlock * kTileColsBytes * 2;  // 16 x 16 x 64 MACs per tdpbusd
}

}  // namespace
}  // namespace xeon
