#include "kernels/gemm_stats.h"

namespace xeon {
namespace {
thread_local GemmStats last_stats;
}  // namespace

void record_gemm_stats(const GemmStats& s) { last_stats = s; }
GemmStats last_gemm_stats() { return last_stats; }

}  // namespace xeon
