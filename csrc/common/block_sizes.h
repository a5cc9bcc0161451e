// Packed-weight geometry shared by packing, kernels and the Python side.
#pragma once
#include <cstdint>

namespace xeon {

// One N-block of the packed weight is 16 output channels: one 512-bit vector of
// int32 / fp32 lanes, and the 16 columns of an AMX int8 B tile (64 bytes a row).
constexpr int64_t kNBlock = 16;
// int8 VNNI layout: 4 consecutive k of one channel share a 32-bit lane (vpdpbusd, tdpbusd).
constexpr int64_t kKQuad = 4;
// The int8 packed K is padded to one AMX A-tile row (64 bytes = 16 quads) so AMX
// and VNNI kernels read the same buffer; padding holds zeros.
constexpr int64_t kKPadInt8 = 64;
// Largest K the int8 kernels accept: one product is at most 255 * 128 = 32640 in
// magnitude (u8 activation x s8 weight), and 65536 * 32640 < 2^31, so the int32
// accumulators cannot overflow (../shared/quant-semantics.md, "Overflow").
constexpr int64_t kMaxKInt8 = 65536;

// int4 weights come in N-blocks of 32 channels, two 16-lane halves sharing bytes
// (low nibble: channel j, high nibble: channel 16 + j), and one K-block per
// quantization group: uint8 [Npad/32][K/group][group][16], the 4-D shape torchao's
// da8w4_linear_cpu schema expects (N = size(0) * size(3) * 2). Per-group
// parameters are [Npad/32][K/group][32].
constexpr int64_t kNBlockInt4 = 32;

// Packed-weight layouts (stored in PackedWeight, versioned on the Python side).
enum class Layout : int64_t {
  kInt8Vnni4 = 0,   // int8 [Npad/16][Kpad/4][16][4], Kpad = roundup(K, 64)  (da8w8)
  kInt8KMajor = 1,  // int8 [Npad/16][K][16]                                 (a16w8)
  // da8w4: in a group, quad q is 64 bytes; byte 4j+i holds k = 4q+i of channels j and 16+j,
  // so the two nibble planes are the int8 Vnni4 vectors of the two 16-channel halves.
  kInt4Vnni4 = 2,
  // a16w4: in a group, row k is 16 bytes; byte j holds channels j and 16+j.
  kInt4KMajor = 3,
};

// AMX-BF16: one TDPBF16PS step covers 32 bf16 of k (a 64-byte A-tile row), so those kernels take K
// that is a multiple of it (others run the fp32-FMA kernels).
constexpr int64_t kBf16TileK = 32;

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
inline int64_t ceil_div(int64_t v, int64_t m) { return (v + m - 1) / m; }

}  // namespace xeon
