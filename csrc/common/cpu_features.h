// CPU feature detection (CPUID + OS support in XCR0) and the Linux AMX tile
// permission request. Nothing here depends on torch.
#pragma once
#include <cstdint>

namespace xeon {

struct CpuFeatures {
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_vnni = false, avx512_bf16 = false, avx512_vbmi = false;
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;
  bool os_avx512 = false;      // XCR0 enables opmask + ZMM state
  bool os_amx = false;         // XCR0 enables XTILECFG + XTILEDATA
  bool amx_permitted = false;  // arch_prctl(ARCH_REQ_XCOMP_PERM) succeeded
  bool avx2 = false, fma = false;
  bool os_avx = false;  // XCR0 enables SSE + AVX state

  // As a bit mask in the order of kFeatureBits, and back (xeon::info can describe any feature set).
  int64_t as_bits() const;
  static CpuFeatures from_bits(int64_t bits);
};

// Every feature with its name, in bit order: the one list the bit mask and Python's names come from.
struct FeatureBit {
  const char* name;
  bool CpuFeatures::*member;
};
constexpr FeatureBit kFeatureBits[] = {
    {"avx512f", &CpuFeatures::avx512f},         {"avx512bw", &CpuFeatures::avx512bw},
    {"avx512vl", &CpuFeatures::avx512vl},       {"avx512dq", &CpuFeatures::avx512dq},
    {"avx512_vnni", &CpuFeatures::avx512_vnni}, {"avx512_bf16", &CpuFeatures::avx512_bf16},
    {"amx_tile", &CpuFeatures::amx_tile},       {"amx_int8", &CpuFeatures::amx_int8},
    {"amx_bf16", &CpuFeatures::amx_bf16},       {"os_avx512", &CpuFeatures::os_avx512},
    {"os_amx", &CpuFeatures::os_amx},           {"amx_permitted", &CpuFeatures::amx_permitted},
    {"avx2", &CpuFeatures::avx2},               {"fma", &CpuFeatures::fma},
    {"os_avx", &CpuFeatures::os_avx},           {"avx512_vbmi", &CpuFeatures::avx512_vbmi},
};

// Detected once per process (thread-safe); the AMX permission is requested
// from Linux the first time, if the CPU and OS report AMX.
const CpuFeatures& cpu_features();

}  // namespace xeon
