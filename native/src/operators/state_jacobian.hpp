// The state Jacobian J_h = P J_theta (DESIGN.md: how a parameter change moves the whole
// trajectory) and its normal operator J_h^T J_h, the state-space Gauss-Newton matrix, whose
// nonzero spectrum is NTK_S's (NTK_S = J_h J_h^T) on vectors of n_params instead of B*T*H.
// Fused per thread: each thread carries its own columns (probe, trial) through J_theta, P, P*
// and J_theta^T with one synchronization per apply, its rows of the state staying in its cache.
// As four separate parallel kernels the same apply was measured ~25 % slower.
#pragma once

#include "dynamics/trajectory.hpp"

namespace ntk4j::ops {

// y = P J_theta v   (v: [k, n_params], y: [k, B, T, H]).
void state_jacobian(const Trajectory& tr, const double* v, Index k, double* y);
// g = J_theta^T P* q.
void state_jacobian_adjoint(const Trajectory& tr, const double* q, Index k, double* g);
// g = J_theta^T P* P J_theta v.
void state_gauss_newton(const Trajectory& tr, const double* v, Index k, double* g);

}  // namespace ntk4j::ops
