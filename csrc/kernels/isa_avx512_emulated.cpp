// The avx512_emulated path: the avx512 micro-kernel source on the portable
// 16-lane backend (simd_emulated.h), compiled for baseline x86-64, so machines
// without AVX-512 run and test the same kernel, blocking and epilogue code.
#include "kernels/kernel_prelude.h"
#include "kernels/simd_emulated.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {
using Vnni = VnniPolicy<simd_emulated::Simd>;
}  // namespace
const KernelTable kAvx512EmulatedKernels = {"avx512_emulated", &int8_gemm<Vnni>, &a16w8_gemm<Vnni>};
}  // namespace xeon
