// The ref path: plain loops over the packed layouts (read through layouts.h's accessors), one (m, n) at a
// time, with no blocking and no SIMD: the reference every fast path is compared against.
#include "kernels/kernel_prelude.h"
#include "kernels/gemm_driver.h"

namespace xeon {
namespace {

// The code of channel n at k (int8, or the uint4 value for the int4 schemes).
inline int32_t code_at(const PackedLayout& L, const void* w, int64_t n, int64_t k) {
  const int64_t byte = L.code_byte(n, k);
  if (!is_int4(L.scheme)) return static_cast<const int8_t*>(w)[byte];
  return (static_cast<const uint8_t*>(w)[byte] >> PackedLayout::code_shift(n)) & 0x0F;
}

// Runs value(m, n) for every output and the scheme's epilogue row by row; records the call's stats.
template <class Args, class Value>
void ref_gemm(const Args& g, Value&& value) {
  std::vector<AccOf<Args>> acc(g.N);
  for (int64_t m = 0; m < g.M; ++m) {
    for (int64_t n = 0; n < g.N; ++n) acc[n] = value(m, n);
    epilogue(g, acc.data(), g.N, m, 1, 0, g.N);
  }
  record_gemm_stats({0, 1, 1, 1, 1, 0, 0, 1, 0});
}

void ref_da8w8(const Da8w8Args& g) {
  const PackedLayout L{Scheme::kDa8w8, g.N, g.Kpad, 0};
  ref_gemm(g, [&](int64_t m, int64_t n) {
    int64_t s = 0;  // exact; the kernels' int32 sums equal it (kMaxKInt8)
    for (int64_t k = 0; k < g.Kpad; ++k) s += int64_t{g.a.codes[m * g.a.ld + k]} * code_at(L, g.w, n, k);
    return static_cast<int32_t>(s);
  });
}

void ref_a16w8(const A16w8Args& g_in) {
  A16w8Args g = g_in;
  std::unique_ptr<float[]> buf;
  g.x.f32 = a16_rows_as_f32(g.x, g.M, g.K, buf);
  const PackedLayout L{Scheme::kA16w8, g.N, g.K, 0};
  ref_gemm(g, [&](int64_t m, int64_t n) {
    float s = 0.f;
    for (int64_t k = 0; k < g.K; ++k) s = std::fma(g.x.f32[m * g.K + k], float(code_at(L, g.w, n, k)), s);
    return s;
  });
}

// The fp32 steps of Da8w4Channels (int4_microkernel.h), one output at a time.
void ref_da8w4(const Da8w4Args& g) {
  const PackedLayout L{Scheme::kDa8w4, g.N, g.K, g.group};
  const int64_t G = L.groups();
  ref_gemm(g, [&](int64_t m, int64_t n) {
    float f = 0.f, s3 = 0.f;
    for (int64_t gi = 0; gi < G; ++gi) {
      int64_t dot = 0;  // exact
      for (int64_t k = gi * g.group; k < (gi + 1) * g.group; ++k)
        dot += int64_t{g.a.codes[m * g.a.ld + k]} * code_at(L, g.w, n, k);
      const int64_t p = L.param_index(n, gi);
      const float s = g.w_scale[p];
      const float szw = s * static_cast<float>(g.w_zero[p]);
      s3 = std::fma(s, static_cast<float>(g.w_centered_sum[p]), s3);
      f = std::fma(-static_cast<float>(g.a_sum[m * G + gi]), szw, std::fma(static_cast<float>(dot), s, f));
    }
    return f - static_cast<float>(g.a.zero_u8[m]) * s3;
  });
}

void ref_a16w4(const A16w4Args& g_in) {
  A16w4Args g = g_in;
  std::unique_ptr<float[]> buf;
  g.x.f32 = a16_rows_as_f32(g.x, g.M, g.K, buf);
  const PackedLayout L{Scheme::kA16w4, g.N, g.K, g.group};
  ref_gemm(g, [&](int64_t m, int64_t n) {
    float s = 0.f;
    for (int64_t k = 0; k < g.K; ++k) {
      const int64_t p = L.param_index(n, k / g.group);
      const float q = static_cast<float>(code_at(L, g.w, n, k));
      s = std::fma(g.x.f32[m * g.K + k], std::fma(q - 8.f, g.w_scale[p], g.w_zero[p]), s);
    }
    return s;
  });
}

}  // namespace
const KernelTable kRefKernels = {&ref_da8w8, &ref_a16w8, &ref_da8w4, &ref_a16w4, -1, -1, 0, nullptr, nullptr, 0, 0,
                                 &quantize_rows};
}  // namespace xeon
