// The unrolled trajectory of a model on a batch of inputs, with what the tangent operators
// need afterwards: per-(b,t) diagonals (c, e, D_s) and site activities, never per-step H x H
// Jacobians (memory O(B T (H + N)) besides the weights; DESIGN.md).
#pragma once

#include <limits>
#include <vector>

#include "cells/model.hpp"
#include "linalg/packed_gemm.hpp"

namespace ntk4j {

struct Trajectory {
  const Model* model = nullptr;  // borrowed from the session, which owns a copy
  // H is the state width per step (the model's S: its hidden size, or 2H for lstm's [h; c]), the
  // stride of every state vector; hc is the cell's hidden size (what W_hh acts on: the state's
  // first hc entries) and R = H / hc the state blocks (cells/model.hpp).
  Index B = 0, T = 0, H = 0, N = 0, hc = 0, R = 1;
  std::vector<double> hidden;  // [B, T, H], s_1..s_T
  std::vector<double> c, e;    // [B, T, R R hc] and [B, T, hc] when the cell has them, else empty
  // When c, or the hidden site's D, is the same number everywhere (rnn_leaky: 1 - dt and dt),
  // that number, so that hot loops can skip reading the arrays; NaN otherwise.
  double c_scalar = std::numeric_limits<double>::quiet_NaN();
  double d_scalar = std::numeric_limits<double>::quiet_NaN();
  // Per site s: activity [B*T, dim_s] and D_s [B*T, R rows_s], row (b*T + t) for step t (0-based,
  // i.e. the step that reads x[b,t] and h[b,t-1]).
  std::vector<std::vector<double>> act, d;
  // W_hh (rows x H of the hidden site) and its transpose, packed once for the thin per-step
  // products of P and P* (linalg/packed_gemm.hpp).
  linalg::PackedMatrix w_hh, w_hh_t;

  Index bt() const { return B * T; }
  Index state_size() const { return B * T * H; }
};

// Unrolls (one GEMM per site and time step, vectorized over the batch). h0 may be null.
Trajectory unroll(const Model& model, const double* inputs, Index B, Index T, const double* h0);

}  // namespace ntk4j
