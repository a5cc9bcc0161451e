// The avx2 path: the VNNI int8 / int4 and fp32-FMA micro-kernel source on AVX2 + FMA
// (simd_avx2.h), for x86-64 CPUs without AVX-512.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/simd_avx2.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {
using Vnni = VnniPolicy<simd_avx2::Simd>;
using Int4 = VnniInt4Policy<simd_avx2::Simd>;
}  // namespace
const KernelTable kAvx2Kernels = {"avx2", &int8_gemm<Vnni>, &a16w8_gemm<Vnni>, &da8w4_gemm<Int4>, &a16w4_gemm<Int4>,
                                  -1, nullptr};
}  // namespace xeon
#pragma GCC pop_options
