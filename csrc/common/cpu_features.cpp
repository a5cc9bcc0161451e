#include "common/cpu_features.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace xeon {
namespace {

// Linux uapi/asm/prctl.h and the XSAVE feature numbers of the Intel SDM vol. 1 ch. 13.
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  f.fma = (ecx >> 12) & 1;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.avx2 = (ebx >> 5) & 1;
  f.avx512f = (ebx >> 16) & 1;
  f.avx512dq = (ebx >> 17) & 1;
  f.avx512bw = (ebx >> 30) & 1;
  f.avx512vl = (ebx >> 31) & 1;
  f.avx512_vnni = (ecx >> 11) & 1;
  f.avx512_vbmi = (ecx >> 1) & 1;
  f.amx_bf16 = (edx >> 22) & 1;
  f.amx_tile = (edx >> 24) & 1;
  f.amx_int8 = (edx >> 25) & 1;
  unsigned eax1, ebx1, ecx1, edx1;
  __cpuid_count(7, 1, eax1, ebx1, ecx1, edx1);
  f.avx512_bf16 = (eax1 >> 5) & 1;
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    f.os_avx = (xcr0 & 0x6) == 0x6;  // bits 1,2 (SSE, AVX)
    // bits 1,2 (SSE, AVX) and 5,6,7 (opmask, ZMM_Hi256, Hi16_ZMM)
    f.os_avx512 = (xcr0 & 0xE6) == 0xE6;
    // bits 17,18 (XTILECFG, XTILEDATA)
    f.os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);
  }
  if (f.amx_tile && f.os_amx) {
    f.amx_permitted =
        syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();  // C++11 magic static: once
  return features;
}

int64_t CpuFeatures::as_bits() const {
  int64_t out = 0;
  int i = 0;
  for (const FeatureBit& f : kFeatureBits) {
    if (this->*f.member) out |= int64_t{1} << i;
    ++i;
  }
  return out;
}

CpuFeatures CpuFeatures::from_bits(int64_t bits) {
  CpuFeatures out;
  int i = 0;
  for (const FeatureBit& f : kFeatureBits) out.*f.member = (bits >> i++) & 1;
  return out;
}

}  // namespace xeon
