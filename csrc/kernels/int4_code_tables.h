// Lookup tables of the int4 decode kernels (int4_decode.h): an int4 code q in [0, 15] as the exact value
// q - 8 (tinygemm's mid point), for the SIMD backends' table permutes.
#pragma once
#include <array>
#include <bit>
#include <cstdint>

namespace xeon {
namespace {

// bf16 bits of q - 8 (exact: at most 4 significant bits); 32 entries, as vpermw's table, the upper 16 a copy
// of the lower (entry i is code i mod 16: vpermw reads index bits 4:0, so a byte can index it unmasked by
// its low nibble).
constexpr std::array<uint16_t, 32> int4_minus_eight_bf16() {
  std::array<uint16_t, 32> t{};
  for (int i = 0; i < 32; ++i) t[i] = static_cast<uint16_t>(std::bit_cast<uint32_t>(float(i % 16 - 8)) >> 16);
  return t;
}
alignas(64) constexpr std::array<uint16_t, 32> kInt4MinusEightBf16Table = int4_minus_eight_bf16();
constexpr const uint16_t* kInt4MinusEightBf16 = kInt4MinusEightBf16Table.data();

// q - 8 in int8, indexed by q: pshufb's 16-byte table (indices 0-15 select; none has bit 7 set).
alignas(16) constexpr std::array<int8_t, 16> kInt4MinusEightI8Table = {-8, -7, -6, -5, -4, -3, -2, -1,
                                                                     0,  1,  2,  3,  4,  5,  6,  7};

// q - 8 in fp32, indexed by q: vpermps's 16-entry table (it reads index bits 3:0 only).
constexpr std::array<float, 16> int4_minus_eight_f32() {
  std::array<float, 16> t{};
  for (int q = 0; q < 16; ++q) t[q] = float(q - 8);
  return t;
}
alignas(64) constexpr std::array<float, 16> kInt4MinusEightF32Table = int4_minus_eight_f32();
constexpr const float* kInt4MinusEightF32 = kInt4MinusEightF32Table.data();

}  // namespace
}  // namespace xeon
