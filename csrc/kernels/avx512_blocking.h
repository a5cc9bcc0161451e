// Block sizes the AVX-512 vector kernels share on every path that runs them (avx512, avx512_bf16, amx below its
// tile threshold, and the emulated forms, which mirror them).
#pragma once
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {

// A16W4's fp32-FMA kernel (int4_microkernel.h a16w4_fma_tile): 8 rows x one 32-channel block = 16 accumulators
// + 2 dequantized weight vectors + 4 scale / zero vectors + 1 broadcast = 23 of the 32 vector registers; each k
// row's dequantization (nibble unpack, 4 conversions, 2 FMAs) now serves 8 rows instead of 4. Measured on AMD
// EPYC Zen 4 (2 threads, K = N = 4096, group 128, fp32 activations, 3 interleaved rounds, 2026-11-29; the
// int4 kernels at 8 rows on one path against 4 on another): A16W4 M = 16 / 128 / 1024 in 3.55 / 25.8 / 219 ms
// against 4.49 / 33.0 / 292 ms at 4 rows. DA8W4's VNNI kernel at 8 rows was slower (M = 128 / 1024: 6.50 /
// 50.9 ms against 5.97 / 48.9 ms) and keeps the vector blocking of its path.
constexpr Blocking kAvx512A16w4FmaBlocking{.rows = 8, .col_blocks = 1, .task_rows = 256, .panel_bytes = 0};

}  // namespace
}  // namespace xeon
