// Checks of the software tile model (amx_tiles_emulated.h) that the tests read through xeon::amx_model_faults.
#pragma once
#include <cstdint>
#include <string>

namespace xeon {

// JSON: {"faults": {sequence: the model's fault message, or "" where it raised none}, "configs_loaded": the
// LDTILECFG count of the calling thread's model, "left_configured": whether the tiles were still configured
// on this thread when called (after a kernel: they must have been released)}, the last two read first.
// Each sequence starts from released tiles; all but "valid" must fault.
std::string amx_model_fault_report();

}  // namespace xeon
