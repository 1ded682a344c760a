// The default eigensolver (block 0): single-vector Lanczos with a deflated completeness check,
// growing the block only when the check finds a missed eigenvalue. It must find every copy of a
// repeated eigenvalue and still cost about as few applies as single-vector Lanczos.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <algorithm>
#include <cmath>

#include "linalg/dense.hpp"
#include "operators/session_operator.hpp"
#include "spectral/lanczos.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

std::vector<double> spectrum_with_head(Index n, const std::vector<double>& head, unsigned seed) {
  std::vector<double> d(static_cast<size_t>(n));
  std::copy(head.begin(), head.end(), d.begin());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 0.5 * head.back());
  for (size_t i = head.size(); i < d.size(); ++i) d[i] = u(rng);  // a bulk below the head
  return d;
}

spectral::EigsResult solve(const linalg::LinearOperator& a, Index k, Index block) {
  spectral::EigsOptions o;
  o.k = k;
  o.block = block;
  return spectral::lanczos_top(a, o, false);
}

void expect_top(const spectral::EigsResult& r, std::vector<double> d, Index k, const char* what) {
  std::sort(d.begin(), d.end(), std::greater<>());
  ASSERT_EQ(r.converged, k) << what;
  for (Index i = 0; i < k; ++i) EXPECT_NEAR(r.values[size_t(i)], d[size_t(i)], 1e-9 * d[0]) << what << " " << i;
}

TEST(SafeDefault, FindsEveryCopyOfRepeatedEigenvalues) {
  const auto d = spectrum_with_head(400, {8, 8, 8, 8, 8, 6, 6, 4, 3.5}, 1);
  auto a = prescribed_spectrum(d, 2);
  expect_top(solve(*a, 8, 0), d, 8, "default");
}

TEST(SafeDefault, FindsTightClustersAndEigenvaluesEqualToTheKth) {
  const auto d = spectrum_with_head(300, {10, 10 * (1 - 1e-7), 10 * (1 - 2e-7), 9, 7, 7, 7}, 3);
  auto a = prescribed_spectrum(d, 4);
  expect_top(solve(*a, 5, 0), d, 5, "k = 5 (lambda_5 = 7 repeated beyond k)");
  expect_top(solve(*a, 7, 0), d, 7, "k = 7");
}

TEST(SafeDefault, KroneckerCoreOfLeakyKHasEveryEigenvalueHTimes) {
  // K of a bias-free rnn_leaky is dt^2 (Gamma kron I_H): each eigenvalue H times.
  Case c{NTK4J_CELL_RNN_LEAKY, false, 0.5, 6, 2, 3, 5, "leaky"};
  auto k_op = session_operator(random_session(c, 7, 8), NTK4J_OP_K);
  const Index n = k_op->rows();
  std::vector<double> values;
  linalg::dense_symmetric_eigen(n, linalg::to_dense(*k_op), values, nullptr);
  const auto r = solve(*k_op, 8, 0);
  ASSERT_EQ(r.converged, 8);
  for (Index i = 0; i < 8; ++i) EXPECT_NEAR(r.values[size_t(i)], values[size_t(i)], 1e-9 * values[0]) << i;
  EXPECT_NEAR(r.values[5], r.values[0], 1e-9 * values[0]);  // the first six are one eigenvalue
}

TEST(SafeDefault, EveryEigenvalueTwice) {
  // diag(B, B): every eigenvalue exactly twice.
  const Index m = 400;
  const auto d = spectrum_with_head(m, {9, 8, 7, 6, 5}, 6);
  auto b = linalg::to_dense(*prescribed_spectrum(d, 7));
  std::vector<double> full(static_cast<size_t>(4 * m * m), 0.0);
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < m; ++j) {
      full[static_cast<size_t>(i * 2 * m + j)] = b[static_cast<size_t>(i * m + j)];
      full[static_cast<size_t>((m + i) * 2 * m + m + j)] = b[static_cast<size_t>(i * m + j)];
    }
  auto a = linalg::dense(2 * m, 2 * m, full.data(), "diag(B, B)");
  std::vector<double> doubled = d;
  doubled.insert(doubled.end(), d.begin(), d.end());
  expect_top(solve(*a, 6, 0), doubled, 6, "default");  // 9, 9, 8, 8, 7, 7
}

TEST(SafeDefault, SimpleSpectrumCostsAboutAsLittleAsSingleVectorLanczos) {
  // Distinct, decaying eigenvalues: nothing to miss, so only the check is extra.
  std::vector<double> d(2000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = std::pow(0.97, double(i));
  auto a = prescribed_spectrum(d, 5);
  const auto def = solve(*a, 10, 0), single = solve(*a, 10, 1), block = solve(*a, 10, 10);
  expect_top(def, d, 10, "default");
  EXPECT_LE(double(def.vector_applies), 1.6 * double(single.vector_applies))
      << def.vector_applies << " vs " << single.vector_applies;
  EXPECT_LT(def.vector_applies, block.vector_applies);
}

// The check itself: a top-k "result" that lacks one copy of a repeated eigenvalue (what a Krylov
// space from one start vector holds in exact arithmetic) is found out; the complete one passes.
TEST(SafeDefault, CompletenessCheckFindsAMissingCopy) {
  const Index n = 300;
  const auto d = spectrum_with_head(n, {9, 9, 8, 7, 6}, 8);  // sorted head, bulk below 3
  const auto g = random_vector(n * n, 9);
  Eigen::MatrixXd q =
      Eigen::HouseholderQR<Eigen::MatrixXd>(Eigen::Map<const Eigen::MatrixXd>(g.data(), n, n)).householderQ();
  Eigen::VectorXd dv = Eigen::Map<const Eigen::VectorXd>(d.data(), n);
  Mat dense_a = q * dv.asDiagonal() * q.transpose();
  auto a = linalg::dense(n, n, dense_a.data(), "prescribed");
  auto result = [&](std::vector<Index> cols) {  // eigenpairs i of Q diag(d) Q^T, in that order
    spectral::EigsResult r;
    for (Index c : cols) {
      r.values.push_back(d[size_t(c)]);
      for (Index j = 0; j < n; ++j) r.vectors.push_back(q(j, c));
    }
    r.converged = static_cast<Index>(cols.size());
    return r;
  };
  spectral::EigsOptions o;
  o.k = 4;
  EXPECT_FALSE(spectral::completeness_check(*a, result({0, 1, 2, 3}), o).missed);  // 9, 9, 8, 7
  const auto missing = spectral::completeness_check(*a, result({0, 2, 3, 4}), o);  // 9, 8, 7, 6
  EXPECT_TRUE(missing.missed);
  EXPECT_GT(missing.applies, 0);
  o.k = 3;
  EXPECT_TRUE(spectral::completeness_check(*a, result({1, 2, 3}), o).missed);  // 9, 8, 7: a 9 left out
}

}  // namespace
}  // namespace ntk4j::testing
