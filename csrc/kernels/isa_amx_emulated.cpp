// The amx_emulated path: the AMX micro-kernel source compiled against the
// software tile model (amx_tiles_emulated.h) for every M, so CI machines without
// AMX run the real AMX packing, blocking and tile code. Slow by design.
#include "kernels/kernel_prelude.h"

// Compiled for AVX2 + FMA so the 16-lane model vectorizes and std::fma is one
// instruction (paths.cpp offers these paths only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/amx_tiles_emulated.h"
#include "kernels/simd_emulated.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {
using Amx = AmxPolicy<amx_emulated::Tiles>;
using Vnni = VnniPolicy<simd_emulated::Simd>;
using AmxInt4 = AmxInt4Policy<amx_emulated::Tiles, simd_emulated::Simd>;
using Int4 = VnniInt4Policy<simd_emulated::Simd>;
}  // namespace
const KernelTable kAmxEmulatedKernels = {"amx_emulated",       &int8_gemm<Amx>,   &a16w8_gemm<Vnni>,
                                        &da8w4_gemm<AmxInt4>, &a16w4_gemm<Int4>, nullptr};
}  // namespace xeon
#pragma GCC pop_options
