// The AMX tile configuration block (Intel SDM vol. 1, 18.2: palette 1, 64 bytes).
#pragma once
#include <cstdint>

namespace xeon {

struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];  // bytes per row, per tile
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64, "AMX tile config is 64 bytes");

// Palette 1 limits: 8 tiles of at most 16 rows x 64 bytes.
constexpr int kTileRows = 16;
constexpr int kTileColsBytes = 64;
constexpr int kNumTiles = 8;
// One TDPBF16PS step covers one 64-byte A-tile row: 32 bf16 of k. The AMX-BF16 kernels take K that is a
// multiple of it (others run the fp32-FMA kernels).
constexpr int64_t kBf16TileK = kTileColsBytes / 2;

}  // namespace xeon
