#include "pack/pack.h"

#include <algorithm>
#include <cstring>

namespace xeon {

void pack_blocks(const PackedLayout& L, const UnpackedWeight& in, const PackedParts& out, int64_t nb_begin,
                 int64_t nb_end) {
  const int64_t nblk = L.n_block(), G = L.groups(), K = L.K;
  const int64_t block_bytes = L.spec(Part::kCodes).numel() / (L.npad() / nblk);  // N-blocks are contiguous
  uint8_t* codes = static_cast<uint8_t*>(out.codes);
  std::memset(codes + nb_begin * block_bytes, 0, (nb_end - nb_begin) * block_bytes);
  const bool int4 = is_int4(L.scheme);
  for (int64_t n = nb_begin * nblk; n < nb_end * nblk; ++n) {
    const bool real = n < L.N;
    if (!int4) {
      int32_t sum = 0;
      if (real) {
        const int8_t* src = static_cast<const int8_t*>(in.codes) + n * K;
        for (int64_t k = 0; k < K; ++k) {
          codes[L.code_byte(n, k)] = static_cast<uint8_t>(src[k]);
          sum += src[k];
        }
        out.scale[n] = in.scale[n];
      }
      if (out.sum) out.sum[n] = sum;
      continue;
    }
    const int shift = PackedLayout::code_shift(n);
    for (int64_t g = 0; g < G; ++g) {
      const int64_t p = L.param_index(n, g);
      if (!real) {
        out.scale[p] = 0.f;
        if (L.scheme == Scheme::kDa8w4) {
          static_cast<int8_t*>(out.zero)[p] = 0;
          out.sum[p] = 0;
        } else {
          static_cast<float*>(out.zero)[p] = 0.f;
        }
        continue;
      }
      const uint8_t* src = static_cast<const uint8_t*>(in.codes) + n * K + g * L.group;
      int32_t sum = 0;
      for (int64_t kk = 0; kk < L.group; ++kk) {
        codes[L.code_byte(n, g * L.group + kk)] |= static_cast<uint8_t>(src[kk] << shift);
        sum += src[kk];
      }
      out.scale[p] = in.scale[n * G + g];
      if (L.scheme == Scheme::kDa8w4) {
        const int32_t z = static_cast<const int32_t*>(in.zero)[n * G + g];
        static_cast<int8_t*>(out.zero)[p] = static_cast<int8_t>(z);
        out.sum[p] = sum - static_cast<int32_t>(L.group) * z;  // sum over the group of (code - zero)
      } else {
        static_cast<float*>(out.zero)[p] = static_cast<const float*>(in.zero)[n * G + g];
      }
    }
  }
}

void unpack_blocks(const PackedLayout& L, const PackedParts& in, const UnpackedWeight& out, int64_t nb_begin,
                   int64_t nb_end) {
  const int64_t nblk = L.n_block(), G = L.groups(), K = L.K;
  const uint8_t* codes = static_cast<const uint8_t*>(in.codes);
  for (int64_t n = nb_begin * nblk; n < std::min(nb_end * nblk, L.N); ++n) {
    if (!is_int4(L.scheme)) {
      int8_t* dst = static_cast<int8_t*>(out.codes) + n * K;
      for (int64_t k = 0; k < K; ++k) dst[k] = static_cast<int8_t>(codes[L.code_byte(n, k)]);
      out.scale[n] = in.scale[n];
      continue;
    }
    const int shift = PackedLayout::code_shift(n);
    uint8_t* dst = static_cast<uint8_t*>(out.codes) + n * K;
    for (int64_t k = 0; k < K; ++k) dst[k] = (codes[L.code_byte(n, k)] >> shift) & 0x0F;
    for (int64_t g = 0; g < G; ++g) {
      const int64_t p = L.param_index(n, g);
      out.scale[n * G + g] = in.scale[p];
      if (L.scheme == Scheme::kDa8w4)
        static_cast<int32_t*>(out.zero)[n * G + g] = static_cast<const int8_t*>(in.zero)[p];
      else
        static_cast<float*>(out.zero)[n * G + g] = static_cast<const float*>(in.zero)[p];
    }
  }
}

}  // namespace xeon
