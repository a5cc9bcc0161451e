// AMX tile backend on the real instructions. Include only from a translation
// unit whose target enables amx-tile, amx-int8 and amx-bf16. gcc's tile intrinsics paste
// the tile number into inline assembly, so each tile number used gets an
// explicit specialization (a template argument cannot be stringized).
#pragma once
#include <immintrin.h>
#include "kernels/amx_tiles.h"

namespace xeon::amx_hw {

struct Tiles {
  static void configure(const TileConfig* cfg) { _tile_loadconfig(cfg); }
  static void release() { _tile_release(); }
  template <int T> static void zero();
  template <int T> static void load(const void* p, int64_t stride);
  template <int T> static void store(void* p, int64_t stride);
  template <int C, int A, int B> static void dpbusd();
  template <int C, int A, int B> static void dpbf16ps();
};

#define XEON_AMX_TILE_OPS(t)                                                                       \
  template <> inline void Tiles::zero<t>() { _tile_zero(t); }                                      \
  template <> inline void Tiles::load<t>(const void* p, int64_t s) { _tile_loadd(t, p, s); }      \
  template <> inline void Tiles::store<t>(void* p, int64_t s) { _tile_stored(t, p, s); }
XEON_AMX_TILE_OPS(0)
XEON_AMX_TILE_OPS(1)
XEON_AMX_TILE_OPS(2)
XEON_AMX_TILE_OPS(3)
XEON_AMX_TILE_OPS(4)
XEON_AMX_TILE_OPS(5)
XEON_AMX_TILE_OPS(6)
XEON_AMX_TILE_OPS(7)
#undef XEON_AMX_TILE_OPS

// The (C, A, B) triples amx_microkernel.h uses.
template <> inline void Tiles::dpbusd<0, 4, 6>() { _tile_dpbusd(0, 4, 6); }
template <> inline void Tiles::dpbusd<1, 4, 7>() { _tile_dpbusd(1, 4, 7); }
template <> inline void Tiles::dpbusd<2, 5, 6>() { _tile_dpbusd(2, 5, 6); }
template <> inline void Tiles::dpbusd<3, 5, 7>() { _tile_dpbusd(3, 5, 7); }
template <> inline void Tiles::dpbf16ps<0, 4, 6>() { _tile_dpbf16ps(0, 4, 6); }
template <> inline void Tiles::dpbf16ps<1, 4, 7>() { _tile_dpbf16ps(1, 4, 7); }
template <> inline void Tiles::dpbf16ps<2, 5, 6>() { _tile_dpbf16ps(2, 5, 6); }
template <> inline void Tiles::dpbf16ps<3, 5, 7>() { _tile_dpbf16ps(3, 5, 7); }

}  // namespace xeon::amx_hw
