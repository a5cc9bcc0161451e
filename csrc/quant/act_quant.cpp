#include "quant/act_quant.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <limits>

namespace xeon {
namespace {

// torch.finfo(torch.float32).eps, the eps torchao's Int8Tensor passes for every dtype.
constexpr float kEps = std::numeric_limits<float>::epsilon();

template <typename T>
void quantize_row(const T* x, int64_t K, const QuantRange& r, bool symmetric, uint8_t* out, float* scale_out,
                  int32_t* zp_out) {
  // min_val_neg / max_val_pos: min(amin, 0), max(amax, 0), exact in T.
  float mn = 0.f, mx = 0.f;
  bool finite = true;
  for (int64_t k = 0; k < K; ++k) {
    const float v = to_float(x[k]);
    finite &= std::isfinite(v);
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  const int32_t off = r.offset();
  if (!finite) {
    *scale_out = std::numeric_limits<float>::quiet_NaN();
    *zp_out = 0;
    for (int64_t k = 0; k < K; ++k) out[k] = static_cast<uint8_t>(off);
    return;
  }
  float scale;  // every step rounded to T, as torch computes it on a T tensor
  int32_t zp;
  if (symmetric) {
    const float amax = std::max(-mn, mx);
    scale = round_to<T>(amax / (static_cast<float>(r.qmax - r.qmin) / 2.f));
    scale = std::max(scale, round_to<T>(kEps));
    zp = (r.qmax + r.qmin + 1) / 2;
  } else {
    const float range = round_to<T>(mx - mn);
    scale = round_to<T>(range / static_cast<float>(r.qmax - r.qmin));
    scale = std::max(scale, round_to<T>(kEps));
    const float shifted = round_to<T>(std::nearbyint(round_to<T>(mn / scale)));
    float z = round_to<T>(static_cast<float>(r.qmin) - shifted);
    z = std::min(std::max(z, static_cast<float>(r.qmin)), static_cast<float>(r.qmax));
    zp = static_cast<int32_t>(z);
  }
  const float inv = 1.f / scale;  // torch: 1.0 / scale == reciprocal(scale) in fp32
  for (int64_t k = 0; k < K; ++k) {
    float q = std::nearbyint(to_float(x[k]) * inv) + static_cast<float>(zp);
    q = std::min(std::max(q, static_cast<float>(r.qmin)), static_cast<float>(r.qmax));
    out[k] = static_cast<uint8_t>(static_cast<int32_t>(q) + off);
  }
  *scale_out = scale;
  *zp_out = zp;
}

}  // namespace

void quantize_rows(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                   const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                   int32_t* zero_point) {
  dispatch_float_type(dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xt = static_cast<const T*>(x);
    for (int64_t m = m_begin; m < m_end; ++m)
      quantize_row<T>(xt + m * K, K, range, symmetric, out + m * ld_out, scale + m, zero_point + m);
  });
}

}  // namespace xeon
