// The avx512_emulated path: the avx512 path's micro-kernel source and blocking on the portable 16-lane
// model of the AVX-512 instructions (simd_emulated.h), so machines without AVX-512 run and test the same
// kernel, blocking and epilogue code.
#include "kernels/kernel_prelude.h"

// Compiled for AVX2 + FMA so the 16-lane model vectorizes and std::fma is one
// instruction (paths.cpp offers this path only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/simd_emulated.h"
#include "kernels/path_kernels.h"

namespace xeon {
namespace {
using S = simd_emulated::Simd;
constexpr Blocking kBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};  // as avx512
}  // namespace
const KernelTable kAvx512EmulatedKernels = VectorPathKernels<S, kBlocking>::table(nullptr);
}  // namespace xeon
#pragma GCC pop_options
