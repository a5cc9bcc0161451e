// xeon::shm_all_reduce: the all-reduce of xeon_kernels.parallel's ranks on one machine through a shared-memory
// region (a /dev/shm file every rank maps), beside gloo's loopback TCP: a round is one copy in, a flag, a wait
// and one summing read, no system call on the way.
//
// Region layout (uint8): kLine-byte header lines, one per rank: [round posted (int64), pid (int64)], then two
// sets of `world` slots of slot_bytes each. Round `seq` (1, 2, ...) uses set seq % 2. A rank
//   1. waits until every rank posted round seq - 1: all have finished reading round seq - 2, whose set this
//      round reuses (a rank posts a round only after it has finished the one before);
//   2. copies its fp32 values into its slot and posts seq (release);
//   3. waits until every rank posted seq (acquire) and sums the slots in rank order, so that every rank gets the
//      same bits.
// A wait gives up with an error when a peer's process is gone (its pid, checked every few milliseconds) or
// after timeout_s: a dead or silent rank makes the others fail, never hang.
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include <sys/types.h>
#include <unistd.h>

#include <torch/csrc/stable/library.h>
#include <torch/csrc/stable/ops.h>
#include <torch/csrc/stable/tensor.h>
#include <torch/headeronly/util/Exception.h>

namespace xeon {
namespace {

using torch::stable::Tensor;
using torch::headeronly::ScalarType;
using Clock = std::chrono::steady_clock;

constexpr int64_t kLine = 64;  // one cache line per rank's header: no false sharing between ranks' flags
constexpr int64_t kMaxWorld = 256;

struct Region {
  uint8_t* base;
  int64_t world, slot_bytes;
  int64_t* seq(int64_t r) const { return reinterpret_cast<int64_t*>(base + r * kLine); }
  int64_t* pid(int64_t r) const { return seq(r) + 1; }
  float* slot(int64_t set, int64_t r) const {
    return reinterpret_cast<float*>(base + world * kLine + (set * world + r) * slot_bytes);
  }
};

// Whether process pid has exited: gone (ESRCH), or a zombie its parent (torchrun) has not reaped yet.
bool process_exited(int64_t pid) {
  if (pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0) return errno == ESRCH;
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%lld/stat", static_cast<long long>(pid));
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char buf[512] = {};
  const size_t got = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  const char* close = std::strrchr(buf, ')');  // "pid (comm) state ...": the state follows the last ')'
  return got > 0 && close != nullptr && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X');
}

// Spins until every rank has posted `round` (or later); errors out on a dead peer or after timeout_s.
void wait_all(const Region& g, int64_t rank, int64_t round, double timeout_s) {
  const auto start = Clock::now();
  auto last_check = start;
  for (int64_t r = 0; r < g.world; ++r) {
    for (int64_t spins = 0; __atomic_load_n(g.seq(r), __ATOMIC_ACQUIRE) < round; ++spins) {
      if (spins % 256 != 255) continue;
      std::this_thread::yield();  // ranks may share cores: leave them the CPU
      const auto now = Clock::now();
      if (now - last_check < std::chrono::milliseconds(5)) continue;
      last_check = now;
      const int64_t pid = __atomic_load_n(g.pid(r), __ATOMIC_ACQUIRE);
      STD_TORCH_CHECK(!process_exited(pid), "shm_all_reduce: rank ", rank, " of ", g.world, ": rank ", r, " (pid ",
                      pid, ") has exited");
      STD_TORCH_CHECK(std::chrono::duration<double>(now - start).count() < timeout_s, "shm_all_reduce: rank ", rank,
                      " of ", g.world, ": rank ", r, " did not reach round ", round, " within ", timeout_s, " s");
    }
  }
}

int64_t slot_bytes_of(const Tensor& region, int64_t world) {
  return (region.numel() - world * kLine) / (2 * world) / kLine * kLine;
}

void check_region(const Tensor& region, int64_t rank, int64_t world) {
  STD_TORCH_CHECK(world >= 1 && world <= kMaxWorld && rank >= 0 && rank < world, "rank / world: expected 0 <= rank < ",
                  "world <= ", kMaxWorld, ", got ", rank, " / ", world);
  STD_TORCH_CHECK(region.is_cpu() && region.is_contiguous() && region.scalar_type() == ScalarType::Byte &&
                      region.numel() > world * kLine,
                  "region: expected a contiguous uint8 CPU tensor larger than the header");
}

// Joins the region as `rank`: records this process's pid (what the others check while they wait). Returns
// [floats per slot] (int64).
Tensor shm_join(const Tensor& region, int64_t rank, int64_t world) {
  check_region(region, rank, world);
  Region g{static_cast<uint8_t*>(region.data_ptr()), world, 0};
  __atomic_store_n(g.pid(rank), static_cast<int64_t>(getpid()), __ATOMIC_RELEASE);
  Tensor out = torch::stable::new_empty(region, {1}, ScalarType::Long);
  *static_cast<int64_t*>(out.data_ptr()) = slot_bytes_of(region, world) / 4;
  return out;
}

// The sum over the ranks of x (fp32, contiguous, at most one slot), as round `seq` of the region.
Tensor shm_all_reduce(const Tensor& region, const Tensor& x, int64_t rank, int64_t world, int64_t seq,
                      double timeout_s) {
  check_region(region, rank, world);
  STD_TORCH_CHECK(x.is_cpu() && x.is_contiguous() && x.scalar_type() == ScalarType::Float,
                  "x: expected a contiguous float32 CPU tensor");
  STD_TORCH_CHECK(seq >= 1, "seq: expected a round number >= 1, got ", seq);
  const int64_t slot_bytes = slot_bytes_of(region, world);
  const int64_t n = x.numel();
  STD_TORCH_CHECK(n * 4 <= slot_bytes, "x: ", n, " values exceed a slot of ", slot_bytes / 4);
  const Region g{static_cast<uint8_t*>(region.data_ptr()), world, slot_bytes};
  const int64_t set = seq % 2;
  wait_all(g, rank, seq - 1, timeout_s);
  std::memcpy(g.slot(set, rank), x.data_ptr(), n * 4);
  __atomic_store_n(g.seq(rank), seq, __ATOMIC_RELEASE);
  wait_all(g, rank, seq, timeout_s);
  Tensor out = torch::stable::new_empty(x, {n}, ScalarType::Float);
  float* o = static_cast<float*>(out.data_ptr());
  torch::stable::parallel_for(0, n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) o[i] = g.slot(set, 0)[i];
    for (int64_t r = 1; r < world; ++r) {
      const float* s = g.slot(set, r);
      for (int64_t i = b; i < e; ++i) o[i] += s[i];
    }
  });
  return out;
}

}  // namespace
}  // namespace xeon

STABLE_TORCH_LIBRARY_IMPL(xeon, CPU, m) {
  m.impl("shm_join", TORCH_BOX(&xeon::shm_join));
  m.impl("shm_all_reduce", TORCH_BOX(&xeon::shm_all_reduce));
}
