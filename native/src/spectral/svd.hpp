// Randomized SVD (Halko, Martinsson, Tropp 2011, Alg. 4.4 + 5.1): a Gaussian sketch, subspace
// (power) iterations with re-orthonormalization, and an exact SVD of the small projected matrix.
// Iterates until the top-k residuals max(||A v - s u||, ||A* u - s v||) <= tol * s_max.
#pragma once

#include <cstdint>
#include <vector>

#include "linalg/linear_operator.hpp"

namespace ntk4j::spectral {

struct SvdOptions {
  Index k = 10;
  Index oversample = 10;
  Index max_iterations = 50;  // power iterations before giving up (reported, not thrown)
  double tol = 1e-10;
  std::uint64_t seed = NTK4J_DEFAULT_SEED;
};

struct SvdResult {
  std::vector<double> values;     // k singular values, descending
  std::vector<double> residuals;  // k
  std::vector<double> u, v;       // k x rows and k x cols (row i = vector i), if asked for
  Index converged = 0;
  Index applies = 0;          // vectors through A
  Index adjoint_applies = 0;  // vectors through A*
  Index iterations = 0;
};

SvdResult randomized_svd(const linalg::LinearOperator& a, const SvdOptions& options, bool want_vectors);

}  // namespace ntk4j::spectral
