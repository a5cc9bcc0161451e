// Ceiling probes for the benchmarks, run on all of torch's threads: the selected
// path's int8 instruction peak and the streaming read bandwidth.
#include <atomic>
#include <chrono>
#include <cstring>

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/util/Exception.h>

#include "ops/paths.h"

namespace xeon {
namespace {

using torch::stable::Tensor;
using Clock = std::chrono::steady_clock;

Tensor result(double amount, double seconds) {
  Tensor t = torch::stable::empty({2}, ScalarType::Double, std::nullopt,
                                  torch::stable::Device(torch::headeronly::DeviceType::CPU));
  double* p = static_cast<double*>(t.data_ptr());
  p[0] = amount;
  p[1] = seconds;
  return t;
}

// Bounds that keep a probe call within seconds: an AMX probe iteration (4 TDPBUSD) takes about 64 cycles,
// so 2^28 of them take under 10 s at 2 GHz; a read pass of the largest buffer a benchmark uses (a few GiB)
// takes under a second, so 1000 passes at most some minutes.
constexpr int64_t kMaxPeakIters = int64_t{1} << 28;
constexpr int64_t kMaxReadPasses = 1000;

// [int8 ops done, seconds] for iters loop iterations on each of torch's threads.
Tensor probe_int8_peak(int64_t path, int64_t iters) {
  const PathEntry& entry = path_for(path);
  const KernelTable& kt = *entry.kernels;
  STD_TORCH_CHECK(kt.int8_peak_loop != nullptr, "path: the ", entry.name,
                  " path has no hardware int8 dot-product instruction to measure");
  STD_TORCH_CHECK(iters >= 1 && iters <= kMaxPeakIters, "iters: expected 1 <= iters <= ", kMaxPeakIters,
                  " (seconds of work on the slowest probe), got ", iters);
  const int64_t threads = torch::stable::get_num_threads();
  std::atomic<int64_t> ops{0};
  const auto t0 = Clock::now();
  torch::stable::parallel_for(0, threads, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ops += kt.int8_peak_loop(iters);
  });
  return result(double(ops.load()), std::chrono::duration<double>(Clock::now() - t0).count());
}

// The read loop of the paths without SIMD loads of their own: 8 independent xor chains of 8-byte loads, one
// stream whatever `streams` asks.
int64_t scalar_read_loop(const uint8_t* bytes, int64_t n, int64_t /*streams*/) {
  const int64_t* p = reinterpret_cast<const int64_t*>(bytes);
  const int64_t words = n / 8;
  int64_t acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= words; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] ^= p[i + j];
  for (; i < words; ++i) acc[0] ^= p[i];
  int64_t s = 0;
  for (int64_t v : acc) s ^= v;
  return s;
}

// [bytes read, seconds] for `passes` reads of buf split across torch's threads, each thread reading its
// share with the automatically selected path's widest loads as `streams` side-by-side streams (read_probe.h).
Tensor probe_read_bandwidth(const Tensor& buf, int64_t passes, int64_t streams) {
  STD_TORCH_CHECK(buf.defined() && buf.is_cpu() && buf.is_contiguous() && buf.scalar_type() == ScalarType::Long,
                  "buf: expected a contiguous int64 CPU tensor");
  STD_TORCH_CHECK(passes >= 1 && passes <= kMaxReadPasses, "passes: expected 1 <= passes <= ", kMaxReadPasses,
                  ", got ", passes);
  STD_TORCH_CHECK(streams == 1 || streams == 2 || streams == 4 || streams == 8,
                  "streams: expected 1, 2, 4 or 8 streams per thread, got ", streams);
  const KernelTable& kt = *path_for(kAutoPath).kernels;
  const auto read = kt.read_loop != nullptr ? kt.read_loop : &scalar_read_loop;
  const int64_t n = buf.numel() * 8;
  const uint8_t* p = static_cast<const uint8_t*>(buf.data_ptr());
  const int64_t threads = torch::stable::get_num_threads();
  std::atomic<int64_t> sink{0};
  const auto t0 = Clock::now();
  for (int64_t pass = 0; pass < passes; ++pass) {
    torch::stable::parallel_for(0, threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        // shares of whole cache lines
        const int64_t lo = n / 64 * t / threads * 64, hi = t + 1 == threads ? n : n / 64 * (t + 1) / threads * 64;
        sink ^= read(p + lo, hi - lo, streams);
      }
    });
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  return result(double(n) * passes + double(sink.load() & 0), secs);
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) { m.impl("probe_read_bandwidth", TORCH_BOX(&xeon::probe_read_bandwidth)); }

STABLE_TORCH_LIBRARY_IMPL(xeon, CompositeExplicitAutograd, m) {
  m.impl("probe_int8_peak", TORCH_BOX(&xeon::probe_int8_peak));
}
