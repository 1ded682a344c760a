// Effective ranks and true partial effective dimensions from deflated, adaptive sampling
// (spectral/ranks.hpp) against the dense values, and the honesty of their error bars.
#include <gtest/gtest.h>

#include <cmath>

#include "linalg/dense.hpp"
#include "operators/session_operator.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/ranks.hpp"
#include "spectral/trace.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

struct Truth {
  double pr = 0, prk = 0;
  std::array<double, 3> dims{}, kpflow{};
};

// Exact values from the dense matrix: PR(A), kpflow's PR(A^2) and the true partial dimensions.
Truth exact_truth(const linalg::LinearOperator& a, Index B, Index T, Index H) {
  const Index n = a.rows();
  const auto d = linalg::to_dense(a);
  std::vector<double> values;
  linalg::dense_symmetric_eigen(n, d, values, nullptr);
  double s1 = 0, s2 = 0, s4 = 0;
  for (double l : values) {
    s1 += l;
    s2 += l * l;
    s4 += l * l * l * l;
  }
  Truth t;
  t.pr = s1 * s1 / s2;
  t.prk = s2 * s2 / s4;
  t.dims = spectral::partial_effective_dims_exact(a, B, T, H, spectral::Reduction::TruePartialTrace);
  t.kpflow = spectral::partial_effective_dims_exact(a, B, T, H, spectral::Reduction::KpflowBroadcast);
  return t;
}

// The top-k eigenvectors of a symmetric operator ([k, n] row-major), exactly.
std::vector<double> top_vectors(const linalg::LinearOperator& a, Index k) {
  const Index n = a.rows();
  std::vector<double> values, vectors;
  linalg::dense_symmetric_eigen(n, linalg::to_dense(a), values, &vectors);
  vectors.resize(static_cast<size_t>(k * n));
  return vectors;
}

spectral::RankOptions options(const Case& c, double accuracy, std::uint64_t seed) {
  spectral::RankOptions o;
  o.accuracy = accuracy;
  o.seed = seed;
  o.B = c.B;
  o.T = c.T;
  o.H = c.H;
  o.partial_kpflow = true;
  return o;
}

std::vector<std::pair<const char*, double>> estimates(const spectral::RankEstimates& r) {
  return {{"PR(A)", r.effective_rank.value},
          {"PR(A^2)", r.effective_rank_kpflow.value},
          {"batch", r.partial_dims[0].value},
          {"time", r.partial_dims[1].value},
          {"hidden", r.partial_dims[2].value},
          {"kpflow batch", r.partial_dims_kpflow[0].value},
          {"kpflow time", r.partial_dims_kpflow[1].value},
          {"kpflow hidden", r.partial_dims_kpflow[2].value}};
}
std::vector<double> errors(const spectral::RankEstimates& r) {
  return {r.effective_rank.std_error,         r.effective_rank_kpflow.std_error, r.partial_dims[0].std_error,
          r.partial_dims[1].std_error,        r.partial_dims[2].std_error,       r.partial_dims_kpflow[0].std_error,
          r.partial_dims_kpflow[1].std_error, r.partial_dims_kpflow[2].std_error};
}
std::vector<double> truths(const Truth& t) {
  return {t.pr, t.prk, t.dims[0], t.dims[1], t.dims[2], t.kpflow[0], t.kpflow[1], t.kpflow[2]};
}

// Q diag(d) Q^T as a symmetric operator: the Gram of Q diag(sqrt d) Q^T.
linalg::OperatorPtr symmetric_spectrum(std::vector<double> d, unsigned seed) {
  for (double& x : d) x = std::sqrt(x);
  return linalg::gram(prescribed_spectrum(d, seed));
}

TEST(Ranks, ExactWhenTheDeflationSpansTheRange) {
  // Rank 6 of 60: with the 6 eigenvectors as V, every probe lands in A's null space.
  std::vector<double> d(60, 0.0);
  for (size_t i = 0; i < 6; ++i) d[i] = 6.0 - double(i);
  auto a = symmetric_spectrum(d, 3);
  const auto v = top_vectors(*a, 6);
  spectral::RankOptions o;
  o.partial = true;
  o.partial_kpflow = true;
  o.B = 3;
  o.T = 4;
  o.H = 5;
  auto r = spectral::estimate_ranks(*a, v.data(), 6, o);
  const Case c{0, false, 1, 5, 1, 3, 4, "prescribed"};
  const Truth t = exact_truth(*a, c.B, c.T, c.H);
  EXPECT_NEAR(r.effective_rank.value, 21.0 * 21.0 / 91.0, 1e-10);
  EXPECT_NEAR(r.effective_rank_kpflow.value, t.prk, 1e-10 * t.prk);
  for (int ax = 0; ax < 3; ++ax) {
    EXPECT_NEAR(r.partial_dims[ax].value, t.dims[ax], 1e-9 * t.dims[ax]) << ax;
    EXPECT_NEAR(r.partial_dims_kpflow[ax].value, t.kpflow[ax], 1e-9 * t.kpflow[ax]) << ax;
  }
  EXPECT_TRUE(r.accuracy_met);
  EXPECT_EQ(r.deflation, 6);
  EXPECT_EQ(r.samples, o.min_samples);  // nothing left to sample: stops at the minimum
  EXPECT_LT(r.worst_relative_error, 1e-8);
  EXPECT_GE(r.worst_relative_error, 1e-11);  // the round-off floor, never an error bar of 0
}

// At the default accuracy (1 %), estimates are within 2 % of the exact values (about 2 standard
// errors: at least 95 % of them over 2 models x 10 probe seeds x 8 quantities) and each reports
// a standard error of at most 1 %.
TEST(Ranks, DeflatedEstimatesOfNtkAreWithinTwoPercent) {
  int within = 0, total = 0;
  for (const Case& c : {Case{NTK4J_CELL_RNN_LEAKY, false, 0.5, 6, 2, 4, 8, "leaky"},
                        Case{NTK4J_CELL_GRU, true, 1.0, 4, 2, 3, 7, "gru"}}) {
    auto state = random_session(c, 11, 12);
    auto ntk = session_operator(state, NTK4J_OP_NTK);
    const Truth t = exact_truth(*ntk, c.B, c.T, c.H);
    const auto v = top_vectors(*ntk, 6);
    for (unsigned seed = 0; seed < 10; ++seed) {
      auto r = spectral::estimate_ranks(*ntk, v.data(), 6, options(c, 0.01, 5 + seed));
      EXPECT_TRUE(r.accuracy_met) << c.name << " worst " << r.worst_relative_error;
      const auto est = estimates(r);
      const auto se = errors(r);
      const auto want = truths(t);
      for (size_t i = 0; i < est.size(); ++i) {
        ++total;
        if (std::abs(est[i].second - want[i]) <= 0.02 * want[i]) ++within;
        EXPECT_LE(se[i], 0.01 * std::abs(est[i].second)) << c.name << " " << est[i].first;
      }
    }
  }
  EXPECT_GE(within, int(std::ceil(0.95 * total))) << within << " of " << total;
}

// Coverage of the error bars: over 48 seeded runs (models, inputs and probes all reseeded), the
// exact value lies within 3 reported standard errors in at least 95 % of the runs, for every
// quantity; half the runs deflate with the top eigenvectors, half sample everything.
TEST(Ranks, ErrorBarsCoverTheExactValue) {
  const Case c{NTK4J_CELL_RNN_ELMAN, true, 1.0, 5, 2, 3, 6, "elman"};
  const int runs = 48;
  std::vector<int> covered(8, 0);
  for (int s = 0; s < runs; ++s) {
    auto state = random_session(c, 100 + s, 200 + s);
    auto ntk = session_operator(state, NTK4J_OP_NTK);
    const Truth t = exact_truth(*ntk, c.B, c.T, c.H);
    const Index k = s % 2 ? 3 : 0;
    const auto v = top_vectors(*ntk, std::max<Index>(k, 1));
    auto r = spectral::estimate_ranks(*ntk, k ? v.data() : nullptr, k, options(c, 0.02, 300 + s));
    const auto est = estimates(r);
    const auto se = errors(r);
    const auto want = truths(t);
    for (size_t i = 0; i < est.size(); ++i)
      if (std::abs(est[i].second - want[i]) <= 3 * se[i]) ++covered[i];
  }
  const char* names[] = {"PR(A)", "PR(A^2)", "batch", "time", "hidden", "kpflow batch", "kpflow time", "kpflow hidden"};
  for (size_t i = 0; i < covered.size(); ++i)
    EXPECT_GE(covered[i], int(std::ceil(0.95 * runs))) << names[i] << ": " << covered[i] << " of " << runs;
}

TEST(Ranks, TighterAccuracyCostsMoreSamplesAndErrsLess) {
  const Case c{NTK4J_CELL_RNN_LEAKY, false, 0.5, 6, 2, 4, 8, "leaky"};
  auto state = random_session(c, 21, 22);
  auto ntk = session_operator(state, NTK4J_OP_NTK);
  const Truth t = exact_truth(*ntk, c.B, c.T, c.H);
  Index previous = 0;
  double previous_err = 1e300;
  for (double acc : {0.1, 0.01, 0.001}) {
    auto o = options(c, acc, 9);
    o.max_samples = 1 << 20;
    auto r = spectral::estimate_ranks(*ntk, nullptr, 0, o);
    EXPECT_TRUE(r.accuracy_met) << acc;
    EXPECT_LE(r.worst_relative_error, acc) << acc;
    EXPECT_GE(r.samples, previous) << acc;
    double err = std::abs(r.effective_rank.value - t.pr) / t.pr;
    for (int ax = 0; ax < 3; ++ax) err = std::max(err, std::abs(r.partial_dims[ax].value - t.dims[ax]) / t.dims[ax]);
    if (acc < 0.1) {
      EXPECT_LT(err, previous_err) << acc;
    }
    EXPECT_LT(err, 4 * acc) << acc;
    previous = r.samples;
    previous_err = err;
  }
  EXPECT_GT(previous, 64);
}

TEST(Ranks, UnreachableAccuracyIsReportedNotHidden) {
  const Case c{NTK4J_CELL_RNN_LEAKY, false, 0.5, 6, 2, 4, 8, "leaky"};
  auto ntk = session_operator(random_session(c, 21, 22), NTK4J_OP_NTK);
  auto o = options(c, 1e-5, 9);
  o.max_samples = 100;
  auto r = spectral::estimate_ranks(*ntk, nullptr, 0, o);
  EXPECT_FALSE(r.accuracy_met);
  EXPECT_EQ(r.samples, 100);
  EXPECT_GT(r.worst_relative_error, 1e-5);
  EXPECT_GT(r.effective_rank.std_error, 0.0);
}

TEST(Ranks, ZeroOperatorAndBadOptionsAreRefused) {
  auto zero = symmetric_spectrum(std::vector<double>(24, 0.0), 1);
  spectral::RankOptions o;
  o.B = 2;
  o.T = 3;
  o.H = 4;
  EXPECT_THROW(spectral::estimate_ranks(*zero, nullptr, 0, o), Error);
  auto a = symmetric_spectrum(std::vector<double>(24, 1.0), 1);
  auto bad = o;
  bad.accuracy = 0;
  EXPECT_THROW(spectral::estimate_ranks(*a, nullptr, 0, bad), Error);
  bad = o;
  bad.max_samples = 10;
  EXPECT_THROW(spectral::estimate_ranks(*a, nullptr, 0, bad), Error);
  bad = o;
  bad.H = 5;
  EXPECT_THROW(spectral::estimate_ranks(*a, nullptr, 0, bad), Error);
}

}  // namespace
}  // namespace ntk4j::testing
