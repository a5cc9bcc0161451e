// The ref path: plain loops over the packed layouts, one (m, n) at a time, with
// no blocking and no SIMD: the reference every fast path is compared against.
#include "kernels/kernel_prelude.h"
#include "kernels/epilogue.h"

namespace xeon {
namespace {

inline int8_t vnni4_at(const int8_t* w, int64_t Kpad, int64_t n, int64_t k) {
  return w[(n / kNBlock) * Kpad * kNBlock + (k / kKQuad) * kKQuad * kNBlock + (n % kNBlock) * kKQuad + k % kKQuad];
}
inline int8_t kmajor_at(const int8_t* w, int64_t K, int64_t n, int64_t k) {
  return w[(n / kNBlock) * K * kNBlock + k * kNBlock + n % kNBlock];
}

void ref_int8_gemm(const Int8GemmArgs& g) {
  std::vector<int32_t> acc(g.N);
  for (int64_t m = 0; m < g.M; ++m) {
    for (int64_t n = 0; n < g.N; ++n) {
      int64_t s = 0;  // exact; the kernels' int32 sums equal it (kMaxKInt8)
      for (int64_t k = 0; k < g.Kpad; ++k) s += int64_t{g.a[m * g.Kpad + k]} * vnni4_at(g.w, g.Kpad, n, k);
      acc[n] = static_cast<int32_t>(s);
    }
    int8_epilogue(g, acc.data(), g.N, m, 1, 0, g.N);
  }
}

void ref_a16w8_gemm(const A16W8GemmArgs& g) {
  std::vector<float> acc(g.N);
  for (int64_t m = 0; m < g.M; ++m) {
    for (int64_t n = 0; n < g.N; ++n) {
      float s = 0.f;
      for (int64_t k = 0; k < g.K; ++k) s = std::fma(g.x[m * g.K + k], float(kmajor_at(g.w, g.K, n, k)), s);
      acc[n] = s;
    }
    a16w8_epilogue(g, acc.data(), g.N, m, 1, 0, g.N);
  }
}

}  // namespace
const KernelTable kRefKernels = {"ref", &ref_int8_gemm, &ref_a16w8_gemm, nullptr};
}  // namespace xeon
