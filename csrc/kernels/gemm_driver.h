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
//                       for rows m0.. and 16-column N-blocks nb0..nb0+nbs (int32 for DA8W8, else fp32);
//   optionally k_bytes(g) and block_k(...)  a tile policy whose tasks may run K in chunks (kernel_policies.h
//                       TilePolicyBase, tile_k_chunk.h);
//   optionally weight_span(g, nb0, nbs) and block(..., pf)  a vector policy whose passes over a task prefetch
//                       the next task's weights (prefetch.h).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <torch/csrc/stable/ops.h>
#include "common/int_math.h"
#include "common/row_stride.h"
#include "kernels/epilogue.h"
#include "kernels/gemm_args.h"
#include "kernels/gemm_stats.h"
#include "kernels/prefetch.h"
#include "kernels/thread_cache.h"
#include "kernels/tile_k_chunk.h"
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

// Whether P runs a task's K in chunks (block_k; kernel_policies.h TilePolicyBase).
template <class P, class Args>
constexpr bool kChunksK = requires(const Args& g) { P::k_bytes(g); };

// Bytes of an A row per K-chunk for P on g: 0 (one pass over all of K) unless P chunks K and the chunk
// (g_tile_k_chunk_bytes, rounded up to P's quantum: DA8W4's whole groups) is shorter than K.
template <class P, class Args>
int64_t k_chunk_bytes(const Args& g) {
  if constexpr (!kChunksK<P, Args>) {
    return 0;
  } else {
    const int64_t chunk = round_up(g_tile_k_chunk_bytes.load(std::memory_order_relaxed), P::k_quantum(g));
    return chunk > 0 && chunk < P::k_bytes(g) ? chunk : 0;
  }
}

// Whether P's block takes a prefetch span and names the weights of a micro-block (weight_span).
template <class P, class Args>
constexpr bool kPrefetchesWeights = requires(const Args& g) { P::weight_span(g, int64_t{0}, int64_t{1}); };

// L2 bytes the current panel and the prefetched part of the next one may take together: half of the smallest L2
// of the CPUs this targets (1 MiB on AMD Zen 4 / Zen 5; Ice Lake 1.25 MiB, Sapphire Rapids 2 MiB), the rest for
// the activations and the other hyperthread. Measured on Zen 4 (2 threads, cold weights, in-process A/B over 5-7
// interleaved rounds, 2026-11-30; benchmarks/RESULTS.md, ninth session): prefetching the whole next panel
// gained 1.12-1.33x at M = 8-16 where the panel is 64-256 KiB, and lost 4-7% for DA8W8 at K = 14336 (896 KiB
// panels), whose own panel the prefetch evicted before the later passes read it.
constexpr int64_t kPrefetchL2Budget = int64_t{512} << 10;

// The slice of the next panel's weights (N-blocks [nb_next, nb_next + nbs)) that pass `pass` of `passes` over the
// current panel (N-blocks [nb0, nb0 + nbs0)) prefetches: the passes share evenly as much of the next panel as
// fits beside the current one in kPrefetchL2Budget.
template <class P, class Args>
PrefetchSpan next_panel_slice(const Args& g, int64_t nb0, int64_t nbs0, int64_t nb_next, int64_t nbs, int64_t pass,
                              int64_t passes) {
  const PrefetchSpan next = P::weight_span(g, nb_next, nbs);
  const int64_t room = kPrefetchL2Budget / kCacheLineBytes - P::weight_span(g, nb0, nbs0).lines;
  const int64_t lines = std::clamp<int64_t>(room, 0, next.lines);
  const int64_t lo = pass * lines / passes, hi = (pass + 1) * lines / passes;
  return {next.p + lo * kCacheLineBytes, hi - lo};
}

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
    // With K in chunks a task holds one chunk of each column at a time.
    const int64_t cached = P::cached_bytes_per_column(g), chunk = k_chunk_bytes<P>(g);
    const int64_t micro_block_bytes = std::max<int64_t>(1, (chunk > 0 ? std::min(chunk, cached) : cached) * P::kCols);
    const int64_t by_cache = P::kPanelBytes / micro_block_bytes;
    const int64_t by_threads = tasks_at_one / (kMinTasksPerThread * threads);
    return std::clamp<int64_t>(std::min(by_cache, by_threads), 1, kMaxPanelBlocks);
  }
}

// One task of P with K in chunks of kc bytes of an A row: rows [m_begin, m_end) x N-blocks [nb_begin, nb_end),
// micro-blocks of `micro` N-blocks. Per chunk every micro-block of the task continues its sums in the task's
// accumulators (acc: per thread, grown as needed); the epilogue runs once all of K is summed. The
// accumulators' row stride spreads the 16 rows of a C tile over different L1 sets (common/row_stride.h).
template <class P, class Args>
void task_in_k_chunks(const Args& g, int64_t kc, int64_t m_begin, int64_t m_end, int64_t nb_begin, int64_t nb_end,
                      int64_t micro) {
  using Acc = AccOf<Args>;
  constexpr int64_t kLineLanes = kCacheLineBytes / sizeof(Acc);
  thread_local std::unique_ptr<Acc[]> buf;
  thread_local int64_t buf_size = 0;
  // whole micro-blocks: a ragged last one still writes P::kCols columns (A16W4's int4 block: 32)
  const int64_t cols = round_up(nb_end - nb_begin, micro) * kNBlock;
  const int64_t ld = set_spreading_row_stride(cols * sizeof(Acc)) / sizeof(Acc);
  const int64_t size = (m_end - m_begin) * ld + kLineLanes;  // + one line, to align the start
  if (buf_size < size) {
    buf.reset(new Acc[size]);
    buf_size = size;
  }
  const uintptr_t misalign = reinterpret_cast<uintptr_t>(buf.get()) % kCacheLineBytes;
  Acc* acc = buf.get() + (misalign == 0 ? 0 : (kCacheLineBytes - misalign) / sizeof(Acc));
  const int64_t K = P::k_bytes(g);
  for (int64_t kb0 = 0; kb0 < K; kb0 += kc) {
    const int64_t kbl = std::min(kc, K - kb0);
    for (int64_t m0 = m_begin; m0 < m_end; m0 += P::kRows) {
      const int64_t rows = std::min<int64_t>(P::kRows, m_end - m0);
      for (int64_t nb0 = nb_begin; nb0 < nb_end; nb0 += micro) {
        P::block_k(g, m0, rows, nb0, std::min(micro, nb_end - nb0), kb0, kbl, kb0 > 0,
                   acc + (m0 - m_begin) * ld + (nb0 - nb_begin) * kNBlock, ld);
      }
    }
  }
  const int64_t n0 = nb_begin * kNBlock;
  epilogue(g, acc, ld, m_begin, m_end - m_begin, n0, std::min(nb_end * kNBlock, g.N) - n0);
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
  const int64_t kc = k_chunk_bytes<P>(g);
  std::atomic<int64_t> chunks{0}, prefetched{0};
  torch::stable::parallel_for(0, n_panels * m_chunks, 1, [&](int64_t begin, int64_t end) {
    chunks.fetch_add(1, std::memory_order_relaxed);
    int64_t lines = 0;  // prefetched by this thread's tasks (gemm_stats)
    alignas(64) Acc c[P::kRows * P::kCols];
    for (int64_t t = begin; t < end; ++t) {
      const int64_t panel = t / m_chunks, chunk = t % m_chunks;
      const int64_t m_begin = chunk * P::kTaskRows, m_end = std::min(g.M, m_begin + P::kTaskRows);
      const int64_t nb_begin = panel * blocks_per_panel, nb_end = std::min(n_blocks, nb_begin + blocks_per_panel);
      if constexpr (kChunksK<P, Args>) {
        if (kc > 0) {
          task_in_k_chunks<P>(g, kc, m_begin, m_end, nb_begin, nb_end, micro);
          continue;
        }
      }
      // With one M-chunk the next task is the next panel: the passes over this one prefetch its weights.
      const int64_t passes = ceil_div(m_end - m_begin, P::kRows);
      [[maybe_unused]] const bool prefetch = m_chunks == 1 && passes > 1 && nb_end < n_blocks;
      for (int64_t m0 = m_begin; m0 < m_end; m0 += P::kRows) {
        const int64_t rows = std::min<int64_t>(P::kRows, m_end - m0);
        for (int64_t nb0 = nb_begin; nb0 < nb_end; nb0 += micro) {
          const int64_t nbs = std::min(micro, n_blocks - nb0);
          const int64_t n0 = nb0 * kNBlock, n = std::min(nbs * kNBlock, g.N - n0);
          if constexpr (kPrefetchesWeights<P, Args>) {
            const PrefetchSpan pf =
                prefetch ? next_panel_slice<P>(g, nb_begin, nb_end - nb_begin, nb_end,
                                               std::min(blocks_per_panel, n_blocks - nb_end), (m0 - m_begin) / P::kRows,
                                               passes)
                         : PrefetchSpan{};
            lines += pf.lines;
            P::block(g, m0, rows, nb0, nbs, c, P::kCols, pf);
          } else {
            P::block(g, m0, rows, nb0, nbs, c, P::kCols);
          }
          epilogue(g, c, P::kCols, m0, rows, n0, n);
        }
      }
    }
    if constexpr (P::kTiles) P::release_tiles();
    prefetched.fetch_add(lines, std::memory_order_relaxed);
  });
  int64_t k_passes = 1;
  if constexpr (kChunksK<P, Args>)
    if (kc > 0) k_passes = ceil_div(P::k_bytes(g), kc);
  record_gemm_stats({P::kTiles ? 1 : 0, n_panels * m_chunks, chunks.load(), P::kRows, P::kCols, P::kBf16 ? 1 : 0,
                     kIsDecode<P> ? 1 : 0, k_passes, prefetched.load()});
}

}  // namespace
}  // namespace xeon
