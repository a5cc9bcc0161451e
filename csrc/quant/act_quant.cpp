#include "quant/act_quant.h"

#include <type_traits>

namespace xeon {
namespace {

template <typename T>
void quantize_row(const T* x, int64_t K, const QuantRange& r, bool symmetric, uint8_t* out, float* scale_out,
                  int32_t* zp_out) {
  RowRange range;
  for (int64_t k = 0; k < K; ++k) range.add(to_float(x[k]));
  RowQParams p;
  finish_row(x, 0, K, range, r, symmetric, out, scale_out, zp_out, &p);
}

}  // namespace

void quantize_rows(const void* x, ScalarType dtype, int64_t K, int64_t m_begin, int64_t m_end,
                   const QuantRange& range, bool symmetric, uint8_t* out, int64_t ld_out, float* scale,
                   int32_t* zero_point) {
  for_each_row(x, dtype, K, m_begin, m_end, out, ld_out, scale, zero_point,
               [&](const auto* row, uint8_t* o, float* s, int32_t* z) {
                 quantize_row(row, K, range, symmetric, o, s, z);
               });
}

}  // namespace xeon
