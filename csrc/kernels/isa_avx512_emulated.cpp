// The avx512_emulated path: the avx512 micro-kernel source on the portable
// 16-lane backend (simd_emulated.h), compiled for baseline x86-64, so machines
// without AVX-512 run and test the same kernel, blocking and epilogue code.
#include "kernels/kernel_prelude.h"

// Compiled for AVX2 + FMA so the 16-lane model vectorizes and std::fma is one
// instruction (paths.cpp offers these paths only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/simd_emulated.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {
using Vnni = VnniPolicy<simd_emulated::Simd>;
using Int4 = VnniInt4Policy<simd_emulated::Simd>;
}  // namespace
const KernelTable kAvx512EmulatedKernels = {"avx512_emulated", &int8_gemm<Vnni>,  &a16w8_gemm<Vnni>,
                                           &da8w4_gemm<Int4>, &a16w4_gemm<Int4>, -1, nullptr};
}  // namespace xeon
#pragma GCC pop_options
