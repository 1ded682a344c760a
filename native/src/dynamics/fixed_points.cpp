#include "dynamics/fixed_points.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "dynamics/trajectory.hpp"
#include "linalg/dense.hpp"

namespace ntk4j::dynamics {

void step_with_jacobian(const Model& m, const double* h, Index B, const double* x, double* f, double* jac) {
  const Index H = m.S, N = m.N, hc = m.H, R = m.R;
  std::vector<double> xs(static_cast<size_t>(B * N), 0.0);
  if (x)
    for (Index b = 0; b < B; ++b) std::copy_n(x, N, xs.data() + b * N);
  // One step from h: the unroll keeps the diagonals of J at (h, x) for t = 0.
  const Trajectory tr = unroll(m, xs.data(), B, 1, h);
  std::copy(tr.hidden.begin(), tr.hidden.end(), f);
  if (!jac) return;
  // J = C + D_h W_hh diag(e) on the state's first hc entries (cells/model.hpp); H here is the
  // state width R hc, J is H x H row-major.
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const std::vector<double>& d = tr.d[static_cast<size_t>(m.hidden_site)];
  for (Index b = 0; b < B; ++b) {
    double* J = jac + b * H * H;
    std::fill(J, J + H * H, 0.0);
    for (Index r = 0; r < R; ++r)
      for (Index g = 0; g < s.groups; ++g)
        for (Index i = 0; i < hc; ++i) {
          const double di = d[static_cast<size_t>((b * R + r) * s.rows + g * hc + i)];
          const double* w = s.weight.data() + (g * hc + i) * s.dim;  // row g*hc+i of W_hh
          for (Index j = 0; j < hc; ++j)
            J[(r * hc + i) * H + j] += di * w[j] * (tr.e.empty() ? 1.0 : tr.e[static_cast<size_t>(b * hc + j)]);
        }
    if (!tr.c.empty())
      for (Index r = 0; r < R; ++r)
        for (Index r2 = 0; r2 < R; ++r2)
          for (Index i = 0; i < hc; ++i)
            J[(r * hc + i) * H + r2 * hc + i] += tr.c[static_cast<size_t>((b * R * R + r * R + r2) * hc + i)];
  }
}

namespace {

double inf_norm(const double* v, Index n) {
  double s = 0;
  for (Index i = 0; i < n; ++i) s = std::max(s, std::abs(v[i]));
  return s;
}

// Newton with backtracking on ||F||; returns true when converged (h holds the fixed point).
bool newton(const Model& m, const double* x, std::vector<double>& h, const FixedPointOptions& o) {
  const Index H = m.S;
  std::vector<double> f(static_cast<size_t>(H)), J(static_cast<size_t>(H * H)), F(static_cast<size_t>(H)),
      trial(static_cast<size_t>(H)), ft(static_cast<size_t>(H));
  for (Index it = 0; it <= o.max_iterations; ++it) {
    step_with_jacobian(m, h.data(), 1, x, f.data(), J.data());
    for (Index i = 0; i < H; ++i) F[static_cast<size_t>(i)] = f[static_cast<size_t>(i)] - h[static_cast<size_t>(i)];
    const double res = inf_norm(F.data(), H);
    if (!std::isfinite(res)) return false;
    if (res <= o.tol * std::max(1.0, inf_norm(h.data(), H))) return true;
    if (it == o.max_iterations) return false;
    // (J - I) delta = -F
    for (Index i = 0; i < H; ++i) J[static_cast<size_t>(i * H + i)] -= 1.0;
    std::vector<double> delta(F);
    for (double& v : delta) v = -v;
    try {
      linalg::solve(H, J.data(), delta.data(), 1);
    } catch (const Error& e) {
      if (e.status() != NTK4J_ERR_NUMERICAL) throw;
      return false;  // singular: a bifurcation point or a degenerate start
    }
    double step = 1.0;
    for (int ls = 0; ls < 30; ++ls, step *= 0.5) {
      for (Index i = 0; i < H; ++i)
        trial[static_cast<size_t>(i)] = h[static_cast<size_t>(i)] + step * delta[static_cast<size_t>(i)];
      step_with_jacobian(m, trial.data(), 1, x, ft.data(), nullptr);
      double r = 0;
      for (Index i = 0; i < H; ++i)
        r = std::max(r, std::abs(ft[static_cast<size_t>(i)] - trial[static_cast<size_t>(i)]));
      if (std::isfinite(r) && r < res) break;
    }
    h = trial;
  }
  return false;
}

}  // namespace

FixedPointResult find_fixed_points(const Model& m, const double* x, const FixedPointOptions& o) {
  if (o.starts < 0 || o.rollout_steps < 0 || o.max_iterations < 1)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "starts and rollout_steps must be >= 0 and max_iterations >= 1");
  if (!(o.tol > 0) || !std::isfinite(o.tol)) fail(NTK4J_ERR_INVALID_ARGUMENT, "tolerance must be > 0, got ", o.tol);
  if (!(o.init_scale >= 0) || !std::isfinite(o.init_scale))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "init_scale must be >= 0, got ", o.init_scale);
  const Index H = m.S, S = o.starts;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> g(0.0, o.init_scale);
  std::vector<std::vector<double>> starts;
  starts.emplace_back(static_cast<size_t>(H), 0.0);
  std::vector<double> raw(static_cast<size_t>(S * H));
  for (double& v : raw) v = g(rng);
  for (Index s = 0; s < S; ++s) starts.emplace_back(raw.begin() + s * H, raw.begin() + (s + 1) * H);
  if (o.rollout_steps > 0 && S > 0) {
    // Autonomous rollouts of all starts at once: T steps under the constant input.
    std::vector<double> h(raw), f(raw.size());
    for (Index t = 0; t < o.rollout_steps; ++t) {
      step_with_jacobian(m, h.data(), S, x, f.data(), nullptr);
      std::swap(h, f);
    }
    for (Index s = 0; s < S; ++s) {
      std::vector<double> end(h.begin() + s * H, h.begin() + (s + 1) * H);
      if (std::all_of(end.begin(), end.end(), [](double v) { return std::isfinite(v); })) starts.push_back(end);
    }
  }
  FixedPointResult r;
  std::vector<std::vector<double>> found;
  for (auto& h : starts) {
    if (!newton(m, x, h, o)) {
      ++r.failed;
      continue;
    }
    const double scale = std::max(1.0, inf_norm(h.data(), H));
    bool dup = false;
    for (const auto& p : found) {
      double d = 0;
      for (Index i = 0; i < H; ++i) d = std::max(d, std::abs(p[static_cast<size_t>(i)] - h[static_cast<size_t>(i)]));
      if (d <= 1e-8 * scale) {
        dup = true;
        break;
      }
    }
    if (!dup) found.push_back(h);
  }
  std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
    const double na = inf_norm(a.data(), H), nb = inf_norm(b.data(), H);
    return na != nb ? na < nb : a < b;
  });
  for (const auto& p : found) r.points.insert(r.points.end(), p.begin(), p.end());
  r.found = static_cast<Index>(found.size());
  return r;
}

}  // namespace ntk4j::dynamics
