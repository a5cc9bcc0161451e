#include "ops/op_utils.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <type_traits>

#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/parallel_rows.h"

namespace xeon {

uint64_t next_call_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

Tensor as_contiguous(const Tensor& t) { return t.is_contiguous() ? t : torch::stable::contiguous(t); }

bool is_float_type(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::BFloat16 || t == ScalarType::Half;
}

const char* dtype_name(ScalarType t) {
  switch (t) {
    case ScalarType::Float: return "float32";
    case ScalarType::BFloat16: return "bfloat16";
    case ScalarType::Half: return "float16";
    case ScalarType::Double: return "float64";
    case ScalarType::Char: return "int8";
    case ScalarType::Byte: return "uint8";
    case ScalarType::Int: return "int32";
    case ScalarType::Long: return "int64";
    default: return "another dtype";
  }
}

Tensor text_tensor(const std::string& text) {
  Tensor t = torch::stable::empty({static_cast<int64_t>(text.size())}, ScalarType::Byte, std::nullopt,
                                  torch::stable::Device(torch::headeronly::DeviceType::CPU));
  std::memcpy(t.data_ptr(), text.data(), text.size());
  return t;
}

namespace {
std::string shape_text(const int64_t* shape, int64_t dims) {
  std::string s = "[";
  for (int64_t d = 0; d < dims; ++d) s += (d ? ", " : "") + std::to_string(shape[d]);
  return s + "]";
}
}  // namespace

PackedLayout checked_layout(Scheme scheme, int64_t N, int64_t K, int64_t group) {
  const char* name = kSchemeNames[static_cast<int64_t>(scheme)];
  STD_TORCH_CHECK(N >= 1, "N: expected at least one output channel, got ", N);
  STD_TORCH_CHECK(K >= 1, "K: expected K >= 1, got ", K);
  if (scheme == Scheme::kDa8w8)
    STD_TORCH_CHECK(K <= kMaxKInt8, "K: expected 1 <= K <= ", kMaxKInt8,
                    " for da8w8 (longer K could overflow the int32 accumulators), got ", K);
  if (is_int4(scheme)) {
    STD_TORCH_CHECK(std::find(std::begin(kInt4GroupSizes), std::end(kInt4GroupSizes), group) !=
                        std::end(kInt4GroupSizes),
                    "group: expected 32, 64, 128 or 256 for ", name, ", got ", group);
    STD_TORCH_CHECK(K % group == 0, "K: expected a multiple of the group size ", group, " for ", name, ", got ", K);
  } else {
    STD_TORCH_CHECK(group == 0, "group: ", name, " quantizes per output channel (group 0), got ", group);
  }
  return PackedLayout{scheme, N, K, group};
}

void check_part(const Tensor& t, const char* name, const PackedLayout& L, Part part) {
  const PartSpec s = L.spec(part);
  const char* scheme = kSchemeNames[static_cast<int64_t>(L.scheme)];
  STD_TORCH_CHECK(t.is_cpu(), name, ": expected a CPU tensor");
  STD_TORCH_CHECK(t.scalar_type() == s.dtype, name, ": expected dtype ", dtype_name(s.dtype), " for a ", scheme,
                  " weight, got ", dtype_name(t.scalar_type()));
  bool same = t.dim() == s.dims;
  for (int64_t d = 0; same && d < s.dims; ++d) same = t.size(d) == s.shape[d];
  if (!same) {
    std::vector<int64_t> got(t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) got[d] = t.size(d);
    STD_TORCH_CHECK(false, name, ": expected shape ", shape_text(s.shape, s.dims), " for a ", scheme,
                    " weight with N = ", L.N, ", K = ", L.K, (is_int4(L.scheme) ? ", group = " : ""),
                    (is_int4(L.scheme) ? std::to_string(L.group) : std::string()), ", got ",
                    shape_text(got.data(), t.dim()));
  }
  STD_TORCH_CHECK(t.is_contiguous(), name, ": expected a contiguous tensor");
}

void check_activation(const Tensor& x, int64_t K) {
  STD_TORCH_CHECK(x.is_cpu(), "x: expected a CPU tensor");
  STD_TORCH_CHECK(is_float_type(x.scalar_type()), "x: expected dtype float32, bfloat16 or float16, got ",
                  dtype_name(x.scalar_type()));
  STD_TORCH_CHECK(x.dim() >= 1, "x: expected at least 1 dimension");
  STD_TORCH_CHECK(x.size(-1) == K, "x: expected last dimension K = ", K, " (the packed weight's), got ", x.size(-1));
}

void check_vector(const Tensor& t, const char* name, ScalarType dtype, int64_t numel) {
  STD_TORCH_CHECK(t.is_cpu(), name, ": expected a CPU tensor");
  STD_TORCH_CHECK(t.scalar_type() == dtype, name, ": expected dtype ", dtype_name(dtype), ", got ",
                  dtype_name(t.scalar_type()));
  STD_TORCH_CHECK(t.numel() == numel, name, ": expected ", numel, " elements, got ", t.numel());
}

const float* bias_as_float(const std::optional<Tensor>& bias, ScalarType x_dtype, int64_t N, std::vector<float>& buf) {
  if (!bias.has_value()) return nullptr;
  const Tensor& b = *bias;
  STD_TORCH_CHECK(b.is_cpu() && b.dim() == 1 && b.size(0) == N, "bias: expected a 1-D CPU tensor of ", N,
                  " elements");
  STD_TORCH_CHECK(b.scalar_type() == x_dtype || b.scalar_type() == ScalarType::Float,
                  "bias: expected the dtype of x or float32, got ", dtype_name(b.scalar_type()));
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
  torch::stable::parallel_for(0, M, row_grain(ld), [&](int64_t m0, int64_t m1) {
    quantize_rows(xp, dt, K, m0, m1, range, symmetric, q.codes.get(), ld, q.scale.data(), q.zero_u8.data());
    for (int64_t m = m0; m < m1; ++m) {
      std::memset(q.codes.get() + m * ld + K, 0, ld - K);  // meets the packed weight's zero padding
      q.zero_u8[m] += range.offset();
    }
  });
  return q;
}

}  // namespace xeon
