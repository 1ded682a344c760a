// Operator identities and finite-difference checks on tiny random models of every cell
// (DESIGN.md "The operators"; issue 2 "Done when").
#include <gtest/gtest.h>

#include "operators/operators.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

class Operators : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    c = GetParam();
    params = random_params(c, 7);
    model = build(c, params);
    x = random_vector(c.B * c.T * c.N, 11);
    tr = unroll(*model, x.data(), c.B, c.T, nullptr);
    n = tr.state_size();
    np = model->num_params;
  }
  Mat op(void (*f)(const Trajectory&, const double*, Index, double*), Index in, Index out) {
    return dense(in, out, [&](const double* q, Index k, double* y) { f(tr, q, k, y); });
  }

  Case c{};
  Params params;
  std::unique_ptr<Model> model;
  std::vector<double> x;
  Trajectory tr;
  Index n = 0, np = 0;
};

TEST_P(Operators, AdjointOfPIsTransposeOfP) {
  const Mat P = op(ops::propagate, n, n), Pt = op(ops::propagate_adjoint, n, n);
  EXPECT_LT(max_rel(Pt, Mat(P.transpose())), 1e-14);
}

TEST_P(Operators, InnerProductIdentityOnRandomBlocks) {
  // <P x, y> = <x, P* y> and <J_theta v, q> = <v, J_theta^T q>, with k = 3 probes at once.
  const Index k = 3;
  auto xs = random_vector(k * n, 21), ys = random_vector(k * n, 22), vs = random_vector(k * np, 23);
  std::vector<double> px(xs.size()), pty(ys.size()), jv(size_t(k * n)), jtq(size_t(k * np));
  ops::propagate(tr, xs.data(), k, px.data());
  ops::propagate_adjoint(tr, ys.data(), k, pty.data());
  ops::jtheta(tr, vs.data(), k, jv.data());
  ops::jtheta_adjoint(tr, ys.data(), k, jtq.data());
  for (Index j = 0; j < k; ++j) {
    double a = 0, b = 0, cc = 0, d = 0;
    for (Index i = 0; i < n; ++i) {
      a += px[size_t(j * n + i)] * ys[size_t(j * n + i)];
      b += xs[size_t(j * n + i)] * pty[size_t(j * n + i)];
      cc += jv[size_t(j * n + i)] * ys[size_t(j * n + i)];
    }
    for (Index i = 0; i < np; ++i) d += vs[size_t(j * np + i)] * jtq[size_t(j * np + i)];
    EXPECT_NEAR(a, b, 1e-12 * (std::abs(a) + 1));
    EXPECT_NEAR(cc, d, 1e-12 * (std::abs(cc) + 1));
  }
}

TEST_P(Operators, InverseOfPAndItsAdjoint) {
  const Mat P = op(ops::propagate, n, n), Pinv = op(ops::propagate_inverse, n, n),
            Pinvt = op(ops::propagate_inverse_adjoint, n, n);
  const Mat I = Mat::Identity(n, n);
  EXPECT_LT((Pinv * P - I).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((P * Pinv - I).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT(max_rel(Pinvt, Mat(Pinv.transpose())), 1e-14);
}

TEST_P(Operators, KIsJthetaJthetaTransposeAndSymmetric) {
  const Mat J = op(ops::jtheta, np, n), Jt = op(ops::jtheta_adjoint, n, np), K = op(ops::parameter_operator, n, n);
  EXPECT_LT(max_rel(Jt, Mat(J.transpose())), 1e-14);
  EXPECT_LT(max_rel(K, Mat(J * J.transpose())), 1e-13);
  EXPECT_LT(max_rel(K, Mat(K.transpose())), 1e-13);
}

TEST_P(Operators, NtkIsPKPtAndFullUnrollJJt) {
  const Mat P = op(ops::propagate, n, n), K = op(ops::parameter_operator, n, n), NTK = op(ops::ntk, n, n);
  EXPECT_LT(max_rel(NTK, Mat(P * K * P.transpose())), 1e-13);
  // Full-unroll Jacobian J = dh/dtheta by central differences of the whole trajectory
  // (re-unrolling with perturbed parameters): NTK_S = J J^T.
  const auto theta = flatten(params);
  Mat Jfull(n, np);
  const double eps = 1e-6;
  for (Index p = 0; p < np; ++p) {
    auto plus = theta, minus = theta;
    plus[size_t(p)] += eps;
    minus[size_t(p)] -= eps;
    auto mp = build(c, unflatten(c, plus)), mm = build(c, unflatten(c, minus));
    const auto hp = unroll(*mp, x.data(), c.B, c.T, nullptr).hidden;
    const auto hm = unroll(*mm, x.data(), c.B, c.T, nullptr).hidden;
    for (Index i = 0; i < n; ++i) Jfull(i, p) = (hp[size_t(i)] - hm[size_t(i)]) / (2 * eps);
  }
  EXPECT_LT(max_rel(NTK, Mat(Jfull * Jfull.transpose())), 1e-7);
  // ... and J = P J_theta.
  EXPECT_LT(max_rel(Mat(P * op(ops::jtheta, np, n)), Jfull), 1e-7);
}

TEST_P(Operators, FiniteDifferenceOfP) {
  // P u = d/de h(e) for the forced trajectory h_t = f(h_{t-1}, x_t) + e u_t.
  const auto u = random_vector(n, 31);
  std::vector<double> pu(static_cast<size_t>(n));
  ops::propagate(tr, u.data(), 1, pu.data());
  const double eps = 1e-6;
  std::vector<double> up(u), um(u);
  for (auto& v : up) v *= eps;
  for (auto& v : um) v *= -eps;
  const auto hp = forced_rollout(*model, x, c.B, c.T, up), hm = forced_rollout(*model, x, c.B, c.T, um);
  const auto h0 = forced_rollout(*model, x, c.B, c.T, {});
  double err = 0, scale = 0, consistency = 0;
  for (Index i = 0; i < n; ++i) {
    err = std::max(err, std::abs((hp[size_t(i)] - hm[size_t(i)]) / (2 * eps) - pu[size_t(i)]));
    scale = std::max(scale, std::abs(pu[size_t(i)]));
    consistency = std::max(consistency, std::abs(h0[size_t(i)] - tr.hidden[size_t(i)]));
  }
  EXPECT_LT(err / scale, 1e-7);
  EXPECT_LT(consistency, 1e-14);  // the step-by-step rollout is the same trajectory
}

TEST_P(Operators, FiniteDifferenceOfJtheta) {
  // J_theta v = d/de f(x[b,t], hprev[b,t]; theta + e v) with hprev held fixed.
  const auto v = random_vector(np, 41);
  std::vector<double> jv(static_cast<size_t>(n));
  ops::jtheta(tr, v.data(), 1, jv.data());
  const auto theta = flatten(params);
  const double eps = 1e-6;
  auto plus = theta, minus = theta;
  for (Index p = 0; p < np; ++p) {
    plus[size_t(p)] += eps * v[size_t(p)];
    minus[size_t(p)] -= eps * v[size_t(p)];
  }
  auto mp = build(c, unflatten(c, plus)), mm = build(c, unflatten(c, minus));
  const auto fp = one_step(*mp, x, tr.hidden, c.B, c.T), fm = one_step(*mm, x, tr.hidden, c.B, c.T);
  double err = 0, scale = 0;
  for (Index i = 0; i < n; ++i) {
    err = std::max(err, std::abs((fp[size_t(i)] - fm[size_t(i)]) / (2 * eps) - jv[size_t(i)]));
    scale = std::max(scale, std::abs(jv[size_t(i)]));
  }
  EXPECT_LT(err / scale, 1e-7);
}

TEST_P(Operators, BlockApplyEqualsColumnByColumn) {
  // A block of k probes gives exactly the k single-probe results (no cross-talk between columns).
  const Index k = 4;
  const auto q = random_vector(k * n, 51);
  for (auto f : {ops::propagate, ops::propagate_adjoint, ops::propagate_inverse, ops::propagate_inverse_adjoint,
                 ops::parameter_operator, ops::ntk}) {
    std::vector<double> block(size_t(k * n)), single(static_cast<size_t>(n));
    f(tr, q.data(), k, block.data());
    for (Index j = 0; j < k; ++j) {
      f(tr, q.data() + j * n, 1, single.data());
      for (Index i = 0; i < n; ++i) EXPECT_EQ(block[size_t(j * n + i)], single[size_t(i)]);
    }
  }
}

class LeakyOperators : public Operators {};

TEST_P(LeakyOperators, KroneckerCoreOfK) {
  // rnn_leaky: K = dt^2 (G kron I_H), G the Gram matrix of [tanh(h_{t-1}), x_t] (DESIGN.md);
  // rnn_linear likewise with [h_{t-1}, x_t].
  const Mat K = op(ops::parameter_operator, n, n);
  const Index BT = c.B * c.T, dim = c.H + c.N;
  Eigen::Map<const Mat> A(tr.act[0].data(), BT, dim);
  const Mat G = A * A.transpose();
  Mat expect = Mat::Zero(n, n);
  for (Index r = 0; r < BT; ++r)
    for (Index s = 0; s < BT; ++s)
      for (Index i = 0; i < c.H; ++i) expect(r * c.H + i, s * c.H + i) = c.dt * c.dt * G(r, s);
  EXPECT_LT(max_rel(K, expect), 1e-13);
}

// rnn_linear: J_t = A = (1-dt) I + dt W_hh at every step, so P is the linear system's
// propagator, (P q)_t = sum_{s <= t} A^(t-s) q_s, and P^-1 q_t = q_t - A q_{t-1}.
TEST(LinearCell, PropagatorHasTheLinearSystemsClosedForm) {
  const Case c{NTK4J_CELL_RNN_LINEAR, false, 0.3, 4, 2, 2, 6, "linear"};
  const Params params = random_params(c, 3);
  auto model = build(c, params);
  const auto x = random_vector(c.B * c.T * c.N, 5);
  const Trajectory tr = unroll(*model, x.data(), c.B, c.T, nullptr);
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> whh(params.whh.data(), c.H,
                                                                                               c.H);
  const Mat A = (1.0 - c.dt) * Mat::Identity(c.H, c.H) + c.dt * Mat(whh);
  const Index n = tr.state_size();
  const auto q = random_vector(n, 9);
  std::vector<double> pq(static_cast<size_t>(n)), expect(static_cast<size_t>(n), 0.0);
  ops::propagate(tr, q.data(), 1, pq.data());
  for (Index b = 0; b < c.B; ++b)
    for (Index t = 0; t < c.T; ++t) {
      Eigen::VectorXd sum = Eigen::VectorXd::Zero(c.H);
      Mat power = Mat::Identity(c.H, c.H);  // A^(t-s), s from t down to 0
      for (Index s = t; s >= 0; --s) {
        sum += power * Eigen::Map<const Eigen::VectorXd>(q.data() + (b * c.T + s) * c.H, c.H);
        power = A * power;
      }
      Eigen::Map<Eigen::VectorXd>(expect.data() + (b * c.T + t) * c.H, c.H) = sum;
    }
  double err = 0, scale = 0;
  for (Index i = 0; i < n; ++i) {
    err = std::max(err, std::abs(pq[size_t(i)] - expect[size_t(i)]));
    scale = std::max(scale, std::abs(expect[size_t(i)]));
  }
  EXPECT_LT(err / scale, 1e-13);
}

// rnn_relu: h = relu(u) and D = relu'(u) with relu'(0) = 0 (PyTorch's convention); a unit whose
// pre-activation is exactly 0 passes nothing back.
TEST(ReluCell, DerivativeAtZeroIsZeroAsInPyTorch) {
  const Index H = 2, N = 1;
  // u = W_hh h + W_ih x + b: with x = 1, h0 = 0 and b = 0, u = W_ih = [0, 0.5].
  const std::vector<double> wih{0.0, 0.5}, whh{0.0, 0.0, 0.0, 0.0}, x{1.0};
  auto m = make_model(NTK4J_CELL_RNN_RELU, H, N, 1.0, false, wih.data(), whh.data(), nullptr, nullptr);
  const Trajectory tr = unroll(*m, x.data(), 1, 1, nullptr);
  EXPECT_EQ(tr.hidden[0], 0.0);
  EXPECT_EQ(tr.hidden[1], 0.5);
  EXPECT_EQ(tr.d[0][0], 0.0);
  EXPECT_EQ(tr.d[0][1], 1.0);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Cells, Operators, ::testing::ValuesIn(cases()), case_name);

std::vector<Case> leaky_cases() {
  std::vector<Case> out;
  for (const Case& c : cases())
    if (c.cell == NTK4J_CELL_RNN_LEAKY || c.cell == NTK4J_CELL_RNN_LINEAR) out.push_back(c);
  return out;
}
INSTANTIATE_TEST_SUITE_P(Cells, LeakyOperators, ::testing::ValuesIn(leaky_cases()), case_name);

}  // namespace
}  // namespace ntk4j::testing
