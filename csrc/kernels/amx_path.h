// The amx path's policies, block sizes and M-dispatch, on any tile backend T and SIMD backend S: the
// amx path (isa_amx.cpp, hardware tiles) and amx_emulated (isa_amx_emulated.cpp, the software tile
// model) build their tables from this one definition, so the emulated path reproduces amx's dispatch.
#pragma once
#include <algorithm>
#include "kernels/avx512_blocking.h"
#include "kernels/path_kernels.h"

namespace xeon {
namespace {

// Vector kernels below the tile threshold: 4 rows x 4 blocks, 16 accumulators + 4 weight vectors + 1
// broadcast = 21 of AVX-512's 32 vector registers. Tasks of 256 rows keep a 4096-wide u8 activation
// chunk (1 MiB) within a core's L2 on the AMX machine (2 MiB); a task panel's weights take the other half.
// Below the tile threshold (M = 5-7: two passes) the int8 vector kernels prefetch the next panel, as on the
// avx512 paths (not measured on an AMX machine).
constexpr Blocking kAmxPathBlocking{.rows = 4, .col_blocks = 4, .task_rows = 256, .panel_bytes = int64_t{1} << 20,
                                    .prefetch_next_panel = true};
// Rows from which the tile kernels run. First choice, not yet measured on an AMX machine: below 8 rows
// half of every 16-row A tile is padding while the vector kernels stream the weight just as fast.
// Revisit with benchmarks/bench_linear.py there.
constexpr int64_t kAmxTileMinRows = 8;

// Below the tile threshold A16W4's bf16 activations take the avx512_bf16 path's decode kernel (vdpbf16ps on
// the codes; S has dpbf16: the avx512_bf16 backend, or the emulated one). Its threshold there (40 rows, against
// the vdpbf16ps panel kernel, avx512_bf16_path.h) is not this one's: against the AMX-BF16 tiles, not yet
// measured on an AMX machine.
template <class T, class S, int64_t kTileMinRows = kAmxTileMinRows>
using AmxPathKernels =
    PathKernels<VnniPolicy<S, kAmxPathBlocking>, VnniInt4Policy<S, kAmxPathBlocking, kAvx512A16w4FmaBlocking>,
                AmxPolicy<T, kAmxPathBlocking>, AmxInt4Policy<T, S, kAmxPathBlocking>,
                AmxBf16Policy<T, S, kAmxPathBlocking>, kTileMinRows, kTileMinRows,
                Int4DecodePolicy<S, kAvx512DecodeBlocking, Bf16PairDot, kTileMinRows>,
                Int4DecodeF16Policy<S, kAvx512DecodeBlocking>>;

}  // namespace
}  // namespace xeon
