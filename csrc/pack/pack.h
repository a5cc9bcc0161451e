// Packing quantized weights into the layouts of layouts.h and back. Pure C++ over raw buffers; the ops
// (ops/pack_ops.cpp) validate the tensors and run these over N-block ranges in parallel.
#pragma once
#include <cstdint>
#include "pack/layouts.h"

namespace xeon {

// The unpacked form: codes [N, K] row-major (int8 for the int8 schemes, uint8 in [0, 15] for int4);
// scale fp32 [N] (int8) or [N, G] (int4); zero [N, G]: int32 in [0, 15] (da8w4) or fp32 (a16w4),
// null for the int8 schemes.
struct UnpackedWeight {
  void* codes;
  float* scale;
  void* zero;
};
// The packed form: one pointer per part of layouts.h (null where the scheme has no such part).
struct PackedParts {
  void* codes;
  float* scale;
  void* zero;
  int32_t* sum;
};

// Packs the channels of N-blocks [nb_begin, nb_end) (blocks of layout.n_block() channels), computing
// the weight sums of the sum part (layouts.h) from the codes. Writes every packed byte of those blocks.
void pack_blocks(const PackedLayout& layout, const UnpackedWeight& in, const PackedParts& out, int64_t nb_begin,
                 int64_t nb_end);
// The inverse for the real channels of N-blocks [nb_begin, nb_end) (zero as int32 for da8w4).
void unpack_blocks(const PackedLayout& layout, const PackedParts& in, const UnpackedWeight& out, int64_t nb_begin,
                   int64_t nb_end);

}  // namespace xeon
