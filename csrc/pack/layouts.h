// The packed weight formats, defined once: for each scheme the tensors of a packed weight (their
// dtypes and shapes) and where each weight code and per-group parameter lives. Packing and unpacking
// (pack.cpp), the ref path's accessors (isa_ref.cpp), the ops' argument checks and, through the
// xeon::packed_spec op, Python's PackedWeight and fake kernels all read this file.
#pragma once
#include <cstdint>
#include <initializer_list>
#include "common/float_types.h"
#include "common/int_math.h"

namespace xeon {

// The quantization schemes, in id order (the ids the ops take).
enum class Scheme : int64_t {
  kDa8w8 = 0,  // int8 dynamic per-token activations x int8 per-channel weights
  kA16w8 = 1,  // float activations x int8 per-channel weights
  kDa8w4 = 2,  // int8 dynamic per-token activations x uint4 grouped weights, integer zero points
  kA16w4 = 3,  // float activations x uint4 grouped weights, float-domain zeros (tinygemm)
};
constexpr int64_t kNumSchemes = 4;
constexpr const char* kSchemeNames[kNumSchemes] = {"da8w8", "a16w8", "da8w4", "a16w4"};

inline bool is_int4(Scheme s) { return s == Scheme::kDa8w4 || s == Scheme::kA16w4; }
// Whether the scheme quantizes its activations per token at run time (act_symmetric applies).
inline bool is_dynamic(Scheme s) { return s == Scheme::kDa8w8 || s == Scheme::kDa8w4; }

// int8 layouts work on N-blocks of 16 output channels: one 512-bit vector of int32 / fp32 lanes, and
// the 16 columns of an AMX B tile (64 bytes a row).
constexpr int64_t kNBlock = 16;
// VNNI order: 4 consecutive k of one channel share a 32-bit lane (vpdpbusd, tdpbusd).
constexpr int64_t kKQuad = 4;
// DA8W8's packed K is padded to one AMX A-tile row (64 bytes = 16 quads) so AMX and VNNI kernels read
// the same buffer; padding holds zeros.
constexpr int64_t kKPadInt8 = 64;
// Largest K of DA8W8: one product is at most 255 * 128 = 32640 in magnitude (u8 activation x s8
// weight), and 65536 * 32640 < 2^31, so the int32 accumulators cannot overflow.
constexpr int64_t kMaxKInt8 = 65536;
// int4 layouts work on N-blocks of 32 channels: two 16-lane halves share each byte (low nibble:
// channel j, high nibble: channel 16 + j); one K-block per quantization group.
constexpr int64_t kNBlockInt4 = 32;
constexpr int64_t kInt4Half = kNBlockInt4 / 2;
// The int4 group sizes torchao's CPU int4 kernels take.
constexpr int64_t kInt4GroupSizes[] = {32, 64, 128, 256};

// The tensors of a packed weight, in the order the pack op returns the present ones.
enum class Part : int64_t { kCodes = 0, kScale = 1, kZero = 2, kSum = 3 };
constexpr int64_t kNumParts = 4;
constexpr const char* kPartNames[kNumParts] = {"codes", "scale", "zero", "sum"};

struct PartSpec {
  bool present = false;
  ScalarType dtype = ScalarType::Float;
  int64_t dims = 0;
  int64_t shape[4] = {};
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d = 0; d < dims; ++d) n *= shape[d];
    return n;
  }
};

// One packed weight's geometry: scheme, N output channels, K inputs, group (int4; 0 for the int8
// schemes, which are per channel). Layouts:
//   da8w8 codes int8 [Npad/16][Kpad/4][16][4] (flat), Kpad = roundup(K, 64); scale fp32 [N];
//         sum int32 [Npad] = sum_k code[n, k] (the u8 x s8 kernels subtract zero * sum).
//   a16w8 codes int8 [Npad/16][K][16] (flat); scale fp32 [N].
//   da8w4 codes uint8 [Npad/32][G][group][16]: in a group, quad q is 64 bytes and byte 4j + i holds
//         k = 4q + i of channels j and 16 + j, so each nibble plane is an int8 VNNI operand (the 4-D
//         shape torchao's da8w4_linear_cpu schema expects: N = size(0) * size(3) * 2);
//         scale fp32, zero int8 (integer zero point in [0, 15]) and sum int32 = sum over the group of
//         (code - zero), each [Npad/32][G][32].
//   a16w4 codes uint8 [Npad/32][G][group][16]: in a group, row k is 16 bytes, byte j holds channels j
//         and 16 + j; scale fp32 and zero fp32 (w = (q - 8) * scale + zero) [Npad/32][G][32].
// Padding channels hold code 0 and parameters 0.
struct PackedLayout {
  Scheme scheme;
  int64_t N, K, group;

  int64_t n_block() const { return is_int4(scheme) ? kNBlockInt4 : kNBlock; }
  int64_t npad() const { return round_up(N, n_block()); }
  // The packed K of the codes (DA8W8 pads it; the others store K as it is).
  int64_t kpad() const { return scheme == Scheme::kDa8w8 ? round_up(K, kKPadInt8) : K; }
  int64_t groups() const { return is_int4(scheme) ? K / group : 1; }

  PartSpec spec(Part p) const {
    PartSpec s;
    auto set = [&](ScalarType dt, std::initializer_list<int64_t> shape) {
      s.present = true;
      s.dtype = dt;
      s.dims = 0;
      for (int64_t v : shape) s.shape[s.dims++] = v;
    };
    const int64_t nb = npad() / n_block(), G = groups();
    switch (scheme) {
      case Scheme::kDa8w8:
        if (p == Part::kCodes) set(ScalarType::Char, {npad() * kpad()});
        if (p == Part::kScale) set(ScalarType::Float, {N});
        if (p == Part::kSum) set(ScalarType::Int, {npad()});
        break;
      case Scheme::kA16w8:
        if (p == Part::kCodes) set(ScalarType::Char, {npad() * K});
        if (p == Part::kScale) set(ScalarType::Float, {N});
        break;
      case Scheme::kDa8w4:
      case Scheme::kA16w4: {
        const bool da = scheme == Scheme::kDa8w4;
        if (p == Part::kCodes) set(ScalarType::Byte, {nb, G, group, kInt4Half});
        if (p == Part::kScale) set(ScalarType::Float, {nb, G, kNBlockInt4});
        if (p == Part::kZero) set(da ? ScalarType::Char : ScalarType::Float, {nb, G, kNBlockInt4});
        if (p == Part::kSum && da) set(ScalarType::Int, {nb, G, kNBlockInt4});
        break;
      }
    }
    return s;
  }

  // Byte offset of the code of channel n at k in the codes tensor.
  int64_t code_byte(int64_t n, int64_t k) const {
    switch (scheme) {
      case Scheme::kDa8w8:
        return (n / kNBlock) * kpad() * kNBlock + (k / kKQuad) * kKQuad * kNBlock + (n % kNBlock) * kKQuad +
               k % kKQuad;
      case Scheme::kA16w8: return (n / kNBlock) * K * kNBlock + k * kNBlock + n % kNBlock;
      case Scheme::kDa8w4:
      case Scheme::kA16w4: {
        const int64_t lane = n % kInt4Half, kk = k % group;
        const int64_t grp = (n / kNBlockInt4) * K * kInt4Half + (k / group) * group * kInt4Half;
        return grp + (scheme == Scheme::kDa8w4 ? (kk / kKQuad) * kKQuad * kInt4Half + lane * kKQuad + kk % kKQuad
                                               : kk * kInt4Half + lane);
      }
    }
    return 0;
  }
  // int4: the bit position of channel n's nibble in its byte (0: low, 4: high).
  static int code_shift(int64_t n) { return (n % kNBlockInt4) < kInt4Half ? 0 : 4; }
  // Element index of channel n's parameter for group g ([Npad/32][G][32] for int4, [N] for int8).
  int64_t param_index(int64_t n, int64_t g) const {
    return is_int4(scheme) ? ((n / kNBlockInt4) * groups() + g) * kNBlockInt4 + n % kNBlockInt4 : n;
  }
};

}  // namespace xeon
