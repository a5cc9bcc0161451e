// Ceiling probe of the streaming read bandwidth: the widest loads of SIMD backend S, 8 independent xor
// chains, so that the loads, not a dependency chain, bound the loop.
//
// One sequential stream per thread. Measured on AMD EPYC Zen 4 (2 vCPUs, 2 GiB buffer, best of 7 passes,
// 2026-11-29, a standalone loop): with 2 threads, 8-byte scalar loads, 512-bit loads and 512-bit loads over
// 2, 4 or 8 interleaved streams per thread all read the same within the noise (30-35 GB/s in one run,
// 39-51 GB/s in another minutes later: the host's other tenants move it); with 1 thread, one stream read
// 26-27 GB/s and 2-8 streams 16-21 GB/s. So one stream of wide loads, on every thread; the benchmarks
// measure this ceiling in the same run as the kernels and flag any fraction above 100%.
#pragma once
#include <cstdint>

namespace xeon {
namespace {

// Reads [p, p + bytes) once and returns an xor of what it read (so the loads cannot be dropped).
template <class S>
int64_t stream_read_loop(const uint8_t* p, int64_t bytes) {
  constexpr int64_t kV = sizeof(typename S::vi);  // bytes per load (64 on every backend)
  const int64_t body = bytes / (8 * kV) * (8 * kV);
  typename S::vi a0 = S::zero_i(), a1 = S::zero_i(), a2 = S::zero_i(), a3 = S::zero_i(), a4 = S::zero_i(),
                 a5 = S::zero_i(), a6 = S::zero_i(), a7 = S::zero_i();
  for (int64_t i = 0; i < body; i += 8 * kV) {
    a0 = S::xor_i(a0, S::load_i(p + i)); a1 = S::xor_i(a1, S::load_i(p + i + kV));
    a2 = S::xor_i(a2, S::load_i(p + i + 2 * kV)); a3 = S::xor_i(a3, S::load_i(p + i + 3 * kV));
    a4 = S::xor_i(a4, S::load_i(p + i + 4 * kV)); a5 = S::xor_i(a5, S::load_i(p + i + 5 * kV));
    a6 = S::xor_i(a6, S::load_i(p + i + 6 * kV)); a7 = S::xor_i(a7, S::load_i(p + i + 7 * kV));
  }
  int64_t tail = 0;
  for (int64_t i = body; i < bytes; ++i) tail ^= p[i];
  alignas(64) int32_t out[sizeof(typename S::vi) / 4];
  int32_t sum = 0;
  for (const auto& a : {a0, a1, a2, a3, a4, a5, a6, a7}) { S::store_i(out, a); sum ^= out[0]; }
  return sum ^ tail;
}

}  // namespace
}  // namespace xeon
