// The fp32 rows the A16 vector kernels read.
#pragma once
#include <cstdint>
#include <memory>
#include "kernels/gemm_args.h"

namespace xeon {

// x ([M, K] contiguous) as fp32: x itself when already fp32, else converted (in parallel) into buf.
// Compiled for the baseline target (a16_activations.cpp), shared by every path.
const float* a16_rows_as_f32(const A16Activations& x, int64_t M, int64_t K, std::unique_ptr<float[]>& buf);

// x (bf16, [M, K] contiguous) in rows whose stride spreads them over cache sets (common/row_stride.h): x itself
// where its own stride does, else a copy (in parallel) into buf; ld receives the stride in elements.
const BFloat16* a16_bf16_rows_set_spread(const A16Activations& x, int64_t M, int64_t K, int64_t& ld,
                                         std::unique_ptr<BFloat16[]>& buf);

// The fp32 sums of each row of x ([M, K], any A16 dtype) over each group of `group` k, into buf [M, K / group].
const float* a16_group_sums(const A16Activations& x, int64_t M, int64_t K, int64_t group,
                            std::unique_ptr<float[]>& buf);

}  // namespace xeon
