// Fixed points h = f(h, x_bar) of a cell under a constant input, and the spectra of their
// Jacobians (issue 4, DESIGN.md "Learning dynamics near bifurcations").
#pragma once

#include <cstdint>
#include <vector>

#include "cells/model.hpp"

namespace ntk4j::dynamics {

// f(h_b, x) and, if jac != nullptr, J_b = df/dh at h_b (H x H row-major, J[i][j] = df_i/dh_j),
// for B states at once. x is [N] (the same input for every state) or nullptr for zero.
void step_with_jacobian(const Model& m, const double* h, Index B, const double* x, double* f, double* jac);

struct FixedPointOptions {
  Index starts = 16;           // random initial states
  Index rollout_steps = 500;   // autonomous steps before Newton (0: Newton from the raw starts only)
  Index max_iterations = 100;  // Newton iterations per start
  double tol = 1e-12;          // ||f(h) - h||_inf <= tol * max(1, ||h||_inf)
  double init_scale = 1.0;     // starts ~ N(0, init_scale^2)
  std::uint64_t seed = NTK4J_DEFAULT_SEED;
};

struct FixedPointResult {
  std::vector<double> points;  // found x H, deduplicated, sorted by norm
  Index found = 0;
  Index failed = 0;  // Newton runs that did not converge
};

// Newton's method on F(h) = f(h, x) - h with backtracking, from the raw random starts, from the
// ends of autonomous rollouts of the same starts, and from h = 0.
FixedPointResult find_fixed_points(const Model& m, const double* x, const FixedPointOptions& o);

}  // namespace ntk4j::dynamics
