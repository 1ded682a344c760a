// Exact tangent operators of an unrolled trajectory (DESIGN.md, "The operators"), applied to
// blocks of k probes at once. State blocks are [k, B, T, H]; parameter blocks [k, n_params].
// At a fixed time step, the k*B columns of a state block form an H x (k*B) matrix with leading
// dimension T*H, so a step of P is one GEMM with W_hh plus elementwise work.
#pragma once

#include <vector>

#include "dynamics/trajectory.hpp"

namespace ntk4j::ops {

// y = P q:   y_t = q_t + J_t y_{t-1},   y_{-1} = 0.
void propagate(const Trajectory& tr, const double* q, Index k, double* y);
// y = P* q:  y_{T-1} = q_{T-1},  y_t = q_t + J_{t+1}^T y_{t+1}.
void propagate_adjoint(const Trajectory& tr, const double* q, Index k, double* y);
// y = P^-1 q: y_t = q_t - J_t q_{t-1}.
void propagate_inverse(const Trajectory& tr, const double* q, Index k, double* y);
// y = P^-* q: y_t = q_t - J_{t+1}^T q_{t+1}.
void propagate_inverse_adjoint(const Trajectory& tr, const double* q, Index k, double* y);
// y = J_theta v  (v: [k, n_params]).
void jtheta(const Trajectory& tr, const double* v, Index k, double* y);
// g = J_theta^T q (g: [k, n_params]).
void jtheta_adjoint(const Trajectory& tr, const double* q, Index k, double* g);
// y = K q = sum_s D_s A_s (A_s^T (D_s^T q))   (Kronecker-core form; two GEMMs per site).
void parameter_operator(const Trajectory& tr, const double* q, Index k, double* y);
// y = NTK_S q = P K P* q.
void ntk(const Trajectory& tr, const double* q, Index k, double* y);
// NTK_S restricted to the observable state h (the first hc entries of each step; lstm: of [h; c]):
// y = E_h NTK_S E_h^T q on [k, B, T, hc].
void ntk_observed(const Trajectory& tr, const double* q, Index k, double* y);

// Pieces of the above over part of a block, for kernels that fuse several operators per thread
// (operators/state_jacobian.cpp).
// The k*B columns j0 .. j0+kB-1 of a [k, B, T, H] block (q and y point at column j0): y = P q or
// y = P* q on those columns only. y may be q (in place).
void propagate_range(const Trajectory& tr, const double* q, double* y, Index j0, Index kB);
void propagate_adjoint_range(const Trajectory& tr, const double* q, double* y, Index j0, Index kB);
// One probe's parameters as per-site matrices V_s (rows x dim, column-major), stacked.
struct SiteStack {
  std::vector<Index> offset;  // of site s in the stack
  Index size = 0;
  explicit SiteStack(const Model& m);
  void gather(const Model& m, const double* v, double* mats) const;   // flat PyTorch order -> stack
  void scatter(const Model& m, const double* mats, double* g) const;  // stack -> flat
};
// Rows bt0 .. bt1-1 (b*T + t) of one probe's y = J_theta v (v as a site stack).
void jtheta_rows(const Trajectory& tr, const SiteStack& st, const double* mats, Index bt0, Index bt1, double* y);
// The contribution of rows bt0 .. bt1-1 of one probe's q to J_theta^T q, as a site stack.
void jtheta_adjoint_rows(const Trajectory& tr, const SiteStack& st, const double* q, Index bt0, Index bt1,
                         double* mats);

}  // namespace ntk4j::ops
