// P, P*, P^-1, P^-* on blocks. J_t = diag(c_t) + D_t W_hh diag(e_t) (cells/model.hpp), so
//   J_t v   = c_t (.) v + sum_g D_t[g] (.) (W_hh (e_t (.) v))[g]
//   J_t^T y = c_t (.) y + e_t (.) (W_hh^T [D_t[g] (.) y]_g)
// with one GEMM for all k*B columns of a time step.
#include <algorithm>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/scratch.hpp"
#include "linalg/views.hpp"
#include "operators/operators.hpp"

namespace ntk4j::ops {

namespace {

using linalg::col;

// Scratch for the Jacobian products of one time step across all k*B columns.
struct StepScratch {
  linalg::Scratch vbuf, ubuf;
  double* v;  // H x kB  (e-scaled input)
  double* u;  // rows x kB
  StepScratch(const Trajectory& tr, Index kB)
      : vbuf(static_cast<size_t>(tr.H * kB)),
        ubuf(static_cast<size_t>(tr.model->sites[static_cast<size_t>(tr.model->hidden_site)].rows * kB)),
        v(vbuf.data()),
        u(ubuf.data()) {}
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
    for (Index j = 0; j < kB; ++j) {
      const double* e = &tr.e[static_cast<size_t>(((j % B) * T + t) * H)];
      col(w.v + j * H, H) = col(e, H) * col(x + j * ld, H);
    }
    vin = w.v;
    ldv = H;
  }
  // u = W_hh v: W_hh is the first H columns of the row-major site weight (rows x dim).
  linalg::gemm(linalg::Op::T, linalg::Op::N, rows, kB, H, 1.0, s.weight.data(), s.dim, vin, ldv,
               0.0, w.u, rows);
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  for (Index j = 0; j < kB; ++j) {
    const Index row = (j % B) * T + t;
    const double* d = &dsite[static_cast<size_t>(row * rows)];
    const double* uc = w.u + j * rows;
    auto oc = col(out + j * ld, H);
    if (!tr.c.empty()) oc += alpha * col(&tr.c[static_cast<size_t>(row * H)], H) * col(x + j * ld, H);
    for (Index g = 0; g < s.groups; ++g) oc += alpha * col(d + g * H, H) * col(uc + g * H, H);
  }
}

// out[:, col] += alpha * J_t^T y[:, col] for the k*B columns of time step t (t >= 1).
void jacobian_adjoint_step(const Trajectory& tr, Index t, Index k, const double* y, double alpha,
                           double* out, StepScratch& w) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, kB = k * B, ld = T * H, rows = s.rows;
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  for (Index j = 0; j < kB; ++j) {
    const double* d = &dsite[static_cast<size_t>(((j % B) * T + t) * rows)];
    const auto yc = col(y + j * ld, H);
    double* uc = w.u + j * rows;
    for (Index g = 0; g < s.groups; ++g) col(uc + g * H, H) = col(d + g * H, H) * yc;
  }
  // v = W_hh^T u
  linalg::gemm(linalg::Op::N, linalg::Op::N, H, kB, rows, 1.0, s.weight.data(), s.dim,
               w.u, rows, 0.0, w.v, H);
  for (Index j = 0; j < kB; ++j) {
    const Index row = (j % B) * T + t;
    const auto vc = col(w.v + j * H, H);
    auto oc = col(out + j * ld, H);
    if (!tr.e.empty())
      oc += alpha * col(&tr.e[static_cast<size_t>(row * H)], H) * vc;
    else
      oc += alpha * vc;
    if (!tr.c.empty()) oc += alpha * col(&tr.c[static_cast<size_t>(row * H)], H) * col(y + j * ld, H);
  }
}

// Copies time step t of every column of q into y.
void copy_step(const Trajectory& tr, Index t, Index k, const double* q, double* y) {
  const Index H = tr.H, ld = tr.T * tr.H, kB = k * tr.B;
  linalg::StepMap(y + t * H, H, kB, Eigen::OuterStride<>(ld)) =
      linalg::ConstStepMap(q + t * H, H, kB, Eigen::OuterStride<>(ld));
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
  linalg::Scratch kq(n);  // the one temporary: y holds P* q first
  propagate_adjoint(tr, q, k, y);
  parameter_operator(tr, y, k, kq.data());
  propagate(tr, kq.data(), k, y);
}

}  // namespace ntk4j::ops
