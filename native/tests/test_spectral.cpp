// Block Lanczos against operators with known spectra (STYLE.md 7): prescribed spectra with
// repeated and zero eigenvalues, low rank, non-convergence reported as such, bad requests.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>

#include "linalg/dense.hpp"
#include "operators/session_operator.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/svd.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

std::vector<double> sorted_desc(std::vector<double> d) {
  std::sort(d.begin(), d.end(), std::greater<>());
  return d;
}

TEST(Lanczos, PrescribedSpectrumWithRepeatedAndZeroEigenvalues) {
  std::vector<double> d(300, 0.0);
  const std::vector<double> head = {10, 9, 9, 9, 5, 3, 3, 1};
  std::copy(head.begin(), head.end(), d.begin());
  for (size_t i = 8; i < 150; ++i) d[i] = 0.5 * std::exp(-0.05 * double(i));  // decaying tail
  // the other 150 are exactly zero
  auto a = prescribed_spectrum(d, 1);
  spectral::EigsOptions o;
  o.k = 7;
  o.tol = 1e-10;
  auto r = spectral::lanczos_top(*a, o, true);
  const auto want = sorted_desc(d);
  ASSERT_EQ(r.converged, 7);
  for (Index i = 0; i < 7; ++i) {
    EXPECT_NEAR(r.values[size_t(i)], want[size_t(i)], 1e-10 * want[0]) << i;
    EXPECT_LE(r.residuals[size_t(i)], 1e-10 * want[0]);
  }
  // The returned vectors are orthonormal eigenvectors: ||A v - lambda v|| recomputed.
  const Index n = 300;
  std::vector<double> av(size_t(7 * n));
  a->apply(r.vectors.data(), 7, av.data());
  for (Index i = 0; i < 7; ++i) {
    double res = 0, nv = 0;
    for (Index j = 0; j < n; ++j) {
      const double v = r.vectors[size_t(i * n + j)];
      res += std::pow(av[size_t(i * n + j)] - r.values[size_t(i)] * v, 2);
      nv += v * v;
    }
    EXPECT_NEAR(nv, 1.0, 1e-12);
    EXPECT_NEAR(std::sqrt(res), r.residuals[size_t(i)], 1e-12 * want[0]);
  }
}

// Regression: a block whose columns nearly vanish (the Krylov space of a rank-deficient K almost
// invariant) was normalized with the rounding of its projections still in it; orthogonality fell
// to 3e-9 and grew to O(1) over restarts (eigenvalues 1e155, nothing converged).
TEST(Lanczos, NearlyInvariantBlocksKeepTheBasisOrthonormal) {
  Case c{NTK4J_CELL_RNN_LEAKY, false, 0.1, 5, 2, 3, 6, "leaky"};
  auto k_op = session_operator(random_session(c, 4, 104), NTK4J_OP_K);
  const Index n = k_op->rows();
  std::vector<double> exact;
  linalg::dense_symmetric_eigen(n, linalg::to_dense(*k_op), exact, nullptr);
  spectral::EigsOptions o;
  o.k = 10;
  o.block = 4;
  o.seed = 2607;
  auto r = spectral::lanczos_top(*k_op, o, true);
  ASSERT_EQ(r.converged, 10);
  double worst = 0;
  for (Index i = 0; i < 10; ++i) {
    for (Index j = 0; j < 10; ++j) {
      double d = 0;
      for (Index t = 0; t < n; ++t) d += r.vectors[size_t(i * n + t)] * r.vectors[size_t(j * n + t)];
      worst = std::max(worst, std::abs(d - (i == j ? 1.0 : 0.0)));
    }
    double nearest = 1e300;  // every value is an eigenvalue (block 4 < multiplicity 5 may skip copies)
    for (double e : exact) nearest = std::min(nearest, std::abs(e - r.values[size_t(i)]));
    EXPECT_LE(nearest, 1e-9 * exact[0]) << i;
  }
  EXPECT_LT(worst, 1e-12);
}

TEST(Lanczos, RankThreeOperatorAskedForTenEigenpairs) {
  std::vector<double> d(200, 0.0);
  d[0] = 4;
  d[1] = 2;
  d[2] = 1;
  auto a = prescribed_spectrum(d, 2);
  spectral::EigsOptions o;
  o.k = 10;
  auto r = spectral::lanczos_top(*a, o, false);
  EXPECT_EQ(r.converged, 10);
  EXPECT_NEAR(r.values[0], 4, 1e-12);
  EXPECT_NEAR(r.values[1], 2, 1e-12);
  EXPECT_NEAR(r.values[2], 1, 1e-12);
  for (size_t i = 3; i < 10; ++i) EXPECT_NEAR(r.values[i], 0.0, 1e-12) << i;
  for (double res : r.residuals) EXPECT_LE(res, 1e-10 * 4);
}

TEST(Lanczos, ConvergenceIsCheckedBeforeTheBasisIsFull) {
  // Well separated top eigenvalues converge in a few dozen vectors; a basis of 300 must not be
  // filled first (residuals are estimated after every block from the next Krylov block).
  std::vector<double> d(1500);
  for (size_t i = 0; i < d.size(); ++i) d[i] = std::pow(0.7, double(i));
  auto a = prescribed_spectrum(d, 6);
  spectral::EigsOptions o;
  o.k = 3;
  o.block = 1;
  o.max_basis = 300;
  auto r = spectral::lanczos_top(*a, o, false);
  ASSERT_EQ(r.converged, 3);
  EXPECT_EQ(r.restarts, 0);
  EXPECT_LT(r.vector_applies, 100);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(r.values[i], d[i], 1e-12);
}

TEST(Lanczos, WarmStartFromNearbyEigenvectorsConvergesAtOnce) {
  std::vector<double> d(1500);
  for (size_t i = 0; i < d.size(); ++i) d[i] = 1.0 / (1.0 + 0.01 * double(i));  // clustered: slow cold
  auto a = prescribed_spectrum(d, 8);
  spectral::EigsOptions o;
  o.k = 4;
  o.block = 4;
  auto cold = spectral::lanczos_top(*a, o, true);
  ASSERT_EQ(cold.converged, 4);
  // The converged vectors as the start of a second solve: the first block is already invariant.
  spectral::EigsOptions w = o;
  w.start = cold.vectors.data();
  w.start_cols = 4;
  w.seed = 99;
  auto warm = spectral::lanczos_top(*a, w, false);
  ASSERT_EQ(warm.converged, 4);
  EXPECT_LE(warm.vector_applies, 4 * 4);
  EXPECT_GT(cold.vector_applies, 3 * warm.vector_applies);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(warm.values[i], d[i], 1e-12);
  // Bad start requests are refused.
  w.start_cols = 2000;
  EXPECT_THROW(spectral::lanczos_top(*a, w, false), std::exception);
  w.start = nullptr;
  w.start_cols = 2;
  EXPECT_THROW(spectral::lanczos_top(*a, w, false), std::exception);
}

TEST(Lanczos, TinyOperatorIsSolvedExactly) {
  auto a = prescribed_spectrum({3, 1, 2}, 3);
  spectral::EigsOptions o;
  o.k = 3;
  auto r = spectral::lanczos_top(*a, o, false);
  EXPECT_EQ(r.converged, 3);
  EXPECT_NEAR(r.values[0], 3, 1e-13);
  EXPECT_NEAR(r.values[1], 2, 1e-13);
  EXPECT_NEAR(r.values[2], 1, 1e-13);
}

TEST(Lanczos, NonConvergenceIsReportedNotHidden) {
  // A clustered spectrum, a tiny basis and no restarts: the top 5 cannot all converge.
  std::vector<double> d(2000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = 1.0 / (1.0 + 0.001 * double(i));
  auto a = prescribed_spectrum(d, 4);
  spectral::EigsOptions o;
  o.k = 5;
  o.block = 2;
  o.max_basis = 9;
  o.max_restarts = 1;
  o.tol = 1e-12;
  auto r = spectral::lanczos_top(*a, o, false);
  EXPECT_LT(r.converged, 5);
  Index really = 0;
  for (double res : r.residuals) really += res <= 1e-12 * r.values[0] ? 1 : 0;
  EXPECT_EQ(r.converged, really);  // the count is exactly what the residuals say
  EXPECT_EQ(r.restarts, 1);
}

TEST(Lanczos, BadRequestsAreRefused) {
  auto a = prescribed_spectrum({1, 2, 3, 4}, 5);
  spectral::EigsOptions o;
  o.k = 5;
  try {
    spectral::lanczos_top(*a, o, false);
    FAIL() << "k > n accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), NTK4J_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("dimension 4"), std::string::npos) << e.what();
  }
  o.k = 0;
  EXPECT_THROW(spectral::lanczos_top(*a, o, false), Error);
  o.k = 2;
  o.tol = -1;
  EXPECT_THROW(spectral::lanczos_top(*a, o, false), Error);
  o.tol = std::nan("");
  EXPECT_THROW(spectral::lanczos_top(*a, o, false), Error);
}

class NanOperator final : public linalg::LinearOperator {
 public:
  Index rows() const override { return 50; }
  Index cols() const override { return 50; }
  void apply(const double* x, Index k, double* y) const override {
    for (Index i = 0; i < k * 50; ++i) y[i] = x[i];
    y[k * 50 - 1] = std::nan("");
  }
  void apply_adjoint(const double* x, Index k, double* y) const override { apply(x, k, y); }
  bool symmetric() const override { return true; }
  std::string name() const override { return "nan"; }
};

TEST(Lanczos, NanFromTheOperatorIsANumericalError) {
  NanOperator a;
  spectral::EigsOptions o;
  o.k = 2;
  try {
    spectral::lanczos_top(a, o, false);
    FAIL() << "NaN accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), NTK4J_ERR_NUMERICAL);
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}

// Top eigenvalues of NTK_S, K and P P* of random models of every cell agree with dense LAPACK.
class SessionSpectra : public ::testing::TestWithParam<Case> {};

TEST_P(SessionSpectra, LanczosMatchesDenseEigenvalues) {
  const Case c = GetParam();
  auto params = random_params(c, 17);
  auto state = std::make_shared<SessionState>();
  state->model = build(c, params);
  const auto x = random_vector(c.B * c.T * c.N, 18);
  state->trajectory = unroll(*state->model, x.data(), c.B, c.T, nullptr);
  for (auto op : {session_operator(state, NTK4J_OP_NTK), session_operator(state, NTK4J_OP_K),
                  linalg::gram(session_operator(state, NTK4J_OP_P))}) {
    std::vector<double> exact;
    linalg::dense_symmetric_eigen(op->rows(), linalg::to_dense(*op), exact, nullptr);
    spectral::EigsOptions o;
    o.k = 5;
    auto r = spectral::lanczos_top(*op, o, false);
    EXPECT_EQ(r.converged, 5) << op->name();
    for (size_t i = 0; i < 5; ++i)
      EXPECT_NEAR(r.values[i], exact[i], 1e-9 * exact[0]) << op->name() << " eigenvalue " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, SessionSpectra, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ntk4j::testing
