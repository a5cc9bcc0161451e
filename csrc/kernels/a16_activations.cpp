#include "kernels/a16_activations.h"

#include <cstring>
#include <type_traits>
#include <torch/csrc/stable/ops.h>
#include "common/parallel_rows.h"
#include "common/row_stride.h"

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

const BFloat16* a16_bf16_rows_set_spread(const A16Activations& x, int64_t M, int64_t K, int64_t& ld,
                                         std::unique_ptr<BFloat16[]>& buf) {
  const BFloat16* src = static_cast<const BFloat16*>(x.x);
  const int64_t row_bytes = K * static_cast<int64_t>(sizeof(BFloat16));
  const int64_t stride = set_spreading_row_stride(row_bytes);
  if (stride == row_bytes) {
    ld = K;
    return src;
  }
  ld = stride / static_cast<int64_t>(sizeof(BFloat16));
  buf.reset(new BFloat16[M * ld]);
  BFloat16* out = buf.get();
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) std::memcpy(out + m * ld, src + m * K, row_bytes);
  });
  return out;
}

// Rows in parallel, each group in eight interleaved partial sums (k mod 8) added pairwise: eight independent
// chains instead of one, in one fixed order on every path. Any order of a group's terms keeps the sum within
// the bound the tests hold the decode kernel to (conftest.py a16w4_split_magnitude). Measured on AMD EPYC Zen 4
// (2 threads, A16W4 with N = 32 so that the sums weigh most, medians, 2026-11-29), one serial chain per group
// before: M = 1 K = 14336 26.3 / 39.8 -> 17.8 / 24.6 us (two runs each); avx512 path M = 128 / 1024 (K = 4096)
// 1825 -> 497 us / 7190 -> 3167 us.
constexpr int64_t kSumLanes = 8;  // divides every group size (32 to 256)
const float* a16_group_sums(const A16Activations& x, int64_t M, int64_t K, int64_t group,
                            std::unique_ptr<float[]>& buf) {
  const int64_t G = K / group;
  buf.reset(new float[M * G]);
  float* out = buf.get();
  torch::stable::parallel_for(0, M, row_grain(K), [&](int64_t m0, int64_t m1) {
    dispatch_float_type(x.dtype, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      for (int64_t m = m0; m < m1; ++m)
        for (int64_t gi = 0; gi < G; ++gi) {
          const T* p = static_cast<const T*>(x.x) + m * K + gi * group;
          float s[kSumLanes] = {};
          for (int64_t k = 0; k < group; k += kSumLanes)
            for (int64_t j = 0; j < kSumLanes; ++j) s[j] += to_float(p[k + j]);
          out[m * G + gi] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        }
    });
  });
  return out;
}

}  // namespace xeon
