// Randomized SVD against dense singular values, the operator algebra's fused products against
// probe-by-probe applies, and the Gram solver's small side (spectral/gram_solver.cpp).
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

TEST(RandomizedSvd, MatchesDenseSingularValuesOfP) {
  Case c{NTK4J_CELL_GRU, true, 1.0, 4, 2, 3, 6, "gru"};
  auto state = random_session(c, 3, 4);
  for (auto code : {NTK4J_OP_P, NTK4J_OP_PINV, NTK4J_OP_JTHETA}) {
    auto op = session_operator(state, code);
    const auto dense = linalg::to_dense(*op);
    Eigen::Map<const Mat> m(dense.data(), op->rows(), op->cols());
    const Eigen::MatrixXd md = m;
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(md);
    spectral::SvdOptions o;
    o.k = 5;
    auto r = spectral::randomized_svd(*op, o, true);
    EXPECT_EQ(r.converged, 5) << op->name();
    for (Index i = 0; i < 5; ++i)
      EXPECT_NEAR(r.values[size_t(i)], svd.singularValues()(i), 1e-9 * svd.singularValues()(0)) << op->name() << i;
  }
}

TEST(RandomizedSvd, BadRequests) {
  auto a = linalg::dense(3, 2, std::vector<double>{1, 2, 3, 4, 5, 6}.data(), "a");
  spectral::SvdOptions o;
  o.k = 3;
  EXPECT_THROW(spectral::randomized_svd(*a, o, false), Error);
  o.k = 2;
  o.tol = 0;
  EXPECT_THROW(spectral::randomized_svd(*a, o, false), Error);
  o.tol = 1e-10;
  auto r = spectral::randomized_svd(*a, o, false);
  EXPECT_EQ(r.converged, 2);
  EXPECT_NEAR(r.values[0], 9.525518091565107, 1e-12);
  EXPECT_NEAR(r.values[1], 0.514300580658644, 1e-12);
}

}  // namespace
}  // namespace ntk4j::testing

namespace ntk4j::testing {
namespace {

TEST(OperatorAlgebra, SessionStateJacobianAndItsNormalAreFused) {
  // P composed with J_theta of the same session becomes the fused J_h, whose normal operator (asked
  // for directly, or written as J_h* J_h) is the fused Gauss-Newton matrix; anything else stays
  // the generic composition.
  const Case c = cases()[0];
  auto model = build(c, random_params(c, 3));
  const auto x = random_vector(c.B * c.T * c.N, 4);
  auto make_state = [&] {
    auto state = std::make_shared<SessionState>();
    state->model = std::shared_ptr<const Model>(model.get(), [](const Model*) {});
    state->trajectory = unroll(*model, x.data(), c.B, c.T, nullptr);
    return state;
  };
  auto state = make_state(), other = make_state();
  auto j = linalg::compose(session_operator(state, NTK4J_OP_P), session_operator(state, NTK4J_OP_JTHETA));
  EXPECT_EQ(j->name().rfind("P J_theta(", 0), 0u) << j->name();
  EXPECT_EQ(linalg::normal(j)->name().rfind("J_theta^T P* P J_theta(", 0), 0u);
  EXPECT_EQ(linalg::compose(linalg::adjoint(j), j)->name(), linalg::normal(j)->name());
  EXPECT_TRUE(linalg::normal(j)->symmetric());
  auto mixed = linalg::compose(session_operator(state, NTK4J_OP_P), session_operator(other, NTK4J_OP_JTHETA));
  EXPECT_EQ(mixed->name().find("J_theta^T"), std::string::npos);
  EXPECT_NE(mixed->name().rfind("P J_theta(", 0), 0u) << "two sessions must not fuse";
  // The fused J_h and its normal match the dense products of the separate operators.
  auto as_mat = [](const linalg::LinearOperator& op) {
    return Mat(Eigen::Map<Mat>(linalg::to_dense(op).data(), op.rows(), op.cols()));
  };
  const Mat P = as_mat(*session_operator(state, NTK4J_OP_P));
  const Mat Jt = as_mat(*session_operator(state, NTK4J_OP_JTHETA));
  const Mat Jh = as_mat(*j);
  EXPECT_LT(max_rel(Jh, Mat(P * Jt)), 1e-13);
  EXPECT_LT(max_rel(as_mat(*linalg::adjoint(j)), Mat(Jh.transpose())), 1e-13);
  EXPECT_LT(max_rel(as_mat(*linalg::normal(j)), Mat(Jh.transpose() * Jh)), 1e-13);
}

TEST(OperatorAlgebra, LargeProbeBlocksEqualProbeByProbeApplies) {
  // Session operators take blocks of more than 16 probes in chunks; 37 probes at once must give
  // what 37 single applies give, forward and adjoint.
  const Case c = cases()[2];
  auto state = random_session(c, 3, 4);
  const Index k = 37;
  for (auto code : {NTK4J_OP_P, NTK4J_OP_JTHETA, NTK4J_OP_K, NTK4J_OP_NTK}) {
    auto op = session_operator(state, code);
    for (bool adjoint : {false, true}) {
      const Index in = adjoint ? op->rows() : op->cols(), out = adjoint ? op->cols() : op->rows();
      const auto q = random_vector(k * in, 11);
      std::vector<double> block(size_t(k * out)), single(block.size());
      if (adjoint)
        op->apply_adjoint(q.data(), k, block.data());
      else
        op->apply(q.data(), k, block.data());
      for (Index j = 0; j < k; ++j) {
        if (adjoint)
          op->apply_adjoint(q.data() + j * in, 1, single.data() + j * out);
        else
          op->apply(q.data() + j * in, 1, single.data() + j * out);
      }
      double scale = 0, diff = 0;
      for (size_t i = 0; i < block.size(); ++i) {
        scale = std::max(scale, std::abs(single[i]));
        diff = std::max(diff, std::abs(block[i] - single[i]));
      }
      EXPECT_LE(diff, 1e-14 * scale) << op->name() << (adjoint ? " adjoint" : "");
      EXPECT_GT(scale, 0) << op->name();
    }
  }
}

TEST(OperatorAlgebra, KroneckerOperatorIsTheDenseKroneckerProduct) {
  // I_left (x) A (x) I_right against Eigen's explicit product, both directions, for the three shapes
  // the output NTK uses (right = 1, left = 1) and the general one.
  for (auto [left, right] : {std::pair<Index, Index>{4, 1}, {1, 3}, {2, 3}, {1, 1}}) {
    const Index r = 2, c = 5;
    const std::vector<double> a = random_vector(r * c, 91);
    auto op = linalg::kronecker(left, r, c, a.data(), right, "kron");
    Eigen::Map<const Mat> am(a.data(), r, c);
    const Mat il = Mat::Identity(left, left), ir = Mat::Identity(right, right);
    Mat want(left * r * right, left * c * right);
    for (Index i = 0; i < left; ++i)
      for (Index p = 0; p < r; ++p)
        for (Index q = 0; q < c; ++q)
          for (Index j = 0; j < right; ++j)
            for (Index i2 = 0; i2 < left; ++i2)
              for (Index j2 = 0; j2 < right; ++j2)
                want((i * r + p) * right + j, (i2 * c + q) * right + j2) = il(i, i2) * am(p, q) * ir(j, j2);
    const auto d = linalg::to_dense(*op);
    const auto dt = linalg::to_dense(*linalg::adjoint(op));
    Eigen::Map<const Mat> got(d.data(), op->rows(), op->cols()), gotT(dt.data(), op->cols(), op->rows());
    EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-15) << left << " " << right;
    EXPECT_LT((gotT - want.transpose()).cwiseAbs().maxCoeff(), 1e-15) << left << " " << right;
  }
  // R A R* with a symmetric A (a Gram, declared so) is declared symmetric and equals the dense product.
  const std::vector<double> ra = random_vector(3 * 4, 92), ba = random_vector(4 * 4, 93);
  auto r = linalg::dense(3, 4, ra.data(), "R");
  auto sym = linalg::gram(linalg::dense(4, 4, ba.data(), "B"));
  auto cong = linalg::congruence(r, sym);
  EXPECT_TRUE(cong->symmetric());
  EXPECT_FALSE(linalg::congruence(r, linalg::dense(4, 4, ba.data(), "B"))->symmetric());
  const auto cd = linalg::to_dense(*cong);
  const Mat rm = Eigen::Map<const Mat>(ra.data(), 3, 4), bm = Eigen::Map<const Mat>(ba.data(), 4, 4);
  EXPECT_LT((Eigen::Map<const Mat>(cd.data(), 3, 3) - rm * bm * bm.transpose() * rm.transpose()).cwiseAbs().maxCoeff(),
            1e-13);
  EXPECT_THROW(linalg::congruence(sym, r), Error);
  const double bad[2] = {1.0, std::nan("")};
  EXPECT_THROW(linalg::kronecker(1, 1, 2, bad, 1, "bad"), Error);
  EXPECT_THROW(linalg::kronecker(0, 1, 1, bad, 1, "bad"), Error);
}

TEST(GramTop, SmallSideGivesTheEigenpairsOfTheGram) {
  Case c{NTK4J_CELL_RNN_ELMAN, true, 1.0, 3, 2, 4, 6, "elman"};  // n = 72 states, 21 params
  auto state = random_session(c, 8, 9);
  auto j = linalg::compose(session_operator(state, NTK4J_OP_P), session_operator(state, NTK4J_OP_JTHETA));
  auto ntk = session_operator(state, NTK4J_OP_NTK);
  std::vector<double> exact;
  linalg::dense_symmetric_eigen(ntk->rows(), linalg::to_dense(*ntk), exact, nullptr);
  spectral::EigsOptions o;
  o.k = 6;
  auto r = spectral::gram_top(j, o, true);
  ASSERT_EQ(r.converged, 6);
  const Index n = ntk->rows();
  std::vector<double> au(size_t(6 * n));
  ntk->apply(r.vectors.data(), 6, au.data());
  for (Index i = 0; i < 6; ++i) {
    EXPECT_NEAR(r.values[size_t(i)], exact[size_t(i)], 1e-10 * exact[0]);
    double res = 0;
    for (Index t = 0; t < n; ++t)
      res += std::pow(au[size_t(i * n + t)] - r.values[size_t(i)] * r.vectors[size_t(i * n + t)], 2);
    EXPECT_LE(std::sqrt(res), 1e-10 * exact[0]);  // eigenvectors of NTK_S itself
  }
  // The reported residuals are the true ones of NTK_S (A r_i / ||A v_i||), also far from
  // convergence: one short cycle leaves residuals large enough to compare.
  spectral::EigsOptions rough = o;
  rough.tol = 1e-300;
  rough.max_basis = 9;
  rough.max_restarts = 0;
  rough.block = 3;
  auto early = spectral::gram_top(j, rough, true);
  ntk->apply(early.vectors.data(), 6, au.data());
  for (Index i = 0; i < 6; ++i) {
    double res = 0;
    for (Index t = 0; t < n; ++t)
      res += std::pow(au[size_t(i * n + t)] - early.values[size_t(i)] * early.vectors[size_t(i * n + t)], 2);
    EXPECT_GT(std::sqrt(res), 1e-6 * exact[0]);
    EXPECT_NEAR(early.residuals[size_t(i)], std::sqrt(res), 1e-8 * std::sqrt(res));
  }
  EXPECT_EQ(early.converged, 0);
  // Asking for more than the parameter count falls back to the state-space side (zeros included).
  o.k = 25;
  auto all = spectral::gram_top(j, o, false);
  EXPECT_EQ(all.converged, 25);
  for (Index i = 21; i < 25; ++i) EXPECT_NEAR(all.values[size_t(i)], 0.0, 1e-10 * exact[0]);
}

}  // namespace
}  // namespace ntk4j::testing
