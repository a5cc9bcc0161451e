// Scalar conversions between the activation dtypes and fp32, with
// round-to-nearest-even (the same rounding torch uses for .to(dtype)).
#pragma once
#include <cstdint>
#include <torch/headeronly/core/ScalarType.h>
#include <torch/headeronly/util/BFloat16.h>
#include <torch/headeronly/util/Half.h>

namespace xeon {

using BFloat16 = torch::headeronly::BFloat16;
using Half = torch::headeronly::Half;
using ScalarType = torch::headeronly::ScalarType;

template <typename T> inline float to_float(T v) { return static_cast<float>(v); }
template <typename T> inline T from_float(float v) { return static_cast<T>(v); }

// Rounds an fp32 value to T's precision and back: what torch's arithmetic on a
// T tensor does to each fp32 (opmath) result.
template <typename T> inline float round_to(float v) { return to_float(from_float<T>(v)); }

// Calls f with a null pointer of the C++ type matching dtype (float, BFloat16, Half).
template <typename F> inline void dispatch_float_type(ScalarType dtype, F&& f) {
  switch (dtype) {
    case ScalarType::Float: f(static_cast<float*>(nullptr)); break;
    case ScalarType::BFloat16: f(static_cast<BFloat16*>(nullptr)); break;
    case ScalarType::Half: f(static_cast<Half*>(nullptr)); break;
    default: break;  // callers validate the dtype before dispatching
  }
}

}  // namespace xeon
