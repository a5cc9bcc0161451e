#include "kernels/a16_activations.h"

#include <type_traits>
#include <torch/csrc/stable/ops.h>
#include "common/parallel_rows.h"

namespace xeon {

const float* a16_rows_as_f32(const A16Activations& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf) {
  if (x.dtype == ScalarType::Float) return static_cast<const float*>(x.x);
  buf.reset(new float[M * K]);
  float* out = buf.get();
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    dispatch_float_type(x.dtype, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* p = static_cast<const T*>(x.x);
      for (int64_t i = m0 * K; i < m1 * K; ++i) out[i] = to_float(p[i]);
    });
  });
  return out;
}

const float* a16_group_sums(const BFloat16* x, int64_t M, int64_t K, int64_t group, std::unique_ptr<float[]>& buf) {
  const int64_t G = K / group;
  buf.reset(new float[M * G]);
  float* out = buf.get();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t gi = 0; gi < G; ++gi) {
      float s = 0.f;
      for (int64_t k = gi * group; k < (gi + 1) * group; ++k) s += to_float(x[m * K + k]);
      out[m * G + gi] = s;
    }
  return out;
}

}  // namespace xeon
