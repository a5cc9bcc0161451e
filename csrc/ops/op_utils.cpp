#include "ops/op_utils.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>

#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/block_sizes.h"

namespace xeon {

using torch::stable::Tensor;

uint64_t next_call_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

Tensor as_contiguous(const Tensor& t) { return t.is_contiguous() ? t : torch::stable::contiguous(t); }

bool is_float_type(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::BFloat16 || t == ScalarType::Half;
}

void check_activation(const Tensor& x, int64_t K) {
  STD_TORCH_CHECK(x.is_cpu(), "x: expected a CPU tensor");
  STD_TORCH_CHECK(is_float_type(x.scalar_type()), "x: expected dtype float32, bfloat16 or float16");
  STD_TORCH_CHECK(x.dim() >= 1, "x: expected at least 1 dimension");
  STD_TORCH_CHECK(x.size(-1) == K, "x: expected last dimension K = ", K, " (the packed weight's), got ",
                  x.size(-1));
}

void check_tensor(const Tensor& t, const char* name, ScalarType dtype, int64_t numel) {
  STD_TORCH_CHECK(t.is_cpu(), name, ": expected a CPU tensor");
  STD_TORCH_CHECK(t.scalar_type() == dtype, name, ": wrong dtype for this packed weight");
  STD_TORCH_CHECK(t.numel() == numel, name, ": expected ", numel, " elements, got ", t.numel());
  STD_TORCH_CHECK(t.is_contiguous(), name, ": expected a contiguous tensor");
}

const float* bias_as_float(const std::optional<Tensor>& bias, ScalarType x_dtype, int64_t N,
                           std::vector<float>& buf) {
  if (!bias.has_value()) return nullptr;
  const Tensor& b = *bias;
  STD_TORCH_CHECK(b.is_cpu() && b.dim() == 1 && b.size(0) == N, "bias: expected a 1-D CPU tensor of ", N,
                  " elements");
  STD_TORCH_CHECK(b.scalar_type() == x_dtype || b.scalar_type() == ScalarType::Float,
                  "bias: expected the dtype of x or float32");
  const Tensor bc = as_contiguous(b);
  buf.resize(N);
  dispatch_float_type(bc.scalar_type(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* p = static_cast<const T*>(bc.data_ptr());
    for (int64_t n = 0; n < N; ++n) buf[n] = to_float(p[n]);
  });
  return buf.data();
}

std::vector<int64_t> out_shape(const Tensor& x, int64_t N) {
  std::vector<int64_t> s;
  for (int64_t d = 0; d + 1 < x.dim(); ++d) s.push_back(x.size(d));
  s.push_back(N);
  return s;
}

const float* activation_as_float(const Tensor& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf) {
  const ScalarType dt = x.scalar_type();
  if (dt == ScalarType::Float) return static_cast<const float*>(x.data_ptr());
  buf.reset(new float[M * K]);
  float* out = buf.get();
  const void* xp = x.data_ptr();
  torch::stable::parallel_for(0, M, std::max<int64_t>(1, kRowGrainElems / K), [&](int64_t m0, int64_t m1) {
    dispatch_float_type(dt, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const T* p = static_cast<const T*>(xp);
      for (int64_t i = m0 * K; i < m1 * K; ++i) out[i] = to_float(p[i]);
    });
  });
  return out;
}

LinearCall begin_linear(const Tensor& x_in, int64_t K, int64_t N, const std::optional<Tensor>& bias) {
  std::vector<float> bias_buf;
  bias_as_float(bias, x_in.scalar_type(), N, bias_buf);  // validates before anything is allocated
  Tensor x = as_contiguous(x_in);
  Tensor out = torch::stable::new_empty(x, out_shape(x, N));
  const int64_t M = x.numel() / K;
  return LinearCall{std::move(x), std::move(out), M, std::move(bias_buf), bias.has_value()};
}

QuantizedActivations quantize_activations(const Tensor& x, int64_t M, int64_t K, int64_t ld, const QuantRange& range,
                                          bool symmetric) {
  QuantizedActivations q{std::unique_ptr<uint8_t[]>(new uint8_t[M * ld]), std::vector<float>(M),
                         std::vector<int32_t>(M)};
  const void* xp = x.data_ptr();
  const ScalarType dt = x.scalar_type();
  torch::stable::parallel_for(0, M, std::max<int64_t>(1, kRowGrainElems / ld), [&](int64_t m0, int64_t m1) {
    quantize_rows(xp, dt, K, m0, m1, range, symmetric, q.codes.get(), ld, q.scale.data(), q.comp.data());
    for (int64_t m = m0; m < m1; ++m) {
      std::memset(q.codes.get() + m * ld + K, 0, ld - K);  // meets the packed weight's zero padding
      q.comp[m] += range.offset();
    }
  });
  return q;
}

A16Activations a16_activations(const Tensor& x, int64_t M, int64_t K, const KernelTable& kt,
                               std::unique_ptr<float[]>& buf) {
  if (x.scalar_type() == ScalarType::BFloat16 && K % kBf16TileK == 0 && kt.bf16_tile_min_rows >= 0 &&
      M >= kt.bf16_tile_min_rows)
    return {nullptr, static_cast<const BFloat16*>(x.data_ptr())};
  return {activation_as_float(x, M, K, buf), nullptr};
}

}  // namespace xeon
