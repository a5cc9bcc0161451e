// The GEMM driver shared by every path and scheme: splits (M, N) into tasks for torch's thread pool,
// runs a micro-kernel policy over each task's blocks and applies the scheme's epilogue (epilogue.h).
// A policy P supplies (kernel_policies.h):
//   kRows, kCols        rows / columns of one micro-kernel call (kCols a multiple of kNBlock);
//   kTaskRows           rows of one task (a multiple of kRows);
//   kWidePanels         whether a task takes several micro-blocks of columns (the tile policies), and then
//   kPanelBytes         the weight bytes one task panel may hold, and
//   cached_bytes_per_column(g)  the bytes the policy holds per column (its converted weights);
//   kTiles, kBf16       whether it runs AMX tiles, whether it reads bf16 activations (gemm_stats.h);
//   release_tiles()     tile policies: TILERELEASE once a thread's tasks of the region are done;
//   block(g, m0, rows, nb0, nbs, acc, ldc)  overloaded per scheme's argument struct: acc[0:rows][0:nbs*16]
//                       for rows m0.. and 16-column N-blocks nb0..nb0+nbs (int32 for DA8W8, else fp32).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <torch/csrc/stable/ops.h>
#include "common/int_math.h"
#include "kernels/epilogue.h"
#include "kernels/gemm_args.h"
#include "kernels/gemm_stats.h"
#include "kernels/thread_cache.h"
#include "pack/layouts.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// The accumulator type of a scheme's micro-kernels.
template <class Args>
using AccOf = std::conditional_t<std::is_same_v<Args, Da8w8Args>, int32_t, float>;

// Whether P is the A16W4 int4 decode policy (kernel_policies.h Int4DecodePolicy, the one with kBelowRows).
template <class P>
constexpr bool kIsDecode = requires { P::kBelowRows; };

// Fewest tasks per thread when widening panels, so uneven task times still balance.
constexpr int64_t kMinTasksPerThread = 4;

// Micro-blocks (P::kCols columns each) per task panel. Policies with kWidePanels (the AMX kernels)
// widen the panel while its weights fit P::kPanelBytes, so each activation block loaded into cache feeds
// several micro-blocks (at M = 1024 a 32-column panel would re-stream all the activations from L3 for
// every 32 output columns); the vector kernels stream weights and take one.
template <class P, class Args>
int64_t panel_blocks(const Args& g) {
  if constexpr (!P::kWidePanels) {
    return 1;
  } else {
    const int64_t micro_blocks = ceil_div(g.N, P::kCols);
    const int64_t tasks_at_one = micro_blocks * ceil_div(g.M, P::kTaskRows);
    const int64_t threads = std::max<int64_t>(1, torch::stable::get_num_threads());
    const int64_t micro_block_bytes = std::max<int64_t>(1, P::cached_bytes_per_column(g) * P::kCols);
    const int64_t by_cache = P::kPanelBytes / micro_block_bytes;
    const int64_t by_threads = tasks_at_one / (kMinTasksPerThread * threads);
    return std::clamp<int64_t>(std::min(by_cache, by_threads), 1, kMaxPanelBlocks);
  }
}

// Runs P over every micro-block of the output. Consecutive tasks walk M within one column panel, and
// parallel_for hands each thread a contiguous task range, so a thread reuses its weight panel from cache
// across its M-chunks.
template <class P, class Args>
void gemm(const Args& g) {
  using Acc = AccOf<Args>;
  static_assert(P::kCols % kNBlock == 0 && P::kTaskRows % P::kRows == 0, "policy block shape");
  if (g.M == 0 || g.N == 0) return;
  const int64_t n_blocks = ceil_div(g.N, kNBlock);
  const int64_t micro = P::kCols / kNBlock;  // 16-column blocks per micro-block
  const int64_t blocks_per_panel = micro * panel_blocks<P>(g);
  const int64_t n_panels = ceil_div(n_blocks, blocks_per_panel);
  const int64_t m_chunks = ceil_div(g.M, P::kTaskRows);
  std::atomic<int64_t> chunks{0};
  torch::stable::parallel_for(0, n_panels * m_chunks, 1, [&](int64_t begin, int64_t end) {
    chunks.fetch_add(1, std::memory_order_relaxed);
    alignas(64) Acc c[P::kRows * P::kCols];
    for (int64_t t = begin; t < end; ++t) {
      const int64_t panel = t / m_chunks, chunk = t % m_chunks;
      const int64_t m_end = std::min(g.M, (chunk + 1) * P::kTaskRows);
      const int64_t nb_end = std::min(n_blocks, (panel + 1) * blocks_per_panel);
      for (int64_t m0 = chunk * P::kTaskRows; m0 < m_end; m0 += P::kRows) {
        const int64_t rows = std::min<int64_t>(P::kRows, m_end - m0);
        for (int64_t nb0 = panel * blocks_per_panel; nb0 < nb_end; nb0 += micro) {
          const int64_t nbs = std::min(micro, n_blocks - nb0);
          const int64_t n0 = nb0 * kNBlock, n = std::min(nbs * kNBlock, g.N - n0);
          P::block(g, m0, rows, nb0, nbs, c, P::kCols);
          epilogue(g, c, P::kCols, m0, rows, n0, n);
        }
      }
    }
    if constexpr (P::kTiles) P::release_tiles();
  });
  record_gemm_stats({P::kTiles ? 1 : 0, n_panels * m_chunks, chunks.load(), P::kRows, P::kCols, P::kBf16 ? 1 : 0,
                     kIsDecode<P> ? 1 : 0});
}

}  // namespace
}  // namespace xeon
