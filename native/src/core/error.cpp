#include "core/error.hpp"

namespace ntk4j {

Index checked_mul(Index a, Index b, const char* what) {
  Index r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) {
    fail(NTK4J_ERR_SHAPE, "size of ", what, " overflows 64-bit integers (", a, " x ", b, ")");
  }
  return r;
}

}  // namespace ntk4j
