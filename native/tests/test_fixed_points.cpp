// Fixed points and Jacobian spectra on hand-built cells with known answers (issue 4).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "dynamics/channel.hpp"
#include "dynamics/fixed_points.hpp"
#include "linalg/dense.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

// tanh RNN h' = tanh(g h) (rnn_elman, W_hh = g I, no bias; the input is zero).
std::unique_ptr<Model> scaled_identity(Index H, double g) {
  std::vector<double> wih(static_cast<size_t>(H), 0.3), whh(static_cast<size_t>(H * H), 0.0);
  for (Index i = 0; i < H; ++i) whh[static_cast<size_t>(i * H + i)] = g;
  return make_model(NTK4J_CELL_RNN_ELMAN, H, 1, 1.0, false, wih.data(), whh.data(), nullptr, nullptr);
}

// The positive root of h = tanh(g h) for g > 1, by bisection.
double pitchfork_branch(double g) {
  double lo = 1e-9, hi = 1.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::tanh(g * mid) - mid > 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST(FixedPoints, BelowThePitchforkOnlyTheOrigin) {
  auto m = scaled_identity(1, 0.5);
  auto r = dynamics::find_fixed_points(*m, nullptr, {});
  ASSERT_EQ(r.found, 1);
  EXPECT_NEAR(r.points[0], 0.0, 1e-12);
  double f, J;
  dynamics::step_with_jacobian(*m, r.points.data(), 1, nullptr, &f, &J);
  EXPECT_NEAR(J, 0.5, 1e-12);
}

TEST(FixedPoints, AboveThePitchforkThreeWithKnownEigenvalues) {
  const double g = 2.0, hb = pitchfork_branch(g);
  auto m = scaled_identity(1, g);
  auto r = dynamics::find_fixed_points(*m, nullptr, {});
  ASSERT_EQ(r.found, 3);  // sorted by norm: 0, then the pair
  EXPECT_NEAR(r.points[0], 0.0, 1e-12);
  std::vector<double> pair = {r.points[1], r.points[2]};
  std::sort(pair.begin(), pair.end());
  EXPECT_NEAR(pair[0], -hb, 1e-12);
  EXPECT_NEAR(pair[1], hb, 1e-12);
  for (Index i = 0; i < 3; ++i) {
    double f, J;
    dynamics::step_with_jacobian(*m, &r.points[size_t(i)], 1, nullptr, &f, &J);
    const double h = r.points[size_t(i)];
    EXPECT_NEAR(J, g * (1 - std::tanh(g * h) * std::tanh(g * h)), 1e-10);
  }
}

TEST(FixedPoints, AllNineInTwoDimensions) {
  const double g = 1.5, hb = pitchfork_branch(g);
  auto m = scaled_identity(2, g);
  dynamics::FixedPointOptions o;
  o.starts = 64;
  o.rollout_steps = 0;  // Newton from the raw starts: unstable points are roots too
  auto r = dynamics::find_fixed_points(*m, nullptr, o);
  ASSERT_EQ(r.found, 9);
  for (Index p = 0; p < 9; ++p)
    for (Index i = 0; i < 2; ++i) {
      const double v = std::abs(r.points[size_t(p * 2 + i)]);
      EXPECT_TRUE(v < 1e-12 || std::abs(v - hb) < 1e-12) << v;
    }
}

TEST(FixedPoints, JacobianIsTheLinearPartAtTheOrigin) {
  // Elman without bias and zero input: f(0) = 0 and J(0) = W_hh exactly.
  Case c{NTK4J_CELL_RNN_ELMAN, false, 1.0, 5, 2, 1, 1, "elman"};
  auto p = random_params(c, 3);
  for (auto& v : p.whh) v *= 0.5;
  auto m = build(c, p);
  std::vector<double> h(5, 0.0), f(5), J(25);
  dynamics::step_with_jacobian(*m, h.data(), 1, nullptr, f.data(), J.data());
  for (size_t i = 0; i < 25; ++i) EXPECT_NEAR(J[i], p.whh[i], 1e-15);
  std::vector<double> re(5), im(5), right(25);
  linalg::general_eigen(5, J.data(), re.data(), im.data(), nullptr, right.data());
  Eigen::Map<const Eigen::Matrix<double, 5, 5, Eigen::RowMajor>> w(p.whh.data());
  Eigen::EigenSolver<Eigen::Matrix<double, 5, 5>> es(w);
  std::vector<std::pair<double, double>> a, b;
  for (int i = 0; i < 5; ++i) {
    a.emplace_back(re[size_t(i)], im[size_t(i)]);
    b.emplace_back(es.eigenvalues()(i).real(), es.eigenvalues()(i).imag());
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(a[size_t(i)].first, b[size_t(i)].first, 1e-10);
    EXPECT_NEAR(a[size_t(i)].second, b[size_t(i)].second, 1e-10);
  }
}

TEST(FixedPoints, JacobianMatchesFiniteDifferencesForEveryCell) {
  for (const Case& c : cases()) {
    auto m = build(c, random_params(c, 5));
    const Index S = m->S;  // the state width: H, or 2H for lstm's [h; c]
    const auto h = random_vector(S, 6), x = random_vector(c.N, 7);
    const auto n = static_cast<size_t>(S);
    std::vector<double> f(n), J(n * n), fp(n), fm(n);
    dynamics::step_with_jacobian(*m, h.data(), 1, x.data(), f.data(), J.data());
    for (Index j = 0; j < S; ++j) {
      auto hp = h, hm = h;
      hp[size_t(j)] += 1e-6;
      hm[size_t(j)] -= 1e-6;
      dynamics::step_with_jacobian(*m, hp.data(), 1, x.data(), fp.data(), nullptr);
      dynamics::step_with_jacobian(*m, hm.data(), 1, x.data(), fm.data(), nullptr);
      for (Index i = 0; i < S; ++i)
        EXPECT_NEAR(J[size_t(i * S + j)], (fp[size_t(i)] - fm[size_t(i)]) / 2e-6, 1e-8) << c.name;
    }
  }
}

// grad mu of h' = tanh(g h) (H = N = 1; parameters [W_ih, W_hh] = [0.3, g]) against the closed
// form. At the origin lambda = g, so d mu / d g = 1 and W_ih does not enter (x = 0). On the
// pitchfork branch h* = tanh(g h*), lambda = g (1 - h*^2) moves with h* too:
// d lambda / d g = (1 - h*^2) - 2 g h* dh*/dg, dh*/dg = (1 - h*^2) h* / (1 - g (1 - h*^2)).
TEST(FixedPoints, CriticalGradientMatchesTheScalarPitchforksClosedForm) {
  for (const double g : {0.8, 1.5}) {
    auto m = scaled_identity(1, g);
    for (const double h_bar : {0.0, g > 1 ? pitchfork_branch(g) : 0.0}) {
      double f, J, re, im, left, right;
      dynamics::step_with_jacobian(*m, &h_bar, 1, nullptr, &f, &J);
      linalg::general_eigen(1, &J, &re, &im, &left, &right);
      double grad[2];
      dynamics::critical_gradient(*m, &h_bar, nullptr, {&J, &re, &im, &left, &right, 0}, grad);
      const double s = 1 - h_bar * h_bar, dh = s * h_bar / (1 - g * s);
      EXPECT_NEAR(grad[0], 0.0, 1e-9) << "g = " << g << ", h_bar = " << h_bar;
      EXPECT_NEAR(grad[1], s - 2 * g * h_bar * dh, 1e-8) << "g = " << g << ", h_bar = " << h_bar;
    }
  }
}

}  // namespace
}  // namespace ntk4j::testing
