#include "spectral/ranks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"

namespace ntk4j::spectral {

using linalg::gemm;
using linalg::Op;

namespace {

constexpr Index kChunk = 16;       // probes per block apply
constexpr Index kMaxGroups = 256;  // jackknife groups kept; beyond, neighbours are merged
constexpr int kReductions = 6;     // true partial trace (batch, time, hidden), then kpflow's

double dot(const double* a, const double* b, Index n) {
  double d = 0;
  for (Index i = 0; i < n; ++i) d += a[i] * b[i];
  return d;
}

// Sums of per-sample statistics over a set of samples (one jackknife group, or all of them).
struct Sums {
  Index count = 0, count4 = 0;
  double s1 = 0, s2 = 0, s3 = 0, s4 = 0;  // w^T v, ||v||^2, ||(AV)^T v||^2, ||P A^T v||^2
  // Per reduction q (kReductions: the true partial trace for the kept axes batch, time, hidden,
  // then kpflow's broadcast-reduce for the same axes): the sum of the samples' reductions of
  // v v^T (m x m) and of their squared Frobenius norms.
  std::array<std::vector<double>, kReductions> y;
  std::array<double, kReductions> yy{};

  void resize(const std::array<Index, 3>& m, const std::array<bool, kReductions>& on) {
    for (int q = 0; q < kReductions; ++q) y[q].assign(on[q] ? static_cast<size_t>(m[q % 3] * m[q % 3]) : 0, 0.0);
  }
  void add(const Sums& o, double sign) {
    count += static_cast<Index>(sign) * o.count;
    count4 += static_cast<Index>(sign) * o.count4;
    s1 += sign * o.s1;
    s2 += sign * o.s2;
    s3 += sign * o.s3;
    s4 += sign * o.s4;
    for (int q = 0; q < kReductions; ++q) {
      for (size_t i = 0; i < y[q].size(); ++i) y[q][i] += sign * o.y[q][i];
      yy[q] += sign * o.yy[q];
    }
  }
};

// The exact part on V: tr(V^T A V), ||AV||_F^2, ||(AV)^T AV||_F^2 and the reductions of X.
struct Exact {
  double tr = 0, fro2 = 0, gram2 = 0;
  std::array<std::vector<double>, kReductions> m;  // the reductions of X
  std::array<double, kReductions> m_tr{}, m_fro2{};
};

// tr_S(v v^T) for the kept axis `axis` of a [B, T, H] vector, written (beta 0) or added (beta 1)
// into out (m x m). Symmetric rank-k updates (half a GEMM's flops); `scratch` holds the
// time-major copy of v for the time axis, so that it too is one product.
void reduce(const double* v, Index B, Index T, Index H, int axis, double beta, double* out,
            std::vector<double>& scratch) {
  if (axis == 0) {  // M[b, b'] = sum_{t,h} v[b,t,h] v[b',t,h]: v is (T H) x B column-major
    linalg::syrk(Op::T, B, T * H, v, T * H, beta, out);
  } else if (axis == 1) {  // M[t, t'] = sum_{b,h} v[b,t,h] v[b,t',h]: v as [T][B][H] is (B H) x T
    scratch.resize(static_cast<size_t>(B * T * H));
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < T; ++t) std::copy_n(v + (b * T + t) * H, H, scratch.data() + (t * B + b) * H);
    linalg::syrk(Op::T, T, B * H, scratch.data(), B * H, beta, out);
  } else {  // M[h, h'] = sum_{b,t} v[b,t,h] v[b,t,h']: v is H x (B T) column-major
    linalg::syrk(Op::N, H, B * T, v, H, beta, out);
  }
}

// kpflow's broadcast-reduce of v v^T for kept axis `axis`: s s^T with s the sums of v over the
// traced axes, written (beta 0) or added (beta 1) into out (m x m); `sums` is scratch.
void reduce_kpflow(const double* v, Index B, Index T, Index H, int axis, double beta, double* out,
                   std::vector<double>& sums) {
  const Index m = axis == 0 ? B : axis == 1 ? T : H;
  sums.assign(static_cast<size_t>(m), 0.0);
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < T; ++t) {
      const double* row = v + (b * T + t) * H;
      if (axis == 2) {
        for (Index h = 0; h < H; ++h) sums[static_cast<size_t>(h)] += row[h];
      } else {
        double acc = 0;
        for (Index h = 0; h < H; ++h) acc += row[h];
        sums[static_cast<size_t>(axis == 0 ? b : t)] += acc;
      }
    }
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < m; ++j)
      out[i * m + j] = beta * out[i * m + j] + sums[static_cast<size_t>(i)] * sums[static_cast<size_t>(j)];
}

// Reduction q of v v^T (q < 3: true partial trace, else kpflow's) into out.
void reduce_any(const double* v, Index B, Index T, Index H, int q, double beta, double* out,
                std::vector<double>& sums) {
  if (q < 3)
    reduce(v, B, T, H, q, beta, out, sums);
  else
    reduce_kpflow(v, B, T, H, q - 3, beta, out, sums);
}

struct Values {
  double tr = 0, tr2 = 0, tr4 = 0, pr = 0, prk = 0;
  std::array<double, kReductions> dims{};
};

class Estimator {
 public:
  Estimator(const RankOptions& o, const Exact& e, std::array<Index, 3> m, std::array<bool, kReductions> on)
      : o_(o), e_(e), m_(m), on_(on) {}

  Values evaluate(const Sums& s) const {
    Values v;
    const double n = double(s.count);
    v.tr = e_.tr + s.s1 / n;
    v.tr2 = e_.fro2 + s.s2 / n;
    v.tr4 = e_.gram2 + 2 * s.s3 / n + (s.count4 > 0 ? s.s4 / double(s.count4) : 0.0);
    v.pr = v.tr * v.tr / v.tr2;
    v.prk = v.tr2 * v.tr2 / v.tr4;
    for (int ax = 0; ax < kReductions; ++ax) {
      if (!on_[ax]) continue;
      {
        const Index m = m_[ax % 3];
        const auto& y = s.y[ax];
        const auto& x = e_.m[ax];
        double tr = 0, cross = 0, sq = 0;
        for (Index i = 0; i < m; ++i) tr += y[static_cast<size_t>(i * m + i)];
        for (size_t i = 0; i < y.size(); ++i) {
          cross += x[i] * y[i];
          sq += y[i] * y[i];
        }
        // ||M||_F^2 with M = X_S + mean(Y_i): the square of the mean's own noise is removed by
        // using sum_{i != j} <Y_i, Y_j> = ||sum Y||^2 - sum ||Y_i||^2 for the remainder's term.
        const double trm = e_.m_tr[ax] + tr / n;
        const double fro2 = e_.m_fro2[ax] + 2 * cross / n + (n > 1 ? (sq - s.yy[ax]) / (n * (n - 1)) : sq);
        v.dims[ax] = trm * trm / fro2;
      }
    }
    return v;
  }

  const RankOptions& o_;
  const Exact& e_;
  std::array<Index, 3> m_;
  std::array<bool, kReductions> on_;
};

// Delete-one-group jackknife standard errors of every value.
Values jackknife(const Estimator& est, const std::vector<Sums>& groups, const Sums& total) {
  const Index g = static_cast<Index>(groups.size());
  std::vector<Values> loo(static_cast<size_t>(g));
  Sums rest = total;
  for (Index i = 0; i < g; ++i) {
    rest.add(groups[static_cast<size_t>(i)], -1.0);
    loo[static_cast<size_t>(i)] = est.evaluate(rest);
    rest.add(groups[static_cast<size_t>(i)], +1.0);
  }
  auto se = [&](auto field) {
    double mean = 0;
    for (const auto& v : loo) mean += field(v) / double(g);
    double ss = 0;
    for (const auto& v : loo) ss += (field(v) - mean) * (field(v) - mean);
    return std::sqrt(ss * double(g - 1) / double(g));
  };
  Values s;
  s.tr = se([](const Values& v) { return v.tr; });
  s.tr2 = se([](const Values& v) { return v.tr2; });
  s.tr4 = se([](const Values& v) { return v.tr4; });
  s.pr = se([](const Values& v) { return v.pr; });
  s.prk = se([](const Values& v) { return v.prk; });
  for (int q = 0; q < kReductions; ++q) s.dims[q] = se([q](const Values& v) { return v.dims[q]; });
  return s;
}

}  // namespace

RankEstimates estimate_ranks(const linalg::LinearOperator& a, const double* basis, Index basis_cols,
                             const RankOptions& o) {
  const Index n = a.cols(), rows = a.rows();
  if (!(o.accuracy > 0 && o.accuracy < 1))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "accuracy (relative standard error) must be in (0, 1), got ", o.accuracy);
  if (o.min_samples < 8) fail(NTK4J_ERR_INVALID_ARGUMENT, "min_samples must be >= 8, got ", o.min_samples);
  if (o.max_samples < o.min_samples)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "max_samples (", o.max_samples, ") must be >= min_samples (", o.min_samples, ")");
  if (o.max_samples > (Index(1) << 30))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "max_samples must be <= 2^30, got ", o.max_samples);
  if (!o.traces && !o.partial && !o.partial_kpflow)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "nothing to estimate (neither traces nor partial)");
  if (basis_cols < 0 || (basis_cols > 0 && !basis))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "deflation basis: ", basis_cols, " columns but no data");
  if (o.traces && !(a.symmetric() && rows == n))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "effective ranks need a symmetric operator, got ", a.name());
  std::array<Index, 3> m{o.B, o.T, o.H};
  if (o.partial || o.partial_kpflow) {
    if (o.B <= 0 || o.T <= 0 || o.H <= 0) fail(NTK4J_ERR_SHAPE, "B, T, H must be > 0");
    if (checked_mul(checked_mul(o.B, o.T, "B*T"), o.H, "B*T*H") != rows)
      fail(NTK4J_ERR_SHAPE, "state space [B,T,H] = [", o.B, ",", o.T, ",", o.H, "] has ", o.B * o.T * o.H,
           " dimensions but the operator's range has ", rows);
  }
  RankEstimates out;

  // Deflation basis V (n x r, orthonormal) and its image AV (rows x r): the exact part.
  std::vector<double> v_basis(basis ? basis : static_cast<const double*>(nullptr),
                              basis ? basis + checked_mul(basis_cols, n, "basis size") : nullptr);
  const Index r = basis_cols > 0 ? linalg::orthonormal_columns(v_basis, n, std::min(basis_cols, n)) : 0;
  v_basis.resize(static_cast<size_t>(n * r));
  out.deflation = r;
  Exact e;
  std::vector<double> av(static_cast<size_t>(rows * r));
  if (r > 0) {
    for (Index c0 = 0; c0 < r; c0 += kChunk)
      linalg::checked_apply(a, v_basis.data() + c0 * n, std::min(kChunk, r - c0), av.data() + c0 * rows);
    out.applies += r;
    if (o.traces)
      for (Index i = 0; i < r; ++i) e.tr += dot(v_basis.data() + i * n, av.data() + i * rows, n);
    e.fro2 = dot(av.data(), av.data(), rows * r);
    std::vector<double> g(static_cast<size_t>(r * r));
    gemm(Op::T, Op::N, r, r, rows, 1.0, av.data(), rows, av.data(), rows, 0.0, g.data(), r);
    e.gram2 = dot(g.data(), g.data(), r * r);
  }
  const std::array<bool, kReductions> on{o.partial,        o.partial,        o.partial,
                                         o.partial_kpflow, o.partial_kpflow, o.partial_kpflow};
  std::vector<double> sums;
  for (int q = 0; q < kReductions; ++q) {
    if (!on[q]) continue;
    const Index mq = m[q % 3];
    e.m[q].assign(static_cast<size_t>(mq * mq), 0.0);
    for (Index i = 0; i < r; ++i) reduce_any(av.data() + i * rows, o.B, o.T, o.H, q, 1.0, e.m[q].data(), sums);
    for (Index j = 0; j < mq; ++j) e.m_tr[q] += e.m[q][static_cast<size_t>(j * mq + j)];
    e.m_fro2[q] = dot(e.m[q].data(), e.m[q].data(), mq * mq);
  }
  Estimator est(o, e, m, on);
  std::mt19937_64 rng(o.seed);
  std::vector<double> w(static_cast<size_t>(n * kChunk)), v(static_cast<size_t>(rows * kChunk)),
      u(static_cast<size_t>(n * kChunk)), coef(static_cast<size_t>(std::max<Index>(r, 1) * kChunk)), c;
  std::array<std::vector<double>, kReductions> chunk_y;  // per reduction: the chunk's samples' matrices
  std::vector<Sums> groups;
  Sums open, total;
  open.resize(m, on);
  total.resize(m, on);
  Index group_size = 4;
  Values value, se;
  double worst = std::numeric_limits<double>::infinity();
  auto relative = [](double s, double x) { return x != 0 ? std::abs(s / x) : std::numeric_limits<double>::infinity(); };

  while (out.samples < o.max_samples) {
    const Index cw = std::min(kChunk, o.max_samples - out.samples);
    for (Index i = 0; i < n * cw; i += 64) {  // 64 random signs per draw (one per element was 15 % of the run)
      std::uint64_t bits = rng();
      const Index end = std::min(n * cw, i + 64);
      for (Index j = i; j < end; ++j, bits >>= 1) w[static_cast<size_t>(j)] = (bits & 1) ? 1.0 : -1.0;
    }
    // One pass suffices: V is orthonormal to round-off, and a probe need not be exactly in P's range
    // (the split is exact for the probes actually used: E[w w^T] = P to the same round-off).
    linalg::project_out(v_basis.data(), n, r, w.data(), cw, c);
    linalg::checked_apply(a, w.data(), cw, v.data());
    out.applies += cw;
    if (r > 0) gemm(Op::T, Op::N, r, cw, rows, 1.0, av.data(), rows, v.data(), rows, 0.0, coef.data(), r);
    // ||Y||_F^2 = ||P A^T A P||_F^2 = E||P A^T v||^2: a second apply per probe. (Stopping it
    // early would unbalance the jackknife groups; pairs (v_i^T v_j)^2 instead need ~6x the probes.)
    if (o.traces) {
      linalg::checked_apply_adjoint(a, v.data(), cw, u.data());
      out.applies += cw;
      linalg::project_out(v_basis.data(), n, r, u.data(), cw, c);
    }
    // The reductions of each sample (the bulk of the non-apply work), samples side by side.
    const int nq = o.partial || o.partial_kpflow ? kReductions : 0;
    for (int q = 0; q < nq; ++q)
      if (on[q]) chunk_y[q].resize(static_cast<size_t>(cw * m[q % 3] * m[q % 3]));
    if (nq > 0)
      linalg::parallel_chunks(cw, linalg::parallel_width(cw, 1), [&](Index, Index j0, Index j1) {
        std::vector<double> scratch;
        for (Index j = j0; j < j1; ++j)
          for (int q = 0; q < kReductions; ++q)
            if (on[q])
              reduce_any(v.data() + j * rows, o.B, o.T, o.H, q, 0.0, chunk_y[q].data() + j * m[q % 3] * m[q % 3],
                         scratch);
      });
    for (Index j = 0; j < cw; ++j) {
      const double* vj = v.data() + j * rows;
      if (o.traces) {
        open.s1 += dot(w.data() + j * n, vj, n);
        open.s4 += dot(u.data() + j * n, u.data() + j * n, n);
        ++open.count4;
      }
      open.s2 += dot(vj, vj, rows);
      if (r > 0) open.s3 += dot(coef.data() + j * r, coef.data() + j * r, r);
      for (int q = 0; q < kReductions; ++q) {
        if (!on[q]) continue;
        const Index mm = m[q % 3] * m[q % 3];
        const double* yq = chunk_y[q].data() + j * mm;
        auto& sum = open.y[q];
        for (Index i = 0; i < mm; ++i) sum[static_cast<size_t>(i)] += yq[i];
        open.yy[q] += dot(yq, yq, mm);
      }
      if (++open.count == group_size || out.samples + j + 1 == o.max_samples) {
        total.add(open, 1.0);
        groups.push_back(open);
        open = Sums{};
        open.resize(m, on);
      }
    }
    out.samples += cw;
    if (static_cast<Index>(groups.size()) >= kMaxGroups) {  // merge neighbours: half the groups, twice the size
      std::vector<Sums> merged;
      for (size_t i = 0; i + 1 < groups.size(); i += 2) {
        merged.push_back(groups[i]);
        merged.back().add(groups[i + 1], 1.0);
      }
      if (groups.size() % 2) merged.push_back(groups.back());
      groups.swap(merged);
      group_size *= 2;
    }
    if (open.count > 0 || out.samples < o.min_samples) continue;
    value = est.evaluate(total);
    se = jackknife(est, groups, total);
    worst = 0;
    if (o.traces) worst = std::max({relative(se.pr, value.pr), relative(se.prk, value.prk)});
    for (int q = 0; q < kReductions; ++q)
      if (on[q]) worst = std::max(worst, relative(se.dims[q], value.dims[q]));
    report_progress(std::min<Index>(out.samples, o.max_samples), o.max_samples, "effective ranks: samples");
    // Stop once the standard error is below the target with some confidence: a jackknife SE from
    // G groups is itself uncertain by about 1/sqrt(2(G-1)), and stopping at the first noisy dip
    // below the target would otherwise report errors slightly larger than asked for.
    const double margin = 1.0 + 1.0 / std::sqrt(2.0 * double(groups.size() - 1));
    if (worst * margin <= o.accuracy) break;
  }
  if (open.count > 0 || groups.empty()) {  // the budget ended inside a group (or before any)
    if (open.count > 0) {
      total.add(open, 1.0);
      groups.push_back(open);
    }
    value = est.evaluate(total);
    se = jackknife(est, groups, total);
  }
  if (!(value.tr2 > 0))
    fail(NTK4J_ERR_NUMERICAL, "the operator ", a.name(), " is zero on every probe (tr A A^T = ", value.tr2,
         "): effective ranks are undefined");
  // Round-off floor: the sums behind every estimate carry ~1e-12 relative rounding, which a
  // sampling error of 0 (a remainder that vanishes, or probes that are exact on a diagonal) hides.
  auto floor_se = [](double& e, double v) { e = std::max(e, 1e-11 * std::abs(v)); };
  floor_se(se.tr, value.tr);
  floor_se(se.tr2, value.tr2);
  floor_se(se.tr4, value.tr4);
  floor_se(se.pr, value.pr);
  floor_se(se.prk, value.prk);
  for (int q = 0; q < kReductions; ++q) floor_se(se.dims[q], value.dims[q]);
  worst = 0;
  if (o.traces) worst = std::max({relative(se.pr, value.pr), relative(se.prk, value.prk)});
  for (int q = 0; q < kReductions; ++q)
    if (on[q]) worst = std::max(worst, relative(se.dims[q], value.dims[q]));
  out.worst_relative_error = worst;
  out.accuracy_met = worst <= o.accuracy;
  const Index applies = out.applies;
  if (o.traces) {
    out.trace = {value.tr, se.tr, applies};
    out.trace_of_square = {value.tr2, se.tr2, applies};
    out.trace_of_fourth = {value.tr4, se.tr4, applies};
    out.effective_rank = {value.pr, se.pr, applies};
    out.effective_rank_kpflow = {value.prk, se.prk, applies};
  }
  if (o.partial)
    for (int ax = 0; ax < 3; ++ax) out.partial_dims[ax] = {value.dims[ax], se.dims[ax], applies};
  if (o.partial_kpflow)
    for (int ax = 0; ax < 3; ++ax) out.partial_dims_kpflow[ax] = {value.dims[3 + ax], se.dims[3 + ax], applies};
  return out;
}

}  // namespace ntk4j::spectral
