// The avx512_emulated and avx512_bf16_emulated paths: the avx512 and avx512_bf16 paths' micro-kernel source
// and blocking on the portable 16-lane model of the AVX-512 instructions (simd_emulated.h, vdpbf16ps
// included), so machines without AVX-512 or AVX512_BF16 run and test the same kernel, blocking and epilogue
// code.
#include "kernels/kernel_prelude.h"

// Compiled for AVX2 + FMA so the 16-lane model vectorizes and std::fma is one
// instruction (paths.cpp offers this path only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/simd_emulated.h"
#include "kernels/avx512_bf16_path.h"

namespace xeon {
const KernelTable kAvx512EmulatedKernels = Avx512PathKernels<simd_emulated::Simd>::table(nullptr, nullptr);
const KernelTable kAvx512Bf16EmulatedKernels = Avx512Bf16PathKernels<simd_emulated::Simd>::table(nullptr, nullptr);
}  // namespace xeon
#pragma GCC pop_options
