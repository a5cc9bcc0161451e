// xeon::set_tile_k_chunk: the tile kernels' K-chunk (kernels/tile_k_chunk.h), process-wide.
#include <torch/csrc/stable/library.h>
#include <torch/headeronly/util/Exception.h>

#include "kernels/tile_k_chunk.h"

namespace xeon {
namespace {

int64_t tile_k_chunk() { return g_tile_k_chunk_bytes.load(); }

// Sets the bytes of an A row per K-chunk (0: all of K in one pass); returns the previous value.
int64_t set_tile_k_chunk(int64_t bytes) {
  STD_TORCH_CHECK(bytes == 0 || (bytes > 0 && bytes % kTileKChunkMultiple == 0),
                  "bytes: expected 0 (all of K in one pass) or a positive multiple of ", kTileKChunkMultiple,
                  ", got ", bytes);
  return g_tile_k_chunk_bytes.exchange(bytes);
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CompositeExplicitAutograd, m) {
  m.impl("tile_k_chunk", TORCH_BOX(&xeon::tile_k_chunk));
  m.impl("set_tile_k_chunk", TORCH_BOX(&xeon::set_tile_k_chunk));
}
