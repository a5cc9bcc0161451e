// Kernel paths and their selection. Path ids are shared with xeon_kernels/_paths.py.
#pragma once
#include <cstdint>
#include "kernels/gemm_args.h"

namespace xeon {

enum class Path : int64_t { kRef = 0, kAvx512Emulated = 1, kAvx512 = 2, kAmxEmulated = 3, kAmx = 4, kAvx2 = 5 };
constexpr int64_t kMaxPathId = 5;
constexpr int64_t kAutoPath = -1;

// Whether this CPU can run the path (ref runs everywhere; avx2 and the emulated paths need AVX2 + FMA).
bool path_supported(Path p);
// Best path this CPU runs: amx > avx512 > avx2 > ref (the emulated paths are for tests only).
Path best_path();
// Validates a requested path id (kAutoPath or a Path) and returns its kernels;
// raises a clear error when this CPU cannot run it.
const KernelTable& kernels_for(int64_t path);

}  // namespace xeon
