// How much of K one pass of the AMX tile kernels covers (gemm_driver.h runs a tile task's K in chunks):
// bytes of each A row, and of each B column, per pass. Process-wide; set by xeon::set_tile_k_chunk
// (xeon_kernels.set_tile_k_chunk, or XEON_KERNELS_TILE_K_CHUNK at import) and read at each GEMM.
#pragma once
#include <atomic>
#include <cstdint>

namespace xeon {

// Default: 512 bytes, chosen by arithmetic for Sapphire Rapids (not yet measured on an AMX machine; README
// "AMX tile kernels" gives the sums). A chunk keeps a task's A rows (256 x 512 B), its weight panel (256
// columns x 512 B) and its accumulators (256 x 256 x 4 B) in 0.5 MiB, so two hyperthreads fit one core's
// 2 MiB L2; one 32-row A block of a chunk (16 KiB) stays in the 48 KiB L1D while the panel's 8 micro-blocks
// use it. Over all of K in one pass (0), a task at K = 4096 holds 2 MiB, and the tiles were measured at
// 18-20% of their peak there (benchmarks/RESULTS.md "AMX machine").
constexpr int64_t kDefaultTileKChunkBytes = 512;
// A chunk is whole tile rows of A: 64 bytes (one TDPBUSD's k, or one TDPBF16PS's).
constexpr int64_t kTileKChunkMultiple = 64;

// 0: all of K in one pass.
inline std::atomic<int64_t> g_tile_k_chunk_bytes{kDefaultTileKChunkBytes};

}  // namespace xeon
