#include "ops/paths.h"

#include <torch/headeronly/util/Exception.h>
#include "common/cpu_features.h"

namespace xeon {

bool path_supported(Path p) {
  const CpuFeatures& f = cpu_features();
  switch (p) {
    case Path::kRef: return true;
    case Path::kAvx2:
    case Path::kAvx512Emulated:
    case Path::kAmxEmulated: return f.has_avx2_fma();
    case Path::kAvx512: return f.has_avx512_vnni_path();
    case Path::kAmx: return f.has_amx_path();
  }
  return false;
}

Path best_path() {
  if (path_supported(Path::kAmx)) return Path::kAmx;
  if (path_supported(Path::kAvx512)) return Path::kAvx512;
  if (path_supported(Path::kAvx2)) return Path::kAvx2;
  return Path::kRef;
}

const KernelTable& kernels_for(int64_t path) {
  STD_TORCH_CHECK(path >= kAutoPath && path <= kMaxPathId, "path: expected -1 (auto) or a path id in [0, ",
                  kMaxPathId, "], got ", path);
  const Path p = path == kAutoPath ? best_path() : static_cast<Path>(path);
  STD_TORCH_CHECK(path_supported(p), "path: this CPU cannot run path id ", path,
                  " (see xeon_kernels.info() for the detected features)");
  switch (p) {
    case Path::kRef: return kRefKernels;
    case Path::kAvx512Emulated: return kAvx512EmulatedKernels;
    case Path::kAvx512: return kAvx512Kernels;
    case Path::kAmxEmulated: return kAmxEmulatedKernels;
    case Path::kAmx: return kAmxKernels;
    case Path::kAvx2: return kAvx2Kernels;
  }
  return kRefKernels;
}

}  // namespace xeon
