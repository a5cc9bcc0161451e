// The avx512 path: VNNI int8 / int4 (vpdpbusd) and fp32-FMA micro-kernels on AVX-512.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#include "kernels/simd_avx512.h"
#include "kernels/avx512_blocking.h"
#include "kernels/peak_probes.h"
#include "kernels/read_probe.h"

namespace xeon {
namespace {
using S = simd_avx512::Simd;
}  // namespace
const KernelTable kAvx512Kernels = Avx512PathKernels<S>::table(&vnni_peak_loop<S>, &stream_read_loop<S>);
}  // namespace xeon
#pragma GCC pop_options
