// The Krylov basis of the Lanczos solvers (spectral/lanczos.hpp): V and its image AV, extended by
// blocks with full reorthogonalization (CGS2, or one known-coefficient pass plus DGKS repeats),
// vanished directions refilled at random, rotated at thick restarts. Internal to spectral/.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/linear_operator.hpp"

namespace ntk4j::spectral::detail {

using linalg::gemm;
using linalg::Op;

// Krylov basis V and its image AV, n x cap each, column-major (columns contiguous).
class Basis {
 public:
  Basis(const linalg::LinearOperator& a, Index n, Index cap, std::uint64_t seed)
      : a_(a),
        n_(n),
        cap_(cap),
        v_(new double[static_cast<size_t>(n * cap)]),
        av_(new double[static_cast<size_t>(n * cap)]),  // uninitialized: columns are written before use
        rng_(seed ^ 0x9e3779b97f4a7c15ULL) {}           // not the start block's stream: its vectors are in V

  Index size() const { return cur_; }
  double* v(Index j) { return v_.get() + j * n_; }
  double* av(Index j) { return av_.get() + j * n_; }
  Index block_applies = 0, vector_applies = 0;

  // Extending the basis by a block x (n x m) is done in two steps so that the residual estimates
  // of Rayleigh-Ritz (lanczos_top) can look at x in between. project() takes the basis out of x
  // by passes of x -= V (V^T x): two (CGS2) when nothing is known; when the caller knows the first
  // pass's coefficients (`known`, cur x m with leading dimension ldk: for x = A V_last they are
  // the last columns of V^T A V) that pass uses them, and a full pass follows, repeated only if
  // needed (DGKS, below). Returns the norms of x before, which normalize() needs to recognize a
  // vanished column.
  std::vector<double> project(std::vector<double>& x, Index m, const double* known = nullptr, Index ldk = 0) {
    std::vector<double> before(static_cast<size_t>(m));
    for (Index j = 0; j < m; ++j) before[static_cast<size_t>(j)] = norm(x.data() + j * n_);
    if (cur_ == 0) return before;
    std::vector<double> c;
    auto full_pass = [&] { linalg::project_out(v_.get(), n_, cur_, x.data(), m, c); };
    if (!known) {
      full_pass();
      full_pass();
      return before;
    }
    // Known coefficients are zero above the rows of the last block (and of the Ritz vectors kept
    // at a restart): that pass touches only those columns of V, like Lanczos' three-term step.
    Index r0 = 0;
    for (; r0 < cur_; ++r0) {
      bool zero = true;
      for (Index j = 0; j < m && zero; ++j) zero = known[j * ldk + r0] == 0.0;
      if (!zero) break;
    }
    if (r0 < cur_)
      gemm(Op::N, Op::N, n_, m, cur_ - r0, -1.0, v_.get() + r0 * n_, n_, known + r0, ldk, 1.0, x.data(), n_);
    // Then full reorthogonalization, repeated only if a pass removed much (Daniel, Gragg, Kaufman
    // and Stewart 1976: a second pass is needed when the norm drops below 1/sqrt(2) of its value).
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<double> in(static_cast<size_t>(m));
      for (Index j = 0; j < m; ++j) in[static_cast<size_t>(j)] = norm(x.data() + j * n_);
      full_pass();
      bool dropped = false;
      for (Index j = 0; j < m; ++j) dropped |= norm(x.data() + j * n_) < std::sqrt(0.5) * in[static_cast<size_t>(j)];
      if (!dropped) break;
    }
    return before;
  }

  // Orthonormalizes the (projected) columns of x among themselves; columns that vanish (the
  // Krylov space became invariant) are replaced by random directions. Returns the number of
  // usable columns (fewer only when the basis plus x would exceed n).
  Index normalize(std::vector<double>& x, Index m, const std::vector<double>& before, bool* refilled = nullptr) {
    const Index room = std::min(m, n_ - cur_);
    if (refilled) *refilled = false;
    Index good = 0;
    for (Index j = 0; j < m && good < room; ++j) {
      double* col = x.data() + j * n_;
      double reference = before[static_cast<size_t>(j)];
      for (int attempt = 0;; ++attempt) {
        for (int pass = 0; pass < 2; ++pass) project_out(col, x.data(), good);
        double after = norm(col);
        if (after > 1e-10 * reference && after > 1e-300 && after < 1e-2 * reference) {
          // Heavy cancellation (the Krylov space is nearly invariant in this direction): what is
          // left carries the rounding of the passes, ~eps * reference, which normalization would
          // blow up into a loss of orthogonality (seen as 3e-9 growing to O(1) over restarts on
          // a rank-deficient K with block 4). Project the remainder again, against V and the
          // block, before normalizing.
          for (int pass = 0; pass < 2; ++pass) {
            project_out(col, v_.get(), cur_);
            project_out(col, x.data(), good);
          }
          const double again = norm(col);
          if (!(again > 0.5 * after))
            after = 0;  // it was rounding: treat as vanished
          else
            after = again;
        }
        if (after > 1e-10 * reference && after > 1e-300) {
          for (Index i = 0; i < n_; ++i) col[i] /= after;
          break;
        }
        // The Krylov space became invariant in this direction (rank deficiency, or the whole
        // space is nearly spanned): continue with a fresh random direction.
        if (attempt == 4) fail(NTK4J_ERR_INTERNAL, "cannot extend the Krylov basis (n = ", n_, ")");
        if (refilled) *refilled = true;
        random_column(col);
        reference = norm(col);
        for (int pass = 0; pass < 2; ++pass) project_out(col, v_.get(), cur_);
      }
      if (j != good) std::copy_n(col, n_, x.data() + good * n_);
      ++good;
    }
    return good;
  }

  Index orthonormalize(std::vector<double>& x, Index m) { return normalize(x, m, project(x, m)); }

  // Appends m orthonormal columns (from x) and their images.
  void append(const std::vector<double>& x, Index m) {
    std::copy_n(x.data(), n_ * m, v(cur_));
    linalg::checked_apply(a_, v(cur_), m, av(cur_));
    ++block_applies;
    vector_applies += m;
    cur_ += m;
  }

  // Replaces the basis by V Y and AV Y (Y: cur x p, column-major).
  void rotate(const std::vector<double>& y, Index p) {
    std::vector<double> tmp(static_cast<size_t>(n_ * p));
    gemm(Op::N, Op::N, n_, p, cur_, 1.0, v_.get(), n_, y.data(), cur_, 0.0, tmp.data(), n_);
    std::copy(tmp.begin(), tmp.end(), v_.get());
    gemm(Op::N, Op::N, n_, p, cur_, 1.0, av_.get(), n_, y.data(), cur_, 0.0, tmp.data(), n_);
    std::copy(tmp.begin(), tmp.end(), av_.get());
    cur_ = p;
  }

  void random_column(double* col) {
    std::normal_distribution<double> g(0.0, 1.0);
    for (Index i = 0; i < n_; ++i) col[i] = g(rng_);
  }

  const double* vdata() const { return v_.get(); }
  const double* avdata() const { return av_.get(); }

 private:
  double norm(const double* x) const {
    double s = 0;
    for (Index i = 0; i < n_; ++i) s += x[i] * x[i];
    return std::sqrt(s);
  }
  void project_out(double* x, const double* q, Index m) const {
    for (Index j = 0; j < m; ++j) {
      const double* qj = q + j * n_;
      double d = 0;
      for (Index i = 0; i < n_; ++i) d += qj[i] * x[i];
      for (Index i = 0; i < n_; ++i) x[i] -= d * qj[i];
    }
  }

  const linalg::LinearOperator& a_;
  Index n_, cap_, cur_ = 0;
  std::unique_ptr<double[]> v_, av_;
  std::mt19937_64 rng_;
};

}  // namespace ntk4j::spectral::detail
