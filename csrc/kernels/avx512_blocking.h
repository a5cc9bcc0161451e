// Block sizes and thresholds the AVX-512 vector kernels share on every path that runs them (avx512, avx512_bf16,
// amx below its tile threshold, and the emulated forms, which mirror them), and the avx512 path's definition.
#pragma once
#include "kernels/kernel_policies.h"
#include "kernels/path_kernels.h"

namespace xeon {
namespace {

// A16W4's fp32-FMA kernel (int4_microkernel.h a16w4_fma_tile): 8 rows x one 32-channel block = 16 accumulators
// + 2 dequantized weight vectors + 4 scale / zero vectors + 1 broadcast = 23 of the 32 vector registers; each k
// row's dequantization (nibble unpack, table lookups to q - 8, 2 FMAs) serves 8 rows instead of 4. Measured on
// AMD EPYC Zen 4 (2 threads, K = N = 4096, group 128, fp32 activations, 3 interleaved rounds, 2026-11-29; the
// int4 kernels at 8 rows on one path against 4 on another): A16W4 M = 16 / 128 / 1024 in 3.55 / 25.8 / 219 ms
// against 4.49 / 33.0 / 292 ms at 4 rows. DA8W4's VNNI kernel at 8 rows was slower (M = 128 / 1024: 6.50 /
// 50.9 ms against 5.97 / 48.9 ms) and keeps the vector blocking of its path.
constexpr Blocking kAvx512A16w4FmaBlocking{.rows = 8, .col_blocks = 1, .task_rows = 256, .panel_bytes = 0};

// The VNNI / FMA kernels: 4 rows x 4 blocks, 16 accumulators + 4 weight vectors + 1 broadcast = 21 of the 32
// vector registers. Tasks of 256 rows: the weight panel of a task is reused from cache across its M-blocks.
// DA8W8 / DA8W4 prefetch the next panel during a task's passes (gemm_driver.h): measured on AMD EPYC Zen 4
// (2 threads, cold weights, in-process A/B, 2026-11-30), DA8W4 1.16-1.33x at M = 8 and 1.04-1.27x at M = 16,
// DA8W8 1.12-1.20x at M = 16 for K = N = 4096, level at M >= 128 and where K = 14336 (benchmarks/RESULTS.md).
constexpr Blocking kAvx512VectorBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0,
                                         .prefetch_next_panel = true};

// A16W4's int4 decode kernel (int4_decode.h) on every AVX-512 path: 4 rows x two 32-channel blocks, so that each
// broadcast of x serves 4 weight vectors: 16 accumulators (at 2 rows: 8 vectors x 2 chains) + 4 weight vectors
// + 1 broadcast + the code table. Measured on AMD EPYC Zen 4 (2 threads, K = N = 4096, group 128, weights hot, the
// same binary with one block against two in alternating processes, 2026-11-29), against aten's int4 kernel in
// the same process: avx512 path M = 1 / 2 / 4: 1.14-1.17x / 1.01-1.04x / 0.89-0.91x with one block,
// 1.26-1.29x / 1.17-1.19x / 1.07-1.10x with two; avx512_bf16 path level (within 5%).
constexpr Blocking kAvx512DecodeBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};

// Rows below which A16W4 with bf16 activations runs the fp32 decode kernel (Fp32Dot) on the avx512 path rather
// than the fp32-FMA kernel (8 rows per call): every M. Measured on AMD EPYC Zen 4 with the avx512 path forced
// (2 threads, K = N = 4096, group 128, two blocks, 5 interleaved rounds in one process, 2026-11-29), decode /
// FMA kernel time ratio inverted: M = 5: 1.09x, 6: 1.04x, 8: 1.05x, 12: 1.14x, 16: 1.09x, 32: 1.07x, 64: 1.09x,
// 128: 1.10x, 512: 1.09x, 1024: 1.00x (weights 16 / 4 / 2 copies: cold up to M = 32). With one block (before)
// the FMA kernel won from M = 5 on. Not measured on an Ice Lake, whose two FMA ports and single shuffle port
// weigh the decode kernel's table lookups differently.
constexpr int64_t kAvx512DecodeRows = std::numeric_limits<int64_t>::max();

// The avx512 path (isa_avx512.cpp) and avx512_emulated (isa_avx512_emulated.cpp) on SIMD backend S.
template <class S>
using Avx512PathKernels =
    VectorPathKernels<S, kAvx512VectorBlocking, kAvx512A16w4FmaBlocking, kAvx512DecodeBlocking, kAvx512DecodeRows>;

}  // namespace
}  // namespace xeon
