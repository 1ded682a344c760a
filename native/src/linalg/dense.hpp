// Dense LAPACK in one place: the exact paths (small operators formed as matrices), the fixed
// points' Jacobian spectra and the direct solves of the dynamics. Row-major float64 throughout;
// LAPACK failures become NTK4J_ERR_NUMERICAL with the routine named.
#pragma once

#include <vector>

#include "core/error.hpp"

namespace ntk4j::linalg {

// Symmetric eigen-decomposition of a dense row-major n x n matrix (LAPACK dsyevd), eigenvalues
// descending; vectors (n x n, row i = eigenvector i) only when asked for.
void dense_symmetric_eigen(Index n, std::vector<double> a, std::vector<double>& values, std::vector<double>* vectors);

// Eigen-decomposition of a general real n x n row-major matrix (LAPACK dgeev): eigenvalues
// (re, im) and, when non-null, left and right eigenvectors as LAPACK returns them (row-major
// n x n, column j = eigenvector j; a complex pair occupies columns j, j+1 as re, im).
void general_eigen(Index n, const double* a, double* re, double* im, double* left, double* right);

// The kk largest eigenvalues of a symmetric tridiagonal t (cur x cur, row-major; only its
// diagonal and subdiagonal are read), descending, with their eigenvectors as the first kk
// columns of y (cur x kk, column-major), and scale = the largest |eigenvalue| (LAPACK dstevr):
// the Rayleigh-Ritz step of single-vector Lanczos.
void tridiagonal_top(const std::vector<double>& t, Index cur, Index kk, std::vector<double>& theta,
                     std::vector<double>& y, double& scale);

// Solves A X = B in place of b (A: n x n, B: n x nrhs, row-major) by LU with partial pivoting
// (LAPACK dgesv); a singular A is NTK4J_ERR_NUMERICAL.
void solve(Index n, const double* a, double* b, Index nrhs);

}  // namespace ntk4j::linalg
