// Instruction counts of the emulated backends (the cost model's input, benchmarks/cost_model.py): each
// emulated SIMD or tile operation adds the instructions its hardware form issues (the AVX-512 backend's
// intrinsics, simd_avx512.h / simd_avx512_bf16.h; one AMX instruction per tile operation), by kind, while
// counting is on (xeon::emulated_op_counts). Off, a count is one relaxed load of a flag.
#pragma once
#include <atomic>
#include <cstdint>

namespace xeon::op_counts {

enum Kind : int {
  kVecLoad,    // vector loads (including broadcasts from memory)
  kVecStore,   // vector stores
  kVecDot,     // vpdpbusd / vdpbf16ps
  kVecFp,      // fp32 arithmetic and int <-> fp conversions
  kVecInt,     // integer logic, shifts, shuffles, zero / sign extensions
  kTileLoad,   // TILELOADD
  kTileStore,  // TILESTORED
  kTileDot,    // TDPBUSD / TDPBF16PS (16 x 16 x 64 int8 or 16 x 16 x 32 bf16)
  kTileZero,   // TILEZERO
  kTileConfig, // LDTILECFG
  kNumKinds
};

inline std::atomic<bool> g_on{false};
inline std::atomic<int64_t> g_counts[kNumKinds];

// static: each translation unit (compiled for its own target) keeps its own copy of the code; the
// counters are one set (inline variables).
static inline void add(Kind k, int64_t n = 1) {
  if (g_on.load(std::memory_order_relaxed)) g_counts[k].fetch_add(n, std::memory_order_relaxed);
}

// Counts of one emulated SIMD operation: loads, stores, dots, fp, int.
static inline void vec(int64_t load, int64_t store, int64_t dot, int64_t fp, int64_t integer) {
  if (!g_on.load(std::memory_order_relaxed)) return;
  g_counts[kVecLoad].fetch_add(load, std::memory_order_relaxed);
  g_counts[kVecStore].fetch_add(store, std::memory_order_relaxed);
  g_counts[kVecDot].fetch_add(dot, std::memory_order_relaxed);
  g_counts[kVecFp].fetch_add(fp, std::memory_order_relaxed);
  g_counts[kVecInt].fetch_add(integer, std::memory_order_relaxed);
}

}  // namespace xeon::op_counts
