#include "spectral/lanczos.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>

#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/dense.hpp"
#include "linalg/random.hpp"
#include "spectral/krylov_basis.hpp"

namespace ntk4j::spectral {

using detail::Basis;
using linalg::dense_symmetric_eigen;
using linalg::gaussian_fill;
using linalg::gemm;
using linalg::Op;
using linalg::tridiagonal_top;

namespace {

// True if the symmetric cur x cur matrix t (column-major) has no entry off its three diagonals.
bool tridiagonal(const std::vector<double>& t, Index cur) {
  for (Index j = 0; j < cur; ++j)
    for (Index i = 0; i < cur; ++i)
      if ((i > j + 1 || j > i + 1) && t[static_cast<size_t>(j * cur + i)] != 0.0) return false;
  return true;
}

// Ritz vectors kept at a restart: all but the room for three more blocks (thick restart, Wu &
// Simon 2000). Keeping many makes restarts frequent, but a restart now costs only the rotation of
// the basis; measured on NTK_S, keeping fewer (k plus half the spare room) needed 10-20 % more
// applies, and applies dominate.
Index restart_keep(Index k, Index b, Index cap, Index cur) { return std::min(cur - 1, std::max(k, cap - 3 * b)); }

}  // namespace

namespace {

EigsResult lanczos_core(const linalg::LinearOperator& a, const EigsOptions& o, bool want_vectors) {
  const Index n = a.rows();
  if (a.cols() != n) fail(NTK4J_ERR_SHAPE, "eigenvalues need a square operator, got ", a.rows(), " x ", a.cols());
  if (o.k <= 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "number of eigenpairs k must be > 0, got ", o.k);
  if (o.k > n)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "k = ", o.k, " eigenpairs requested but ", a.name(), " has dimension ", n);
  if (!(o.tol > 0) || !std::isfinite(o.tol))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "tolerance must be a finite number > 0, got ", o.tol);
  if (o.block < 0 || o.max_basis < 0 || o.max_restarts < 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "block, max_basis and max_restarts must be >= 0");
  if (o.start_cols < 0 || (o.start_cols > 0 && o.start == nullptr))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "start_cols = ", o.start_cols, " needs that many start vectors");
  if (o.start_cols > n)
    fail(NTK4J_ERR_INVALID_ARGUMENT, o.start_cols, " start vectors for an operator of dimension ", n);
  const Index k = o.k;
  const Index b = std::min(n, std::max(o.start_cols, o.block > 0 ? o.block : std::max<Index>(k, 4)));
  // Default basis max(k + 6b, 2k + 20), shrunk (down to k + 2b) so that V and AV stay within
  // ~2 GiB for very long state vectors; an explicit max_basis is taken as given.
  constexpr double kBasisBudgetBytes = 2.0 * 1024 * 1024 * 1024;
  const Index affordable = static_cast<Index>(kBasisBudgetBytes / (2.0 * sizeof(double) * double(n)));
  // Small blocks get at least 2k + 20 (single-vector Lanczos needs a long basis: on the
  // benchmark's NTK_S, a basis of 16 took 120 applies where 40 took 90).
  Index cap =
      o.max_basis > 0 ? o.max_basis : std::max(k + 2 * b, std::min(std::max(k + 6 * b, 2 * k + 20), affordable));
  cap = std::min(n, std::max(cap, k + b));
  if (o.max_basis > 0 && o.max_basis < std::min(n, k + b))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "max_basis = ", o.max_basis, " must be >= k + block = ", k + b);

  Basis basis(a, n, cap, o.seed);
  EigsResult r;
  r.block = b;
  r.basis = cap;
  std::vector<double> x(static_cast<size_t>(n * b));
  gaussian_fill(x.data(), n * b, o.seed);
  if (o.start_cols > 0) {
    for (Index i = 0; i < n * o.start_cols; ++i)
      if (!std::isfinite(o.start[i])) fail(NTK4J_ERR_INVALID_ARGUMENT, "start vectors contain a non-finite value");
    std::copy_n(o.start, n * o.start_cols, x.data());
  }
  basis.append(x, basis.orthonormalize(x, b));
  // The last block appended: columns src .. src+src_len-1 of the basis (always its last columns).
  Index src = 0, src_len = basis.size();

  std::vector<double> theta, y, t;  // t: V^T A V (t_size x t_size, column-major)
  Index t_size = 0;
  std::vector<double> u, au;           // Ritz vectors and their images (true residuals, returned vectors)
  std::vector<double> fy;              // F y_i[last block] (residual estimates of blocks wider than 1)
  std::vector<double> fcopy, pending;  // F before normalization; T's next columns when structured
  while (true) {
    // Rayleigh-Ritz on T = V^T A V, extended by the columns added since the last step only
    // (after a restart T is diag(theta) of the kept Ritz vectors, exactly).
    const Index cur = basis.size();
    {
      std::vector<double> grown(static_cast<size_t>(cur * cur), 0.0);
      for (Index j = 0; j < t_size; ++j) std::copy_n(t.data() + j * t_size, t_size, grown.data() + j * cur);
      const Index added = cur - t_size;
      if (added > 0) {
        std::vector<double> cols(static_cast<size_t>(cur * added));
        if (static_cast<Index>(pending.size()) == cur * added) {  // structured: only X^T A X
          cols = std::move(pending);
          std::vector<double> diag(static_cast<size_t>(added * added));
          gemm(Op::T, Op::N, added, added, n, 1.0, basis.v(t_size), n, basis.av(t_size), n, 0.0, diag.data(), added);
          for (Index j = 0; j < added; ++j) std::copy_n(diag.data() + j * added, added, cols.data() + j * cur + t_size);
        } else {
          gemm(Op::T, Op::N, cur, added, n, 1.0, basis.vdata(), n, basis.av(t_size), n, 0.0, cols.data(), cur);
        }
        pending.clear();
        for (Index j = 0; j < added; ++j)
          for (Index i = 0; i < cur; ++i) {
            const double v = cols[static_cast<size_t>(j * cur + i)];
            const Index c = t_size + j;
            if (i < t_size) {
              grown[static_cast<size_t>(c * cur + i)] = grown[static_cast<size_t>(i * cur + c)] = v;
            } else if (i <= c) {  // the new diagonal block: average the two computed halves
              const double w = cols[static_cast<size_t>((i - t_size) * cur + c)];
              grown[static_cast<size_t>(c * cur + i)] = grown[static_cast<size_t>(i * cur + c)] = 0.5 * (v + w);
            }
          }
      }
      t = std::move(grown);
      t_size = cur;
    }
    const Index kk = std::min(k, cur);
    // The basis can take another whole block (or the rest of the space) without a restart.
    const bool room = cur + b <= cap || (cur < cap && cap == n);
    double scale = 0;
    if (room && tridiagonal(t, cur)) {
      // Single-vector Lanczos before any restart: T is tridiagonal, and only the top k Ritz pairs
      // and the extreme eigenvalue (the scale of the tolerance) are needed (LAPACK dstevr, O(cur k)).
      tridiagonal_top(t, cur, kk, theta, y, scale);
    } else {
      std::vector<double> rows;
      dense_symmetric_eigen(cur, t, theta, &rows);
      y = std::move(rows);  // column i of y (cur x cur, column-major) = eigenvector i = row i of rows
      for (Index i = 0; i < cur; ++i) scale = std::max(scale, std::abs(theta[static_cast<size_t>(i)]));
    }
    auto limit = [&](Index i) {
      const double ti = theta[static_cast<size_t>(i)];
      return o.adjoint_side_tol ? o.tol * std::max(0.1 * scale, std::sqrt(std::max(ti, 0.0) * scale)) : o.tol * scale;
    };
    const bool exhausted = cur == n;  // the Krylov space is the whole space: exact up to round-off
    const bool give_up = !room && r.restarts >= o.max_restarts;
    const Index p = room ? cur : restart_keep(k, b, cap, cur);
    const Index width = exhausted ? 0 : std::min(b, cap - p);

    // The next block F = (I - V V^T) A V_last. Every earlier column's image lies in the span of
    // V (Krylov relation, kept through thick restarts), so the residual of a Ritz pair is
    // A V y_i - theta_i V y_i = F y_i[last block], exactly up to round-off: its norm estimates the
    // residual for the price of a thin GEMM, and F is the next block anyway. The estimate only
    // decides when to look; convergence is declared on true residuals.
    std::vector<double> before;
    Index estimated = 0;
    const bool krylov_block = src_len > 0 && src + src_len == cur;
    if (width > 0) {
      for (Index j = 0; j < width; ++j) {
        if (j < src_len)
          std::copy_n(basis.av(src + j), n, x.data() + j * n);
        else
          basis.random_column(x.data() + j * n);
      }
      const bool known = krylov_block && src_len == width;  // V^T A V_last = last columns of T
      before = basis.project(x, width, known ? t.data() + src * cur : nullptr, cur);
      if (kk == k && krylov_block) {
        if (src_len == 1) {  // ||f y_i[last]|| = ||f|| |y_i[last]|
          double ss = 0;
          for (Index j = 0; j < n; ++j) ss += x[static_cast<size_t>(j)] * x[static_cast<size_t>(j)];
          for (Index i = 0; i < k; ++i)
            if (std::sqrt(ss) * std::abs(y[static_cast<size_t>(i * cur + src)]) <= limit(i)) ++estimated;
        } else {
          fy.resize(static_cast<size_t>(n * k));
          gemm(Op::N, Op::N, n, k, src_len, 1.0, x.data(), n, y.data() + src, cur, 0.0, fy.data(), n);
          for (Index i = 0; i < k; ++i) {
            double ss = 0;
            for (Index j = 0; j < n; ++j) ss += fy[static_cast<size_t>(i * n + j)] * fy[static_cast<size_t>(i * n + j)];
            if (std::sqrt(ss) <= limit(i)) ++estimated;
          }
        }
      }
      report_progress(estimated, k, "Lanczos: converged eigenpairs");
    }
    const bool last = exhausted || give_up || width == 0;
    if (estimated == k || last) {
      // True residuals of the top k Ritz pairs: ||AV y_i - theta_i V y_i||, no extra applies.
      u.assign(static_cast<size_t>(n * kk), 0.0);
      au.assign(static_cast<size_t>(n * kk), 0.0);
      gemm(Op::N, Op::N, n, kk, cur, 1.0, basis.vdata(), n, y.data(), cur, 0.0, u.data(), n);
      gemm(Op::N, Op::N, n, kk, cur, 1.0, basis.avdata(), n, y.data(), cur, 0.0, au.data(), n);
      r.residuals.assign(static_cast<size_t>(kk), 0.0);
      r.converged = 0;
      for (Index i = 0; i < kk; ++i) {
        double ss = 0;
        const double ti = theta[static_cast<size_t>(i)];
        for (Index j = 0; j < n; ++j) {
          const double d = au[static_cast<size_t>(i * n + j)] - ti * u[static_cast<size_t>(i * n + j)];
          ss += d * d;
        }
        r.residuals[static_cast<size_t>(i)] = std::sqrt(ss);
        if (r.residuals[static_cast<size_t>(i)] <= limit(i)) ++r.converged;
      }
      report_progress(r.converged, k, "Lanczos: converged eigenpairs");
      if (r.converged == k || last) {
        r.values.assign(theta.begin(), theta.begin() + kk);
        if (want_vectors) {
          r.vectors = std::move(u);
          r.images = std::move(au);
          if (krylov_block && width >= src_len && kk == k) {  // F and the coefficients, for gram_top
            r.krylov_width = src_len;
            r.krylov_block.assign(x.begin(), x.begin() + n * src_len);
            r.krylov_coeffs.resize(static_cast<size_t>(src_len * k));
            for (Index i = 0; i < k; ++i)
              for (Index j = 0; j < src_len; ++j)
                r.krylov_coeffs[static_cast<size_t>(i * src_len + j)] = y[static_cast<size_t>(i * cur + src + j)];
          }
        }
        break;
      }
      // The estimates were optimistic (round-off, or random columns broke the Krylov relation).
    }
    // T's new columns from the Krylov structure, not a sweep over V: for x_j the new block (X =
    // F R), v_i^T A x_j = (A v_i)^T x_j = (F^T X)_ij for v_i in the last block, 0 for older basis
    // vectors, and (F c_l)^T x_j for a Ritz vector kept at a restart (A u_l = theta_l u_l + F c_l).
    // Only the new diagonal block X^T A X is computed after the apply. Exact up to round-off while
    // the structure holds; otherwise (random columns entered) T is computed explicitly.
    const bool structured = krylov_block && src_len == width;
    if (structured) fcopy.assign(x.begin(), x.begin() + n * width);
    bool refilled = false;
    const Index got = basis.normalize(x, width, before, &refilled);
    pending.clear();
    if (structured && got == width && !refilled) {
      std::vector<double> fx(static_cast<size_t>(width * got));  // F^T X (width x got)
      gemm(Op::T, Op::N, width, got, n, 1.0, fcopy.data(), n, x.data(), n, 0.0, fx.data(), width);
      const Index rows_old = room ? cur : p, ld = rows_old + got;
      pending.assign(static_cast<size_t>(ld * got), 0.0);
      for (Index j = 0; j < got; ++j) {
        if (room) {
          for (Index q = 0; q < width; ++q)
            pending[static_cast<size_t>(j * ld + src + q)] = fx[static_cast<size_t>(j * width + q)];
        } else {
          for (Index l = 0; l < p; ++l) {
            double sum = 0;
            for (Index q = 0; q < width; ++q)
              sum += y[static_cast<size_t>(l * cur + src + q)] * fx[static_cast<size_t>(j * width + q)];
            pending[static_cast<size_t>(j * ld + l)] = sum;
          }
        }
      }
    }
    if (!room) {
      // Thick restart (Krylov-Schur style): keep the best p Ritz vectors and continue the Krylov
      // sequence with the block computed above. The residuals of all kept Ritz vectors lie in its
      // span, so nothing learned is lost; it is orthogonal to the old basis and hence to them.
      basis.rotate(y, p);
      t.assign(static_cast<size_t>(p * p), 0.0);
      for (Index i = 0; i < p; ++i) t[static_cast<size_t>(i * p + i)] = theta[static_cast<size_t>(i)];
      t_size = p;
      ++r.restarts;
    }
    src = basis.size();
    src_len = got;
    if (got > 0) basis.append(x, got);
  }
  r.block_applies = basis.block_applies;
  r.vector_applies = basis.vector_applies;
  return r;
}

}  // namespace

// Completeness check of a converged top-k solve (issue 11): single-vector Lanczos, from a random
// start, on the deflated operator D = (I - V V^T) A (I - V V^T), V the k eigenvectors found. D's
// spectrum is A's without the pairs found, so an eigenvalue of D above lambda_k is one the Krylov
// space missed (single-vector Lanczos sees one vector per eigenspace: a second copy of a
// repeated eigenvalue is invisible to it). Ritz values never exceed D's top eigenvalue, so a Ritz
// value above lambda_k + tol proves a miss. Absence is accepted the way Lanczos accepts any top
// eigenvalue: once the top Ritz pair has converged (residual bound beta |y_last| <= 1e-3 of the
// scale, or the solve's tolerance if looser) below lambda_k + tol. From a random start the top
// Ritz value converges to D's top eigenvalue first, so a missed eigenvalue above lambda_k would
// have shown itself on the way. Undecided after max_steps counts as a miss (the caller then
// switches to blocks, which see repeated eigenvalues directly).
Completeness completeness_check(const linalg::LinearOperator& a, const EigsResult& r, const EigsOptions& o) {
  const Index n = a.rows(), k = o.k;
  Completeness out;
  if (k >= n) return out;
  const double* v = r.vectors.data();  // [k, n] = column-major n x k
  double scale = 0;
  for (double x : r.values) scale = std::max(scale, std::abs(x));
  const double threshold = r.values[static_cast<size_t>(k - 1)] + o.tol * scale;
  const Index max_steps = std::min(n - k, 3 * k + 40);
  std::vector<double> q(static_cast<size_t>(n * (max_steps + 1))), w(static_cast<size_t>(n)), c;
  std::vector<double> alpha, beta;
  // Its own random stream: the solve's start block uses o.seed and its refills o.seed ^ golden
  // ratio, whose first vector lies in V.
  gaussian_fill(q.data(), n, o.seed ^ 0xd1b54a32d192ed03ULL);
  auto deflate = [&](double* x, Index basis_cols) {  // x -= V V^T x and Q Q^T x, twice (CGS2)
    for (int pass = 0; pass < 2; ++pass) {
      linalg::project_out(v, n, k, x, 1, c);
      linalg::project_out(q.data(), n, basis_cols, x, 1, c);
    }
  };
  auto norm = [n](const double* x) {
    double ss = 0;
    for (Index i = 0; i < n; ++i) ss += x[i] * x[i];
    return std::sqrt(ss);
  };
  deflate(q.data(), 0);
  {
    const double s0 = norm(q.data());
    if (!(s0 > 0)) return out;
    for (Index i = 0; i < n; ++i) q[static_cast<size_t>(i)] /= s0;
  }
  for (Index j = 0; j < max_steps; ++j) {
    double* qj = q.data() + j * n;
    linalg::checked_apply(a, qj, 1, w.data());
    ++out.applies;
    double aj = 0;
    for (Index i = 0; i < n; ++i) aj += qj[i] * w[static_cast<size_t>(i)];
    deflate(w.data(), j + 1);
    const double bj = norm(w.data());
    alpha.push_back(aj);
    beta.push_back(bj);
    // Top eigenpair of the (j+1) x (j+1) tridiagonal T.
    const Index m = j + 1;
    Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(alpha.data(), m);
    Eigen::VectorXd e =
        m > 1 ? Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(beta.data(), m - 1)) : Eigen::VectorXd(0);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
    es.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
    const double theta = es.eigenvalues()(m - 1);
    const double residual = bj * std::abs(es.eigenvectors()(m - 1, m - 1));
    if (theta > threshold) {
      out.missed = true;
      return out;
    }
    const bool converged = residual <= std::max(o.tol, 1e-3) * scale;
    if ((converged && theta + residual <= threshold) || !(bj > 1e-14 * std::max(scale, 1e-300))) return out;
    double* next = q.data() + (j + 1) * n;
    for (Index i = 0; i < n; ++i) next[i] = w[static_cast<size_t>(i)] / bj;
  }
  out.missed = true;  // undecided: let blocks settle it
  return out;
}

EigsResult lanczos_top(const linalg::LinearOperator& a, const EigsOptions& o, bool want_vectors) {
  // Explicit block sizes (and warm starts, which set their own width) are taken as given.
  if (o.block > 0 || o.start_cols > 0) return lanczos_core(a, o, want_vectors);
  // The default: single-vector Lanczos, which needs the fewest applies when the top eigenvalues
  // are simple (about ARPACK's count), followed by a completeness check on the deflated operator.
  // When the check finds an eigenvalue the Krylov space missed, the solve is repeated with 4 times
  // the block size (a block of b sees up to b copies of a repeated eigenvalue), up to b = k, which
  // needs no check. Applies of every attempt and check are counted.
  const Index k = o.k;
  Index extra_vectors = 0, extra_blocks = 0, attempt = 0;
  for (Index b = 1;; b = std::min(k, 4 * b), ++attempt) {
    EigsOptions p = o;
    p.block = b;
    p.seed = o.seed + static_cast<std::uint64_t>(attempt);
    EigsResult r = lanczos_core(a, p, true);
    r.vector_applies += extra_vectors;
    r.block_applies += extra_blocks;
    if (r.converged == k && b < k && k < a.rows()) {
      const Completeness c = completeness_check(a, r, p);
      r.vector_applies += c.applies;
      r.block_applies += c.applies;
      if (c.missed) {
        extra_vectors = r.vector_applies;
        extra_blocks = r.block_applies;
        continue;
      }
    }
    if (!want_vectors) {
      r.vectors.clear();
      r.images.clear();
      r.krylov_block.clear();
      r.krylov_coeffs.clear();
      r.krylov_width = 0;
    }
    return r;
  }
}

}  // namespace ntk4j::spectral
