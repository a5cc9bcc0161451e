// The xeon:: op library: every op's schema, in one place. The kernels are registered by the
// translation units that define them (int8_ops, int4_ops, quant_ops, pack_ops, info_ops, probe_ops).
#include <torch/csrc/stable/library.h>

#include <string>

STABLE_TORCH_LIBRARY(xeon, m) {
  // Linear ops: y = x @ W^T + bias with a packed weight (layouts.h), output in x's dtype. path: -1 for
  // the best path this CPU runs, else a path id (xeon::info). Each has two overloads with one schema and one
  // kernel: the default, whose x / bias gradients xeon_kernels/_autograd.py registers (a Python autograd kernel
  // the dispatcher enters on every call, gradient or not), and `.inference`, with no autograd kernel, for calls
  // that need no gradient (api.call_linear_op then, and the graphs torch.compile generates, whose gradients
  // AOTAutograd has traced before they run).
  const auto def_linear = [&m](const std::string& name, const std::string& args) {
    m.def((name + args).c_str());
    m.def((name + ".inference" + args).c_str());
  };
  def_linear("da8w8_linear",
             "(Tensor x, Tensor weight, Tensor weight_sum, Tensor weight_scale, Tensor? bias, int N, int K, "
             "bool act_symmetric, int path=-1) -> Tensor");
  def_linear("a16w8_linear",
             "(Tensor x, Tensor weight, Tensor weight_scale, Tensor? bias, int N, int K, int path=-1) -> Tensor");
  def_linear("da8w4_linear",
             "(Tensor x, Tensor weight, Tensor weight_scale, Tensor weight_zero, Tensor weight_centered_sum, "
             "Tensor? bias, int N, int K, bool act_symmetric, int path=-1) -> Tensor");
  def_linear("a16w4_linear",
             "(Tensor x, Tensor weight, Tensor weight_scale, Tensor weight_zero, Tensor? bias, int N, int K, "
             "int path=-1) -> Tensor");
  // DA8W4 on activations quantized by the caller (torchao's da8w4_linear_cpu arguments).
  m.def(
      "da8w4_linear_quantized(Tensor input, Tensor input_scales, Tensor input_qzeros, Tensor weight, "
      "Tensor weight_scale, Tensor weight_zero, Tensor weight_centered_sum, Tensor? bias, int N, "
      "ScalarType? output_dtype, int path=-1) -> Tensor");
  // Per-token dynamic quantization with torchao's arithmetic: [codes, scale, zero point] (the same on every path).
  m.def("quantize_per_token(Tensor x, bool symmetric, int quant_min, int quant_max, int path=-1) -> Tensor[]");
  // Packing (scheme: a scheme id; group: 0 for the int8 schemes): the present parts of layouts.h in the
  // order codes, scale, zero, sum; and back to [codes, scale] or [codes, scale, zero].
  m.def("pack_weight(Tensor codes, Tensor scale, Tensor? zero, int scheme, int group) -> Tensor[]");
  m.def("unpack_weight(Tensor codes, Tensor scale, Tensor? zero, int scheme, int N, int K, int group) -> Tensor[]");
  // Descriptions as JSON text in a uint8 tensor: a packed weight's parts; the library's paths, schemes
  // and CPU features (for the detected features, or for a given feature bit mask).
  m.def("packed_spec(int scheme, int N, int K, int group) -> Tensor");
  m.def("info(int features=-1) -> Tensor");
  // The software tile model's faults on faulting instruction sequences, as JSON (tests; kernels/amx_model_check.h).
  m.def("amx_model_faults() -> Tensor");
  m.def("emulated_op_counts(bool start) -> Tensor");
  // [tiles, tasks, threads, rows per call, columns per call, bf16, decode, K passes, prefetched lines] of the
  // calling thread's last GEMM (kernels/gemm_stats.h).
  m.def("last_gemm_stats() -> Tensor");
  // The AMX tile kernels' K-chunk in bytes of an A row (kernels/tile_k_chunk.h; 0: all of K in one pass),
  // process-wide: the current value; set it, returning the previous one.
  m.def("tile_k_chunk() -> int");
  m.def("set_tile_k_chunk(int bytes) -> int");
  // Benchmark ceilings: [int8 ops, seconds] of the path's dot-product instruction on all threads;
  // [bytes, seconds] of reading buf `passes` times, each thread its share as `streams` side-by-side streams.
  m.def("probe_int8_peak(int path, int iters) -> Tensor");
  m.def("probe_read_bandwidth(Tensor buf, int passes, int streams=1) -> Tensor");
  // Tensor parallel on one machine (shm_ops.cpp): join a shared region as a rank; one all-reduce round over it.
  m.def("shm_join(Tensor region, int rank, int world) -> Tensor");
  m.def("shm_all_reduce(Tensor region, Tensor x, int rank, int world, int seq, float timeout_s) -> Tensor");
}
