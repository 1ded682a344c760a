// The attention block's operators (blocks/attention_mlp.hpp) on tiny random blocks: the dense
// identities of a feed-forward propagator and a finite-difference check of P J_theta against the
// forward pass itself (PyTorch's own numbers are checked from Java, tests/golden/blocks).
#include <gtest/gtest.h>

#include <random>

#include "blocks/attention_mlp.hpp"
#include "operators/session_operator.hpp"
#include "test_support.hpp"

namespace ntk4j {
namespace {

using testing::Mat;

struct BlockCase {
  blocks::AttentionMlpConfig cfg;
  Index B, T;
  const char* name;
};

std::vector<BlockCase> block_cases() {
  blocks::AttentionMlpConfig a{3, 4, 2, 5, 3, 2, 6, true, false};
  blocks::AttentionMlpConfig b{2, 4, 1, 0, 1, 1, 0, false, true};
  blocks::AttentionMlpConfig c{2, 6, 3, 4, 2, 1, 4, true, true};
  return {{a, 2, 4, "positional_3_layers"}, {b, 2, 3, "causal_1_layer"}, {c, 3, 4, "causal_positional_3_heads"}};
}

std::vector<double> gaussian(Index n, unsigned seed, double scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, scale);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = g(rng);
  return v;
}

struct Built {
  std::shared_ptr<const blocks::AttentionMlp> block;
  std::vector<double> x;
  std::shared_ptr<SessionState> state;
};

Built build(const BlockCase& c, const std::vector<double>* theta = nullptr) {
  Built out;
  auto probe = blocks::attention_mlp_layout(c.cfg);
  std::vector<double> p = theta ? *theta : gaussian(probe->num_params, 7, 0.5);
  out.block = blocks::make_attention_mlp(c.cfg, p.data(), static_cast<Index>(p.size()));
  out.x = gaussian(c.B * c.T * c.cfg.d_input, 11, 1.0);
  out.state = block_session(block_model(out.block), out.x.data(), c.B, c.T);
  return out;
}

Mat dense(const Built& b, std::int32_t op) {
  auto a = session_operator(b.state, op);
  auto d = linalg::to_dense(*a);
  return Eigen::Map<Mat>(d.data(), a->rows(), a->cols());
}

TEST(AttentionMlp, DenseIdentitiesOfTheFeedForwardPropagator) {
  for (const auto& c : block_cases()) {
    SCOPED_TRACE(c.name);
    Built b = build(c);
    const Mat p = dense(b, NTK4J_OP_P), pt = dense(b, NTK4J_OP_PT), pinv = dense(b, NTK4J_OP_PINV),
              pinvt = dense(b, NTK4J_OP_PINVT), k = dense(b, NTK4J_OP_K), ntk = dense(b, NTK4J_OP_NTK),
              j = dense(b, NTK4J_OP_JTHETA), jt = dense(b, NTK4J_OP_JTHETA_T);
    const Index n = p.rows();
    EXPECT_LT((p * pinv - Mat::Identity(n, n)).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LT((pt - p.transpose()).cwiseAbs().maxCoeff(), 1e-13 * p.cwiseAbs().maxCoeff());
    EXPECT_LT((pinvt - pinv.transpose()).cwiseAbs().maxCoeff(), 1e-14);
    EXPECT_LT((jt - j.transpose()).cwiseAbs().maxCoeff(), 1e-14 * j.cwiseAbs().maxCoeff());
    EXPECT_LT((k - j * j.transpose()).cwiseAbs().maxCoeff(), 1e-13 * k.cwiseAbs().maxCoeff());
    EXPECT_LT((ntk - p * k * p.transpose()).cwiseAbs().maxCoeff(), 1e-12 * ntk.cwiseAbs().maxCoeff());
    // I - P^-1 = L is strictly lower triangular in block order: each token's blocks read only
    // earlier blocks (of any token of the same trial).
    const Index S = b.block->S;
    std::vector<Index> block_of(static_cast<size_t>(S));
    std::vector<Index> starts = {b.block->h0, b.block->q, b.block->k, b.block->v, b.block->a, b.block->o};
    for (Index m : b.block->m) starts.push_back(m);
    starts.push_back(b.block->y);
    for (Index i = 0; i < S; ++i)
      for (size_t s = 0; s < starts.size(); ++s)
        if (i >= starts[s]) block_of[static_cast<size_t>(i)] = static_cast<Index>(s);
    const Mat lower = Mat::Identity(n, n) - pinv;
    for (Index r = 0; r < n; ++r)
      for (Index q = 0; q < n; ++q) {
        if (block_of[static_cast<size_t>(r % S)] <= block_of[static_cast<size_t>(q % S)]) {
          ASSERT_EQ(lower(r, q), 0.0) << r << "," << q;
        }
      }
  }
}

TEST(AttentionMlp, PropagatedParameterJacobianIsTheForwardPassDerivative) {
  for (const auto& c : block_cases()) {
    SCOPED_TRACE(c.name);
    Built b = build(c);
    const Index np = b.block->num_params, n = b.state->block->state_size();
    const auto v = gaussian(np, 13, 1.0);
    std::vector<double> jv(static_cast<size_t>(n)), pjv(static_cast<size_t>(n));
    session_operator(b.state, NTK4J_OP_JTHETA)->apply(v.data(), 1, jv.data());
    session_operator(b.state, NTK4J_OP_P)->apply(jv.data(), 1, pjv.data());
    const double eps = 1e-5;
    std::vector<double> plus = b.block->theta, minus = b.block->theta;
    for (Index i = 0; i < np; ++i) plus[i] += eps * v[i], minus[i] -= eps * v[i];
    Built bp = build(c, &plus), bm = build(c, &minus);
    double worst = 0, scale = 0;
    for (Index i = 0; i < n; ++i) {
      const double fd = (bp.state->block->state[i] - bm.state->block->state[i]) / (2 * eps);
      worst = std::max(worst, std::abs(fd - pjv[i]));
      scale = std::max(scale, std::abs(fd));
    }
    EXPECT_LT(worst / scale, 1e-7);
  }
}

TEST(AttentionMlp, BadConfigurationsAreRefusedWithTheirReason) {
  blocks::AttentionMlpConfig c{3, 6, 4, 5, 2, 1, 4, true, false};
  try {
    blocks::make_attention_mlp(c, nullptr, 0);
    FAIL() << "accepted d_model 6 with 4 heads";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("d_model = 6 is not divisible by heads = 4"), std::string::npos);
  }
  c.heads = 2;
  Built b = build({c, 1, 4, "ok"});
  EXPECT_THROW(blocks::run_attention_mlp(b.block, b.x.data(), 1, 5), Error);  // T = 5 > max_seq_len = 4
  std::vector<double> bad = b.block->theta;
  bad[3] = std::nan("");
  try {
    blocks::make_attention_mlp(c, bad.data(), static_cast<Index>(bad.size()));
    FAIL() << "accepted a NaN";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pos_embedding has a non-finite value at flat index 3"), std::string::npos);
  }
}

}  // namespace
}  // namespace ntk4j
