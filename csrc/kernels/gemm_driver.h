// The GEMM driver shared by every path: splits (M, N) into tasks for torch's
// thread pool, runs a micro-kernel policy over each task's blocks and applies
// the epilogue. A policy supplies the block shape and the micro-kernel call:
//   static constexpr int64_t kRows, kCols;   // rows / columns per micro-kernel call
//   static void int8_block(g, m0, rows, nb0, nblocks, int32_t* c, ldc);  (Int8 policies)
//   static void fma_block(g, m0, rows, nb0, nblocks, float* c, ldc);     (A16W8 policies)
#pragma once
#include <algorithm>
#include <cstdint>
#include <torch/csrc/stable/ops.h>
#include "common/block_sizes.h"
#include "kernels/epilogue.h"
#include "kernels/gemm_args.h"
#include "kernels/thread_cache.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// Rows of one task. Consecutive tasks walk M within one column panel, and
// parallel_for hands each thread a contiguous task range, so a thread reuses
// its weight panel from cache across its M-chunks. 256 rows keep a 4096-wide
// u8 activation chunk (1 MiB) within a core's L2 on the AMX machine (2 MiB).
constexpr int64_t kTaskRows = 256;
// Weight bytes of one task panel for the tile kernels: half of the AMX machine's 2 MiB
// L2 per core, the rest left to the activation rows and accumulators.
constexpr int64_t kPanelBytes = int64_t{1} << 20;
// Fewest tasks per thread when widening panels, so uneven task times still balance.
constexpr int64_t kMinTasksPerThread = 4;

// Micro-blocks (P::kCols columns each) per task panel. Policies with kWidePanels (the AMX
// kernels) widen the panel while its weights fit kPanelBytes, so each activation block loaded
// into cache feeds several micro-blocks (at M = 1024 a 32-column panel would re-stream all the
// activations from L3 for every 32 output columns); the vector kernels stream weights and take one.
template <class P>
int64_t panel_blocks(int64_t N, int64_t M, int64_t micro_block_bytes) {
  if (!P::kWidePanels) return 1;
  const int64_t micro_blocks = ceil_div(N, P::kCols);
  const int64_t tasks_at_one = micro_blocks * ceil_div(M, kTaskRows);
  const int64_t threads = std::max<int64_t>(1, torch::stable::get_num_threads());
  const int64_t by_cache = kPanelBytes / std::max<int64_t>(1, micro_block_bytes);
  const int64_t by_threads = tasks_at_one / (kMinTasksPerThread * threads);
  return std::clamp<int64_t>(std::min(by_cache, by_threads), 1, kMaxPanelBlocks);
}

// Runs block(m0, rows, nb0, nbs, acc) then epilogue(acc, m0, rows, n0, n) over every micro-block
// of the output, panel_blocks micro-blocks per task. nb0 / nbs count 16-column blocks.
template <class Acc, class P, class Args, class Block, class Epi>
void run_tasks(const Args& g, int64_t panel_blocks, Block&& block, Epi&& epilogue) {
  static_assert(P::kCols % kNBlock == 0 && kTaskRows % P::kRows == 0, "policy block shape");
  if (g.M == 0 || g.N == 0) return;
  const int64_t n_blocks = ceil_div(g.N, kNBlock);
  const int64_t micro = P::kCols / kNBlock;  // 16-column blocks per micro-block
  const int64_t blocks_per_panel = micro * panel_blocks;
  const int64_t n_panels = ceil_div(n_blocks, blocks_per_panel);
  const int64_t m_chunks = ceil_div(g.M, kTaskRows);
  torch::stable::parallel_for(0, n_panels * m_chunks, 1, [&](int64_t begin, int64_t end) {
    alignas(64) Acc c[P::kRows * P::kCols];
    for (int64_t t = begin; t < end; ++t) {
      const int64_t panel = t / m_chunks, chunk = t % m_chunks;
      const int64_t m_end = std::min(g.M, (chunk + 1) * kTaskRows);
      for (int64_t m0 = chunk * kTaskRows; m0 < m_end; m0 += P::kRows) {
        const int64_t rows = std::min<int64_t>(P::kRows, m_end - m0);
        for (int64_t nb0 = panel * blocks_per_panel; nb0 < std::min(n_blocks, (panel + 1) * blocks_per_panel);
             nb0 += micro) {
          const int64_t nbs = std::min(micro, n_blocks - nb0);
          const int64_t n0 = nb0 * kNBlock, n = std::min(nbs * kNBlock, g.N - n0);
          block(m0, rows, nb0, nbs, c);
          epilogue(c, m0, rows, n0, n);
        }
      }
    }
  });
}

template <class P>
void int8_gemm(const Int8GemmArgs& g) {
  run_tasks<int32_t, P>(
      g, panel_blocks<P>(g.N, g.M, g.Kpad * P::kCols),  // int8 weight bytes
      [&](int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, int32_t* c) {
        P::int8_block(g, m0, rows, nb0, nbs, c, P::kCols);
      },
      [&](const int32_t* c, int64_t m0, int64_t rows, int64_t n0, int64_t n) {
        int8_epilogue(g, c, P::kCols, m0, rows, n0, n);
      });
}

template <class P>
void a16w8_gemm(const A16W8GemmArgs& g) {
  run_tasks<float, P>(
      g, panel_blocks<P>(g.N, g.M, g.K * P::kCols * 2),  // bf16 weight bytes (AMX-BF16 policy)
      [&](int64_t m0, int64_t rows, int64_t nb0, int64_t nbs, float* c) {
        P::fma_block(g, m0, rows, nb0, nbs, c, P::kCols);
      },
      [&](const float* c, int64_t m0, int64_t rows, int64_t n0, int64_t n) {
        a16w8_epilogue(g, c, P::kCols, m0, rows, n0, n);
      });
}

// int4 policies compute one 32-channel N-block (two 16-column driver blocks) per call.
template <class P>
void da8w4_gemm(const Da8w4GemmArgs& g) {
  static_assert(P::kCols == kNBlockInt4, "int4 policies work on whole int4 N-blocks");
  run_tasks<float, P>(
      g, panel_blocks<P>(g.N, g.M, g.K * P::kCols),  // unpacked int8 weight bytes
      [&](int64_t m0, int64_t rows, int64_t nb0, int64_t, float* c) {
        P::da8w4_block(g, m0, rows, nb0 * kNBlock / kNBlockInt4, c, P::kCols);
      },
      [&](const float* c, int64_t m0, int64_t rows, int64_t n0, int64_t n) {
        float_epilogue(g.o, g.N, c, P::kCols, m0, rows, n0, n, g.a_scale);
      });
}

template <class P>
void a16w4_gemm(const A16w4GemmArgs& g) {
  static_assert(P::kCols == kNBlockInt4, "int4 policies work on whole int4 N-blocks");
  run_tasks<float, P>(
      g, panel_blocks<P>(g.N, g.M, g.K * P::kCols * 2),  // bf16 weight bytes (AMX-BF16 policy)
      [&](int64_t m0, int64_t rows, int64_t nb0, int64_t, float* c) {
        P::a16w4_block(g, m0, rows, nb0 * kNBlock / kNBlockInt4, c, P::kCols);
      },
      [&](const float* c, int64_t m0, int64_t rows, int64_t n0, int64_t n) {
        float_epilogue(g.o, g.N, c, P::kCols, m0, rows, n0, n, nullptr);
      });
}

}  // namespace
}  // namespace xeon
