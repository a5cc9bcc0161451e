// A path's entry points (gemm_args.h KernelTable) built from its policies: the M-dispatch every path
// with tile kernels shares, written once. An ISA file names its policies and its tile threshold:
//   const KernelTable kFooKernels = PathKernels<VecInt8, VecInt4, Tile8, Tile4, TileBf16, kMinRows>::table(peak);
// (void tile policies and kMinRows = -1 for a path without tiles: VectorPathKernels below).
#pragma once
#include <memory>
#include <type_traits>
#include "kernels/a16_activations.h"
#include "kernels/act_quant_simd.h"
#include "kernels/amx_tiles.h"
#include "kernels/gemm_driver.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {

template <class VecInt8, class VecInt4, class TileDa8w8 = void, class TileDa8w4 = void, class Bf16 = void,
          int64_t kTileMinRows = -1, int64_t kBf16MinRows = kTileMinRows, class Int4Decode = void,
          class Int4DecodeF16 = void>
struct PathKernels {
  static bool tiles(int64_t M) { return kTileMinRows >= 0 && M >= kTileMinRows; }

  static void da8w8(const Da8w8Args& g) {
    if constexpr (!std::is_void_v<TileDa8w8>)
      if (tiles(g.M)) return gemm<TileDa8w8>(g);
    gemm<VecInt8>(g);
  }
  static void da8w4(const Da8w4Args& g) {
    if constexpr (!std::is_void_v<TileDa8w4>)
      if (tiles(g.M)) return gemm<TileDa8w4>(g);
    gemm<VecInt4>(g);
  }
  // A16W4's bf16 activations below Int4Decode::kBelowRows rows (fp16: Int4DecodeF16, the fp32 form), on a
  // path with that kernel, go to the int4 decode kernel (int4_decode.h: the codes as exact q - 8, no
  // per-weight dequantization, products with bf16 or fp16 x exact in fp32); other bf16 activations to the
  // bf16 dot-product kernels (AMX-BF16 tiles, vdpbf16ps) as they are, from kBf16MinRows rows on and K a
  // multiple of the kernel's k step; fp32 activations, fp16 ones elsewhere, and the rows below the
  // threshold, to the fp32-FMA kernels (rounding fp32 / fp16 to bf16 would lose precision).
  template <class Vec, class Args>
  static void a16(Args g) {
    if constexpr (std::is_same_v<Args, A16w4Args>) {
      if constexpr (!std::is_void_v<Int4Decode>)
        if (g.x.dtype == ScalarType::BFloat16 && g.M < Int4Decode::kBelowRows) return decode<Int4Decode>(g);
      if constexpr (!std::is_void_v<Int4DecodeF16>) {
        static_assert(Int4DecodeF16::kF32Acts, "fp16 x reaches the decode kernel widened to fp32");
        if (g.x.dtype == ScalarType::Half && g.M < Int4DecodeF16::kBelowRows) return decode<Int4DecodeF16>(g);
      }
    }
    if constexpr (!std::is_void_v<Bf16>) {
      if (g.x.dtype == ScalarType::BFloat16 && g.K % Bf16::kKMultiple == 0 && g.M >= kBf16MinRows) {
        std::unique_ptr<BFloat16[]> spread;
        if constexpr (Bf16::kTiles) {  // A tiles: 16 rows per load, kept in L1 across a task's micro-blocks
          g.x.bf16 = a16_bf16_rows_set_spread(g.x, g.M, g.K, g.x.bf16_ld, spread);
        } else {
          g.x.bf16 = static_cast<const BFloat16*>(g.x.x);
          g.x.bf16_ld = g.K;
        }
        return gemm<Bf16>(g);
      }
    }
    std::unique_ptr<float[]> buf;
    g.x.f32 = a16_rows_as_f32(g.x, g.M, g.K, buf);
    gemm<Vec>(g);
  }
  // The decode kernel D on A16W4 args: the group sums of x, and x as bf16 or widened to fp32 as D reads it.
  template <class D>
  static void decode(A16w4Args g) {
    std::unique_ptr<float[]> sums, widened;
    g.x.group_sums = a16_group_sums(g.x, g.M, g.K, g.group, sums);
    if constexpr (D::kF32Acts) {
      g.x.f32 = a16_rows_as_f32(g.x, g.M, g.K, widened);
    } else {
      g.x.bf16 = static_cast<const BFloat16*>(g.x.x);
      g.x.bf16_ld = g.K;
    }
    gemm<D>(g);
  }
  static void a16w8(const A16w8Args& g) { a16<VecInt8>(g); }
  static void a16w4(const A16w4Args& g) { a16<typename VecInt4::A16w4>(g); }

  template <class D>
  static constexpr int64_t decode_rows() {
    if constexpr (std::is_void_v<D>) return 0;
    else return D::kBelowRows;
  }

  static KernelTable table(int64_t (*int8_peak_loop)(int64_t),
                           int64_t (*read_loop)(const uint8_t*, int64_t, int64_t)) {
    int64_t bf16_k = 0;
    if constexpr (!std::is_void_v<Bf16>) bf16_k = Bf16::kKMultiple;
    return {&da8w8, &a16w8, &da8w4, &a16w4, std::is_void_v<TileDa8w8> ? -1 : kTileMinRows,
            std::is_void_v<Bf16> ? -1 : kBf16MinRows, bf16_k, int8_peak_loop, read_loop,
            decode_rows<Int4Decode>(), decode_rows<Int4DecodeF16>(), &quantize_rows_simd<typename VecInt8::Simd>};
  }
};

// A path of vector kernels only: the VNNI / FMA policies on SIMD backend S with blocking B (BA16W4 for A16W4's
// FMA kernel), and A16W4's fp32 decode kernel (blocking BDecode) for bf16 activations below kDecodeRows rows
// (int4_decode.h), for fp16 activations at every M.
template <class S, Blocking B, Blocking BA16W4, Blocking BDecode, int64_t kDecodeRows>
using VectorPathKernels =
    PathKernels<VnniPolicy<S, B>, VnniInt4Policy<S, B, BA16W4>, void, void, void, -1, -1,
                Int4DecodePolicy<S, BDecode, Fp32Dot, kDecodeRows>, Int4DecodeF16Policy<S, BDecode>>;

}  // namespace
}  // namespace xeon
