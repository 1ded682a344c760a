#include "spectral/trace.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"
#include "spectral/lanczos.hpp"

namespace ntk4j::spectral {

using linalg::gemm;
using linalg::Op;

namespace {

void rademacher(double* x, Index n, std::mt19937_64& rng) {
  for (Index i = 0; i < n; ++i) x[i] = (rng() & 1) ? 1.0 : -1.0;
}

double participation_ratio(const std::vector<double>& m, Index d) {
  double tr = 0, fro = 0;
  for (Index i = 0; i < d; ++i) tr += m[static_cast<size_t>(i * d + i)];
  for (double v : m) fro += v * v;
  return fro > 0 ? tr * tr / fro : 0.0;
}

void check_square(const linalg::LinearOperator& a) {
  if (a.rows() != a.cols()) fail(NTK4J_ERR_SHAPE, "traces need a square operator, got ", a.rows(), " x ", a.cols());
}

void check_state_space(const linalg::LinearOperator& a, Index B, Index T, Index H) {
  check_square(a);
  if (B <= 0 || T <= 0 || H <= 0) fail(NTK4J_ERR_SHAPE, "B, T, H must be > 0");
  if (checked_mul(checked_mul(B, T, "B*T"), H, "B*T*H") != a.rows())
    fail(NTK4J_ERR_SHAPE, "state space [B,T,H] = [", B, ",", T, ",", H, "] has ", B * T * H,
         " dimensions but the operator has ", a.rows());
}

// Index of state element (b, t, h) and its coordinates for each kept axis.
struct Axes {
  Index B, T, H;
  Index len(int axis) const { return axis == 0 ? B : axis == 1 ? T : H; }
  // kept index and traced index (0 .. n/len-1) of flat state index i.
  void split(Index i, int axis, Index& kept, Index& traced) const {
    const Index h = i % H, t = (i / H) % T, b = i / (H * T);
    if (axis == 0) {
      kept = b;
      traced = t * H + h;
    } else if (axis == 1) {
      kept = t;
      traced = b * H + h;
    } else {
      kept = h;
      traced = b * T + t;
    }
  }
};

}  // namespace

TraceEstimates hutchpp(const linalg::LinearOperator& a, Index probes, std::uint64_t seed) {
  check_square(a);
  if (probes < 3) fail(NTK4J_ERR_INVALID_ARGUMENT, "Hutch++ needs at least 3 probes, got ", probes);
  const Index n = a.rows();
  const Index s = std::min(probes / 3, n), g = probes - 2 * s;  // sketch, then remainder probes
  std::mt19937_64 rng(seed);
  TraceEstimates out;
  // Probes go through A kChunk at a time, so that only Q (n x s) is held whole: the other four
  // n x s blocks of the textbook algorithm (S, A Q, the remainder probes and their images) are
  // chunk-sized. Same random streams, in the same order, as unchunked.
  constexpr Index kChunk = 16;
  // Range sketch Q = orth(A S).
  std::vector<double> q(static_cast<size_t>(n * s));
  {
    std::vector<double> sk(static_cast<size_t>(n * std::min(s, kChunk)));
    report_progress(0, 3, "Hutch++");
    for (Index c0 = 0; c0 < s; c0 += kChunk) {
      const Index cw = std::min(kChunk, s - c0);
      rademacher(sk.data(), n * cw, rng);
      linalg::checked_apply(a, sk.data(), cw, q.data() + c0 * n);
    }
  }
  const Index r = linalg::orthonormal_columns(q, n, s);
  report_progress(1, 3, "Hutch++");
  std::vector<double> buf(static_cast<size_t>(n * kChunk)), w(static_cast<size_t>(n * kChunk));
  // Exact part on range(Q): tr(Q^T A Q) and ||A Q||_F^2 (= tr(Q^T A^2 Q) for symmetric A).
  double t1 = 0, t2 = 0;
  for (Index c0 = 0; c0 < r; c0 += kChunk) {
    const Index cw = std::min(kChunk, r - c0);
    linalg::checked_apply(a, q.data() + c0 * n, cw, buf.data());
    for (Index i = 0; i < n * cw; ++i) {
      t1 += q[static_cast<size_t>(c0 * n + i)] * buf[static_cast<size_t>(i)];
      t2 += buf[static_cast<size_t>(i)] * buf[static_cast<size_t>(i)];
    }
  }
  // Hutchinson on the complement: w = (I - Q Q^T) g, samples w^T A w and ||A w||^2.
  report_progress(2, 3, "Hutch++");
  std::vector<double> x1(static_cast<size_t>(g)), x2(static_cast<size_t>(g));
  std::vector<double> c;  // projection coefficients
  for (Index c0 = 0; c0 < g; c0 += kChunk) {
    const Index cw = std::min(kChunk, g - c0);
    rademacher(w.data(), n * cw, rng);
    for (int pass = 0; pass < 2; ++pass) linalg::project_out(q.data(), n, r, w.data(), cw, c);
    linalg::checked_apply(a, w.data(), cw, buf.data());
    for (Index j = 0; j < cw; ++j) {
      double u = 0, v = 0;
      for (Index i = 0; i < n; ++i) {
        const double av = buf[static_cast<size_t>(j * n + i)];
        u += w[static_cast<size_t>(j * n + i)] * av;
        v += av * av;
      }
      x1[static_cast<size_t>(c0 + j)] = u;
      x2[static_cast<size_t>(c0 + j)] = v;
    }
  }
  report_progress(3, 3, "Hutch++");
  auto mean_sem = [&](const std::vector<double>& x, double& mean, double& sem) {
    mean = 0;
    for (double v : x) mean += v;
    mean /= double(g);
    double var = 0;
    for (double v : x) var += (v - mean) * (v - mean);
    sem = g > 1 ? std::sqrt(var / double(g - 1) / double(g)) : std::abs(mean);
  };
  double m1, s1, m2, s2;
  mean_sem(x1, m1, s1);
  mean_sem(x2, m2, s2);
  // The mean of w^T A w over Rademacher g estimates tr((I-QQ^T) A (I-QQ^T)); likewise for A^2.
  out.trace = {t1 + m1, s1, 0};
  out.trace_of_square = {t2 + m2, s2, 0};
  const double pr = out.trace.value * out.trace.value / out.trace_of_square.value;
  // Delta method, treating the two errors as independent.
  const double rel = std::sqrt(std::pow(2 * s1 / out.trace.value, 2) + std::pow(s2 / out.trace_of_square.value, 2));
  out.effective_rank = {pr, std::abs(pr) * rel, 0};
  const Index applies = s + r + g;
  out.trace.applies = out.trace_of_square.applies = out.effective_rank.applies = applies;
  return out;
}

ExactTraces exact_traces(const linalg::LinearOperator& a) {
  check_square(a);
  const Index n = a.rows();
  const auto d = linalg::to_dense(a);
  ExactTraces e;
  for (Index i = 0; i < n; ++i) e.trace += d[static_cast<size_t>(i * n + i)];
  // tr(A^2) = sum_ij A_ij A_ji (= ||A||_F^2 when symmetric).
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      e.trace_of_square += d[static_cast<size_t>(i * n + j)] * d[static_cast<size_t>(j * n + i)];
  e.effective_rank = e.trace * e.trace / e.trace_of_square;
  return e;
}

std::array<double, 3> partial_effective_dims_exact(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                   Reduction reduction) {
  check_state_space(a, B, T, H);
  const Index n = a.rows();
  // W = A^T as a dense n x n (row-major) matrix: G = A A^T = W^T W.
  const auto at = linalg::to_dense(
      *linalg::adjoint(std::shared_ptr<const linalg::LinearOperator>(&a, [](const linalg::LinearOperator*) {})));
  std::vector<double> g(static_cast<size_t>(n * n));
  // G (row-major) = A A^T; with at = A^T row-major = A col-major: G = at^T at.
  gemm(Op::N, Op::T, n, n, n, 1.0, at.data(), n, at.data(), n, 0.0, g.data(), n);
  Axes ax{B, T, H};
  std::array<double, 3> out{};
  for (int axis = 0; axis < 3; ++axis) {
    const Index m = ax.len(axis);
    std::vector<double> mm(static_cast<size_t>(m * m), 0.0);
    for (Index i = 0; i < n; ++i) {
      Index ri, si;
      ax.split(i, axis, ri, si);
      for (Index j = 0; j < n; ++j) {
        Index rj, sj;
        ax.split(j, axis, rj, sj);
        if (reduction == Reduction::KpflowBroadcast || si == sj)
          mm[static_cast<size_t>(ri * m + rj)] += g[static_cast<size_t>(i * n + j)];
      }
    }
    out[static_cast<size_t>(axis)] = participation_ratio(mm, m);
  }
  return out;
}

// kpflow's broadcast-reduce M = E^T A A^T E (E = 1_S (x) I_m, the kept axis' probes) exactly,
// from m applies of A^T per axis with W = A^T E held whole (M = W^T W) while it fits in a memory
// budget, else from two applies per column, 16 at a time (M[:, c] = E^T A (A^T E[:, c])), so that
// large models (B T H = 1.6e6 at H = 512: W would take 6.7 GB) stay within bounded memory.
std::array<Estimate, 3> partial_effective_dims_kpflow(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                      double whole_budget_bytes) {
  check_state_space(a, B, T, H);
  constexpr Index kChunk = 16;
  const Index n = a.rows(), cols = a.cols();
  Axes ax{B, T, H};
  std::array<Estimate, 3> out{};
  for (int axis = 0; axis < 3; ++axis) {
    report_progress(axis, 3, "partial traces: axes");
    const Index m = ax.len(axis);
    const bool whole = double(cols) * double(m) * sizeof(double) <= whole_budget_bytes;
    std::vector<double> e(static_cast<size_t>(n * std::min(m, kChunk)));
    std::vector<double> w(static_cast<size_t>(cols * (whole ? m : kChunk)));
    std::vector<double> z(whole ? 0 : static_cast<size_t>(n * kChunk));
    std::vector<double> mm(static_cast<size_t>(m * m), 0.0);
    for (Index c0 = 0; c0 < m; c0 += kChunk) {
      const Index cw = std::min(kChunk, m - c0);
      std::fill(e.begin(), e.end(), 0.0);
      for (Index j = 0; j < cw; ++j) {  // column j: ones where the kept index is c0 + j
        double* col = e.data() + j * n;
        const Index r = c0 + j;
        if (axis == 0) {
          std::fill(col + r * T * H, col + (r + 1) * T * H, 1.0);
        } else if (axis == 1) {
          for (Index b = 0; b < B; ++b) std::fill(col + (b * T + r) * H, col + (b * T + r + 1) * H, 1.0);
        } else {
          for (Index bt = 0; bt < B * T; ++bt) col[bt * H + r] = 1.0;
        }
      }
      double* wc = w.data() + (whole ? c0 * cols : 0);
      linalg::checked_apply_adjoint(a, e.data(), cw, wc);
      out[static_cast<size_t>(axis)].applies += cw;
      if (whole) continue;
      linalg::checked_apply(a, wc, cw, z.data());
      out[static_cast<size_t>(axis)].applies += cw;
      for (Index j = 0; j < cw; ++j)
        for (Index i = 0; i < n; ++i) {
          Index kr, ks;
          ax.split(i, axis, kr, ks);
          mm[static_cast<size_t>((c0 + j) * m + kr)] += z[static_cast<size_t>(j * n + i)];
        }
    }
    if (whole) {  // M = W^T W, in row panels of W side by side (symmetric products, half the flops)
      const Index width = linalg::parallel_width(cols, 4096);
      std::vector<std::vector<double>> part(static_cast<size_t>(width),
                                            std::vector<double>(static_cast<size_t>(m * m)));
      linalg::parallel_chunks(cols, width, [&](Index c, Index lo, Index hi) {
        linalg::syrk(Op::T, m, hi - lo, w.data() + lo, cols, 0.0, part[static_cast<size_t>(c)].data());
      });
      for (const auto& pc : part)
        for (size_t i = 0; i < mm.size(); ++i) mm[i] += pc[i];
    }
    out[static_cast<size_t>(axis)].value = participation_ratio(mm, m);
  }
  return out;
}

std::array<Estimate, 3> partial_effective_dims_estimate(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                        Reduction reduction, Index samples, Index deflation,
                                                        std::uint64_t seed) {
  // kpflow's reduction is exact from applies: samples and deflation do not apply to it.
  if (reduction == Reduction::KpflowBroadcast) return partial_effective_dims_kpflow(a, B, T, H);
  check_state_space(a, B, T, H);
  if (samples < 1) fail(NTK4J_ERR_INVALID_ARGUMENT, "samples must be >= 1, got ", samples);
  if (deflation < 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "deflation rank must be >= 0, got ", deflation);
  const Index n = a.rows();
  Axes ax{B, T, H};
  std::mt19937_64 rng(seed);
  std::array<Estimate, 3> out{};

  // Deflation (true partial trace of a symmetric A): with Q an orthonormal basis of A's dominant
  // range (randomized range finder, one power step) and P = Q Q^T,
  //   A A^T = A P A + A (I - P) A = (AQ)(AQ)^T + C^T C,   C = (I - P) A,
  // the first term is reduced exactly and only the small remainder C^T C is sampled.
  Index r = 0;
  std::vector<double> q, aq;
  Index deflation_applies = 0;
  if (deflation > 0 && a.symmetric()) {
    r = std::min(deflation, n);
    std::vector<double> omega(static_cast<size_t>(n * r)), y(static_cast<size_t>(n * r));
    rademacher(omega.data(), n * r, rng);
    linalg::checked_apply(a, omega.data(), r, y.data());
    linalg::checked_apply(a, y.data(), r, omega.data());
    q = std::move(omega);
    r = linalg::orthonormal_columns(q, n, r);
    aq.resize(static_cast<size_t>(n * std::max<Index>(r, 1)));
    if (r > 0) linalg::checked_apply(a, q.data(), r, aq.data());
    deflation_applies = 3 * std::min(deflation, n);
  }

  for (int axis = 0; axis < 3; ++axis) {
    report_progress(axis, 3, "partial traces: axes");
    const Index m = ax.len(axis);
    const Index traced = n / m;
    std::vector<double> low(static_cast<size_t>(m * m), 0.0);
    // Exact reduction of (AQ)(AQ)^T: M[r,r'] = sum_i sum_s AQ_i[(s,r)] AQ_i[(s,r')].
    for (Index i = 0; i < r; ++i) {
      const double* v = aq.data() + i * n;
      std::vector<double> blockv(static_cast<size_t>(traced * m));  // [s, r]
      for (Index idx = 0; idx < n; ++idx) {
        Index kr, ks;
        ax.split(idx, axis, kr, ks);
        blockv[static_cast<size_t>(ks * m + kr)] = v[idx];
      }
      gemm(Op::N, Op::T, m, m, traced, 1.0, blockv.data(), m, blockv.data(), m, 1.0, low.data(), m);
    }
    const Index reps = samples;
    std::vector<std::vector<double>> ms;
    // The probe block E_z (n x m) is built and applied kChunk columns at a time: only W = A^T E_z
    // (n x m) is needed whole, for W^T W.
    constexpr Index kChunk = 16;
    std::vector<double> e(static_cast<size_t>(n * std::min(m, kChunk))), w(static_cast<size_t>(n * m));
    std::vector<double> z(static_cast<size_t>(traced));
    std::vector<double> c;  // projection coefficients
    for (Index rep = 0; rep < reps; ++rep) {
      // Probes E_z = z (x) I_m: column r holds z on the traced axes at kept index r.
      rademacher(z.data(), traced, rng);
      for (Index c0 = 0; c0 < m; c0 += kChunk) {
        const Index cw = std::min(kChunk, m - c0);
        std::fill(e.begin(), e.end(), 0.0);
        for (Index i = 0; i < n; ++i) {
          Index kr, ks;
          ax.split(i, axis, kr, ks);
          if (kr >= c0 && kr < c0 + cw) e[static_cast<size_t>((kr - c0) * n + i)] = z[static_cast<size_t>(ks)];
        }
        linalg::checked_apply_adjoint(a, e.data(), cw, w.data() + c0 * n);
      }
      linalg::project_out(q.data(), n, r, w.data(), m, c);  // W <- (I - Q Q^T) W
      std::vector<double> mz(static_cast<size_t>(m * m));
      gemm(Op::T, Op::N, m, m, n, 1.0, w.data(), n, w.data(), n, 0.0, mz.data(), m);
      for (size_t i = 0; i < mz.size(); ++i) mz[i] += low[i];
      ms.push_back(std::move(mz));
      out[static_cast<size_t>(axis)].applies += m;
    }
    out[static_cast<size_t>(axis)].applies += deflation_applies;
    std::vector<double> mean(static_cast<size_t>(m * m), 0.0);
    for (const auto& mz : ms)
      for (size_t i = 0; i < mean.size(); ++i) mean[i] += mz[i] / double(reps);
    out[static_cast<size_t>(axis)].value = participation_ratio(mean, m);
    // Jackknife standard error of the ratio estimate.
    if (reps > 1) {
      double jm = 0;
      std::vector<double> loo(static_cast<size_t>(reps));
      for (Index k = 0; k < reps; ++k) {
        std::vector<double> mk(mean.size());
        for (size_t i = 0; i < mk.size(); ++i)
          mk[i] = (mean[i] * double(reps) - ms[static_cast<size_t>(k)][i]) / double(reps - 1);
        loo[static_cast<size_t>(k)] = participation_ratio(mk, m);
        jm += loo[static_cast<size_t>(k)] / double(reps);
      }
      double var = 0;
      for (double v : loo) var += (v - jm) * (v - jm);
      out[static_cast<size_t>(axis)].std_error = std::sqrt(var * double(reps - 1) / double(reps));
    }
  }
  return out;
}

}  // namespace ntk4j::spectral
