// P, P*, P^-1, P^-* on blocks. J_t = diag(c_t) + D_t W_hh diag(e_t) (cells/model.hpp), so
//   J_t v   = c_t (.) v + sum_g D_t[g] (.) (W_hh (e_t (.) v))[g]
//   J_t^T y = c_t (.) y + e_t (.) (W_hh^T [D_t[g] (.) y]_g)
// with one product by the packed W_hh (linalg/packed_gemm.hpp) for all k*B columns of a step.
#include <algorithm>
#include <cmath>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"
#include "linalg/restriction.hpp"
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
void jacobian_step(const Trajectory& tr, Index t, Index j0, Index kB, const double* x, double alpha, double* out,
                   StepScratch& w) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, ld = T * H, rows = s.rows;
  const double* vin = x;
  Index ldv = ld;
  if (!tr.e.empty()) {
    for (Index j = 0; j < kB; ++j) {
      const double* e = &tr.e[static_cast<size_t>((((j0 + j) % B) * T + t) * tr.hc)];
      col(w.v + j * H, tr.hc) = col(e, tr.hc) * col(x + j * ld, tr.hc);
    }
    vin = w.v;
    ldv = H;
  }
  // u = W_hh v: W_hh is the first hc columns of the row-major site weight (rows x dim), acting on
  // the state's first hc entries.
  tr.w_hh.multiply(vin, ldv, kB, w.u, rows);
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  if (tr.R > 1) {  // out[r] += C[r][r'] x[r'] + D[r][g] u[g] (cells/model.hpp)
    const Index hc = tr.hc, R = tr.R;
    for (Index j = 0; j < kB; ++j) {
      const Index row = ((j0 + j) % B) * T + t;
      const double* d = &dsite[static_cast<size_t>(row * R * rows)];
      const double* c = tr.c.empty() ? nullptr : &tr.c[static_cast<size_t>(row * R * R * hc)];
      for (Index r = 0; r < R; ++r) {
        auto oc = col(out + j * ld + r * hc, hc);
        if (c)
          for (Index r2 = 0; r2 < R; ++r2) oc += alpha * col(c + (r * R + r2) * hc, hc) * col(x + j * ld + r2 * hc, hc);
        for (Index g = 0; g < s.groups; ++g)
          oc += alpha * col(d + r * rows + g * hc, hc) * col(w.u + j * rows + g * hc, hc);
      }
    }
    return;
  }
  for (Index j = 0; j < kB; ++j) {
    const Index row = ((j0 + j) % B) * T + t;
    const double* d = &dsite[static_cast<size_t>(row * rows)];
    const double* uc = w.u + j * rows;
    auto oc = col(out + j * ld, H);
    if (!tr.c.empty()) oc += alpha * col(&tr.c[static_cast<size_t>(row * H)], H) * col(x + j * ld, H);
    for (Index g = 0; g < s.groups; ++g) oc += alpha * col(d + g * H, H) * col(uc + g * H, H);
  }
}

// out[:, col] += alpha * J_t^T y[:, col] for the k*B columns of time step t (t >= 1).
void jacobian_adjoint_step(const Trajectory& tr, Index t, Index j0, Index kB, const double* y, double alpha,
                           double* out, StepScratch& w) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, ld = T * H, rows = s.rows;
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  if (tr.R > 1) {  // u[g] = sum_r D[r][g] y[r]; out[0] += e (.) W_hh^T u; out[r'] += C[r][r'] y[r]
    const Index hc = tr.hc, R = tr.R;
    for (Index j = 0; j < kB; ++j) {
      const Index row = ((j0 + j) % B) * T + t;
      const double* d = &dsite[static_cast<size_t>(row * R * rows)];
      double* uc = w.u + j * rows;
      for (Index g = 0; g < s.groups; ++g) {
        auto ug = col(uc + g * hc, hc);
        ug = col(d + g * hc, hc) * col(y + j * ld, hc);
        for (Index r = 1; r < R; ++r) ug += col(d + r * rows + g * hc, hc) * col(y + j * ld + r * hc, hc);
      }
    }
    tr.w_hh_t.multiply(w.u, rows, kB, w.v, H);
    for (Index j = 0; j < kB; ++j) {
      const Index row = ((j0 + j) % B) * T + t;
      const auto vc = col(w.v + j * H, hc);
      auto o0 = col(out + j * ld, hc);
      if (!tr.e.empty())
        o0 += alpha * col(&tr.e[static_cast<size_t>(row * hc)], hc) * vc;
      else
        o0 += alpha * vc;
      if (tr.c.empty()) continue;
      const double* c = &tr.c[static_cast<size_t>(row * R * R * hc)];
      for (Index r2 = 0; r2 < R; ++r2) {
        auto oc = col(out + j * ld + r2 * hc, hc);
        for (Index r = 0; r < R; ++r) oc += alpha * col(c + (r * R + r2) * hc, hc) * col(y + j * ld + r * hc, hc);
      }
    }
    return;
  }
  for (Index j = 0; j < kB; ++j) {
    const double* d = &dsite[static_cast<size_t>((((j0 + j) % B) * T + t) * rows)];
    const auto yc = col(y + j * ld, H);
    double* uc = w.u + j * rows;
    for (Index g = 0; g < s.groups; ++g) col(uc + g * H, H) = col(d + g * H, H) * yc;
  }
  // v = W_hh^T u
  tr.w_hh_t.multiply(w.u, rows, kB, w.v, H);
  for (Index j = 0; j < kB; ++j) {
    const Index row = ((j0 + j) % B) * T + t;
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
void copy_step(const Trajectory& tr, Index t, Index kB, const double* q, double* y) {
  const Index H = tr.H, ld = tr.T * tr.H;
  linalg::StepMap(y + t * H, H, kB, Eigen::OuterStride<>(ld)) =
      linalg::ConstStepMap(q + t * H, H, kB, Eigen::OuterStride<>(ld));
}

// P and P* fuse the elementwise work of a step into one pass per column: the output column is
// written once (q + c y_prev + D u, no separate copy), and the input of the next step's GEMM
// (e-scaled for P, D-scaled for P*) is produced while the column is still in cache.
// Columns j0 .. j0+kB-1 of a [k, B, T, H] block (q and y point at column j0): each column is one
// trial of one probe, swept in time independently of the others.
void propagate_columns(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, ld = T * H, rows = s.rows;
  const bool has_e = !tr.e.empty(), has_c = !tr.c.empty();
  const bool c_const = has_c && !std::isnan(tr.c_scalar), d_const = !std::isnan(tr.d_scalar);
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  StepScratch w(tr, kB);
  for (Index j = 0; j < kB; ++j) {  // t = 0: y_0 = q_0
    col(y + j * ld, H) = col(q + j * ld, H);
    if (has_e && T > 1)
      col(w.v + j * H, H) = col(&tr.e[static_cast<size_t>((((j0 + j) % B) * T + 1) * H)], H) * col(y + j * ld, H);
  }
  for (Index t = 1; t < T; ++t) {
    // u = W_hh v (v = e_t (.) y_{t-1}, or y_{t-1} itself viewed in place)
    tr.w_hh.multiply(has_e ? w.v : y + (t - 1) * H, has_e ? H : ld, kB, w.u, rows);
    for (Index j = 0; j < kB; ++j) {
      const Index row = ((j0 + j) % B) * T + t;
      double* yt = y + j * ld + t * H;
      const auto yp = col(yt - H, H);
      const double* u = w.u + j * rows;
      auto out = col(yt, H);
      if (d_const && s.groups == 1) {
        if (c_const)
          out = col(q + j * ld + t * H, H) + tr.c_scalar * yp + tr.d_scalar * col(u, H);
        else if (has_c)
          out = col(q + j * ld + t * H, H) + col(&tr.c[static_cast<size_t>(row * H)], H) * yp + tr.d_scalar * col(u, H);
        else
          out = col(q + j * ld + t * H, H) + tr.d_scalar * col(u, H);
      } else {
        const double* d = &dsite[static_cast<size_t>(row * rows)];
        if (has_c)
          out = col(q + j * ld + t * H, H) + col(&tr.c[static_cast<size_t>(row * H)], H) * yp + col(d, H) * col(u, H);
        else
          out = col(q + j * ld + t * H, H) + col(d, H) * col(u, H);
        for (Index g = 1; g < s.groups; ++g) out += col(d + g * H, H) * col(u + g * H, H);
      }
      if (has_e && t + 1 < T) col(w.v + j * H, H) = col(&tr.e[static_cast<size_t>((row + 1) * H)], H) * out;
    }
  }
}

void propagate_adjoint_columns(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  const Model& m = *tr.model;
  const Site& s = m.sites[static_cast<size_t>(m.hidden_site)];
  const Index H = tr.H, T = tr.T, B = tr.B, ld = T * H, rows = s.rows;
  const bool has_e = !tr.e.empty(), has_c = !tr.c.empty();
  const bool c_const = has_c && !std::isnan(tr.c_scalar), d_const = !std::isnan(tr.d_scalar) && s.groups == 1;
  const std::vector<double>& dsite = tr.d[static_cast<size_t>(m.hidden_site)];
  StepScratch w(tr, kB);
  // S = D_t^T y_t (rows per column) for the step that uses J_t^T; with constant D, S = y itself.
  auto scale_site = [&](Index j, Index row, const double* yt) {
    double* u = w.u + j * rows;
    if (d_const) {
      col(u, H) = tr.d_scalar * col(yt, H);
      return;
    }
    const double* d = &dsite[static_cast<size_t>(row * rows)];
    for (Index g = 0; g < s.groups; ++g) col(u + g * H, H) = col(d + g * H, H) * col(yt, H);
  };
  for (Index j = 0; j < kB; ++j) {  // t = T-1: y = q
    col(y + j * ld + (T - 1) * H, H) = col(q + j * ld + (T - 1) * H, H);
    if (T > 1) scale_site(j, ((j0 + j) % B) * T + T - 1, y + j * ld + (T - 1) * H);
  }
  for (Index t = T - 2; t >= 0; --t) {
    // v = W_hh^T S_{t+1}
    tr.w_hh_t.multiply(w.u, rows, kB, w.v, H);
    for (Index j = 0; j < kB; ++j) {
      const Index next = ((j0 + j) % B) * T + t + 1;
      double* yt = y + j * ld + t * H;
      const auto yn = col(yt + H, H);
      const auto v = col(w.v + j * H, H);
      auto out = col(yt, H);
      const auto qt = col(q + j * ld + t * H, H);
      if (has_e) {
        const auto e = col(&tr.e[static_cast<size_t>(next * H)], H);
        if (c_const)
          out = qt + e * v + tr.c_scalar * yn;
        else if (has_c)
          out = qt + e * v + col(&tr.c[static_cast<size_t>(next * H)], H) * yn;
        else
          out = qt + e * v;
      } else if (has_c) {
        out = qt + v + col(&tr.c[static_cast<size_t>(next * H)], H) * yn;
      } else {
        out = qt + v;
      }
      if (t > 0) scale_site(j, next - 1, yt);
    }
  }
}

}  // namespace

// Column chunks of at least 8 trials per thread (below that a thread's GEMMs get too thin).
constexpr Index kMinColumnsPerThread = 8;

// P and P* of a cell with a multi-block state (lstm): the recursions through the general
// per-step products on columns j0 .. j0+kB-1 (not fused like the one-block kernels above).
void propagate_blocks(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  StepScratch w(tr, kB);
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, kB, q, y);
    if (t > 0) jacobian_step(tr, t, j0, kB, y + (t - 1) * tr.H, 1.0, y + t * tr.H, w);
  }
}

void propagate_adjoint_blocks(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  StepScratch w(tr, kB);
  for (Index t = tr.T - 1; t >= 0; --t) {
    copy_step(tr, t, kB, q, y);
    if (t + 1 < tr.T) jacobian_adjoint_step(tr, t + 1, j0, kB, y + (t + 1) * tr.H, 1.0, y + t * tr.H, w);
  }
}

void propagate_range(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  if (tr.R > 1) return propagate_blocks(tr, q, y, j0, kB);
  propagate_columns(tr, q, y, j0, kB);
}

void propagate_adjoint_range(const Trajectory& tr, const double* q, double* y, Index j0, Index kB) {
  if (tr.R > 1) return propagate_adjoint_blocks(tr, q, y, j0, kB);
  propagate_adjoint_columns(tr, q, y, j0, kB);
}

void propagate(const Trajectory& tr, const double* q, Index k, double* y) {
  const Index ld = tr.T * tr.H;
  linalg::parallel_chunks(k * tr.B, linalg::parallel_width(k * tr.B, kMinColumnsPerThread),
                          [&](Index, Index b, Index e) { propagate_range(tr, q + b * ld, y + b * ld, b, e - b); });
}

void propagate_adjoint(const Trajectory& tr, const double* q, Index k, double* y) {
  const Index ld = tr.T * tr.H;
  linalg::parallel_chunks(
      k * tr.B, linalg::parallel_width(k * tr.B, kMinColumnsPerThread),
      [&](Index, Index b, Index e) { propagate_adjoint_range(tr, q + b * ld, y + b * ld, b, e - b); });
}

void propagate_inverse(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, k * tr.B, q, y);
    if (t > 0) jacobian_step(tr, t, 0, k * tr.B, q + (t - 1) * H, -1.0, y + t * H, w);
  }
}

void propagate_inverse_adjoint(const Trajectory& tr, const double* q, Index k, double* y) {
  StepScratch w(tr, k * tr.B);
  const Index H = tr.H;
  for (Index t = 0; t < tr.T; ++t) {
    copy_step(tr, t, k * tr.B, q, y);
    if (t + 1 < tr.T) jacobian_adjoint_step(tr, t + 1, 0, k * tr.B, q + (t + 1) * H, -1.0, y + t * H, w);
  }
}

void ntk(const Trajectory& tr, const double* q, Index k, double* y) {
  const size_t n = static_cast<size_t>(k * tr.state_size());
  linalg::Scratch kq(n);  // the one temporary: y holds P* q first
  propagate_adjoint(tr, q, k, y);
  parameter_operator(tr, y, k, kq.data());
  propagate(tr, kq.data(), k, y);
}

void ntk_observed(const Trajectory& tr, const double* q, Index k, double* y) {
  if (tr.hc == tr.H) return ntk(tr, q, k, y);  // one state block: h is the whole state
  linalg::apply_restricted(k * tr.bt(), tr.H, 0, tr.hc, q, y, [&](const double* z, double* w) { ntk(tr, z, k, w); });
}

}  // namespace ntk4j::ops
