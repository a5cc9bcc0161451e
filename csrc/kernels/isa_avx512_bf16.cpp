// The avx512_bf16 path (avx512_bf16_path.h): the avx512 path's kernels, and vdpbf16ps kernels for A16W8 / A16W4
// with bf16 activations, on CPUs with AVX512_BF16 and AVX512_VBMI (Sapphire Rapids and later; AMD Zen 4 / Zen 5;
// not Cooper Lake, which lacks VBMI).
#include "kernels/kernel_prelude.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx512vbmi")
#include "kernels/simd_avx512_bf16.h"
#include "kernels/avx512_bf16_path.h"
#include "kernels/peak_probes.h"
#include "kernels/read_probe.h"

namespace xeon {
const KernelTable kAvx512Bf16Kernels =
    Avx512Bf16PathKernels<simd_avx512_bf16::Simd>::table(&vnni_peak_loop<simd_avx512_bf16::Simd>,
                                                        &stream_read_loop<simd_avx512_bf16::Simd>);
}  // namespace xeon
#pragma GCC pop_options
