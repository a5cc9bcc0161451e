// What the op layer hands to a path's GEMM entry points, one argument struct per scheme, and the
// table of entry points each path defines (isa_*.cpp).
#pragma once
#include <cstdint>
#include "common/float_types.h"
#include "quant/act_quant.h"

namespace xeon {

// Epilogue inputs common to every scheme: y[m, n] = f(acc[m, n]) + bias[n], cast to out_dtype.
struct OutputArgs {
  void* out;             // [M, N] row-major, out_dtype
  ScalarType out_dtype;  // Float, BFloat16 or Half
  const float* bias;     // [N] fp32, or nullptr
};

// Per-token quantized activations as the int8 kernels read them: u8 codes, u8 = code + offset (128 for
// int8 ranges), so that vpdpbusd / tdpbusd (u8 x s8) apply; `zero_u8` is the u8 value that means 0
// (the zero point + offset), which the epilogue removes with the weight's sums.
struct U8Activations {
  const uint8_t* codes;   // [M, ld] u8, zero past K
  int64_t ld;             // row stride in bytes: >= Kpad (DA8W8), >= K (DA8W4); common/row_stride.h
  const float* scale;     // [M]
  const int32_t* zero_u8; // [M]
};

// DA8W8: y = (acc - zero_u8[m] * w_sum[n]) * a.scale[m] * w_scale[n] + bias[n],
// acc = sum_k a_u8[m, k] * w[n, k] over the packed K (exact in int32: kMaxKInt8).
struct Da8w8Args {
  int64_t M, N, Kpad;
  U8Activations a;
  const int8_t* w;       // codes, layouts.h da8w8
  const int32_t* w_sum;  // [Npad] sum_k w[n, k]
  const float* w_scale;  // [N]
  OutputArgs o;
};

// The float activations of an A16 scheme: x as given (fp32, bf16 or fp16). A path's A16 entry point
// decides how its kernels read them and sets exactly one of f32 (fp32 rows: x itself or a converted
// copy) and bf16 (bf16 rows: x itself, or for AMX-BF16 tiles a copy at a set-spreading stride).
struct A16Activations {
  const void* x;         // [M, K]
  ScalarType dtype;
  const float* f32 = nullptr;     // [M, K]
  const BFloat16* bf16 = nullptr; // [M, bf16_ld]
  int64_t bf16_ld = 0;
  const float* group_sums = nullptr;  // [M, K / group]: sum of each row's x over each int4 group (A16W4 decode)
};

// A16W8: y = (sum_k x[m, k] * w[n, k]) * w_scale[n] + bias[n]; the vector kernels accumulate in fp32 by
// fused multiply-add in k order.
struct A16w8Args {
  int64_t M, N, K;
  A16Activations x;
  const int8_t* w;       // codes, layouts.h a16w8
  const float* w_scale;  // [N]
  OutputArgs o;
  uint64_t call_id;      // unique per call: keys per-thread caches of converted weights
};

// DA8W4, with per group g of `group` k the exact integer sums acc_g = sum a_u8 w and a_sum_g = sum a_u8:
// f = fma-chain over g of (float(acc_g) * s - a_sum_g * (s * zw)), s3 = fma-chain of s * w_centered_sum,
// y = (f - zero_u8[m] * s3) * a.scale[m] + bias[n]   (s = w_scale[n,g], zw = w_zero[n,g]);
// this equals a.scale * sum_g s sum_k (a_u8 - zero_u8)(w - zw) + bias (int4_microkernel.h).
struct Da8w4Args {
  int64_t M, N, K, group;
  U8Activations a;
  const int32_t* a_sum;           // [M, K / group] sum of the u8 codes per group
  const uint8_t* w;               // codes, layouts.h da8w4
  const float* w_scale;           // [Npad/32][G][32]
  const int8_t* w_zero;           // [Npad/32][G][32] integer zero points in [0, 15]
  const int32_t* w_centered_sum;  // [Npad/32][G][32] sum over the group of (w - zw)
  OutputArgs o;
  uint64_t call_id;               // unique per call: keys per-thread caches of unpacked weights
};

// A16W4: w = fma(q - 8, scale, zero) (torchao's float-domain zero point), y = fma-chain over k of
// x[m,k] * w[n,k], + bias[n].
struct A16w4Args {
  int64_t M, N, K, group;
  A16Activations x;
  const uint8_t* w;      // codes, layouts.h a16w4
  const float* w_scale;  // [Npad/32][G][32]
  const float* w_zero;   // [Npad/32][G][32]
  OutputArgs o;
  uint64_t call_id;      // unique per call: keys per-thread caches of dequantized weights
};

// A path's entry points. Each path decides inside them which of its micro-kernels runs (its M-dispatch).
struct KernelTable {
  void (*da8w8)(const Da8w8Args&);
  void (*a16w8)(const A16w8Args&);
  void (*da8w4)(const Da8w4Args&);
  void (*a16w4)(const A16w4Args&);
  // The path runs its AMX tile kernels from this many rows on; -1: it has none. Informative (xeon::info):
  // the entry points decide.
  int64_t tile_min_rows;
  // A16W8 / A16W4 with bf16 activations run bf16 dot-product kernels (AMX-BF16, vdpbf16ps) from this many rows
  // on, when K is a multiple of bf16_k_multiple; -1 / 0: the path has none. Informative, as tile_min_rows.
  int64_t bf16_min_rows;
  int64_t bf16_k_multiple;
  // Ceiling probe of the path's int8 instruction (benchmarks): runs `iters` loop iterations on the
  // calling thread and returns the int8 ops done; null where the path has no hardware int8 dot-product
  // instruction to measure (ref, avx2, the emulated paths).
  int64_t (*int8_peak_loop)(int64_t iters);
  // Ceiling probe of the read bandwidth with the path's widest loads (read_probe.h): reads [p, p + bytes)
  // once on the calling thread; null on the paths without SIMD loads of their own (ref, emulated).
  int64_t (*read_loop)(const uint8_t* p, int64_t bytes, int64_t streams);
  // A16W4 with bf16 (fp16) activations below this many rows runs the decode kernel (int4_decode.h; compared
  // with the reference within a bound, as the bf16 kernels), not the exact fp32-FMA kernel; 0: never.
  int64_t a16w4_decode_rows;
  int64_t a16w4_decode_rows_fp16;
  // Per-token activation quantization (quant/act_quant.h): the same bits on every path; the vector paths
  // run kernels/act_quant_simd.h on their SIMD backend, ref the scalar rows.
  QuantizeRowsFn quantize_rows;
};

}  // namespace xeon
