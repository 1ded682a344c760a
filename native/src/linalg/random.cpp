#include "linalg/random.hpp"

#include <random>

namespace ntk4j::linalg {

void gaussian_fill(double* x, Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (Index i = 0; i < n; ++i) x[i] = g(rng);
}

}  // namespace ntk4j::linalg
