// The amx path: AMX int8 tiles (DA8W8, DA8W4) and AMX-BF16 tiles (A16W8, A16W4 with
// bf16 activations) for M >= kAmxMinRows; the AVX-512 VNNI / fp32-FMA kernels below
// that (a tile holds 16 rows: at a few rows most of each tile op is wasted while
// the vector kernels stream the weight just as fast) and for fp32 / fp16 activations.
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,amx-tile,amx-int8,amx-bf16")
#include "kernels/amx_tiles_hw.h"
#include "kernels/simd_avx512.h"
#include "kernels/kernel_policies.h"
#include "kernels/peak_probes.h"

namespace xeon {
namespace {
using Vnni = VnniPolicy<simd_avx512::Simd>;
using Amx = AmxPolicy<amx_hw::Tiles>;

// First choice, not yet measured on an AMX machine: below 8 rows half of every
// 16-row A tile is padding. Revisit with benchmarks/bench_linear.py there.
constexpr int64_t kAmxMinRows = 8;

using AmxInt4 = AmxInt4Policy<amx_hw::Tiles, simd_avx512::Simd>;
using AmxBf16 = AmxBf16Policy<amx_hw::Tiles, simd_avx512::Simd>;
using Int4 = VnniInt4Policy<simd_avx512::Simd>;

void amx_int8_gemm(const Int8GemmArgs& g) {
  if (g.M >= kAmxMinRows) int8_gemm<Amx>(g);
  else int8_gemm<Vnni>(g);
}
void amx_da8w4_gemm(const Da8w4GemmArgs& g) {
  if (g.M >= kAmxMinRows) da8w4_gemm<AmxInt4>(g);
  else da8w4_gemm<Int4>(g);
}
// The op hands bf16 rows (x_bf16) for M >= kAmxMinRows and K a multiple of 32; fp32 / fp16
// activations keep the fp32-FMA kernel (rounding them to bf16 would lose precision).
void amx_a16w8_gemm(const A16W8GemmArgs& g) {
  if (g.x_bf16) a16w8_gemm<AmxBf16>(g);
  else a16w8_gemm<Vnni>(g);
}
void amx_a16w4_gemm(const A16w4GemmArgs& g) {
  if (g.x_bf16) a16w4_gemm<AmxBf16>(g);
  else a16w4_gemm<Int4>(g);
}
}  // namespace
const KernelTable kAmxKernels = {"amx",           &amx_int8_gemm,  &amx_a16w8_gemm,
                                 &amx_da8w4_gemm, &amx_a16w4_gemm, kAmxMinRows, &amx_peak_loop<amx_hw::Tiles>};
}  // namespace xeon
#pragma GCC pop_options
