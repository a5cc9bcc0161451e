// The amx_emulated path: the AMX micro-kernel source compiled against the
// software tile model (amx_tiles_emulated.h) for every M (int8 tiles for DA8W8 and
// DA8W4, bf16 tiles for A16W8 / A16W4 with bf16 activations), so CI machines without
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
using AmxBf16 = AmxBf16Policy<amx_emulated::Tiles, simd_emulated::Simd>;

void a16w8(const A16W8GemmArgs& g) {
  if (g.x_bf16) a16w8_gemm<AmxBf16>(g);
  else a16w8_gemm<Vnni>(g);
}
void a16w4(const A16w4GemmArgs& g) {
  if (g.x_bf16) a16w4_gemm<AmxBf16>(g);
  else a16w4_gemm<Int4>(g);
}
}  // namespace
const KernelTable kAmxEmulatedKernels = {"amx_emulated", &int8_gemm<Amx>, &a16w8, &da8w4_gemm<AmxInt4>, &a16w4,
                                        0 /* bf16 tiles for every M */, nullptr};
}  // namespace xeon
#pragma GCC pop_options
