// Integer helpers for block arithmetic.
#pragma once
#include <cstdint>

namespace xeon {

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
inline int64_t ceil_div(int64_t v, int64_t m) { return (v + m - 1) / m; }

}  // namespace xeon
