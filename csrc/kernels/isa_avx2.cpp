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
// The avx512 path's blocking (a 16-lane vector is two ymm halves here, so the 4 x 4 block's accumulators
// alone fill AVX2's 16 registers twice: a smaller block is worth measuring on this path).
constexpr Blocking kBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};
}  // namespace
// No int8 peak probe: AVX2 has no int8 dot-product instruction (dpbusd is emulated by vpmaddwd + adds).
const KernelTable kAvx2Kernels = VectorPathKernels<S, kBlocking>::table(nullptr, &stream_read_loop<S>);
}  // namespace xeon
#pragma GCC pop_options
