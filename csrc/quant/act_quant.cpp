#include "quant/act_quant.h"

#include <type_traits>

namespace xeon {
namespace {

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
  if (!finite) return quantize_nonfinite_row(K, r, out, scale_out, zp_out);
  const RowQParams p = row_qparams<T>(mn, mx, r, symmetric);
  for (int64_t k = 0; k < K; ++k) out[k] = quantize_value(to_float(x[k]), p, r);
  *scale_out = p.scale;
  *zp_out = p.zero_point;
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
