// Traces, effective ranks and partial effective dimensions against known answers.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cmath>

#include "operators/session_operator.hpp"
#include "spectral/trace.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

TEST(Traces, ExactEffectiveRankOfAKnownSpectrum) {
  std::vector<double> d(100, 0.0);
  for (size_t i = 0; i < 10; ++i) d[i] = 1.0 + double(i);  // 1..10, rest 0
  auto a = prescribed_spectrum(d, 1);
  auto e = spectral::exact_traces(*a);
  EXPECT_NEAR(e.trace, 55.0, 1e-11);
  EXPECT_NEAR(e.trace_of_square, 385.0, 1e-10);
  EXPECT_NEAR(e.effective_rank, 55.0 * 55.0 / 385.0, 1e-11);
}

TEST(Traces, HutchppIsAccurateOnADecayingSpectrumAndReportsItsError) {
  std::vector<double> d(400);
  for (size_t i = 0; i < d.size(); ++i) d[i] = std::pow(0.9, double(i));
  double tr = 0, tr2 = 0;
  for (double v : d) {
    tr += v;
    tr2 += v * v;
  }
  auto a = prescribed_spectrum(d, 2);
  auto r = spectral::hutchpp(*a, 120, 3);
  EXPECT_NEAR(r.trace.value, tr, 0.02 * tr);
  EXPECT_NEAR(r.trace_of_square.value, tr2, 0.02 * tr2);
  EXPECT_NEAR(r.effective_rank.value, tr * tr / tr2, 0.03 * tr * tr / tr2);
  EXPECT_GT(r.trace.std_error, 0.0);
  EXPECT_LT(r.trace.std_error, 0.05 * tr);
  EXPECT_EQ(r.trace.applies, 120);
  EXPECT_THROW(spectral::hutchpp(*a, 2, 3), Error);
}

TEST(Traces, HutchppIsExactForLowRank) {
  std::vector<double> d(300, 0.0);
  d[0] = 5;
  d[1] = 2;
  d[2] = 1;
  auto a = prescribed_spectrum(d, 4);
  auto r = spectral::hutchpp(*a, 30, 5);  // the 10-column sketch captures the whole range
  EXPECT_NEAR(r.trace.value, 8.0, 1e-10);
  EXPECT_NEAR(r.trace_of_square.value, 30.0, 1e-10);
}

// kpflow's reduction is computed exactly by the "estimate" as well: it must equal the dense one
// for NTK_S of the session.
void expect_kpflow_estimate_is_exact(const std::shared_ptr<SessionState>& state, const Case& c) {
  auto ntk = session_operator(state, NTK4J_OP_NTK);
  auto exact = spectral::partial_effective_dims_exact(*ntk, c.B, c.T, c.H, spectral::Reduction::KpflowBroadcast);
  auto est =
      spectral::partial_effective_dims_estimate(*ntk, c.B, c.T, c.H, spectral::Reduction::KpflowBroadcast, 1, 0, 3);
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(est[i].value, exact[i], 1e-10 * exact[i]) << "axis " << i;
}

// K of rnn_leaky is dt^2 (Gamma kron I_H): keeping the hidden axis gives exactly H for both
// reductions, and the effective rank of K is H * PR(Gamma) (DESIGN.md).
TEST(PartialDims, LeakyKHasHiddenDimensionH) {
  Case c{NTK4J_CELL_RNN_LEAKY, false, 0.5, 4, 2, 3, 5, "leaky"};
  auto state = random_session(c, 1, 2);
  auto k = session_operator(state, NTK4J_OP_K);
  for (auto red : {spectral::Reduction::TruePartialTrace, spectral::Reduction::KpflowBroadcast}) {
    auto exact = spectral::partial_effective_dims_exact(*k, c.B, c.T, c.H, red);
    EXPECT_NEAR(exact[2], double(c.H), 1e-12);
    auto est = spectral::partial_effective_dims_estimate(*k, c.B, c.T, c.H, red, 8, 0, 3);
    EXPECT_NEAR(est[2].value, double(c.H), 1e-12);
  }
  expect_kpflow_estimate_is_exact(state, c);
}

TEST(PartialDims, AxesLongerThanOneProbeChunkAreReducedExactly) {
  // T = 21 and H = 18 exceed the 16 probe columns the estimator applies at a time; kpflow's
  // reduction is still computed exactly, so it must equal the dense one.
  Case c{NTK4J_CELL_RNN_LEAKY, false, 0.5, 18, 2, 2, 21, "leaky"};
  expect_kpflow_estimate_is_exact(random_session(c, 4, 5), c);
}

TEST(PartialDims, KpflowReductionWithinAMemoryBudgetIsStillExact) {
  // A budget too small for A^T E whole: two applies per column, the same numbers.
  Case c{NTK4J_CELL_GRU, true, 1.0, 5, 2, 3, 18, "gru"};
  auto ntk = session_operator(random_session(c, 3, 4), NTK4J_OP_NTK);
  auto exact = spectral::partial_effective_dims_exact(*ntk, c.B, c.T, c.H, spectral::Reduction::KpflowBroadcast);
  auto small = spectral::partial_effective_dims_kpflow(*ntk, c.B, c.T, c.H, 1.0);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(small[i].value, exact[i], 1e-10 * exact[i]) << "axis " << i;
    EXPECT_EQ(small[i].applies, 2 * (i == 0 ? c.B : i == 1 ? c.T : c.H));
  }
}

TEST(PartialDims, TruePartialTraceEstimateConvergesToExact) {
  Case c{NTK4J_CELL_GRU, true, 1.0, 3, 2, 3, 4, "gru"};
  auto state = random_session(c, 5, 6);
  auto ntk = session_operator(state, NTK4J_OP_NTK);
  auto exact = spectral::partial_effective_dims_exact(*ntk, c.B, c.T, c.H, spectral::Reduction::TruePartialTrace);
  // Plain random-sign estimator (no deflation): unbiased, slowly convergent.
  auto est =
      spectral::partial_effective_dims_estimate(*ntk, c.B, c.T, c.H, spectral::Reduction::TruePartialTrace, 400, 0, 7);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(est[i].value, exact[i], 0.05 * exact[i]) << "axis " << i;
    EXPECT_NEAR(est[i].value, exact[i], 5 * est[i].std_error + 1e-12) << "axis " << i;
  }
  // Deflated by a rank-4 range sketch (n = 36): much closer with far fewer samples.
  auto defl =
      spectral::partial_effective_dims_estimate(*ntk, c.B, c.T, c.H, spectral::Reduction::TruePartialTrace, 16, 4, 7);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(defl[i].value, exact[i], 0.02 * exact[i]) << "axis " << i;
    EXPECT_GT(defl[i].applies, 16);
  }
}

}  // namespace
}  // namespace ntk4j::testing
