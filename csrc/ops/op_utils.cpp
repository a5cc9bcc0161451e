#include "ops/op_utils.h"

#include <algorithm>
#include <atomic>
#include <cmath>
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
  // 2^31 bounds every product of sizes the layouts form (N * K * 2 < 2^63): no int64 overflow.
  constexpr int64_t kMaxDim = int64_t{1} << 31;
  STD_TORCH_CHECK(N >= 1 && N <= kMaxDim, "N: expected 1 <= N <= ", kMaxDim, ", got ", N);
  STD_TORCH_CHECK(K >= 1 && K <= kMaxDim, "K: expected 1 <= K <= ", kMaxDim, ", got ", K);
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
  STD_TORCH_CHECK(t.defined(), name, ": expected a tensor, got None");
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

void check_padding(const PackedLayout& L, const Tensor& codes, const Tensor& scale) {
  if (is_int4(L.scheme)) {
    const float* s = static_cast<const float*>(scale.data_ptr());
    for (int64_t n = L.N; n < L.npad(); ++n)
      for (int64_t g = 0; g < L.groups(); ++g)
        STD_TORCH_CHECK(s[L.param_index(n, g)] == 0.f, "N: expected the packed weight's output channels, got N = ",
                        L.N, " while channel ", n, " has a nonzero scale (the weight has more channels)");
    bool last_real = false;
    for (int64_t g = 0; g < L.groups(); ++g) last_real |= s[L.param_index(L.N - 1, g)] != 0.f;
    STD_TORCH_CHECK(last_real, "N: expected the packed weight's output channels, got N = ", L.N, " while channel ",
                    L.N - 1, " has only zero scales (a padding channel: the weight has fewer channels)");
  } else if (L.scheme == Scheme::kDa8w8 && L.kpad() > L.K) {
    const int8_t* c = static_cast<const int8_t*>(codes.data_ptr());
    for (int64_t n = 0; n < L.N; ++n)
      for (int64_t k = L.K; k < L.kpad(); ++k)
        STD_TORCH_CHECK(c[L.code_byte(n, k)] == 0, "K: expected the packed weight's input size, got K = ", L.K,
                        " while channel ", n, " has a nonzero code at k = ", k, " (the weight is wider)");
  }
}

void check_activation(const Tensor& x, int64_t K) {
  STD_TORCH_CHECK(x.defined(), "x: expected a tensor, got None");
  STD_TORCH_CHECK(x.is_cpu(), "x: expected a CPU tensor");
  STD_TORCH_CHECK(is_float_type(x.scalar_type()), "x: expected dtype float32, bfloat16 or float16, got ",
                  dtype_name(x.scalar_type()));
  STD_TORCH_CHECK(x.dim() >= 1, "x: expected at least 1 dimension");
  STD_TORCH_CHECK(x.size(-1) == K, "x: expected last dimension K = ", K, " (the packed weight's), got ", x.size(-1));
}

void check_vector(const Tensor& t, const char* name, ScalarType dtype, int64_t numel) {
  STD_TORCH_CHECK(t.defined(), name, ": expected a tensor, got None");
  STD_TORCH_CHECK(t.is_cpu(), name, ": expected a CPU tensor");
  STD_TORCH_CHECK(t.scalar_type() == dtype, name, ": expected dtype ", dtype_name(dtype), ", got ",
                  dtype_name(t.scalar_type()));
  STD_TORCH_CHECK(t.numel() == numel, name, ": expected ", numel, " elements, got ", t.numel());
}

const float* bias_as_float(const std::optional<Tensor>& bias, ScalarType x_dtype, int64_t N, std::vector<float>& buf) {
  if (!bias.has_value() || !bias->defined()) return nullptr;
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
  const bool has_bias = !bias_buf.empty();  // before bias_buf is moved
  return LinearCall{std::move(x), std::move(out), M, std::move(bias_buf), has_bias};
}

QuantizedActivations quantize_activations(const KernelTable& kt, const Tensor& x, int64_t M, int64_t K, int64_t ld,
                                          const QuantRange& range, bool symmetric) {
  QuantizedActivations q{std::unique_ptr<uint8_t[]>(new uint8_t[M * ld]), ld, std::vector<float>(M),
                         std::vector<int32_t>(M)};
  const void* xp = x.data_ptr();
  const ScalarType dt = x.scalar_type();
  torch::stable::parallel_for(0, M, row_grain(ld), [&](int64_t m0, int64_t m1) {
    kt.quantize_rows(xp, dt, K, m0, m1, range, symmetric, q.codes.get(), ld, q.scale.data(), q.zero_u8.data());
    for (int64_t m = m0; m < m1; ++m) {
      std::memset(q.codes.get() + m * ld + K, 0, ld - K);  // meets the packed weight's zero padding
      q.zero_u8[m] += range.offset();
    }
    zero_scale_of_null_rows(q.codes.get(), ld, K, q.zero_u8.data(), q.scale.data(), m0, m1);
  });
  return q;
}

void zero_scale_of_null_rows(const uint8_t* codes, int64_t ld, int64_t K, const int32_t* zero_u8, float* scale,
                             int64_t m0, int64_t m1) {
  for (int64_t m = m0; m < m1; ++m) {
    if (!std::isfinite(scale[m])) continue;  // a NaN row stays NaN
    const uint8_t z = static_cast<uint8_t>(zero_u8[m]);
    const uint8_t* row = codes + m * ld;
    bool null_row = zero_u8[m] >= 0 && zero_u8[m] <= 255;
    for (int64_t k = 0; null_row && k < K; ++k) null_row = row[k] == z;
    if (null_row) scale[m] = 0.f;
  }
}

}  // namespace xeon
