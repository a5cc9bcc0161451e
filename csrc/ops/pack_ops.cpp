// Packing ops: xeon::pack_weight, xeon::unpack_weight (every scheme, pack/pack.h) and xeon::packed_spec
// (the parts of a packed weight as JSON, from layouts.h: what Python's PackedWeight and fakes read).
#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/json.h"
#include "pack/pack.h"
#include "ops/op_utils.h"

namespace xeon {
namespace {

Scheme checked_scheme(int64_t scheme) {
  STD_TORCH_CHECK(scheme >= 0 && scheme < kNumSchemes, "scheme: expected a scheme id in [0, ", kNumSchemes - 1,
                  "], got ", scheme);
  return static_cast<Scheme>(scheme);
}

// Every value of a uint8 / int32 tensor lies in [0, 15].
template <class T>
bool all_uint4(const Tensor& t) {
  const T* p = static_cast<const T*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i)
    if (p[i] < 0 || p[i] > 15) return false;
  return true;
}

// Packs N-blocks in parallel (each block's bytes belong to one block: no two threads write one byte).
template <class F>
void over_blocks(const PackedLayout& L, F&& f) {
  const int64_t blocks = L.npad() / L.n_block();
  torch::stable::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) { f(b0, b1); });
}

std::vector<Tensor> pack_weight(const Tensor& codes_in, const Tensor& scale_in, const std::optional<Tensor>& zero_in,
                                int64_t scheme_id, int64_t group) {
  const Scheme scheme = checked_scheme(scheme_id);
  const char* name = kSchemeNames[scheme_id];
  const bool int4 = is_int4(scheme);
  STD_TORCH_CHECK(codes_in.is_cpu() && codes_in.dim() == 2, "codes: expected a 2-D CPU tensor [N, K]");
  STD_TORCH_CHECK(codes_in.scalar_type() == (int4 ? ScalarType::Byte : ScalarType::Char), "codes: expected dtype ",
                  int4 ? "uint8 (uint4 values)" : "int8", " for ", name, ", got ", dtype_name(codes_in.scalar_type()));
  const PackedLayout L = checked_layout(scheme, codes_in.size(0), codes_in.size(1), group);
  const int64_t N = L.N, G = L.groups();
  const Tensor codes = as_contiguous(codes_in), scale = as_contiguous(scale_in);
  STD_TORCH_CHECK(scale.is_cpu() && scale.scalar_type() == ScalarType::Float &&
                      (int4 ? scale.dim() == 2 && scale.size(0) == N && scale.size(1) == G
                            : scale.dim() == 1 && scale.size(0) == N),
                  "scale: expected a float32 CPU tensor ", int4 ? "[N, K / group]" : "[N]", " for ", name);
  std::optional<Tensor> zero;
  if (int4) {
    const ScalarType zdt = scheme == Scheme::kDa8w4 ? ScalarType::Int : ScalarType::Float;
    STD_TORCH_CHECK(zero_in.has_value() && zero_in->is_cpu() && zero_in->scalar_type() == zdt &&
                        zero_in->dim() == 2 && zero_in->size(0) == N && zero_in->size(1) == G,
                    "zero: expected a ", dtype_name(zdt), " CPU tensor [N, K / group] for ", name);
    zero = as_contiguous(*zero_in);
    STD_TORCH_CHECK(all_uint4<uint8_t>(codes), "codes: uint4 codes must lie in [0, 15]");
    if (scheme == Scheme::kDa8w4)
      STD_TORCH_CHECK(all_uint4<int32_t>(*zero), "zero: da8w4 zero points must lie in [0, 15]");
  } else {
    STD_TORCH_CHECK(!zero_in.has_value(), "zero: ", name, " has no zero points (symmetric weights); expected None");
  }
  std::vector<Tensor> parts;
  void* ptrs[kNumParts] = {};
  for (int64_t p = 0; p < kNumParts; ++p) {
    const PartSpec s = L.spec(static_cast<Part>(p));
    if (!s.present) continue;
    parts.push_back(torch::stable::new_empty(codes, std::vector<int64_t>(s.shape, s.shape + s.dims), s.dtype));
    ptrs[p] = parts.back().data_ptr();
  }
  const UnpackedWeight in{codes.data_ptr(), static_cast<float*>(scale.data_ptr()),
                          zero ? zero->data_ptr() : nullptr};
  const PackedParts out{ptrs[0], static_cast<float*>(ptrs[1]), ptrs[2], static_cast<int32_t*>(ptrs[3])};
  over_blocks(L, [&](int64_t b0, int64_t b1) { pack_blocks(L, in, out, b0, b1); });
  return parts;
}

std::vector<Tensor> unpack_weight(const Tensor& codes, const Tensor& scale, const std::optional<Tensor>& zero,
                                  int64_t scheme_id, int64_t N, int64_t K, int64_t group) {
  const Scheme scheme = checked_scheme(scheme_id);
  const PackedLayout L = checked_layout(scheme, N, K, group);
  check_part(codes, "codes", L, Part::kCodes);
  check_part(scale, "scale", L, Part::kScale);
  const bool int4 = is_int4(scheme);
  if (int4) {
    STD_TORCH_CHECK(zero.has_value(), "zero: expected the zero points of a ", kSchemeNames[scheme_id], " weight");
    check_part(*zero, "zero", L, Part::kZero);
  }
  check_padding(L, codes, scale);
  std::vector<Tensor> out = {
      torch::stable::new_empty(codes, {N, K}, int4 ? ScalarType::Byte : ScalarType::Char),
      torch::stable::new_empty(scale, int4 ? std::vector<int64_t>{N, L.groups()} : std::vector<int64_t>{N})};
  if (int4)
    out.push_back(torch::stable::new_empty(
        scale, {N, L.groups()}, scheme == Scheme::kDa8w4 ? ScalarType::Int : ScalarType::Float));
  const PackedParts in{codes.data_ptr(), static_cast<float*>(scale.data_ptr()), int4 ? zero->data_ptr() : nullptr,
                       nullptr};
  const UnpackedWeight dst{out[0].data_ptr(), static_cast<float*>(out[1].data_ptr()),
                           int4 ? out[2].data_ptr() : nullptr};
  over_blocks(L, [&](int64_t b0, int64_t b1) { unpack_blocks(L, in, dst, b0, b1); });
  return out;
}

Tensor packed_spec(int64_t scheme_id, int64_t N, int64_t K, int64_t group) {
  const PackedLayout L = checked_layout(checked_scheme(scheme_id), N, K, group);
  JsonWriter j;
  j.begin_object().field("scheme", kSchemeNames[scheme_id]).field("N", N).field("K", K).field("group", group);
  j.key("parts").begin_object();
  for (int64_t p = 0; p < kNumParts; ++p) {
    const PartSpec s = L.spec(static_cast<Part>(p));
    if (!s.present) continue;
    j.key(kPartNames[p]).begin_object().field("dtype", dtype_name(s.dtype)).key("shape").begin_array();
    for (int64_t d = 0; d < s.dims; ++d) j.value(s.shape[d]);
    j.end_array().end_object();
  }
  j.end_object().end_object();
  return text_tensor(j.str());
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("pack_weight", TORCH_BOX(&xeon::pack_weight));
  m.impl("unpack_weight", TORCH_BOX(&xeon::unpack_weight));
}

STABLE_TORCH_LIBRARY_IMPL(xeon, CompositeExplicitAutograd, m) {
  m.impl("packed_spec", TORCH_BOX(&xeon::packed_spec));
}
