// Exact tangent operators of an unrolled trajectory (DESIGN.md, "The operators"), applied to
// blocks of k probes at once. State blocks are [k, B, T, H]; parameter blocks [k, n_params].
// At a fixed time step, the k*B columns of a state block form an H x (k*B) matrix with leading
// dimension T*H, so a step of P is one GEMM with W_hh plus elementwise work.
#pragma once

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

}  // namespace ntk4j::ops
