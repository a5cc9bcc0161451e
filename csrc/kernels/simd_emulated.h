// 16-lane SIMD backend in portable C++ with the exact semantics of the AVX-512
// instructions the micro-kernels use (vpdpbusd without saturation, fused
// multiply-add with one rounding). It lets the AVX-512 micro-kernel source run
// and be tested on machines without AVX-512.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace xeon::simd_emulated {

struct Simd {
  struct vi { int32_t v[16]; };
  struct vf { float v[16]; };
  static vi zero_i() { return vi{}; }
  static vf zero_f() { return vf{}; }
  static vi load_i(const void* p) { vi r; std::memcpy(r.v, p, 64); return r; }
  static vi bcast_i32(const void* p) {
    int32_t x; std::memcpy(&x, p, 4);
    vi r; for (int l = 0; l < 16; ++l) r.v[l] = x;
    return r;
  }
  static vi dpbusd(vi acc, const vi& a_u8, const vi& b_s8) {
    const uint8_t* a = reinterpret_cast<const uint8_t*>(a_u8.v);
    const int8_t* b = reinterpret_cast<const int8_t*>(b_s8.v);
    for (int l = 0; l < 16; ++l) {
      int32_t s = 0;
      for (int i = 0; i < 4; ++i) s += int32_t{a[4 * l + i]} * int32_t{b[4 * l + i]};
      // vpdpbusd adds with wrap-around (no saturation): do it in uint32.
      acc.v[l] = static_cast<int32_t>(static_cast<uint32_t>(acc.v[l]) + static_cast<uint32_t>(s));
    }
    return acc;
  }
  static void store_i(int32_t* p, const vi& v) { std::memcpy(p, v.v, 64); }
  static vf load_s8_as_f(const int8_t* p) { vf r; for (int l = 0; l < 16; ++l) r.v[l] = p[l]; return r; }
  static vf bcast_f(float x) { vf r; for (int l = 0; l < 16; ++l) r.v[l] = x; return r; }
  static vf fma(const vf& a, const vf& b, vf c) {
    for (int l = 0; l < 16; ++l) c.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
    return c;
  }
  static void store_f(float* p, const vf& v) { std::memcpy(p, v.v, 64); }
};

}  // namespace xeon::simd_emulated
