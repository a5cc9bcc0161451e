// The bf16 arithmetic of the dot-product instructions (TDPBF16PS, VDPBF16PS: Intel SDM pseudo-code), for the
// software models of them (amx_tiles_emulated.h, simd_emulated.h): bf16 inputs with a zero exponent read as
// signed zero (DAZ) and denormal fp32 results are flushed to zero (FTZ); the instructions ignore MXCSR.
#pragma once
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// Internal linkage: each translation unit that models the instructions gets its own copy.
namespace xeon {
namespace {

inline float bf16_daz(uint16_t bits) {
  if ((bits & 0x7F80) == 0) bits &= 0x8000;  // zero exponent: denormal (or zero) reads as signed zero
  const uint32_t f = static_cast<uint32_t>(bits) << 16;
  float v;
  std::memcpy(&v, &f, 4);
  return v;
}

inline float flush_denormal(float v) { return std::fabs(v) < std::numeric_limits<float>::min() ? 0.f * v : v; }

// bf16 bits of q - 8 for an int4 code q in [0, 15] (exact: at most 4 significant bits), indexed by q; 32
// entries, as vpermw's table, the upper 16 a copy of the lower (entry i is code i mod 16: vpermw reads
// index bits 4:0, so a byte can index it unmasked by its low nibble).
constexpr std::array<uint16_t, 32> int4_minus_eight_bf16() {
  std::array<uint16_t, 32> t{};
  for (int i = 0; i < 32; ++i) t[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(float(i % 16 - 8)) >> 16);
  return t;
}
alignas(64) constexpr std::array<uint16_t, 32> kInt4MinusEightBf16Table = int4_minus_eight_bf16();
constexpr const uint16_t* kInt4MinusEightBf16 = kInt4MinusEightBf16Table.data();

}  // namespace
}  // namespace xeon
