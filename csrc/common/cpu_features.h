// CPU feature detection (CPUID + OS support in XCR0) and the Linux AMX tile
// permission request. Nothing here depends on torch.
#pragma once
#include <cstdint>

namespace xeon {

struct CpuFeatures {
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_vnni = false, avx512_bf16 = false;
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;
  bool os_avx512 = false;  // XCR0 enables opmask + ZMM state
  bool os_amx = false;     // XCR0 enables XTILECFG + XTILEDATA
  bool amx_permitted = false;  // arch_prctl(ARCH_REQ_XCOMP_PERM) succeeded
  bool avx2 = false, fma = false;
  bool os_avx = false;  // XCR0 enables SSE + AVX state

  bool has_avx512_vnni_path() const {
    return os_avx512 && avx512f && avx512bw && avx512vl && avx512dq && avx512_vnni;
  }
  // The emulated paths are compiled for AVX2 + FMA (every Xeon since Haswell).
  bool has_avx2_fma() const { return os_avx && avx2 && fma; }
  // The amx path uses AMX-INT8 and AMX-BF16 tiles (and AVX-512 below its tile threshold).
  bool has_amx_path() const {
    return has_avx512_vnni_path() && os_amx && amx_tile && amx_int8 && amx_bf16 && amx_permitted;
  }
  // Bit mask in the order of kFeatureNames (for the Python side).
  int64_t as_bits() const;
};

// Detected once per process (thread-safe); the AMX permission is requested
// from Linux the first time, if the CPU and OS report AMX.
const CpuFeatures& cpu_features();

// Names of the bits returned by CpuFeatures::as_bits, in order.
constexpr const char* kFeatureNames[] = {
    "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16",
    "amx_tile", "amx_int8", "amx_bf16", "os_avx512", "os_amx", "amx_permitted",
    "avx2", "fma", "os_avx"};

}  // namespace xeon
