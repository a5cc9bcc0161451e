// Ceiling probe of the streaming read bandwidth: the widest loads of SIMD backend S, 8 independent xor
// chains, so that the loads, not a dependency chain, bound the loop; 1, 2, 4 or 8 sequential streams per thread
// (consecutive parts of the thread's share, read side by side).
//
// Why several patterns: measured on AMD EPYC Zen 4 (2 vCPUs, 2 GiB buffer, best of 7 passes, 2026-11-29, a
// standalone loop) 1 to 8 streams read the same within that run's noise, and one stream was kept; but with
// the probe taken at the start of each of the benchmark's interleaved rounds (fourth session), the decode
// kernels, which read 4 weight streams per thread, came out at 105-111% of the one-stream probe of the same
// moment. The benchmarks now take the best pass over the patterns as the ceiling (benchmarks/common.py).
#pragma once
#include <cstdint>

namespace xeon {
namespace {

// Reads [p, p + bytes) once as kStreams side-by-side sequential streams (consecutive parts of the range) and
// returns an xor of what it read (so the loads cannot be dropped).
template <class S, int kStreams>
int64_t stream_read_parts(const uint8_t* p, int64_t bytes) {
  constexpr int64_t kV = sizeof(typename S::vi);  // bytes per load (64 on every backend)
  constexpr int kLoads = 8 / kStreams;            // 8 loads an iteration, 8 independent xor chains
  const int64_t part = bytes / (kStreams * kLoads * kV) * (kLoads * kV);
  typename S::vi a[kStreams][kLoads];
  for (auto& s : a)
    for (auto& v : s) v = S::zero_i();
  for (int64_t i = 0; i < part; i += kLoads * kV)
    for (int s = 0; s < kStreams; ++s)
      for (int l = 0; l < kLoads; ++l) a[s][l] = S::xor_i(a[s][l], S::load_i(p + s * part + i + l * kV));
  int64_t tail = 0;
  for (int64_t i = kStreams * part; i < bytes; ++i) tail ^= p[i];
  alignas(64) int32_t out[sizeof(typename S::vi) / 4];
  int32_t sum = 0;
  for (const auto& s : a)
    for (const auto& v : s) {
      S::store_i(out, v);
      sum ^= out[0];
    }
  return sum ^ tail;
}

// KernelTable::read_loop: streams 1, 2, 4 or 8 (the op checks it).
template <class S>
int64_t stream_read_loop(const uint8_t* p, int64_t bytes, int64_t streams) {
  switch (streams) {
    case 1: return stream_read_parts<S, 1>(p, bytes);
    case 2: return stream_read_parts<S, 2>(p, bytes);
    case 4: return stream_read_parts<S, 4>(p, bytes);
    default: return stream_read_parts<S, 8>(p, bytes);
  }
}

}  // namespace
}  // namespace xeon
