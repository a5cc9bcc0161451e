// A software model of the AMX tile unit with the hardware's semantics (Intel SDM
// vol. 1 ch. 18 and the TDPBUSD pseudo-code): per-thread tile state, loads and
// stores of rows x colsb bytes, rows beyond the configured count read as zero,
// and int32 accumulation with wrap-around. The AMX micro-kernel compiled against
// it runs its real packing, blocking and tile code on machines without AMX.
// It faults where the hardware faults, so that a kernel change that would kill the process on an AMX machine
// fails in CI: LDTILECFG raises #GP for a palette other than 0 / 1, reserved bytes set, a start row at or past a
// configured tile's rows, a tile shape out of range, rows without bytes per row or the reverse, or tiles 8-15
// configured; every other instruction raises #UD when the tiles are not configured (before any LDTILECFG,
// after TILERELEASE or palette 0), on a tile with no rows, on TDP* operands that are not three distinct tiles,
// or whose shapes disagree (A's bytes per row = 4 x B's rows, C's bytes per row = B's, C's rows = A's). A
// fault is a std::logic_error whose message starts "amx_emulated: #GP" or "amx_emulated: #UD".
#pragma once
#include <cmath>
#include "kernels/bf16_semantics.h"
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include "kernels/amx_tiles.h"
#include "kernels/op_counts.h"

namespace xeon::amx_emulated {

struct Tiles {
  struct State {
    TileConfig cfg{};
    bool configured = false;
    int64_t configs_loaded = 0;  // LDTILECFG executed on this thread (xeon::amx_model_faults reports it)
    alignas(64) uint8_t data[kNumTiles][kTileRows * kTileColsBytes];
  };
  static State& state() {
    thread_local State s;
    return s;
  }
  [[noreturn]] static void fault(const char* what) { throw std::logic_error(what); }
  static void configure(const TileConfig* cfg) {
    op_counts::add(op_counts::kTileConfig);
    if (cfg->palette_id > 1) fault("amx_emulated: #GP: LDTILECFG palette must be 0 or 1");
    for (uint8_t r : cfg->reserved)
      if (r != 0) fault("amx_emulated: #GP: LDTILECFG reserved bytes must be 0");
    if (cfg->palette_id == 0) {  // palette 0: the tiles return to the init state, as TILERELEASE
      release();
      return;
    }
    for (int t = 0; t < 16; ++t) {
      const int rows = cfg->rows[t], colsb = cfg->colsb[t];
      if (t >= kNumTiles && (rows != 0 || colsb != 0)) fault("amx_emulated: #GP: palette 1 has 8 tiles");
      if (rows > kTileRows || colsb > kTileColsBytes) fault("amx_emulated: #GP: tile shape out of range");
      if ((rows == 0) != (colsb == 0)) fault("amx_emulated: #GP: a tile with rows but no bytes per row or the reverse");
      if (rows != 0 && cfg->start_row >= rows) fault("amx_emulated: #GP: start_row at or past a tile's rows");
    }
    State& s = state();
    s.cfg = *cfg;
    s.configured = true;
    ++s.configs_loaded;
    std::memset(s.data, 0, sizeof(s.data));  // LDTILECFG zeroes all tile data
  }
  // TILERELEASE: back to the init state; any tile instruction before the next LDTILECFG is #UD.
  static void release() {
    State& s = state();
    s.cfg = TileConfig{};
    s.configured = false;
    std::memset(s.data, 0, sizeof(s.data));
  }
  template <int T> static void check_tile() {
    static_assert(T >= 0 && T < kNumTiles, "palette 1 has 8 tiles");
    const State& s = state();
    if (!s.configured) fault("amx_emulated: #UD: tile instruction without a loaded tile configuration");
    if (s.cfg.rows[T] == 0) fault("amx_emulated: #UD: tile not configured (0 rows)");
  }
  template <int C, int A, int B> static void check_dot() {
    static_assert(C != A && C != B && A != B, "TDP* operands must be three distinct tiles");
    check_tile<C>();
    check_tile<A>();
    check_tile<B>();
    const TileConfig& c = state().cfg;
    if (c.colsb[A] != 4 * c.rows[B]) fault("amx_emulated: #UD: A's bytes per row must be 4 x B's rows");
    if (c.colsb[C] != c.colsb[B]) fault("amx_emulated: #UD: C's bytes per row must equal B's");
    if (c.rows[C] != c.rows[A]) fault("amx_emulated: #UD: C's rows must equal A's");
  }
  template <int T> static void zero() {
    op_counts::add(op_counts::kTileZero);
    check_tile<T>();
    std::memset(state().data[T], 0, sizeof(state().data[T]));
  }
  template <int T> static void load(const void* p, int64_t stride) {
    op_counts::add(op_counts::kTileLoad);
    check_tile<T>();
    State& s = state();
    std::memset(s.data[T], 0, sizeof(s.data[T]));
    for (int r = 0; r < s.cfg.rows[T]; ++r)
      std::memcpy(s.data[T] + r * kTileColsBytes, static_cast<const uint8_t*>(p) + r * stride, s.cfg.colsb[T]);
  }
  template <int T> static void store(void* p, int64_t stride) {
    op_counts::add(op_counts::kTileStore);
    check_tile<T>();
    const State& s = state();
    for (int r = 0; r < s.cfg.rows[T]; ++r)
      std::memcpy(static_cast<uint8_t*>(p) + r * stride, s.data[T] + r * kTileColsBytes, s.cfg.colsb[T]);
  }
  // TDPBUSD: C[m][n] += sum_k sum_i u8(A[m][4k+i]) * s8(B[k][4n+i]).
  template <int C, int A, int B> static void dpbusd() {
    op_counts::add(op_counts::kTileDot);
    check_dot<C, A, B>();
    State& s = state();
    const int rows = s.cfg.rows[C], n_cols = s.cfg.colsb[C] / 4, k_quads = s.cfg.colsb[A] / 4;
    int32_t* c = reinterpret_cast<int32_t*>(s.data[C]);
    const uint8_t* a = s.data[A];
    const int8_t* b = reinterpret_cast<const int8_t*>(s.data[B]);
    for (int m = 0; m < rows; ++m) {
      for (int n = 0; n < n_cols; ++n) {
        uint32_t acc = static_cast<uint32_t>(c[m * 16 + n]);
        for (int k = 0; k < k_quads; ++k)
          for (int i = 0; i < 4; ++i)
            acc += static_cast<uint32_t>(int32_t{a[m * kTileColsBytes + 4 * k + i]} *
                                         int32_t{b[k * kTileColsBytes + 4 * n + i]});
        c[m * 16 + n] = static_cast<int32_t>(acc);
      }
    }
  }
  // TDPBF16PS, as the SDM pseudo-code: C[m][n] += A[m][2k] * B[k][2n], then += A[m][2k+1] * B[k][2n+1],
  // each product exact in fp32 and each sum rounded to nearest even; bf16 denormal inputs read as zero
  // and denormal results are flushed to zero (the instruction ignores MXCSR).
  template <int C, int A, int B> static void dpbf16ps() {
    op_counts::add(op_counts::kTileDot);
    check_dot<C, A, B>();
    State& s = state();
    const int rows = s.cfg.rows[C], n_cols = s.cfg.colsb[C] / 4, k_pairs = s.cfg.colsb[A] / 4;
    float* c = reinterpret_cast<float*>(s.data[C]);
    const uint16_t* a = reinterpret_cast<const uint16_t*>(s.data[A]);
    const uint16_t* b = reinterpret_cast<const uint16_t*>(s.data[B]);
    for (int m = 0; m < rows; ++m)
      for (int n = 0; n < n_cols; ++n) {
        float acc = c[m * 16 + n];
        for (int k = 0; k < k_pairs; ++k)
          for (int i = 0; i < 2; ++i)
            acc = flush_denormal(acc + bf16_daz(a[m * 32 + 2 * k + i]) * bf16_daz(b[k * 32 + 2 * n + i]));
        c[m * 16 + n] = acc;
      }
  }

};

}  // namespace xeon::amx_emulated
