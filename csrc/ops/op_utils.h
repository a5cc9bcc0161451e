// Validation and small helpers shared by the op translation units.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <torch/csrc/stable/tensor.h>

#include "common/float_types.h"

namespace xeon {

// Rows per parallel_for grain in elementwise passes, so a few short rows stay on one thread.
constexpr int64_t kRowGrainElems = 16384;

bool is_float_type(ScalarType t);
// x: CPU, float32 / bfloat16 / float16, at least 1-D, last dimension K.
void check_activation(const torch::stable::Tensor& x, int64_t K);
// A packed-weight tensor: CPU, dtype, element count, contiguous.
void check_tensor(const torch::stable::Tensor& t, const char* name, ScalarType dtype, int64_t numel);
// The bias as fp32 (nullptr when absent); keeps its storage in `buf`.
const float* bias_as_float(const std::optional<torch::stable::Tensor>& bias, ScalarType x_dtype, int64_t N,
                           std::vector<float>& buf);
// x.shape[:-1] + [N]
std::vector<int64_t> out_shape(const torch::stable::Tensor& x, int64_t N);
// x (contiguous, M x K) as fp32: x itself when already fp32, else converted into `buf`.
const float* activation_as_float(const torch::stable::Tensor& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf);

}  // namespace xeon
