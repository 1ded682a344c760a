#include "linalg/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include "linalg/blas_runtime.hpp"
#include "linalg/parallel.hpp"
#include "linalg/random.hpp"

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

namespace {

// The core's thread count; taken from OpenBLAS once, which is then kept single-threaded. The
// kernels are chosen first (blas_runtime.hpp): nothing runs on OpenBLAS before that.
std::atomic<int>& threads() {
  static std::atomic<int> n{[] {
    (void)blas_runtime();
    const int from_blas = std::max(1, openblas_get_num_threads());
    openblas_set_num_threads(1);
    return from_blas;
  }()};
  return n;
}

void blas_dgemm(Op op_a, Op op_b, Index m, Index n, Index kk, double alpha, const double* a, Index lda, const double* b,
                Index ldb, double beta, double* c, Index ldc) {
  // A product with one column (or one row) goes to GEMV: OpenBLAS 0.3.21's GEMM packs the whole
  // matrix even then, measured 3x slower on the Krylov projections (one vector against the basis).
  if (n == 1 && kk > 0) {  // c = op(A) b
    cblas_dgemv(CblasColMajor, op_a == Op::N ? CblasNoTrans : CblasTrans, as_blas_int(op_a == Op::N ? m : kk),
                as_blas_int(op_a == Op::N ? kk : m), alpha, a, as_blas_int(lda), b,
                as_blas_int(op_b == Op::N ? 1 : ldb), beta, c, 1);
    return;
  }
  if (m == 1 && kk > 0) {  // c^T = op(B)^T a^T
    cblas_dgemv(CblasColMajor, op_b == Op::N ? CblasTrans : CblasNoTrans, as_blas_int(op_b == Op::N ? kk : n),
                as_blas_int(op_b == Op::N ? n : kk), alpha, b, as_blas_int(ldb), a,
                as_blas_int(op_a == Op::N ? lda : 1), beta, c, as_blas_int(ldc));
    return;
  }
  cblas_dgemm(CblasColMajor, op_a == Op::N ? CblasNoTrans : CblasTrans, op_b == Op::N ? CblasNoTrans : CblasTrans,
              as_blas_int(m), as_blas_int(n), as_blas_int(kk), alpha, a, as_blas_int(lda), b, as_blas_int(ldb), beta, c,
              as_blas_int(ldc));
}

// At load: LAPACK (dsyevd, dgeev, QR) calls OpenBLAS's BLAS internally, before any gemm here.
const bool single_threaded_blas_at_load = (threads(), true);

// Below this many flops a GEMM runs on the calling thread (waking workers costs ~10 us; the
// thin products of Krylov orthogonalization, 2 MFLOP and memory-bound, gain from two threads).
constexpr double kSplitFlops = 1e6;
constexpr Index kMinPanel = 16;

}  // namespace

void gemm(Op op_a, Op op_b, Index m, Index n, Index kk, double alpha, const double* a, Index lda, const double* b,
          Index ldb, double beta, double* c, Index ldc) {
  if (m == 0 || n == 0) return;
  (void)threads();  // OpenBLAS single-threaded from the first product on
  const bool by_columns = n >= m;
  const Index chunks =
      2.0 * double(m) * double(n) * double(kk) < kSplitFlops ? 1 : parallel_width(by_columns ? n : m, kMinPanel);
  if (chunks <= 1) {
    blas_dgemm(op_a, op_b, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  parallel_chunks(by_columns ? n : m, chunks, [&](Index, Index lo, Index hi) {
    if (by_columns)  // C[:, lo:hi] = op(A) op(B)[:, lo:hi]
      blas_dgemm(op_a, op_b, m, hi - lo, kk, alpha, a, lda, op_b == Op::N ? b + lo * ldb : b + lo, ldb, beta,
                 c + lo * ldc, ldc);
    else  // C[lo:hi, :] = op(A)[lo:hi, :] op(B)
      blas_dgemm(op_a, op_b, hi - lo, n, kk, alpha, op_a == Op::N ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo,
                 ldc);
  });
}

void syrk(Op op_a, Index m, Index kk, const double* a, Index lda, double beta, double* c) {
  if (m == 0) return;
  (void)threads();  // OpenBLAS single-threaded: callers run several of these side by side
  cblas_dsyrk(CblasColMajor, CblasLower, op_a == Op::N ? CblasNoTrans : CblasTrans, as_blas_int(m), as_blas_int(kk),
              1.0, a, as_blas_int(lda), beta, c, as_blas_int(m));
  for (Index j = 0; j < m; ++j)
    for (Index i = 0; i < j; ++i) c[j * m + i] = c[i * m + j];
}

void project_out(const double* q, Index n, Index r, double* x, Index m, std::vector<double>& work) {
  if (r == 0 || m == 0) return;
  work.resize(static_cast<size_t>(r * m));
  gemm(Op::T, Op::N, r, m, n, 1.0, q, n, x, n, 0.0, work.data(), r);
  gemm(Op::N, Op::N, n, m, r, -1.0, q, n, work.data(), r, 1.0, x, n);
}

Index orthonormal_columns(std::vector<double>& y, Index n, Index m) {
  constexpr Index kPanel = 16;
  auto dot = [n](const double* a, const double* b) {
    double d = 0;
    for (Index i = 0; i < n; ++i) d += a[i] * b[i];
    return d;
  };
  Index good = 0;
  std::vector<double> c, before(static_cast<size_t>(kPanel));
  for (Index j0 = 0; j0 < m; j0 += kPanel) {
    const Index w = std::min(kPanel, m - j0);
    double* panel = y.data() + j0 * n;  // kept columns go to positions < good <= j0: no overlap
    for (Index q = 0; q < w; ++q) before[static_cast<size_t>(q)] = dot(panel + q * n, panel + q * n);
    for (int pass = 0; pass < 2; ++pass) project_out(y.data(), n, good, panel, w, c);
    const Index panel_first = good;  // kept columns of this panel start here
    for (Index q = 0; q < w; ++q) {
      double* col = panel + q * n;
      for (int pass = 0; pass < 2; ++pass)
        for (Index p = panel_first; p < good; ++p) {
          const double* qc = y.data() + p * n;
          const double d = dot(qc, col);
          for (Index i = 0; i < n; ++i) col[i] -= d * qc[i];
        }
      const double after = dot(col, col);
      if (after <= 1e-24 * before[static_cast<size_t>(q)] || after == 0) continue;
      const double scale = 1.0 / std::sqrt(after);
      double* dst = y.data() + good * n;
      for (Index i = 0; i < n; ++i) dst[i] = col[i] * scale;
      ++good;
    }
  }
  return good;
}

void set_num_threads(int n) { threads() = std::max(1, n); }

int num_threads() { return threads(); }

double dgemm_gflops(Index n, int repeats) {
  if (n < 16 || n > 8192) fail(NTK4J_ERR_INVALID_ARGUMENT, "matrix size must be in [16, 8192], got ", n);
  if (repeats < 1) fail(NTK4J_ERR_INVALID_ARGUMENT, "repeats must be >= 1, got ", repeats);
  std::vector<double> a(static_cast<size_t>(n * n)), b(a.size()), c(a.size());
  gaussian_fill(a.data(), n * n, 1);
  gaussian_fill(b.data(), n * n, 2);
  double best = 1e300;
  for (int r = 0; r <= repeats; ++r) {  // the first run warms up the thread pool
    const auto t0 = std::chrono::steady_clock::now();
    gemm(Op::N, Op::N, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0, c.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) best = std::min(best, s);
  }
  return 2.0 * double(n) * double(n) * double(n) / best / 1e9;
}

}  // namespace ntk4j::linalg
