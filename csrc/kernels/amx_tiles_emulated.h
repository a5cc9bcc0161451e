// A software model of the AMX tile unit with the hardware's semantics (Intel SDM
// vol. 1 ch. 18 and the TDPBUSD pseudo-code): per-thread tile state, loads and
// stores of rows x colsb bytes, rows beyond the configured count read as zero,
// and int32 accumulation with wrap-around. The AMX micro-kernel compiled against
// it runs its real packing, blocking and tile code on machines without AMX.
#pragma once
#include <cmath>
#include "kernels/bf16_semantics.h"
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include "kernels/amx_tiles.h"

namespace xeon::amx_emulated {

struct Tiles {
  struct State {
    TileConfig cfg{};
    alignas(64) uint8_t data[kNumTiles][kTileRows * kTileColsBytes];
  };
  static State& state() {
    thread_local State s;
    return s;
  }
  static void configure(const TileConfig* cfg) {
    // The hardware raises #GP on an invalid configuration; the model aborts the
    // computation the same way (a bug in the micro-kernel, never user input).
    if (cfg->palette_id != 1) throw std::logic_error("amx_emulated: palette must be 1");
    for (int t = 0; t < kNumTiles; ++t)
      if (cfg->rows[t] > kTileRows || cfg->colsb[t] > kTileColsBytes)
        throw std::logic_error("amx_emulated: tile shape out of range");
    State& s = state();
    s.cfg = *cfg;
    std::memset(s.data, 0, sizeof(s.data));  // LDTILECFG zeroes all tile data
  }
  template <int T> static void zero() { std::memset(state().data[T], 0, sizeof(state().data[T])); }
  template <int T> static void load(const void* p, int64_t stride) {
    State& s = state();
    std::memset(s.data[T], 0, sizeof(s.data[T]));
    for (int r = 0; r < s.cfg.rows[T]; ++r)
      std::memcpy(s.data[T] + r * kTileColsBytes, static_cast<const uint8_t*>(p) + r * stride, s.cfg.colsb[T]);
  }
  template <int T> static void store(void* p, int64_t stride) {
    const State& s = state();
    for (int r = 0; r < s.cfg.rows[T]; ++r)
      std::memcpy(static_cast<uint8_t*>(p) + r * stride, s.data[T] + r * kTileColsBytes, s.cfg.colsb[T]);
  }
  // TDPBUSD: C[m][n] += sum_k sum_i u8(A[m][4k+i]) * s8(B[k][4n+i]).
  template <int C, int A, int B> static void dpbusd() {
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
