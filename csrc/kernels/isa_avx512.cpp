// The avx512 path: VNNI int8 and fp32-FMA micro-kernels on AVX-512.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#include "kernels/simd_avx512.h"
#include "kernels/kernel_policies.h"
#include "kernels/peak_probes.h"

namespace xeon {
namespace {
using Vnni = VnniPolicy<simd_avx512::Simd>;
using Int4 = VnniInt4Policy<simd_avx512::Simd>;
}  // namespace
const KernelTable kAvx512Kernels = {"avx512",          &int8_gemm<Vnni>,  &a16w8_gemm<Vnni>,
                                   &da8w4_gemm<Int4>, &a16w4_gemm<Int4>, -1, &vnni_peak_loop<simd_avx512::Simd>};
}  // namespace xeon
#pragma GCC pop_options
