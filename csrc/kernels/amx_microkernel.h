// AMX int8 micro-kernel on a tile backend T (amx_tiles_hw.h or amx_tiles_emulated.h).
// Up to 32 rows x 32 columns per call: C tiles 0-3 (2 x 2), A tiles 4-5, B tiles 6-7,
// so each loaded A and B tile feeds two TDPBUSDs.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include "pack/layouts.h"
#include "kernels/amx_tiles.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

constexpr int kAmxMaxRows = 2 * kTileRows;   // MT = 2 row tiles
constexpr int kAmxMaxBlocks = 2;             // NT = 2 column tiles of kNBlock

// The tile configuration this thread last loaded through load_tile_config (per tile backend T), so that
// consecutive micro-blocks of one shape issue LDTILECFG once; release_tiles forgets it.
template <class T>
struct LoadedTileConfig {
  static TileConfig& cfg() {
    thread_local TileConfig c{};
    return c;
  }
  static bool& valid() {
    thread_local bool v = false;
    return v;
  }
};

template <class T>
void load_tile_config(const TileConfig& cfg) {
  if (LoadedTileConfig<T>::valid() && std::memcmp(&LoadedTileConfig<T>::cfg(), &cfg, sizeof(cfg)) == 0) return;
  T::configure(&cfg);
  LoadedTileConfig<T>::cfg() = cfg;
  LoadedTileConfig<T>::valid() = true;
}

// TILERELEASE at the end of a kernel region on each thread: the 8 KiB of tile data then leave the thread's
// XSAVE state, so context switches of pool threads that ran a kernel stop saving and restoring them.
template <class T>
void release_tiles() {
  T::release();
  LoadedTileConfig<T>::valid() = false;
}

// Loads the tile configuration for `rows` rows (MT = rows > 16 ? 2 : 1), NT column
// tiles and a K step of kstep bytes per TDPBUSD (64, or the group size when smaller).
template <class T, int MT, int NT>
void amx_configure(int rows, int kstep) {
  const int r0 = std::min(rows, kTileRows);
  const int r1 = rows - r0;
  TileConfig cfg{};
  cfg.palette_id = 1;
  auto set = [&](int t, int r, int colsb) { cfg.rows[t] = static_cast<uint8_t>(r); cfg.colsb[t] = colsb; };
  set(0, r0, kTileColsBytes); set(4, r0, kstep); set(6, kstep / kKQuad, kTileColsBytes);
  if constexpr (NT == 2) { set(1, r0, kTileColsBytes); set(7, kstep / kKQuad, kTileColsBytes); }
  if constexpr (MT == 2) {
    set(2, r1, kTileColsBytes); set(5, r1, kstep);
    if constexpr (NT == 2) set(3, r1, kTileColsBytes);
  }
  load_tile_config<T>(cfg);
}

// Byte offset, in a B panel of one 64-byte tile row per 4 bytes of A's k, of the rows for A's byte k0.
constexpr int64_t tile_b_offset(int64_t k0) { return k0 / kKQuad * kKQuad * kNBlock; }

// The tile dot product: int8 (TDPBUSD, u8 x s8 -> int32, 4 k per 32-bit lane) or bf16
// (TDPBF16PS, bf16 x bf16 -> fp32, 2 k per 32-bit lane).
enum class TileDot { kInt8, kBf16 };

template <class T, TileDot Dot, int C, int A, int B>
inline void dot() {
  if constexpr (Dot == TileDot::kInt8) T::template dpbusd<C, A, B>();
  else T::template dpbf16ps<C, A, B>();
}

// Starts the C tiles of half H (C tiles 2H, 2H + 1): zero, or, when c_init is given (a K-chunk after the
// first: gemm_driver.h), the partial sums there ([rows][ldc] 4-byte lanes, as amx_store_half writes them).
template <class T, int H, int NT>
void amx_start_half(const void* c_init, int64_t ldc) {
  if (c_init == nullptr) {
    T::template zero<2 * H>();
    if constexpr (NT == 2) T::template zero<2 * H + 1>();
    return;
  }
  const int32_t* c = static_cast<const int32_t*>(c_init) + H * kTileRows * ldc;
  const int64_t cs = ldc * static_cast<int64_t>(sizeof(int32_t));
  T::template load<2 * H>(c, cs);
  if constexpr (NT == 2) T::template load<2 * H + 1>(c + kNBlock, cs);
}

// One 16-row half H (0: rows 0-15, 1: rows 16-31) of a 2 x NT configuration: C tiles 2H and 2H + 1, A tile
// 4 + H, B tiles 6 and 7 (loaded again for each half). A kernel that alternates the halves can store one half's
// C tiles while the other half's TDPBUSDs run (no tile of one is an operand of the other).
template <class T, int H, int NT, TileDot Dot = TileDot::kInt8>
void amx_accumulate_half(const void* a_ptr, int64_t lda, const void* w_ptr, int64_t w_bstride, int64_t k_bytes,
                         int kstep, const void* c_init = nullptr, int64_t ldc = 0) {
  const uint8_t* a = static_cast<const uint8_t*>(a_ptr) + H * kTileRows * lda;
  const uint8_t* w = static_cast<const uint8_t*>(w_ptr);
  amx_start_half<T, H, NT>(c_init, ldc);
  constexpr int64_t kBStride = kKQuad * kNBlock;
  for (int64_t k = 0; k < k_bytes; k += kstep) {
    const uint8_t* wk = w + (k / kKQuad) * kBStride;
    T::template load<4 + H>(a + k, lda);
    T::template load<6>(wk, kBStride);
    dot<T, Dot, 2 * H, 4 + H, 6>();
    if constexpr (NT == 2) { T::template load<7>(wk + w_bstride, kBStride); dot<T, Dot, 2 * H + 1, 4 + H, 7>(); }
  }
}

template <class T, int H, int NT>
void amx_store_half(void* c_ptr, int64_t ldc) {
  int32_t* c = static_cast<int32_t*>(c_ptr) + H * kTileRows * ldc;  // 4-byte lanes: int32 or fp32
  const int64_t cs = ldc * static_cast<int64_t>(sizeof(int32_t));
  T::template store<2 * H>(c, cs);
  if constexpr (NT == 2) T::template store<2 * H + 1>(c + kNBlock, cs);
}

// With the configuration of amx_configure<T, MT, NT>(rows, kstep) loaded:
// c[0:rows][0:NT*16] (+)= a[0:rows][0:k_bytes] x W, k_bytes a multiple of kstep (both in bytes of A);
// W holds one 64-byte B-tile row per 4 bytes of A's k (16 lanes x 4 bytes), NT blocks w_bstride
// bytes apart (so K-chunk [k0, k0 + k_bytes) of A starts at W + 16 * k0). c is int32 (kInt8) or fp32 (kBf16).
// With c_init (amx_start_half) the C tiles continue from the sums there instead of zero: a pass over a later
// K-chunk adds the same products in the same order as one pass over all of K would, so the sums are the same
// bits (int32 exactly; fp32 too, as TDPBF16PS's accumulator is stored and reloaded unchanged).
// amx_run is amx_accumulate (the tile work into the C tiles) then amx_store (C tiles to c): a kernel that
// has vector work between the two (DA8W4's per-group scaling) issues the next tile work before it.
template <class T, int MT, int NT, TileDot Dot = TileDot::kInt8>
void amx_accumulate(const void* a_ptr, int64_t lda, const void* w_ptr, int64_t w_bstride, int64_t k_bytes,
                    int kstep, const void* c_init = nullptr, int64_t ldc = 0) {
  if constexpr (MT == 1) {  // one row tile: the first half's operations alone
    amx_accumulate_half<T, 0, NT, Dot>(a_ptr, lda, w_ptr, w_bstride, k_bytes, kstep, c_init, ldc);
  } else {  // two row tiles sharing each loaded B tile
    const uint8_t* a = static_cast<const uint8_t*>(a_ptr);
    const uint8_t* w = static_cast<const uint8_t*>(w_ptr);
    amx_start_half<T, 0, NT>(c_init, ldc);
    amx_start_half<T, 1, NT>(c_init, ldc);
    constexpr int64_t kBStride = kKQuad * kNBlock;  // 64 bytes: one quad row of a B tile
    for (int64_t k = 0; k < k_bytes; k += kstep) {
      const uint8_t* wk = w + (k / kKQuad) * kBStride;
      T::template load<4>(a + k, lda);
      T::template load<6>(wk, kBStride);
      dot<T, Dot, 0, 4, 6>();
      if constexpr (NT == 2) { T::template load<7>(wk + w_bstride, kBStride); dot<T, Dot, 1, 4, 7>(); }
      T::template load<5>(a + kTileRows * lda + k, lda);
      dot<T, Dot, 2, 5, 6>();
      if constexpr (NT == 2) dot<T, Dot, 3, 5, 7>();
    }
  }
}

template <class T, int MT, int NT>
void amx_store(void* c_ptr, int64_t ldc) {
  amx_store_half<T, 0, NT>(c_ptr, ldc);
  if constexpr (MT == 2) amx_store_half<T, 1, NT>(c_ptr, ldc);
}

// accumulate: c holds the sums of the K-chunks before this one (amx_start_half), which the pass continues.
template <class T, int MT, int NT, TileDot Dot = TileDot::kInt8>
void amx_run(const void* a_ptr, int64_t lda, const void* w_ptr, int64_t w_bstride, int64_t k_bytes, int kstep,
             void* c_ptr, int64_t ldc, bool accumulate = false) {
  amx_accumulate<T, MT, NT, Dot>(a_ptr, lda, w_ptr, w_bstride, k_bytes, kstep, accumulate ? c_ptr : nullptr, ldc);
  amx_store<T, MT, NT>(c_ptr, ldc);
}

// Calls f.template operator()<MT, NT>() for rows in [1, 32] and nblocks in {1, 2}.
template <class F>
void dispatch_amx_shape(int64_t rows, int64_t nblocks, F&& f) {
  if (rows > kTileRows) {
    if (nblocks == 2) f.template operator()<2, 2>(); else f.template operator()<2, 1>();
  } else {
    if (nblocks == 2) f.template operator()<1, 2>(); else f.template operator()<1, 1>();
  }
}

}  // namespace
}  // namespace xeon
