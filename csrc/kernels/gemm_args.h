// What the op layer hands to a GEMM driver, and the per-ISA table of drivers.
#pragma once
#include <cstdint>
#include "common/float_types.h"

namespace xeon {

// Epilogue inputs common to every scheme: y[m, n] = f(acc[m, n]) + bias[n], cast to out_dtype.
struct OutputArgs {
  void* out;              // [M, N] row-major, out_dtype
  ScalarType out_dtype;   // Float, BFloat16 or Half
  const float* bias;      // [N] fp32, or nullptr
};

// DA8W8: y = (acc_u8 - a_comp[m] * w_sum[n]) * a_scale[m] * w_scale[n] + bias[n],
// acc_u8 = sum_k a_u8[m, k] * w[n, k] over the packed K.
struct Int8GemmArgs {
  int64_t M, N, Kpad;
  const uint8_t* a;        // [M, Kpad] activation codes shifted to u8
  const int8_t* w;         // Layout::kInt8Vnni4
  const int32_t* w_sum;    // [Npad] sum_k w[n, k]
  const float* w_scale;    // [N]
  const float* a_scale;    // [M]
  const int32_t* a_comp;   // [M] the u8 value that means 0 (128 + zero point)
  OutputArgs o;
};

// A16W8: y = (sum_k x[m, k] * w[n, k]) * w_scale[n] + bias[n], fp32 accumulation
// by fused multiply-add in k order.
struct A16W8GemmArgs {
  int64_t M, N, K;
  const float* x;          // [M, K] fp32
  const int8_t* w;         // Layout::kInt8KMajor
  const float* w_scale;    // [N]
  OutputArgs o;
  // [M, K] the bf16 input itself when the op chose the AMX-BF16 kernels (then x is null), else null.
  const BFloat16* x_bf16;
  uint64_t call_id;        // unique per call: keys per-thread caches of converted weights
};

// DA8W4, with per group g of `group` k the exact integer sums acc_g = sum a_u8 w and a_sum:
// f = fma-chain over g of (float(acc_g) * s - a_sum * (s * zw)), s3 = fma-chain of s * w_comp,
// y = (f - a_comp[m] * s3) * a_scale[m] + bias[n]   (s = w_scale[n,g], zw = w_zero[n,g]);
// this equals a_scale * sum_g s sum_k (a_u8 - a_comp)(w - zw) + bias (int4_microkernel.h).
struct Da8w4GemmArgs {
  int64_t M, N, K, group;
  const uint8_t* a;        // [M, K] activation codes shifted to u8
  const int32_t* a_sum;    // [M, K / group] sum of the u8 codes per group
  const float* a_scale;    // [M]
  const int32_t* a_comp;   // [M] the u8 value that means 0
  const uint8_t* w;        // Layout::kInt4Vnni4
  const float* w_scale;    // [Npad/32][G][32]
  const int8_t* w_zero;    // [Npad/32][G][32] integer zero points in [0, 15]
  const int32_t* w_comp;   // [Npad/32][G][32] sum over the group of (w - zw)
  uint64_t call_id;        // unique per call: keys per-thread caches of unpacked weights
  OutputArgs o;
};

// A16W4: w = fma(q - 8, scale, zero) (torchao's float-domain zero point), y = fma-chain over k of
// x[m,k] * w[n,k], + bias[n].
struct A16w4GemmArgs {
  int64_t M, N, K, group;
  const float* x;          // [M, K] fp32
  const uint8_t* w;        // Layout::kInt4KMajor
  const float* w_scale;    // [Npad/32][G][32]
  const float* w_zero;     // [Npad/32][G][32]
  OutputArgs o;
  // [M, K] the bf16 input itself when the op chose the AMX-BF16 kernels (then x is null), else null.
  const BFloat16* x_bf16;
  uint64_t call_id;        // unique per call: keys per-thread caches of dequantized weights
};

struct KernelTable {
  const char* name;
  void (*int8_gemm)(const Int8GemmArgs&);
  void (*a16w8_gemm)(const A16W8GemmArgs&);
  void (*da8w4_gemm)(const Da8w4GemmArgs&);
  void (*a16w4_gemm)(const A16w4GemmArgs&);
  // A16W8 / A16W4 with bf16 activations run on AMX-BF16 tiles from this many rows
  // on (and K a multiple of 32); -1: the path has no bf16 tile kernels.
  int64_t bf16_tile_min_rows;
  // Ceiling probe of the path's int8 instruction (benchmarks): runs `iters` loop
  // iterations on the calling thread and returns the int8 ops done; null where
  // the path has no hardware instruction to measure (ref, emulated).
  int64_t (*int8_peak_loop)(int64_t iters);
};

// One table per compiled path (each defined in its own translation unit).
extern const KernelTable kRefKernels;
extern const KernelTable kAvx512Kernels;
extern const KernelTable kAvx512EmulatedKernels;
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAmxKernels;
extern const KernelTable kAmxEmulatedKernels;

}  // namespace xeon
