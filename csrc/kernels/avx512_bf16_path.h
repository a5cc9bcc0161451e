// The avx512_bf16 path's policies, block sizes and M-dispatch, on any SIMD backend S with dpbf16: the
// avx512_bf16 path (isa_avx512_bf16.cpp, AVX512_BF16 hardware) and avx512_bf16_emulated
// (isa_avx512_emulated.cpp, the portable model) build their tables from this one definition.
#pragma once
#include "kernels/avx512_blocking.h"
#include "kernels/path_kernels.h"

namespace xeon {
namespace {

// vdpbf16ps: 8 rows x 2 blocks = 16 accumulators + 2 weight vectors + 1 broadcast of AVX-512's 32 registers;
// a task panel's bf16 weights take half of a 1 MiB L2 (Zen 4 / Zen 5; Ice Lake has 1.25 MiB).
constexpr Blocking kAvx512Bf16DotBlocking{.rows = 8, .col_blocks = 2, .task_rows = 256,
                                          .panel_bytes = int64_t{1} << 19};
// Rows from which bf16 activations take vdpbf16ps: below it the per-call conversion of the weights to bf16
// costs more than it saves. Measured on AMD EPYC Zen 5 (2 threads, K = N = 4096, 2026-11-29), fp32-FMA vs
// vdpbf16ps in ms: A16W8 M = 4: 0.72 vs 1.08, M = 8: 1.44 vs 1.38, M = 128: 20.9 vs 10.4; A16W4 M = 4: 1.05
// vs 1.30, M = 8: 2.05 vs 1.57, M = 128: 32.4 vs 10.6.
constexpr int64_t kAvx512Bf16MinRows = 8;

template <class S>
using Avx512Bf16PathKernels =
    PathKernels<VnniPolicy<S, kAvx512VectorBlocking>, VnniInt4Policy<S, kAvx512VectorBlocking, kAvx512A16w4FmaBlocking>,
                void, void, Bf16DotPolicy<S, kAvx512Bf16DotBlocking>, -1, kAvx512Bf16MinRows,
                Int4DecodePolicy<S, kAvx512VectorBlocking, Bf16PairDot, kAvx512Bf16MinRows>>;

}  // namespace
}  // namespace xeon
