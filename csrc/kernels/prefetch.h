// Software prefetch of the next task's weights while a vector task makes its passes (gemm_driver.h): with
// several 4-row passes over one weight panel, the first pass streams the panel from memory and the others read it
// from L2, so without this the memory sits idle for most of the task. The driver hands each pass a slice of the
// next panel; the micro-kernel spreads the slice's cache lines over its k steps (prefetch into L2).
#pragma once
#include <cstdint>
#include "common/row_stride.h"

// Internal linkage: each ISA translation unit gets its own copy, compiled for
// its own target (see kernels/kernel_prelude.h).
namespace xeon {
namespace {

// A byte range to prefetch: `lines` cache lines from p (empty: p == nullptr).
struct PrefetchSpan {
  const char* p = nullptr;
  int64_t lines = 0;
};

// Issues span's lines in `steps` even portions: step(s) for s = 0, 1, ... steps - 1 covers them all once.
class PrefetchStream {
 public:
  PrefetchStream(PrefetchSpan span, int64_t steps) : span_(span), steps_(steps > 0 ? steps : 1) {}
  void step(int64_t s) {
    if (span_.p == nullptr) return;
    const int64_t upto = (s + 1) * span_.lines / steps_;
    for (; done_ < upto; ++done_) __builtin_prefetch(span_.p + done_ * kCacheLineBytes, 0, 2);  // 2: into L2
  }

 private:
  PrefetchSpan span_;
  int64_t steps_;
  int64_t done_ = 0;
};

}  // namespace
}  // namespace xeon
