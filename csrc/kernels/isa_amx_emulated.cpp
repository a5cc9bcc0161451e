// The amx_emulated paths: the amx path's policies, blocking and M-dispatch (amx_path.h) compiled against
// the software tile model (amx_tiles_emulated.h) and the portable 16-lane SIMD model, so CI machines
// without AMX run the real AMX packing, blocking, dispatch and tile code. Slow by design.
//   amx_emulated        exactly amx's dispatch (tiles from kAmxTileMinRows rows on);
//   amx_emulated_tiles  the tile kernels at every M (tests: small shapes reach the tile code too).
#include "kernels/kernel_prelude.h"
// Before the target switch, like the prelude: library code the fault report uses.
#include <initializer_list>
#include <string>
#include <utility>
#include "common/json.h"
#include "kernels/amx_model_check.h"

// Compiled for AVX2 + FMA so the 16-lane models vectorize and std::fma is one
// instruction (paths.cpp offers these paths only where the CPU has both).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "kernels/amx_tiles_emulated.h"
#include "kernels/simd_emulated.h"
#include "kernels/amx_path.h"

namespace xeon {
namespace {

using Model = amx_emulated::Tiles;

// A palette-1 configuration with tiles given as {tile, rows, bytes per row}.
TileConfig config(std::initializer_list<std::initializer_list<int>> tiles) {
  TileConfig c{};
  c.palette_id = 1;
  for (auto t : tiles) {
    auto v = t.begin();
    c.rows[v[0]] = static_cast<uint8_t>(v[1]);
    c.colsb[v[0]] = static_cast<uint16_t>(v[2]);
  }
  return c;
}

// Runs fn on released tiles; returns the model's fault message, or "" if it raised none.
template <class F>
std::string fault_of(F&& fn) {
  Model::release();
  try {
    fn();
  } catch (const std::logic_error& e) {
    Model::release();
    return e.what();
  }
  Model::release();
  return "";
}

}  // namespace

std::string amx_model_fault_report() {
  // read before the sequences below change them: what the kernels left on this thread
  const bool left_configured = Model::state().configured;
  const int64_t configs_loaded = Model::state().configs_loaded;
  alignas(64) static uint8_t buf[kTileRows * kTileColsBytes];
  const TileConfig dot = config({{0, 16, 64}, {4, 16, 64}, {6, 16, 64}});
  auto load_cfg = [](TileConfig c) { Model::configure(&c); };
  const std::pair<const char*, std::string> cases[] = {
      {"palette 2", fault_of([&] { TileConfig c = dot; c.palette_id = 2; load_cfg(c); })},
      {"reserved byte set", fault_of([&] { TileConfig c = dot; c.reserved[3] = 1; load_cfg(c); })},
      {"start row past a tile", fault_of([&] { TileConfig c = config({{0, 4, 64}}); c.start_row = 4; load_cfg(c); })},
      {"rows without bytes", fault_of([&] { load_cfg(config({{0, 4, 0}})); })},
      {"bytes without rows", fault_of([&] { load_cfg(config({{0, 0, 64}})); })},
      {"tile 8 configured", fault_of([&] { load_cfg(config({{8, 16, 64}})); })},
      {"17 rows", fault_of([&] { load_cfg(config({{0, 17, 64}})); })},
      {"65 bytes per row", fault_of([&] { load_cfg(config({{0, 16, 65}})); })},
      {"load before any config", fault_of([&] { Model::load<0>(buf, 64); })},
      {"use after release", fault_of([&] { load_cfg(dot); Model::release(); Model::zero<0>(); })},
      {"use after palette 0", fault_of([&] { load_cfg(dot); TileConfig c{}; load_cfg(c); Model::zero<0>(); })},
      {"unconfigured tile", fault_of([&] { load_cfg(dot); Model::load<1>(buf, 64); })},
      {"store of unconfigured tile", fault_of([&] { load_cfg(dot); Model::store<2>(buf, 64); })},
      {"A bytes != 4 x B rows", fault_of([&] { load_cfg(config({{0, 16, 64}, {4, 16, 64}, {6, 8, 64}}));
                                               Model::dpbusd<0, 4, 6>(); })},
      {"C bytes != B bytes", fault_of([&] { load_cfg(config({{0, 16, 32}, {4, 16, 64}, {6, 16, 64}}));
                                            Model::dpbusd<0, 4, 6>(); })},
      {"C rows != A rows", fault_of([&] { load_cfg(config({{0, 8, 64}, {4, 16, 64}, {6, 16, 64}}));
                                          Model::dpbusd<0, 4, 6>(); })},
      {"bf16 A bytes != 4 x B rows", fault_of([&] { load_cfg(config({{0, 16, 64}, {4, 16, 32}, {6, 16, 64}}));
                                                    Model::dpbf16ps<0, 4, 6>(); })},
      {"bf16 dot on a released tile", fault_of([&] { load_cfg(dot); Model::release(); Model::dpbf16ps<0, 4, 6>(); })},
      {"valid", fault_of([&] {
         load_cfg(dot);
         Model::zero<0>();
         Model::load<4>(buf, 64);
         Model::load<6>(buf, 64);
         Model::dpbusd<0, 4, 6>();
         Model::dpbf16ps<0, 4, 6>();
         Model::store<0>(buf, 64);
       })},
  };
  JsonWriter j;
  j.begin_object().key("faults").begin_object();
  for (const auto& [name, what] : cases) j.field(name, what.c_str());
  j.end_object().field("configs_loaded", configs_loaded).field("left_configured", left_configured).end_object();
  return j.str();
}

const KernelTable kAmxEmulatedKernels =
    AmxPathKernels<amx_emulated::Tiles, simd_emulated::Simd>::table(nullptr, nullptr);
const KernelTable kAmxEmulatedTilesKernels =
    AmxPathKernels<amx_emulated::Tiles, simd_emulated::Simd, 0>::table(nullptr, nullptr);
}  // namespace xeon
#pragma GCC pop_options
