#include "linalg/blas.hpp"

#include <cblas.h>

extern "C" {
// OpenBLAS extensions (declared here so that any cblas.h works).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}

namespace ntk4j::linalg {

namespace {
int as_blas_int(Index v) {
  if (v < 0 || v > kMaxBlasDim) {
    fail(NTK4J_ERR_SHAPE, "matrix dimension ", v, " does not fit the BLAS 32-bit index range");
  }
  return static_cast<int>(v);
}
}  // namespace

void gemm(Op op_a, Op op_b, Index m, Index n, Index kk, double alpha, const double* a,
          Index lda, const double* b, Index ldb, double beta, double* c, Index ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasColMajor, op_a == Op::N ? CblasNoTrans : CblasTrans,
              op_b == Op::N ? CblasNoTrans : CblasTrans, as_blas_int(m), as_blas_int(n),
              as_blas_int(kk), alpha, a, as_blas_int(lda), b, as_blas_int(ldb), beta, c,
              as_blas_int(ldc));
}

void set_num_threads(int n) { openblas_set_num_threads(n); }
int num_threads() { return openblas_get_num_threads(); }

}  // namespace ntk4j::linalg
