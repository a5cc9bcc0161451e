// The kernel paths: one registry row per path (id = row index, name, what the CPU needs, its kernels),
// the only place a path is described; xeon::info exports it to Python.
#pragma once
#include <cstdint>
#include "common/cpu_features.h"
#include "kernels/gemm_args.h"

namespace xeon {

struct PathEntry {
  const char* name;
  // Whether a CPU with these features runs the path.
  bool (*supported)(const CpuFeatures&);
  const KernelTable* kernels;
  // Preference when no path is forced: the supported path with the highest rank runs; 0: never chosen
  // automatically (the emulated paths, for tests).
  int auto_rank;
  const char* what;  // one line for xeon_kernels.info() and the README
};

extern const PathEntry kPaths[];
extern const int64_t kNumPaths;
constexpr int64_t kAutoPath = -1;

// The path chosen automatically on a CPU with these features.
int64_t best_path(const CpuFeatures& f);
// Validates a requested path id (kAutoPath or a registry index) on this CPU and returns its row;
// raises a clear error when this CPU cannot run it.
const PathEntry& path_for(int64_t path);

}  // namespace xeon
