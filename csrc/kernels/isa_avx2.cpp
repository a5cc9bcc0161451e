// The avx2 path: the VNNI int8 / int4 and fp32-FMA micro-kernel source on AVX2 + FMA
// (simd_avx2.h), for x86-64 CPUs without AVX-512.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/simd_avx2.h"
#include "kernels/path_kernels.h"
#include "kernels/read_probe.h"

namespace xeon {
namespace {
using S = simd_avx2::Simd;
// AVX2's own choice, measured: 4 rows x 4 blocks of 16 columns, as on avx512, although its 16 accumulator
// vectors take 32 ymm (the compiler keeps part of them in L1). Register-fitting shapes were not faster: through
// the avx2 path on Zen 4 (2 threads, 4096 x 4096, M = 128 / 1024, two interleaved rounds each,
// benchmarks/RESULTS.md "AVX2 register blocking"), 3 x 2 (12 ymm) ran DA8W8 at 65-93 GOPS against 4 x 4's
// 119-131; 4 x 2 was level on A16W8 and the int4 schemes and behind on DA8W8. AVX2 has no int8 dot product:
// each emulated vpdpbusd is three instructions on the accumulator, so the loop is bound by arithmetic, not by
// the spills. No prefetch of the next panel (kernel_policies.h): bound by arithmetic, it waits for no memory;
// through this path on Zen 4 (cold weights, in-process A/B, 2026-11-30) DA8W4 at M = 8 / 16 / 32 ran 0.98-0.99x
// with it, DA8W8 level within the noise.
constexpr Blocking kBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};
// Rows below which A16W4 with bf16 activations runs the fp32 decode kernel (int4_decode.h Fp32Dot, the codes as
// exact q - 8 from pshufb's int8 table) rather than the fp32-FMA kernel: every M. Measured through this path
// on AMD EPYC Zen 4 (2 threads, K = N = 4096, group 128, 2026-11-29), decode / FMA kernel time inverted: cold
// weights, 7 interleaved rounds in one process: M = 1: 1.13x, 2: 1.16-1.19x, 4: 1.08x, 5: 1.01x; the same
// binary with the threshold switched at run time, 5 interleaved rounds (seventh session, hot or cold as
// given): M = 5 0.96-1.10x cold, 1.12-1.23x hot; 6 1.09x cold, 1.44x hot; 8 1.07-1.08x cold, 1.24x hot; 16
// 1.21x, 32 1.24x, 128 1.08x, 1024 1.02x hot. Both stay far below the memory's rate here (M = 1: 15-17 GB/s
// against a 47 GB/s probe): each 16-byte k row of codes takes about 15 instructions to unpack and convert to
// fp32, besides its 4 FMAs per row of x. Not measured on a CPU without AVX-512 (Zen 3).
constexpr int64_t kAvx2DecodeRows = std::numeric_limits<int64_t>::max();
// The decode kernel over one 32-channel block per call: two blocks (the AVX-512 paths' blocking) need 32 ymm
// accumulators at 4 rows and were slower through this path on Zen 4 (same harness as kAvx512DecodeBlocking):
// M = 1 / 2 / 4 in 0.49-0.62 / 0.69-0.81 / 1.26-1.31 ms against 0.47-0.49 / 0.64-0.65 / 1.10-1.15 ms.
constexpr Blocking kDecodeBlocking{.rows = 4, .col_blocks = 2, .task_rows = 256, .panel_bytes = 0};
}  // namespace
// No int8 peak probe: AVX2 has no int8 dot-product instruction (dpbusd is emulated by vpmaddwd + adds).
const KernelTable kAvx2Kernels =
    VectorPathKernels<S, kBlocking, kBlocking, kDecodeBlocking, kAvx2DecodeRows>::table(nullptr, &stream_read_loop<S>);
}  // namespace xeon
#pragma GCC pop_options
