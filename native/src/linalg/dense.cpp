#include "linalg/dense.hpp"

#include <lapacke.h>

#include <algorithm>

namespace ntk4j::linalg {

void dense_symmetric_eigen(Index n, std::vector<double> a, std::vector<double>& values, std::vector<double>* vectors) {
  values.assign(static_cast<size_t>(n), 0.0);
  if (n == 0) return;
  // Row-major symmetric = column-major symmetric; dsyevd returns ascending values and the
  // eigenvectors as columns (column-major), i.e. rows of the row-major buffer's transpose.
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'U', static_cast<lapack_int>(n),
                                         a.data(), static_cast<lapack_int>(n), values.data());
  if (info != 0) fail(NTK4J_ERR_NUMERICAL, "LAPACK dsyevd failed (info = ", info, ")");
  std::reverse(values.begin(), values.end());
  if (vectors) {
    vectors->assign(static_cast<size_t>(n * n), 0.0);
    for (Index i = 0; i < n; ++i)  // eigenvector of the i-th largest = column n-1-i
      std::copy_n(a.data() + (n - 1 - i) * n, n, vectors->data() + i * n);
  }
}

void general_eigen(Index n, const double* a, double* re, double* im, double* left, double* right) {
  std::vector<double> copy(a, a + n * n), vl(left ? static_cast<size_t>(n * n) : 1),
      vr(right ? static_cast<size_t>(n * n) : 1);
  const lapack_int info =
      LAPACKE_dgeev(LAPACK_ROW_MAJOR, left ? 'V' : 'N', right ? 'V' : 'N', static_cast<lapack_int>(n), copy.data(),
                    static_cast<lapack_int>(n), re, im, vl.data(), static_cast<lapack_int>(left ? n : 1), vr.data(),
                    static_cast<lapack_int>(right ? n : 1));
  if (info != 0) fail(NTK4J_ERR_NUMERICAL, "LAPACK dgeev failed (info = ", info, ")");
  if (left) std::copy(vl.begin(), vl.end(), left);
  if (right) std::copy(vr.begin(), vr.end(), right);
}

void tridiagonal_top(const std::vector<double>& t, Index cur, Index kk, std::vector<double>& theta,
                     std::vector<double>& y, double& scale) {
  std::vector<double> d(static_cast<size_t>(cur)), e(static_cast<size_t>(std::max<Index>(cur, 1)));
  for (Index i = 0; i < cur; ++i) d[static_cast<size_t>(i)] = t[static_cast<size_t>(i * cur + i)];
  for (Index i = 0; i + 1 < cur; ++i) e[static_cast<size_t>(i)] = t[static_cast<size_t>((i + 1) * cur + i)];
  auto run = [&](lapack_int il, lapack_int iu, bool vectors, std::vector<double>& w, std::vector<double>& z) {
    std::vector<double> dd = d, ee = e;
    const lapack_int n = static_cast<lapack_int>(cur);
    w.assign(static_cast<size_t>(cur), 0.0);
    z.assign(vectors ? static_cast<size_t>(cur * (iu - il + 1)) : 1, 0.0);
    std::vector<lapack_int> support(static_cast<size_t>(2 * cur));
    lapack_int found = 0;
    const lapack_int info = LAPACKE_dstevr(LAPACK_COL_MAJOR, vectors ? 'V' : 'N', 'I', n, dd.data(), ee.data(), 0.0,
                                           0.0, il, iu, 0.0, &found, w.data(), z.data(), n, support.data());
    if (info != 0 || found != iu - il + 1) fail(NTK4J_ERR_NUMERICAL, "LAPACK dstevr failed (info = ", info, ")");
  };
  std::vector<double> w, z, w_low, unused;
  run(static_cast<lapack_int>(cur - kk + 1), static_cast<lapack_int>(cur), true, w, z);
  run(1, 1, false, w_low, unused);
  theta.assign(static_cast<size_t>(kk), 0.0);
  y.assign(static_cast<size_t>(cur * kk), 0.0);
  for (Index i = 0; i < kk; ++i) {  // ascending from dstevr: the largest is the last
    theta[static_cast<size_t>(i)] = w[static_cast<size_t>(kk - 1 - i)];
    std::copy_n(z.data() + (kk - 1 - i) * cur, cur, y.data() + i * cur);
  }
  scale = std::max(std::abs(theta[0]), std::abs(w_low[0]));
}

void solve(Index n, const double* a, double* b, Index nrhs) {
  std::vector<double> lu(a, a + n * n);
  std::vector<lapack_int> piv(static_cast<size_t>(n));
  const lapack_int info =
      LAPACKE_dgesv(LAPACK_ROW_MAJOR, static_cast<lapack_int>(n), static_cast<lapack_int>(nrhs), lu.data(),
                    static_cast<lapack_int>(n), piv.data(), b, static_cast<lapack_int>(nrhs));
  if (info > 0) fail(NTK4J_ERR_NUMERICAL, "matrix is singular (zero pivot ", info, ")");
  if (info < 0) fail(NTK4J_ERR_INTERNAL, "LAPACK dgesv argument ", -info);
}

}  // namespace ntk4j::linalg
