// The GEMM every kernel is built on: OpenBLAS's dgemm, column-major, with explicit leading
// dimensions so that strided views of [k, B, T, H] blocks (one time step across all probes and
// trials is an H x (k*B) matrix with leading dimension T*H) are multiplied in place, uncopied.
#pragma once

#include "core/error.hpp"

namespace ntk4j::linalg {

enum class Op { N, T };

// C (m x n) = alpha * op(A) (m x kk) * op(B) (kk x n) + beta * C, all column-major.
void gemm(Op op_a, Op op_b, Index m, Index n, Index kk, double alpha, const double* a,
          Index lda, const double* b, Index ldb, double beta, double* c, Index ldc);

void set_num_threads(int n);
int num_threads();

}  // namespace ntk4j::linalg
