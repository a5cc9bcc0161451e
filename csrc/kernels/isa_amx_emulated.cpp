// The amx_emulated paths: the amx path's policies, blocking and M-dispatch (amx_path.h) compiled against
// the software tile model (amx_tiles_emulated.h) and the portable 16-lane SIMD model, so CI machines
// without AMX run the real AMX packing, blocking, dispatch and tile code. Slow by design.
//   amx_emulated        exactly amx's dispatch (tiles from kAmxTileMinRows rows on);
//   amx_emulated_tiles  the tile kernels at every M (tests: small shapes reach the tile code too).
#include "kernels/kernel_prelude.h"

// Compiled for AVX2 + FMA so the 16-lane models vectorize and std::fma is one
// instruction (paths.cpp offers these paths only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/amx_tiles_emulated.h"
#include "kernels/simd_emulated.h"
#include "kernels/amx_path.h"

namespace xeon {
const KernelTable kAmxEmulatedKernels = AmxPathKernels<amx_emulated::Tiles, simd_emulated::Simd>::table(nullptr);
const KernelTable kAmxEmulatedTilesKernels =
    AmxPathKernels<amx_emulated::Tiles, simd_emulated::Simd, 0>::table(nullptr);
}  // namespace xeon
#pragma GCC pop_options
