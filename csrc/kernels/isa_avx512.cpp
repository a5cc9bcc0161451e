// The avx512 path: VNNI int8 / int4 (vpdpbusd) and fp32-FMA micro-kernels on AVX-512.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#include "kernels/simd_avx512.h"
#include "kernels/avx512_blocking.h"
#include "kernels/path_kernels.h"
#include "kernels/peak_probes.h"
#include "kernels/read_probe.h"

namespace xeon {
namespace {
using S = simd_avx512::Simd;
// 4 rows x 4 blocks: 16 accumulators + 4 weight vectors + 1 broadcast = 21 of the 32 vector registers.
// Tasks of 256 rows: the weight panel of a task is reused from cache across its M-blocks.
constexpr Blocking kBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};
}  // namespace
const KernelTable kAvx512Kernels = VectorPathKernels<S, kBlocking, kAvx512A16w4FmaBlocking>::table(&vnni_peak_loop<S>, &stream_read_loop<S>);
}  // namespace xeon
#pragma GCC pop_options
