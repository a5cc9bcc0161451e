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

// The uint4 code of channel n at k in an int4 layout (block_sizes.h).
inline int32_t int4_at(Layout layout, const uint8_t* w, int64_t K, int64_t group, int64_t n, int64_t k) {
  const int64_t half = kNBlockInt4 / 2, j = n % kNBlockInt4, lane = j % half;
  const int64_t kk = k % group;
  const uint8_t* grp = w + (n / kNBlockInt4) * K * half + (k / group) * group * half;
  const uint8_t byte = layout == Layout::kInt4Vnni4 ? grp[(kk / kKQuad) * kKQuad * half + lane * kKQuad + kk % kKQuad]
                                                    : grp[kk * half + lane];
  return j < half ? (byte & 0x0F) : (byte >> 4);
}
// Index of the per-group parameter of channel n, group gi ([Npad/32][G][32]).
inline int64_t int4_param(int64_t G, int64_t n, int64_t gi) {
  return ((n / kNBlockInt4) * G + gi) * kNBlockInt4 + n % kNBlockInt4;
}

// The fp32 steps of Da8w4Channels (int4_microkernel.h), one output at a time.
void ref_da8w4_gemm(const Da8w4GemmArgs& g) {
  const int64_t G = g.K / g.group;
  std::vector<float> acc(g.N);
  for (int64_t m = 0; m < g.M; ++m) {
    for (int64_t n = 0; n < g.N; ++n) {
      float f = 0.f, s3 = 0.f;
      for (int64_t gi = 0; gi < G; ++gi) {
        int64_t dot = 0;  // exact
        for (int64_t k = gi * g.group; k < (gi + 1) * g.group; ++k)
          dot += int64_t{g.a[m * g.K + k]} * int4_at(Layout::kInt4Vnni4, g.w, g.K, g.group, n, k);
        const int64_t p = int4_param(G, n, gi);
        const float s = g.w_scale[p];
        const float szw = s * static_cast<float>(g.w_zero[p]);
        s3 = std::fma(s, static_cast<float>(g.w_comp[p]), s3);
        f = std::fma(-static_cast<float>(g.a_sum[m * G + gi]), szw, std::fma(static_cast<float>(dot), s, f));
      }
      acc[n] = f - static_cast<float>(g.a_comp[m]) * s3;
    }
    float_epilogue(g.o, g.N, acc.data(), g.N, m, 1, 0, g.N, g.a_scale);
  }
}

void ref_a16w4_gemm(const A16w4GemmArgs& g) {
  const int64_t G = g.K / g.group;
  std::vector<float> acc(g.N);
  for (int64_t m = 0; m < g.M; ++m) {
    for (int64_t n = 0; n < g.N; ++n) {
      float s = 0.f;
      for (int64_t k = 0; k < g.K; ++k) {
        const int64_t p = int4_param(G, n, k / g.group);
        const float q = static_cast<float>(int4_at(Layout::kInt4KMajor, g.w, g.K, g.group, n, k));
        s = std::fma(g.x[m * g.K + k], std::fma(q - 8.f, g.w_scale[p], g.w_zero[p]), s);
      }
      acc[n] = s;
    }
    float_epilogue(g.o, g.N, acc.data(), g.N, m, 1, 0, g.N, nullptr);
  }
}

}  // namespace
const KernelTable kRefKernels = {"ref", &ref_int8_gemm, &ref_a16w8_gemm, &ref_da8w4_gemm, &ref_a16w4_gemm, -1, nullptr};
}  // namespace xeon
