// Every library header the kernel headers use, included by each ISA translation
// unit BEFORE it switches the compiler's target (the `#pragma GCC target` in isa_*.cpp): out-of-line
// copies of library inline functions are then compiled for the baseline x86-64
// target, so the linker can never pick an AVX-512 or AMX copy of, say, a bf16
// conversion for code that runs on a machine without those instructions.
#pragma once
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <vector>
#include <torch/csrc/stable/ops.h>
#include "common/int_math.h"
#include "pack/layouts.h"
#include "common/float_types.h"
#include "kernels/amx_tiles.h"
#include "kernels/a16_activations.h"
#include "kernels/gemm_args.h"
#include "kernels/gemm_stats.h"
#include "kernels/kernel_tables.h"
