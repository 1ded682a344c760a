// P, P*, P^-1, P^-* on blocks. J_t = diag(c_t) + D_t W_hh diag(e_t) (cells/model.hpp), so
//   J_t v   = c_t (.) v + sum_g D_t[g] (.) (W_hh (e_t (.) v))[g]
//   J_t^T y = c_t (.) y + e_t (.) (W_hh^T [D_t[g] (.) y]_g)
// with one GEMM for all k*B columns of a time step.
#include <algorithm>
#include <vector>

#include "linalg/blas.hpp"
#include "operators/operators.hpp"

namespace ntk4j::ops {

namespace {

// Scratch for the Jacobian products of one time step across all k*B columns.
struct StepScratch {
  std::vector<double> v;  // H x kB  (e-scaled input)
  std::vector<double> u;  // rows x kB
  StepScratch(const Trajectory& tr, Index kB) {
    const Site& s = tr.model->sites[static_cast<size_t>(tr.model->hidden_site)];
    v.resize(static_cast<size_t>(tr.H * kB));
    u.resize(static_cast<size_t>(s.rows * kB));
  }
};

// out[:, col] += alpha * J_t x[:, col] for the k*B columns of time step t (t >= 1). Columns
// are at stride T*H in x and out (views into [k, B, T, H] blocks).
void jacobian_step(const Trajectory& tr, Index t, Index k, const double* x, double alpha,
                   double* out, StepScratch& w) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, kB = k * B, ld = T * H, rows = s.rows;
  const double* vin = x;
  Index ldv = ld;
  if (!tr.e.empty()) {
    for (Index col = 0; col < kB; ++col) {
      const double* e = &tr.e[static_cast<size_t>(((col % B) * T + t) * H)];
      const double* xc = x + col * ld;
      double* vc = &w.v[static_cast<size_t>(col * H)];
      for (Index i = 0; i < H; ++i) vc[i] = e[i] * xc[i];
    }
    vin = w.v.data();
    ldv = H;
  }
  // u = W_hh v: W_hh is the first H columns of the row-major site weight (rows x dim).
  linalg::gemm(linalg::Op::T, linalg::Op::N, rows, kB, H, 1.0, s.weight.data(), s.dim, vin, ldv,
               0.0, w.u.data(), rows);
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  for (Index col = 0; col < kB; ++col) {
    const Index row = (col % B) * T + t;
    const double* d = &dsite[static_cast<size_t>(row * rows)];
    const double* uc = &w.u[static_cast<size_t>(col * rows)];
    const double* xc = x + col * ld;
    double* oc = out + col * ld;
    if (!tr.c.empty()) {
      const double* c = &tr.c[static_cast<size_t>(row * H)];
      for (Index i = 0; i < H; ++i) oc[i] += alpha * c[i] * xc[i];
    }
    for (Index g = 0; g < s.groups; ++g)
      for (Index i = 0; i < H; ++i) oc[i] += alpha * d[g * H + i] * uc[g * H + i];
  }
}

// out[:, col] += alpha * J_t^T y[:, col] for the k*B columns of time step t (t >= 1).
void jacobian_adjoint_step(const Trajectory& tr, Index t, Index k, const double* y, double alpha,
                           double* out, StepScratch& w) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, kB = k * B, ld = T * H, rows = s.rows;
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  for (Index col = 0; col < kB; ++col) {
    const double* d = &dsite[static_cast<size_t>(((col % B) * T + t) * rows)];
    const double* yc = y + col * ld;
    double* uc = &w.u[static_cast<size_t>(col * rows)];
    for (Index g = 0; g < s.groups; ++g)
      for (Index i = 0; i < H; ++i) uc[g * H + i] = d[g * H + i] * yc[i];
  }
  // v = W_hh^T u
  linalg::gemm(linalg::Op::N, linalg::Op::N, H, kB, rows, 1.0, s.weight.data(), s.dim,
               w.u.data(), rows, 0.0, w.v.data(), H);
  for (Index col = 0; col < kB; ++col) {
    const Index row = (col % B) * T + t;
    const double* vc = &w.v[static_cast<size_t>(col * H)];
    const double* yc = y + col * ld;
    double* oc = out + col * ld;
    if (!tr.e.empty()) {
      const double* e = &tr.e[static_cast<size_t>(row * H)];
      for (Index i = 0; i < H; ++i) oc[i] += alpha * e[i] * vc[i];
    } else {
      for (Index i = 0; i < H; ++i) oc[i] += alpha * vc[i];
    }
    if (!tr.c.empty()) {
      const double* c = &tr.c[static_cast<size_t>(row * H)];
      for (Index i = 0; i < H; ++i) oc[i] += alpha * c[i] * yc[i];
    }
  }
}

// Copies time step t of every column of q into y.
void copy_step(const Trajectory& tr, Index t, Index k, const double* q, double* y) {
  const Index H = tr.H, ld = tr.T * tr.H, kB = k * tr.B;
  for (Index col = 0; col < kB; ++col)
    std::copy_n(q + col * ld + t * H, H, y + col * ld + t * H);
}

}  // namespace

void propagate(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, k, q, y);
    if (t > 0) jacobian_step(tr, t, k, y + (t - 1) * H, 1.0, y + t * H, w);
  }
}

void propagate_adjoint(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = tr.T - 1; t >= 0; --t) {
    copy_step(tr, t, k, q, y);
    if (t + 1 < tr.T) jacobian_adjoint_step(tr, t + 1, k, y + (t + 1) * H, 1.0, y + t * H, w);
  }
}

void propagate_inverse(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, k, q, y);
    if (t > 0) jacobian_step(tr, t, k, q + (t - 1) * H, -1.0, y + t * H, w);
  }
}

void propagate_inverse_adjoint(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, k, q, y);
    if (t + 1 < tr.T) jacobian_adjoint_step(tr, t + 1, k, q + (t + 1) * H, -1.0, y + t * H, w);
  }
}

void ntk(const Trajectory& tr, const double* q, Index k, double* y) {
  const size_t n = static_cast<size_t>(k * tr.state_size());
  std::vector<double> kq(n);  // the one temporary: y holds P* q first
  propagate_adjoint(tr, q, k, y);
  parameter_operator(tr, y, k, kq.data());
  propagate(tr, kq.data(), k, y);
}

}  // namespace ntk4j::ops
