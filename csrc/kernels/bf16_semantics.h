// The bf16 arithmetic of the dot-product instructions (TDPBF16PS, VDPBF16PS: Intel SDM pseudo-code), for the
// software models of them (amx_tiles_emulated.h, simd_emulated.h): bf16 inputs with a zero exponent read as
// signed zero (DAZ) and denormal fp32 results are flushed to zero (FTZ); the instructions ignore MXCSR.
#pragma once
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

}  // namespace
}  // namespace xeon
