// The amx_emulated path: the AMX micro-kernel source compiled against the
// software tile model (amx_tiles_emulated.h) for every M, so CI machines without
// AMX run the real AMX packing, blocking and tile code. Slow by design.
#include "kernels/kernel_prelude.h"
#include "kernels/amx_tiles_emulated.h"
#include "kernels/simd_emulated.h"
#include "kernels/kernel_policies.h"

namespace xeon {
namespace {
using Amx = AmxPolicy<amx_emulated::Tiles>;
using Vnni = VnniPolicy<simd_emulated::Simd>;
}  // namespace
const KernelTable kAmxEmulatedKernels = {"amx_emulated", &int8_gemm<Amx>, &a16w8_gemm<Vnni>};
}  // namespace xeon
