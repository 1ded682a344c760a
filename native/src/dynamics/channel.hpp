// The gradient of the distance to bifurcation, grad_theta mu with mu = |lambda_c| - 1, at a fixed
// point (the sNTK bifurcation channel's direction; DESIGN.md "Learning dynamics near
// bifurcations"). Moved from Java so that it costs one ABI call, not dozens of round trips.
#pragma once

#include "cells/model.hpp"

namespace ntk4j::dynamics {

// A fixed point's eigen-decomposition as LAPACK's dgeev gives it (ntk4j_eig_general): jac is
// df/dh at the point (H x H row-major); re/im the eigenvalues; left/right the eigenvectors
// (row-major, column j for eigenvalue j; a complex pair as columns j (real) and j+1 (imaginary)
// at its member with Im > 0). `critical` indexes lambda_c.
struct FixedPointSpectrum {
  const double* jac;
  const double* re;
  const double* im;
  const double* left;
  const double* right;
  Index critical;
};

// grad_theta mu [num_params] (PyTorch order) at the fixed point h_bar under constant input x_bar
// ([N], nullptr for zero). With v, w the right/left eigenvectors,
//   d lambda = w^T (dJ/dtheta + dJ/dh . dh_bar/dtheta) v / w^T v,  dh_bar/dtheta = (I - J)^-1 df/dtheta,
// and for a complex pair d mu = Re(conj(lambda) d lambda) / |lambda| with u^H dJ v expanded into
// four real bilinear forms. The second derivatives enter only through x^T J(h, theta) y and are one
// central difference in a scalar; the rest is exact (J_theta^T applies and one linear solve).
void critical_gradient(const Model& m, const double* h_bar, const double* x_bar, const FixedPointSpectrum& s,
                       double* grad);

}  // namespace ntk4j::dynamics
