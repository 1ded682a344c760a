// Randomized block Lanczos for the top eigenpairs of a symmetric operator given only by its
// block apply (issue 3): Gaussian start block, block Krylov expansion with full
// reorthogonalization (classical Gram-Schmidt, twice), Rayleigh-Ritz, thick restarts keeping the
// best Ritz vectors, and convergence judged by the true residual ||A v - theta v|| <= tol *
// |theta_max|. A Krylov space that becomes invariant (rank-deficient operators, tiny dimensions)
// is continued with fresh random directions, so zero eigenvalues are found exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "linalg/linear_operator.hpp"

namespace ntk4j::spectral {

struct EigsOptions {
  Index k = 10;                             // eigenpairs wanted (largest algebraic)
  Index block = 0;                          // block size b (0: automatic)
  Index max_basis = 0;                      // basis columns kept between restarts (0: automatic)
  Index max_restarts = 200;                 // restarts before giving up (unconverged pairs are reported so)
  double tol = 1e-10;                       // residual tolerance relative to |theta_max|
  std::uint64_t seed = NTK4J_DEFAULT_SEED;  // start block
  // Internal (gram_top): run on A* A but judge each pair i by the residual its image
  // A v_i / ||A v_i|| will have as an eigenvector of A A*: ||A r_i|| / ||A v_i|| <=
  // ||r_i|| sqrt(theta_max / theta_i), so pair i is converged once
  // ||r_i|| <= tol sqrt(theta_i theta_max) (never looser than 0.1 tol theta_max near zero).
  bool adjoint_side_tol = false;
  // Warm start: start_cols columns of length n (column-major) open the first block, whose width
  // becomes max(block, start_cols); null: a random start block.
  const double* start = nullptr;
  Index start_cols = 0;
};

struct EigsResult {
  std::vector<double> values;     // k, descending
  std::vector<double> residuals;  // k, ||A v_i - theta_i v_i|| (v_i unit)
  std::vector<double> vectors;    // k x n (row i = v_i), empty unless asked for
  std::vector<double> images;     // k x n (row i = A v_i), with the vectors
  Index converged = 0;            // how many of the k satisfy the tolerance
  Index block_applies = 0;        // calls of A.apply
  Index vector_applies = 0;       // columns pushed through A
  Index restarts = 0;
  Index block = 0, basis = 0;  // the sizes used
  // With the vectors: the final Krylov block F (n x krylov_width, unnormalized, orthogonal to
  // the basis) and coefficients c_i (krylov_width x k) with residual_i = F c_i up to round-off
  // (gram_top maps residuals through A with them). Empty when that structure did not hold.
  Index krylov_width = 0;
  std::vector<double> krylov_block, krylov_coeffs;
};

// block = 0 (the default): single-vector Lanczos, then completeness_check; when it finds a missed
// eigenvalue the solve is repeated with 4 times the block size (up to k, which needs no check).
EigsResult lanczos_top(const linalg::LinearOperator& a, const EigsOptions& options, bool want_vectors);

// Whether a converged top-k result (values and vectors, options.k of them) missed an eigenvalue
// above its k-th: single-vector Lanczos on (I - V V^T) A (I - V V^T) from a random start (see
// lanczos.cpp for the acceptance rule). applies: vectors pushed through A.
struct Completeness {
  bool missed = false;
  Index applies = 0;
};
Completeness completeness_check(const linalg::LinearOperator& a, const EigsResult& r, const EigsOptions& options);

}  // namespace ntk4j::spectral

namespace ntk4j::spectral {

// Top-k eigenpairs of the Gram operator A A* (e.g. NTK_S = J J^T with J = P J_theta, or
// K = J_theta J_theta^T), computed on the smaller side: when A has fewer columns than rows, block
// Lanczos runs on A* A (same nonzero eigenvalues, much shorter vectors), and the eigenvectors of
// A A* are recovered as u = A v / sqrt(lambda). Residuals are those of A A* itself, recomputed
// with one extra block apply; zero eigenvalues (which the small side cannot map back) fall back
// to Lanczos on A A* directly.
EigsResult gram_top(const linalg::OperatorPtr& a, const EigsOptions& options, bool want_vectors);

}  // namespace ntk4j::spectral
