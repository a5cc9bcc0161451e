// What the last GEMM on the calling thread did: which kind of micro-kernel ran, how the work was split,
// and over how many of torch's threads. Read by the xeon::last_gemm_stats op, so tests can check a
// path's M-dispatch and thread use, which the outputs (bit-identical across kernels) cannot show.
#pragma once
#include <cstdint>

namespace xeon {

struct GemmStats {
  int64_t tiles = 0;           // 1: AMX tile kernels ran; 0: vector (or scalar ref) kernels
  int64_t tasks = 0;           // (panel, M-chunk) tasks handed to the thread pool
  int64_t threads = 0;         // parallel_for chunks that ran tasks (one per pool thread taking part)
  int64_t rows_per_call = 0;   // rows of one micro-kernel call
  int64_t cols_per_call = 0;   // columns of one micro-kernel call
  int64_t bf16 = 0;            // 1: bf16 dot-product kernels (AMX-BF16 tiles or vdpbf16ps) read bf16 activations
  int64_t decode = 0;          // 1: the A16W4 int4 decode kernel ran (int4_decode.h)
  int64_t k_passes = 1;        // passes over K per task (tile policies with K in chunks: tile_k_chunk.h)
  int64_t prefetch_lines = 0;  // cache lines of next panels prefetched during the tasks (prefetch.h)
};

// Records / returns the stats of the calling thread's last GEMM (thread_local: concurrent callers on
// other Python threads do not interfere).
void record_gemm_stats(const GemmStats& s);
GemmStats last_gemm_stats();

}  // namespace xeon
