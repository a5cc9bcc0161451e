// The amx path (amx_path.h): AMX int8 tiles (DA8W8, DA8W4) and AMX-BF16 tiles (A16W8, A16W4 with bf16
// activations) from kAmxTileMinRows rows on; the AVX-512 VNNI / fp32-FMA kernels below that (a tile holds
// 16 rows: at a few rows most of each tile op is wasted while the vector kernels stream the weight just as
// fast) and for fp32 / fp16 activations, A16W4's vdpbf16ps decode kernel below it for bf16 activations (the
// SIMD backend is avx512_bf16's: every AMX CPU has AVX512_BF16 and AVX512_VBMI).
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx512vbmi,amx-tile,amx-int8,amx-bf16")
#include "kernels/amx_tiles_hw.h"
#include "kernels/simd_avx512_bf16.h"
#include "kernels/amx_path.h"
#include "kernels/peak_probes.h"
#include "kernels/read_probe.h"

namespace xeon {
const KernelTable kAmxKernels =
    AmxPathKernels<amx_hw::Tiles, simd_avx512_bf16::Simd>::table(&amx_peak_loop<amx_hw::Tiles>,
                                                                 &stream_read_loop<simd_avx512_bf16::Simd>);
}  // namespace xeon
#pragma GCC pop_options
