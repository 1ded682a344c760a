// Errors of the C++ core. Every failure is an ntk4j::Error carrying the C status code of
// ntk4j.h; the C ABI (abi/abi_support.hpp, guard) is the only place that catches them, so no C++
// exception ever crosses into the caller.
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "ntk4j.h"

namespace ntk4j {

using Index = std::int64_t;

class Error : public std::runtime_error {
 public:
  Error(std::int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
  std::int32_t status() const noexcept { return status_; }

 private:
  std::int32_t status_;
};

// Builds a message from streamable parts: fail(NTK4J_ERR_SHAPE, "B=", b, " must be > 0").
template <typename... Parts>
[[noreturn]] void fail(std::int32_t status, const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(status, os.str());
}

// a*b with an overflow check; `what` names the product in the message.
Index checked_mul(Index a, Index b, const char* what);

// Largest dimension or leading dimension handed to (LP64, 32-bit int) BLAS.
constexpr Index kMaxBlasDim = 2147483647;

}  // namespace ntk4j
