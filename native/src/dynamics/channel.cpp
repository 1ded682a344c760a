#include "dynamics/channel.hpp"

#include <cmath>
#include <vector>

#include "dynamics/fixed_points.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/dense.hpp"
#include "operators/operators.hpp"

namespace ntk4j::dynamics {
namespace {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Column c of a row-major n x n matrix, times sign.
Vec column(const double* a, Index n, Index c, double sign = 1) {
  Vec v(n);
  for (Index i = 0; i < n; ++i) v[i] = sign * a[i * n + c];
  return v;
}

// x + a y
Vec axpy(const double* x, double a, const Vec& y) {
  Vec r(x, x + y.size());
  for (std::size_t i = 0; i < r.size(); ++i) r[i] += a * y[i];
  return r;
}

// (a - b) * s
Vec scaled_difference(const Vec& a, const Vec& b, double s) {
  Vec r(a);
  for (std::size_t i = 0; i < r.size(); ++i) r[i] -= b[i];
  for (double& x : r) x *= s;
  return r;
}

// J_theta^T w for one step from state h under input x: a one-trial, one-step trajectory, so the
// parameter Jacobian is exactly the sessions' (ops::jtheta_adjoint).
Vec jtheta_t(const Model& m, const double* h, const Vec& x, const Vec& w) {
  const Trajectory tr = unroll(m, x.data(), 1, 1, h);
  Vec g(m.num_params);
  ops::jtheta_adjoint(tr, w.data(), 1, g.data());
  return g;
}

// J(h)^T w, J = df/dh at h.
Vec jac_t(const Model& m, const Vec& h, const Vec& x, const Vec& w) {
  const Index n = m.S;
  Vec f(n), jac(n * n), out(n, 0.0);
  step_with_jacobian(m, h.data(), 1, x.data(), f.data(), jac.data());
  for (Index j = 0; j < n; ++j)
    for (Index i = 0; i < n; ++i) out[j] += jac[i * n + j] * w[i];
  return out;
}

// grad_theta of x^T J(h_bar(theta), theta) y: the explicit dependence d/d eps J_theta(h_bar + eps y)^T x
// plus the one through h_bar, J_theta^T (I - J)^-T d/d eps J(h_bar + eps y)^T x (central differences).
Vec bilinear_gradient(const Model& m, const double* h_bar, const Vec& x_bar, const Vec& imj_t, const Vec& x,
                      const Vec& y) {
  const double eps = 1e-5;
  const Vec hp = axpy(h_bar, eps, y), hm = axpy(h_bar, -eps, y);
  Vec g = scaled_difference(jtheta_t(m, hp.data(), x_bar, x), jtheta_t(m, hm.data(), x_bar, x), 1 / (2 * eps));
  Vec dh = scaled_difference(jac_t(m, hp, x_bar, x), jac_t(m, hm, x_bar, x), 1 / (2 * eps));
  linalg::solve(m.S, imj_t.data(), dh.data(), 1);
  const Vec via_state = jtheta_t(m, h_bar, x_bar, dh);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] += via_state[i];
  return g;
}

}  // namespace

void critical_gradient(const Model& m, const double* h_bar, const double* x_bar, const FixedPointSpectrum& s,
                       double* grad) {
  const Index h = m.S, c = s.critical;
  const double lr = s.re[c], li = s.im[c];
  Vec imj_t(h * h);  // (I - J)^T, for dh_bar/dtheta
  for (Index i = 0; i < h; ++i)
    for (Index j = 0; j < h; ++j) imj_t[i * h + j] = (i == j ? 1 : 0) - s.jac[j * h + i];
  const Vec x = x_bar ? Vec(x_bar, x_bar + m.N) : Vec(m.N, 0.0);
  if (std::abs(li) <= 1e-12 * std::max(1.0, std::abs(lr))) {
    const Vec v = column(s.right, h, c), w = column(s.left, h, c);
    const Vec g = bilinear_gradient(m, h_bar, x, imj_t, w, v);
    const double scale = (lr >= 0 ? 1 : -1) / dot(w, v);
    for (Index i = 0; i < m.num_params; ++i) grad[i] = g[i] * scale;
    return;
  }
  // The pair's columns: real part at the member with Im > 0, imaginary part next to it; the
  // member with Im < 0 has the conjugate vectors.
  const Index base = li > 0 ? c : c - 1;
  const double sgn = li > 0 ? 1 : -1;
  const Vec vr = column(s.right, h, base), vi = column(s.right, h, base + 1, sgn);
  const Vec ur = column(s.left, h, base), ui = column(s.left, h, base + 1, sgn);
  // u^H v = (ur - i ui)^T (vr + i vi)
  const double s_re = dot(ur, vr) + dot(ui, vi), s_im = dot(ur, vi) - dot(ui, vr);
  const Vec gac = bilinear_gradient(m, h_bar, x, imj_t, ur, vr), gbd = bilinear_gradient(m, h_bar, x, imj_t, ui, vi);
  const Vec gad = bilinear_gradient(m, h_bar, x, imj_t, ur, vi), gbc = bilinear_gradient(m, h_bar, x, imj_t, ui, vr);
  const double den = s_re * s_re + s_im * s_im, mod = std::hypot(lr, li);
  for (Index k = 0; k < m.num_params; ++k) {
    const double n_re = gac[k] + gbd[k], n_im = gad[k] - gbc[k];
    const double d_re = (n_re * s_re + n_im * s_im) / den, d_im = (n_im * s_re - n_re * s_im) / den;  // n / (u^H v)
    grad[k] = (lr * d_re + li * d_im) / mod;
  }
}

}  // namespace ntk4j::dynamics
