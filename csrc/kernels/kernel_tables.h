// The kernel table of every compiled path, each defined in its own translation unit (isa_*.cpp); the
// path registry (ops/paths.cpp) names them.
#pragma once
#include "kernels/gemm_args.h"

namespace xeon {

extern const KernelTable kRefKernels;
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;
extern const KernelTable kAvx512EmulatedKernels;
extern const KernelTable kAvx512Bf16Kernels;
extern const KernelTable kAvx512Bf16EmulatedKernels;
extern const KernelTable kAmxKernels;
extern const KernelTable kAmxEmulatedKernels;
extern const KernelTable kAmxEmulatedTilesKernels;

}  // namespace xeon
