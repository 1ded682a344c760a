// Tiny random models and dense references for the operator tests (STYLE.md 7-8: known answers,
// cross-checks against independent computations).
#pragma once

#include <Eigen/Dense>
#include <Eigen/QR>
#include <memory>
#include <random>
#include <vector>

#include "cells/model.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/linear_operator.hpp"
#include "operators/session_operator.hpp"

namespace ntk4j::testing {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXd;

struct Case {
  std::int32_t cell;
  bool bias;
  double dt;
  Index H, N, B, T;
  const char* name;
};

inline std::vector<Case> cases() {
  return {{NTK4J_CELL_RNN_LEAKY, false, 1.0, 4, 2, 2, 5, "leaky_dt1"},
          {NTK4J_CELL_RNN_LEAKY, false, 0.2, 3, 3, 3, 4, "leaky_dt0p2"},
          {NTK4J_CELL_RNN_ELMAN, true, 1.0, 4, 2, 2, 5, "elman"},
          {NTK4J_CELL_RNN_ELMAN, false, 1.0, 3, 2, 2, 4, "elman_nobias"},
          {NTK4J_CELL_GRU, true, 1.0, 3, 2, 2, 4, "gru"},
          {NTK4J_CELL_GRU, false, 1.0, 3, 2, 2, 3, "gru_nobias"},
          {NTK4J_CELL_RNN_RELU, true, 1.0, 4, 2, 2, 5, "relu"},
          {NTK4J_CELL_RNN_RELU, false, 1.0, 3, 2, 2, 4, "relu_nobias"},
          {NTK4J_CELL_RNN_LINEAR, false, 0.3, 4, 2, 2, 5, "linear_dt0p3"},
          {NTK4J_CELL_LSTM, true, 1.0, 3, 2, 2, 4, "lstm"},
          {NTK4J_CELL_LSTM, false, 1.0, 3, 2, 2, 3, "lstm_nobias"}};
}

struct Params {
  std::vector<double> wih, whh, bih, bhh;
};

inline Params random_params(const Case& c, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  const Index G = c.cell == NTK4J_CELL_GRU ? 3 : c.cell == NTK4J_CELL_LSTM ? 4 : 1;
  Params p;
  auto fill = [&](std::vector<double>& v, Index n, double scale) {
    v.resize(static_cast<size_t>(n));
    for (auto& x : v) x = scale * g(rng);
  };
  fill(p.wih, G * c.H * c.N, 1.0 / std::sqrt(double(c.N)));
  fill(p.whh, G * c.H * c.H, 1.3 / std::sqrt(double(c.H)));
  if (c.bias) {
    fill(p.bih, G * c.H, 0.3);
    fill(p.bhh, G * c.H, 0.3);
  }
  return p;
}

inline std::unique_ptr<Model> build(const Case& c, const Params& p) {
  return make_model(c.cell, c.H, c.N, c.dt, c.bias, p.wih.data(), p.whh.data(), c.bias ? p.bih.data() : nullptr,
                    c.bias ? p.bhh.data() : nullptr);
}

// Flat parameter vector in PyTorch order.
inline std::vector<double> flatten(const Params& p) {
  std::vector<double> v(p.wih);
  v.insert(v.end(), p.whh.begin(), p.whh.end());
  v.insert(v.end(), p.bih.begin(), p.bih.end());
  v.insert(v.end(), p.bhh.begin(), p.bhh.end());
  return v;
}

inline Params unflatten(const Case& c, const std::vector<double>& v) {
  const Index G = c.cell == NTK4J_CELL_GRU ? 3 : c.cell == NTK4J_CELL_LSTM ? 4 : 1;
  Params p;
  auto take = [&](std::vector<double>& dst, size_t& off, Index n) {
    dst.assign(v.begin() + static_cast<long>(off), v.begin() + static_cast<long>(off + size_t(n)));
    off += size_t(n);
  };
  size_t off = 0;
  take(p.wih, off, G * c.H * c.N);
  take(p.whh, off, G * c.H * c.H);
  if (c.bias) {
    take(p.bih, off, G * c.H);
    take(p.bhh, off, G * c.H);
  }
  return p;
}

inline std::vector<double> random_vector(Index n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = g(rng);
  return v;
}

// Dense matrix (out_dim x in_dim) of a block operator, from one block apply on the identity.
template <typename Apply>
Mat dense(Index in_dim, Index out_dim, Apply apply) {
  std::vector<double> eye(static_cast<size_t>(in_dim * in_dim), 0.0);
  for (Index i = 0; i < in_dim; ++i) eye[static_cast<size_t>(i * in_dim + i)] = 1.0;
  std::vector<double> out(static_cast<size_t>(in_dim * out_dim));
  apply(eye.data(), in_dim, out.data());
  // Row i of `out` is the image of e_i: the transpose of the matrix.
  return Eigen::Map<Mat>(out.data(), in_dim, out_dim).transpose();
}

// Trajectory with an additive state forcing u ([B,T,H]): h_t = f(h_{t-1}, x_t) + u_t, computed
// one step at a time by unrolling T = 1 from the previous state (independent of the tangent code).
inline std::vector<double> forced_rollout(const Model& m, const std::vector<double>& x, Index B, Index T,
                                          const std::vector<double>& u) {
  const Index H = m.S, N = m.N;  // the state width (lstm: [h; c])
  std::vector<double> h(static_cast<size_t>(B * T * H)), prev(static_cast<size_t>(B * H), 0.0),
      xt(static_cast<size_t>(B * N));
  for (Index t = 0; t < T; ++t) {
    for (Index b = 0; b < B; ++b)
      for (Index n = 0; n < N; ++n) xt[size_t(b * N + n)] = x[size_t((b * T + t) * N + n)];
    Trajectory one = unroll(m, xt.data(), B, 1, prev.data());
    for (Index b = 0; b < B; ++b)
      for (Index i = 0; i < H; ++i) {
        const size_t at = size_t((b * T + t) * H + i);
        h[at] = one.hidden[size_t(b * H + i)] + (u.empty() ? 0.0 : u[at]);
        prev[size_t(b * H + i)] = h[at];
      }
  }
  return h;
}

// One-step map at the fixed previous states of a trajectory: f(x[b,t], hprev[b,t]) for all (b,t),
// as one unroll of B*T sequences of length 1.
inline std::vector<double> one_step(const Model& m, const std::vector<double>& x, const std::vector<double>& hidden,
                                    Index B, Index T) {
  const Index H = m.S;
  std::vector<double> h0(static_cast<size_t>(B * T * H), 0.0);
  for (Index b = 0; b < B; ++b)
    for (Index t = 1; t < T; ++t)
      for (Index i = 0; i < H; ++i) h0[size_t((b * T + t) * H + i)] = hidden[size_t((b * T + t - 1) * H + i)];
  return unroll(m, x.data(), B * T, 1, h0.data()).hidden;
}

// Q diag(d) Q^T with a random orthogonal Q: an operator with a prescribed spectrum.
inline linalg::OperatorPtr prescribed_spectrum(const std::vector<double>& d, unsigned seed) {
  const Index n = static_cast<Index>(d.size());
  auto g = random_vector(n * n, seed);
  Eigen::MatrixXd m = Eigen::Map<Eigen::MatrixXd>(g.data(), n, n);
  Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(m).householderQ();
  Eigen::VectorXd dv = Eigen::Map<const Eigen::VectorXd>(d.data(), n);
  Mat a = q * dv.asDiagonal() * q.transpose();
  return linalg::dense(n, n, a.data(), "prescribed");
}

inline double max_rel(const Mat& a, const Mat& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), 1e-300);
}

// A session of a random model of case c (parameters from param_seed, inputs from input_seed),
// for the session operators.
inline std::shared_ptr<SessionState> random_session(const Case& c, unsigned param_seed, unsigned input_seed) {
  auto state = std::make_shared<SessionState>();
  state->model = build(c, random_params(c, param_seed));
  const auto x = random_vector(c.B * c.T * c.N, input_seed);
  state->trajectory = unroll(*state->model, x.data(), c.B, c.T, nullptr);
  return state;
}

}  // namespace ntk4j::testing
