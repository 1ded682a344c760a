// The mean-squared-error loss through a linear readout, and its gradients, as GEMMs (the
// trainer's loss; DESIGN.md "Learning dynamics"): with y = W h + b on every row (b, t),
//   L = mean over (b, t, o) of (y - target)^2,  dy = 2 (y - target) / (B T O),
//   e = dL/dh = dy W,  dL/dW = dy^T h,  dL/db = sum over (b, t) of dy.
#pragma once

#include "core/error.hpp"

namespace ntk4j::training {

// hidden [rows, H], targets [rows, O], weight [O, H], bias [O]; writes e [rows, H], grad_w [O, H],
// grad_b [O] (all row-major) and returns L. rows = B T.
double readout_mse(Index rows, Index h, Index o, const double* hidden, const double* weight, const double* bias,
                   const double* targets, double* e, double* grad_w, double* grad_b);

}  // namespace ntk4j::training
