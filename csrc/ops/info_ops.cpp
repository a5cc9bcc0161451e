// xeon::info (the library's paths, schemes and CPU features as JSON: the one description Python reads)
// and xeon::last_gemm_stats.
#include <torch/csrc/stable/library.h>
#include <string>

#include <torch/csrc/stable/ops.h>
#include <torch/headeronly/util/Exception.h>

#include "common/cpu_features.h"
#include "common/json.h"
#include "kernels/amx_model_check.h"
#include "kernels/gemm_stats.h"
#include "kernels/op_counts.h"
#include "kernels/tile_k_chunk.h"
#include "ops/op_utils.h"
#include "ops/paths.h"

namespace xeon {
namespace {

// The stable-ABI version this library targets (the build's TORCH_TARGET_VERSION: major in bits 56-63,
// minor in 48-55).
constexpr int64_t kStableAbiTarget = TORCH_TARGET_VERSION;

// features: a bit mask in kFeatureBits order describing another CPU, or -1 for this one.
Tensor info(int64_t features) {
  const CpuFeatures f = features < 0 ? cpu_features() : CpuFeatures::from_bits(features);
  JsonWriter j;
  j.begin_object();
  j.key("features").begin_object();
  for (const FeatureBit& b : kFeatureBits) j.field(b.name, f.*b.member);
  j.end_object();
  j.key("paths").begin_array();
  for (int64_t id = 0; id < kNumPaths; ++id) {
    const PathEntry& p = kPaths[id];
    j.begin_object()
        .field("id", id)
        .field("name", p.name)
        .field("supported", p.supported(f))
        .field("auto_rank", int64_t{p.auto_rank})
        .field("tile_min_rows", p.kernels->tile_min_rows)
        .field("bf16_min_rows", p.kernels->bf16_min_rows)
        .field("bf16_k_multiple", p.kernels->bf16_k_multiple)
        .field("a16w4_decode_rows", p.kernels->a16w4_decode_rows)
        .field("a16w4_decode_rows_fp16", p.kernels->a16w4_decode_rows_fp16)
        .field("int8_peak_probe", p.kernels->int8_peak_loop != nullptr)
        .field("what", p.what)
        .end_object();
  }
  j.end_array();
  j.field("best_path", kPaths[best_path(f)].name);
  j.key("schemes").begin_array();
  for (int64_t s = 0; s < kNumSchemes; ++s) {
    j.begin_object()
        .field("id", s)
        .field("name", kSchemeNames[s])
        .field("int4", is_int4(static_cast<Scheme>(s)))
        .field("dynamic", is_dynamic(static_cast<Scheme>(s)));
    if (is_dynamic(static_cast<Scheme>(s))) {  // [qmin, qmax] of the per-token activation codes
      for (bool sym : {true, false}) {
        const QuantRange r = activation_range(static_cast<Scheme>(s), sym);
        j.key(sym ? "act_range_symmetric" : "act_range_asymmetric").begin_array();
        j.value(int64_t{r.qmin}).value(int64_t{r.qmax}).end_array();
      }
    }
    j.end_object();
  }
  j.end_array();
  j.key("int4_group_sizes").begin_array();
  for (int64_t g : kInt4GroupSizes) j.value(g);
  j.end_array();
  j.field("max_k_da8w8", kMaxKInt8);
  j.field("int4_n_block", kNBlockInt4);
  j.field("tile_k_chunk_default", kDefaultTileKChunkBytes);
  j.field("tile_k_chunk_multiple", kTileKChunkMultiple);
  j.key("stable_abi_target").begin_array().value((kStableAbiTarget >> 56) & 0xFF)
      .value((kStableAbiTarget >> 48) & 0xFF);
  j.end_array().end_object();
  return text_tensor(j.str());
}

Tensor last_gemm_stats_op() {
  const GemmStats s = xeon::last_gemm_stats();
  Tensor t = torch::stable::empty({9}, ScalarType::Long, std::nullopt,
                                  torch::stable::Device(torch::headeronly::DeviceType::CPU));
  int64_t* p = static_cast<int64_t*>(t.data_ptr());
  p[0] = s.tiles;
  p[1] = s.tasks;
  p[2] = s.threads;
  p[3] = s.rows_per_call;
  p[4] = s.cols_per_call;
  p[5] = s.bf16;
  p[6] = s.decode;
  p[7] = s.k_passes;
  p[8] = s.prefetch_lines;
  return t;
}

// Starts (start: the counts zeroed first) or stops counting the instructions the emulated backends issue
// (kernels/op_counts.h); returns the counts by kind at that moment (benchmarks/cost_model.py).
Tensor emulated_op_counts(bool start) {
  if (start) {
    for (auto& c : op_counts::g_counts) c.store(0);
    op_counts::g_on.store(true);
  } else {
    op_counts::g_on.store(false);
  }
  Tensor t = torch::stable::empty({op_counts::kNumKinds}, ScalarType::Long, std::nullopt,
                                  torch::stable::Device(torch::headeronly::DeviceType::CPU));
  int64_t* p = static_cast<int64_t*>(t.data_ptr());
  for (int k = 0; k < op_counts::kNumKinds; ++k) p[k] = op_counts::g_counts[k].load();
  return t;
}

Tensor amx_model_faults() {
  // the model is compiled for AVX2 + FMA, as the amx_emulated path
  bool runnable = false;
  for (int64_t id = 0; id < kNumPaths; ++id)
    if (std::string(kPaths[id].name) == "amx_emulated") runnable = kPaths[id].supported(cpu_features());
  STD_TORCH_CHECK(runnable, "amx_model_faults: the tile model needs AVX2 + FMA, which this CPU lacks");
  return text_tensor(amx_model_fault_report());
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CompositeExplicitAutograd, m) {
  m.impl("amx_model_faults", TORCH_BOX(&xeon::amx_model_faults));
  m.impl("emulated_op_counts", TORCH_BOX(&xeon::emulated_op_counts));
  m.impl("info", TORCH_BOX(&xeon::info));
  m.impl("last_gemm_stats", TORCH_BOX(&xeon::last_gemm_stats_op));
}
