// The GEMM every kernel is built on: OpenBLAS's dgemm, column-major, with explicit leading
// dimensions so that strided views of [k, B, T, H] blocks (one time step across all probes and
// trials is an H x (k*B) matrix with leading dimension T*H) are multiplied in place, uncopied.
#pragma once

#include <vector>

#include "core/error.hpp"

namespace ntk4j::linalg {

enum class Op { N, T };

// C (m x n) = alpha * op(A) (m x kk) * op(B) (kk x n) + beta * C, all column-major. Large
// products are cut into column (or row) panels of C, one per thread.
void gemm(Op op_a, Op op_b, Index m, Index n, Index kk, double alpha, const double* a, Index lda, const double* b,
          Index ldb, double beta, double* c, Index ldc);

// C (m x m) = op(A) op(A)^T + beta C with op(A) m x kk (Op::N: A is m x kk, lda >= m; Op::T: A is
// kk x m): the full symmetric C (both triangles), column-major. On the calling thread only (half
// a GEMM's flops; callers parallelize over independent products).
void syrk(Op op_a, Index m, Index kk, const double* a, Index lda, double beta, double* c);

// x (n x m) -= Q (Q^T x) for Q with r orthonormal columns (n x r), all column-major with leading
// dimension n: one classical Gram-Schmidt pass of m vectors against Q as two GEMMs (its
// coefficients left in work); called twice for CGS2.
void project_out(const double* q, Index n, Index r, double* x, Index m, std::vector<double>& work);

// Orthonormal basis of the columns of y (n x m, column-major), overwriting its first columns;
// returns how many (dependent columns are dropped). Gram-Schmidt twice, in panels of 16 columns:
// each panel is taken out of the columns kept so far by two block passes (GEMMs), then
// orthonormalized within itself. Column by column over a 100-column sketch of a 409,600-long
// state, the scalar loops were ~18 % of a `spectrum` run.
Index orthonormal_columns(std::vector<double>& y, Index n, Index m);

// Threads of the core (ntk4j_set_num_threads). The core has one threading model, its own:
// OpenBLAS is kept single-threaded and large GEMMs are split across the core's workers
// (linalg/parallel.hpp). Mixing the two was measured slower: OpenBLAS's idle workers spin for a
// while after each threaded call and take a core from the next split kernel. The default is
// OpenBLAS's own default (cores, or OPENBLAS_NUM_THREADS) as found at first use.
void set_num_threads(int n);
int num_threads();

// The best of `repeats` timed n x n x n DGEMMs through the BLAS in use, in GFLOP/s (after one
// untimed warm-up run): the reference rate of `ntk4j bench`.
double dgemm_gflops(Index n, int repeats);

}  // namespace ntk4j::linalg
