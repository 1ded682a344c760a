#include "spectral/svd.hpp"

#include <lapacke.h>

#include <algorithm>
#include <cmath>

#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/random.hpp"
#include "spectral/lanczos.hpp"

namespace ntk4j::spectral {

using linalg::gemm;
using linalg::Op;

namespace {

// Thin QR's Q of y (n x m, column-major) in place (LAPACK dgeqrf + dorgqr).
void orthonormalize(std::vector<double>& y, Index n, Index m) {
  std::vector<double> tau(static_cast<size_t>(m));
  lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, static_cast<lapack_int>(n), static_cast<lapack_int>(m), y.data(),
                                   static_cast<lapack_int>(n), tau.data());
  if (info == 0)
    info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, static_cast<lapack_int>(n), static_cast<lapack_int>(m),
                          static_cast<lapack_int>(m), y.data(), static_cast<lapack_int>(n), tau.data());
  if (info != 0) fail(NTK4J_ERR_NUMERICAL, "LAPACK QR failed (info = ", info, ")");
}

}  // namespace

SvdResult randomized_svd(const linalg::LinearOperator& a, const SvdOptions& o, bool want_vectors) {
  const Index m = a.rows(), n = a.cols();
  const Index mn = std::min(m, n);
  if (o.k <= 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "number of singular triplets k must be > 0, got ", o.k);
  if (o.k > mn)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "k = ", o.k, " singular triplets requested but ", a.name(), " is ", m, " x ", n);
  if (!(o.tol > 0) || !std::isfinite(o.tol))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "tolerance must be a finite number > 0, got ", o.tol);
  if (o.oversample < 0 || o.max_iterations < 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "oversample and max_iterations must be >= 0");
  const Index k = o.k, l = std::min(mn, k + o.oversample);
  SvdResult r;
  std::vector<double> omega(static_cast<size_t>(n * l)), y(static_cast<size_t>(m * l)), z(static_cast<size_t>(n * l));
  linalg::gaussian_fill(omega.data(), n * l, o.seed);
  linalg::checked_apply(a, omega.data(), l, y.data());
  r.applies += l;
  orthonormalize(y, m, l);  // Q
  std::vector<double> s(static_cast<size_t>(l)), w(static_cast<size_t>(n * l)), zt(static_cast<size_t>(l * l)),
      uu(static_cast<size_t>(m * k)), vv(static_cast<size_t>(n * k)), av(static_cast<size_t>(m * k)),
      atu(static_cast<size_t>(n * k));
  for (Index it = 0;; ++it) {
    // B* = A* Q (n x l); B* = W S Z^T  =>  A ~ Q B = (Q Z) S W^T.
    linalg::checked_apply_adjoint(a, y.data(), l, z.data());
    r.adjoint_applies += l;
    w = z;
    std::vector<double> superb(static_cast<size_t>(l));
    const lapack_int info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, 'O', 'A', static_cast<lapack_int>(n),
                                           static_cast<lapack_int>(l), w.data(), static_cast<lapack_int>(n), s.data(),
                                           nullptr, 1, zt.data(), static_cast<lapack_int>(l), superb.data());
    if (info != 0) fail(NTK4J_ERR_NUMERICAL, "LAPACK dgesvd failed (info = ", info, ")");
    // Left vectors U = Q Z (Z = zt^T), right vectors V = W (first k columns, overwritten in w).
    gemm(Op::N, Op::T, m, k, l, 1.0, y.data(), m, zt.data(), l, 0.0, uu.data(), m);
    std::copy_n(w.data(), n * k, vv.data());
    // Residuals: ||A v - s u|| and ||A* u - s v||.
    linalg::checked_apply(a, vv.data(), k, av.data());
    linalg::checked_apply_adjoint(a, uu.data(), k, atu.data());
    r.applies += k;
    r.adjoint_applies += k;
    r.residuals.assign(static_cast<size_t>(k), 0.0);
    r.converged = 0;
    for (Index i = 0; i < k; ++i) {
      double e1 = 0, e2 = 0;
      const double si = s[static_cast<size_t>(i)];
      for (Index j = 0; j < m; ++j)
        e1 += std::pow(av[static_cast<size_t>(i * m + j)] - si * uu[static_cast<size_t>(i * m + j)], 2);
      for (Index j = 0; j < n; ++j)
        e2 += std::pow(atu[static_cast<size_t>(i * n + j)] - si * vv[static_cast<size_t>(i * n + j)], 2);
      r.residuals[static_cast<size_t>(i)] = std::sqrt(std::max(e1, e2));
      if (r.residuals[static_cast<size_t>(i)] <= o.tol * s[0]) ++r.converged;
    }
    r.iterations = it;
    report_progress(r.converged, k, "randomized SVD: converged triplets");
    if (r.converged == k || it >= o.max_iterations || l == mn) break;
    // One power step: Q <- orth(A orth(A* Q)); z already holds A* Q.
    orthonormalize(z, n, l);
    linalg::checked_apply(a, z.data(), l, y.data());
    r.applies += l;
    orthonormalize(y, m, l);
  }
  r.values.assign(s.begin(), s.begin() + k);
  if (want_vectors) {
    r.u = std::move(uu);
    r.v = std::move(vv);
  }
  return r;
}

}  // namespace ntk4j::spectral
