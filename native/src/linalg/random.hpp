// Seeded random fills: every randomized algorithm draws from here, so that a seed means the same
// numbers everywhere (the default seed of the ABI's options is NTK4J_DEFAULT_SEED).
#pragma once

#include <cstdint>

#include "core/error.hpp"

namespace ntk4j::linalg {

// Fills x with N(0,1) values from a std::mt19937_64 seeded with `seed`.
void gaussian_fill(double* x, Index n, std::uint64_t seed);

}  // namespace ntk4j::linalg
