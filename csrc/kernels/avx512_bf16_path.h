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
// Rows from which bf16 activations take vdpbf16ps (A16W4: from kAvx512Bf16DecodeRows, below): below it the
// per-call conversion of the weights to bf16 costs more than it saves. Measured on AMD EPYC Zen 5 (2 threads,
// K = N = 4096, 2026-11-29), fp32-FMA vs vdpbf16ps in ms: A16W8 M = 4: 0.72 vs 1.08, M = 8: 1.44 vs 1.38,
// M = 128: 20.9 vs 10.4; A16W4 M = 4: 1.05 vs 1.30, M = 8: 2.05 vs 1.57, M = 128: 32.4 vs 10.6.
constexpr int64_t kAvx512Bf16MinRows = 8;
// Rows below which A16W4 with bf16 activations runs the vdpbf16ps decode kernel (int4_decode.h Bf16PairDot: no
// conversion of the weights to bf16) rather than the vdpbf16ps panel kernel. Measured on AMD EPYC Zen 4 (2
// threads, K = N = 4096, group 128, 5 interleaved rounds in one process, 2026-11-29), panel / decode time:
// M = 8: 1.67-2.12x, 12: 1.72x, 16: 1.28-1.51x, 24: 1.15-1.28x, 32: 1.07-1.19x, 40: 1.02x, 48: 0.98x, 64:
// 0.96-1.01x, 128: 0.98x (hot weights, and cold up to M = 64 where two values are given).
constexpr int64_t kAvx512Bf16DecodeRows = 40;

template <class S>
using Avx512Bf16PathKernels =
    PathKernels<VnniPolicy<S, kAvx512VectorBlocking>, VnniInt4Policy<S, kAvx512VectorBlocking, kAvx512A16w4FmaBlocking>,
                void, void, Bf16DotPolicy<S, kAvx512Bf16DotBlocking>, -1, kAvx512Bf16MinRows,
                Int4DecodePolicy<S, kAvx512DecodeBlocking, Bf16PairDot, kAvx512Bf16DecodeRows>,
                Int4DecodeF16Policy<S, kAvx512DecodeBlocking>>;

}  // namespace
}  // namespace xeon
