#include "ops/paths.h"

#include <torch/headeronly/util/Exception.h>
#include "kernels/kernel_tables.h"

namespace xeon {
namespace {

bool any_cpu(const CpuFeatures&) { return true; }
// The avx2 path and the emulated paths are compiled for AVX2 + FMA (every Xeon since Haswell).
bool avx2_fma(const CpuFeatures& f) { return f.os_avx && f.avx2 && f.fma; }
bool avx512_vnni(const CpuFeatures& f) {
  return f.os_avx512 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512_vnni;
}
// AVX512_VBMI too (vpermb in the int4 decode kernel): every CPU with AVX512_BF16 but Cooper Lake, which runs avx512.
bool avx512_bf16(const CpuFeatures& f) { return avx512_vnni(f) && f.avx512_bf16 && f.avx512_vbmi; }
// AMX-INT8 and AMX-BF16 tiles (and the avx512_bf16 path's vector kernels below the tile threshold: every CPU
// with AMX has AVX512_BF16 and AVX512_VBMI), once Linux granted tile permission.
bool amx(const CpuFeatures& f) {
  return avx512_bf16(f) && f.os_amx && f.amx_tile && f.amx_int8 && f.amx_bf16 && f.amx_permitted;
}

}  // namespace

// Ids are row indices: append new paths at the end.
const PathEntry kPaths[] = {
    {"ref", &any_cpu, &kRefKernels, 1, "plain loops over the packed layouts, one output at a time"},
    {"avx512_emulated", &avx2_fma, &kAvx512EmulatedKernels, 0,
     "the avx512 kernels on a portable model of the AVX-512 instructions (tests)"},
    {"avx512", &avx512_vnni, &kAvx512Kernels, 3, "AVX-512 VNNI int8 / int4 and fp32-FMA kernels"},
    {"amx_emulated", &avx2_fma, &kAmxEmulatedKernels, 0,
     "the amx path's kernels and dispatch on a software model of the tile unit (tests)"},
    {"amx", &amx, &kAmxKernels, 5, "AMX int8 / bf16 tiles from a few rows on, the avx512 kernels below"},
    {"avx2", &avx2_fma, &kAvx2Kernels, 2, "the VNNI / FMA kernels on AVX2 + FMA"},
    {"amx_emulated_tiles", &avx2_fma, &kAmxEmulatedTilesKernels, 0,
     "amx_emulated with the tile kernels at every M (tests)"},
    {"avx512_bf16", &avx512_bf16, &kAvx512Bf16Kernels, 4,
     "the avx512 kernels, and vdpbf16ps kernels for A16W8 / A16W4 with bf16 activations"},
    {"avx512_bf16_emulated", &avx2_fma, &kAvx512Bf16EmulatedKernels, 0,
     "avx512_bf16 on the portable model of the instructions (tests)"},
};
const int64_t kNumPaths = sizeof(kPaths) / sizeof(kPaths[0]);

int64_t best_path(const CpuFeatures& f) {
  int64_t best = 0;
  for (int64_t id = 0; id < kNumPaths; ++id)
    if (kPaths[id].supported(f) && kPaths[id].auto_rank > kPaths[best].auto_rank) best = id;
  return best;
}

const PathEntry& path_for(int64_t path) {
  STD_TORCH_CHECK(path >= kAutoPath && path < kNumPaths, "path: expected -1 (auto) or a path id in [0, ",
                  kNumPaths - 1, "], got ", path);
  const int64_t id = path == kAutoPath ? best_path(cpu_features()) : path;
  STD_TORCH_CHECK(kPaths[id].supported(cpu_features()), "path: this CPU cannot run the ", kPaths[id].name,
                  " path (id ", id, "; see xeon_kernels.info() for the detected features)");
  return kPaths[id];
}

}  // namespace xeon
