// The fp32 rows the A16 vector kernels read.
#pragma once
#include <cstdint>
#include <memory>
#include "kernels/gemm_args.h"

namespace xeon {

// x ([M, K] contiguous) as fp32: x itself when already fp32, else converted (in parallel) into buf.
// Compiled for the baseline target (a16_activations.cpp), shared by every path.
const float* a16_rows_as_f32(const A16Activations& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf);

// The fp32 sums of each row of x ([M, K], any A16 dtype) over each group of `group` k, into buf [M, K / group].
const float* a16_group_sums(const A16Activations& x, int64_t M, int64_t K, int64_t group,
                            std::unique_ptr<float[]>& buf);

}  // namespace xeon
