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
constexpr Blocking kAvx512VectorBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = 0};

// Rows below which A16W4 with bf16 activations runs the fp32 decode kernel (int4_decode.h Fp32Dot, 4 rows per
// call) on the avx512 and amx paths rather than the fp32-FMA kernel (8 rows per call). Measured on AMD EPYC
// Zen 4 with the avx512 path forced (2 threads, K = N = 4096, group 128, cold weights, 7 interleaved rounds
// in one process, 2026-11-29), decode / FMA kernel: M = 1: 1.34x, 2: 1.29x, 4: 1.18x, 5: 0.98x, 6: 0.98x,
// 7: 0.94x.
constexpr int64_t kAvx512DecodeRows = 5;

// The avx512 path (isa_avx512.cpp) and avx512_emulated (isa_avx512_emulated.cpp) on SIMD backend S.
template <class S>
using Avx512PathKernels = VectorPathKernels<S, kAvx512VectorBlocking, kAvx512A16w4FmaBlocking, kAvx512DecodeRows>;

}  // namespace
}  // namespace xeon
