// The C ABI's contract: every bad argument gets a status and a message naming the problem,
// and nothing crashes (issue 2, "Bad input").
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ntk4j.h"

namespace {

std::string err() { return ntk4j_last_error(); }

struct Leaky {
  int64_t H = 3, N = 2, B = 2, T = 4;
  std::vector<double> wih = std::vector<double>(6, 0.1), whh = std::vector<double>(9, 0.2);
  std::vector<double> x = std::vector<double>(16, 0.5);
  ntk4j_model* model = nullptr;
  ntk4j_session* session = nullptr;
  Leaky() {
    EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, H, N, 0.5, 0, wih.data(), whh.data(), nullptr, nullptr, &model),
              NTK4J_OK)
        << err();
    EXPECT_EQ(ntk4j_session_create(model, x.data(), B, T, N, nullptr, &session), NTK4J_OK) << err();
  }
  ~Leaky() {
    ntk4j_session_destroy(session);
    ntk4j_model_destroy(model);
  }
};

TEST(Abi, VersionAndEmptyErrorAfterSuccess) {
  EXPECT_STRNE(ntk4j_version(), "");
  Leaky l;
  EXPECT_EQ(err(), "");
}

TEST(Abi, ModelRejectsBadArguments) {
  std::vector<double> w(100, 0.1);
  ntk4j_model* m = reinterpret_cast<ntk4j_model*>(0x1);
  EXPECT_EQ(ntk4j_model_create(9, 3, 2, 1.0, 0, w.data(), w.data(), nullptr, nullptr, &m), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("unknown cell"), std::string::npos) << err();
  EXPECT_EQ(m, nullptr);  // outputs are cleared on failure
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, 0, 2, 1.0, 0, w.data(), w.data(), nullptr, nullptr, &m),
            NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("hidden_size"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, 3, 2, 1.0, 0, nullptr, w.data(), nullptr, nullptr, &m),
            NTK4J_ERR_NULL_ARGUMENT);
  EXPECT_NE(err().find("weight_ih"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, 3, 2, std::nan(""), 0, w.data(), w.data(), nullptr, nullptr, &m),
            NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("dt"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_ELMAN, 3, 2, 1.0, 1, w.data(), w.data(), nullptr, w.data(), &m),
            NTK4J_ERR_NULL_ARGUMENT);
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_ELMAN, 3, 2, 1.0, 0, w.data(), w.data(), nullptr, nullptr, nullptr),
            NTK4J_ERR_NULL_ARGUMENT);
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_GRU, huge, 2, 1.0, 0, w.data(), w.data(), nullptr, nullptr, &m),
            NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("overflow"), std::string::npos) << err();
  w[4] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, 3, 2, 1.0, 0, w.data(), w.data(), nullptr, nullptr, &m),
            NTK4J_ERR_NON_FINITE);
  EXPECT_NE(err().find("weight_ih"), std::string::npos) << err();
  EXPECT_NE(err().find("index 4"), std::string::npos) << err();
}

TEST(Abi, SessionRejectsBadArguments) {
  Leaky l;
  ntk4j_session* s = nullptr;
  EXPECT_EQ(ntk4j_session_create(l.model, l.x.data(), 2, 4, 3, nullptr, &s), NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("input_size"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_session_create(l.model, l.x.data(), 0, 4, 2, nullptr, &s), NTK4J_ERR_SHAPE);
  EXPECT_EQ(ntk4j_session_create(nullptr, l.x.data(), 2, 4, 2, nullptr, &s), NTK4J_ERR_NULL_ARGUMENT);
  EXPECT_NE(err().find("model"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_session_create(l.model, l.x.data(), INT64_MAX / 4, 8, 2, nullptr, &s), NTK4J_ERR_SHAPE);
  std::vector<double> bad(l.x);
  bad[7] = std::nan("");
  EXPECT_EQ(ntk4j_session_create(l.model, bad.data(), 2, 4, 2, nullptr, &s), NTK4J_ERR_NON_FINITE);
  EXPECT_NE(err().find("inputs"), std::string::npos) << err();
  EXPECT_EQ(s, nullptr);
}

TEST(Abi, DivergingTrajectoryIsReportedNotReturned) {
  const int64_t H = 2, N = 1;
  std::vector<double> wih(2, 1e300), whh(4, 1e300), x(8, 1e300);
  ntk4j_model* m = nullptr;
  ASSERT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, H, N, 1.0, 0, wih.data(), whh.data(), nullptr, nullptr, &m),
            NTK4J_OK);
  ntk4j_session* s = nullptr;
  EXPECT_EQ(ntk4j_session_create(m, x.data(), 2, 4, 1, nullptr, &s), NTK4J_ERR_NUMERICAL);
  EXPECT_NE(err().find("trajectory"), std::string::npos) << err();
  ntk4j_model_destroy(m);
}

TEST(Abi, ApplyRejectsBadArguments) {
  Leaky l;
  const int64_t n = l.B * l.T * l.H;
  int64_t np = 0;
  ASSERT_EQ(ntk4j_model_num_params(l.model, &np), NTK4J_OK);
  EXPECT_EQ(np, 15);
  std::vector<double> q(size_t(2 * n), 1.0), y(size_t(2 * n));
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_P, q.data(), 2 * n, 2, y.data(), 2 * n), NTK4J_OK);
  EXPECT_EQ(ntk4j_apply(l.session, 42, q.data(), n, 1, y.data(), n), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_P, q.data(), n, 2, y.data(), 2 * n), NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("input has"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_K, q.data(), n, 1, y.data(), n - 1), NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("output has"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_JTHETA, q.data(), n, 1, y.data(), n), NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("n_params"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_NTK, q.data(), n, 0, y.data(), n), NTK4J_ERR_SHAPE);
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_P, q.data(), n, 1, q.data() + 1, n), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("overlap"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_apply(nullptr, NTK4J_OP_P, q.data(), n, 1, y.data(), n), NTK4J_ERR_NULL_ARGUMENT);
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_P, nullptr, n, 1, y.data(), n), NTK4J_ERR_NULL_ARGUMENT);
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_P, q.data(), INT64_MAX, INT64_MAX / 2, y.data(), n), NTK4J_ERR_SHAPE);
  q[5] = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_NTK, q.data(), n, 1, y.data(), n), NTK4J_ERR_NON_FINITE);
  EXPECT_NE(err().find("probe"), std::string::npos) << err();
}

TEST(Abi, SessionOutlivesModelHandle) {
  Leaky l;
  ntk4j_model_destroy(l.model);
  l.model = nullptr;
  const int64_t n = l.B * l.T * l.H;
  std::vector<double> q(size_t(n), 1.0), y(static_cast<size_t>(n));
  EXPECT_EQ(ntk4j_apply(l.session, NTK4J_OP_NTK, q.data(), n, 1, y.data(), n), NTK4J_OK) << err();
  std::vector<double> h(static_cast<size_t>(n));
  EXPECT_EQ(ntk4j_session_hidden(l.session, h.data(), n), NTK4J_OK);
  EXPECT_EQ(ntk4j_session_hidden(l.session, h.data(), n + 1), NTK4J_ERR_SHAPE);
}

TEST(Abi, ThreadCount) {
  EXPECT_EQ(ntk4j_set_num_threads(0), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ntk4j_set_num_threads(100000), NTK4J_ERR_INVALID_ARGUMENT);  // an absurd count is refused
  EXPECT_EQ(ntk4j_set_num_threads(1), NTK4J_OK);
  int32_t n = 0;
  EXPECT_EQ(ntk4j_get_num_threads(&n), NTK4J_OK);
  EXPECT_EQ(n, 1);
}

}  // namespace

namespace {
struct ProgressLog {
  std::vector<std::string> what;
  std::vector<int64_t> done, total;
};
void record_progress(void* user, int64_t done, int64_t total, const char* what) {
  auto* log = static_cast<ProgressLog*>(user);
  log->what.emplace_back(what);
  log->done.push_back(done);
  log->total.push_back(total);
}
}  // namespace

TEST(Abi, ProgressHookSeesLanczosAndHutchPlusPlusAndCanBeRemoved) {
  Leaky l;
  ntk4j_operator* k = nullptr;
  ASSERT_EQ(ntk4j_operator_from_session(l.session, NTK4J_OP_K, &k), NTK4J_OK) << err();
  ProgressLog log;
  ASSERT_EQ(ntk4j_set_progress(record_progress, &log), NTK4J_OK);
  ntk4j_eigs_options o;
  ntk4j_eigs_options_init(&o, 3);
  double values[3], residuals[3];
  ASSERT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_OK) << err();
  ASSERT_FALSE(log.what.empty());
  EXPECT_EQ(log.what.back(), "Lanczos: converged eigenpairs");
  EXPECT_EQ(log.total.back(), 3);
  EXPECT_EQ(log.done.back(), 3);  // the last report: all converged
  ntk4j_estimate t1, t2, pr;
  ASSERT_EQ(ntk4j_trace_estimate(k, 9, 1, &t1, &t2, &pr), NTK4J_OK) << err();
  EXPECT_EQ(log.what.back(), "Hutch++");
  EXPECT_EQ(log.done.back(), 3);
  const size_t calls = log.what.size();
  ASSERT_EQ(ntk4j_set_progress(nullptr, nullptr), NTK4J_OK);
  ASSERT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_OK) << err();
  EXPECT_EQ(log.what.size(), calls);  // removed: no more calls
  ntk4j_operator_destroy(k);
}

TEST(Abi, StartVectorsAreTakenByEigsOnly) {
  Leaky l;
  ntk4j_operator* k = nullptr;
  ASSERT_EQ(ntk4j_operator_from_session(l.session, NTK4J_OP_K, &k), NTK4J_OK) << err();
  std::vector<double> start(static_cast<size_t>(l.B * l.T * l.H), 1.0);
  ntk4j_eigs_options o;
  ntk4j_eigs_options_init(&o, 2);
  o.start = start.data();
  o.start_cols = 1;
  double values[2], residuals[2];
  EXPECT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_OK) << err();
  EXPECT_EQ(ntk4j_eigs_gram(k, &o, values, residuals, nullptr, nullptr), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("not by ntk4j_eigs_gram"), std::string::npos) << err();
  EXPECT_EQ(ntk4j_svds(k, &o, values, residuals, nullptr, nullptr, nullptr), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("not by ntk4j_svds"), std::string::npos) << err();
  o.start_cols = 2;
  o.start = nullptr;
  EXPECT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_ERR_INVALID_ARGUMENT);
  ntk4j_operator_destroy(k);
}

TEST(Abi, OptionsInitGivesTheCoresDefaultsAndEveryFieldIsTakenAsItIs) {
  ntk4j_eigs_options e;
  ntk4j_eigs_options_init(&e, 4);
  EXPECT_EQ(e.k, 4);
  EXPECT_EQ(e.block, 0);
  EXPECT_EQ(e.max_restarts, 200);
  EXPECT_EQ(e.tol, 1e-10);
  EXPECT_EQ(e.seed, static_cast<uint64_t>(NTK4J_DEFAULT_SEED));
  EXPECT_EQ(e.start, nullptr);
  ntk4j_eigs_options s;
  ntk4j_svds_options_init(&s, 4);
  EXPECT_EQ(s.block, 10);
  EXPECT_EQ(s.max_restarts, 50);
  ntk4j_rank_options r;
  ntk4j_rank_options_init(&r);
  EXPECT_EQ(r.accuracy, 0.01);
  EXPECT_EQ(r.min_samples, 64);
  EXPECT_EQ(r.max_samples, 4096);
  EXPECT_EQ(r.seed, static_cast<uint64_t>(NTK4J_DEFAULT_SEED));
  EXPECT_EQ(r.traces, 1);
  EXPECT_EQ(r.partial, 1);
  EXPECT_EQ(r.partial_kpflow, 0);
  ntk4j_fixed_point_options f;
  ntk4j_fixed_point_options_init(&f);
  EXPECT_EQ(f.starts, 16);
  EXPECT_EQ(f.rollout_steps, 500);
  EXPECT_EQ(f.max_iterations, 100);
  EXPECT_EQ(f.tol, 1e-12);
  EXPECT_EQ(f.init_scale, 1.0);
  EXPECT_EQ(f.seed, static_cast<uint64_t>(NTK4J_DEFAULT_SEED));

  // No value means "the default" any more: zeros are refused where they make no sense, and a
  // seed of 0 is a seed like any other.
  Leaky l;
  ntk4j_operator* k = nullptr;
  ASSERT_EQ(ntk4j_operator_from_session(l.session, NTK4J_OP_K, &k), NTK4J_OK) << err();
  double values[2], residuals[2], again[2];
  ntk4j_eigs_options o;
  ntk4j_eigs_options_init(&o, 2);
  o.tol = 0;
  EXPECT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("tolerance must be > 0"), std::string::npos) << err();
  ntk4j_eigs_options_init(&o, 2);
  o.max_restarts = 0;
  EXPECT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_ERR_INVALID_ARGUMENT);
  ntk4j_eigs_options_init(&o, 2);
  o.seed = 0;
  ASSERT_EQ(ntk4j_eigs(k, &o, values, residuals, nullptr, nullptr), NTK4J_OK) << err();
  ntk4j_eigs_options_init(&o, 2);
  ASSERT_EQ(ntk4j_eigs(k, &o, again, residuals, nullptr, nullptr), NTK4J_OK) << err();
  EXPECT_NEAR(values[0], again[0], 1e-9 * std::abs(again[0]));  // the same eigenvalues from another start
  ntk4j_rank_options_init(&r);
  r.accuracy = 0;
  r.traces = 1;
  r.partial = 0;
  ntk4j_rank_estimates est;
  EXPECT_EQ(ntk4j_rank_estimate(k, nullptr, 0, &r, &est), NTK4J_ERR_INVALID_ARGUMENT);
  ntk4j_operator_destroy(k);
}

TEST(Abi, FixedPointSpectraAndCriticalGradientRejectBadArguments) {
  Leaky l;
  const std::vector<double> h(3, 0.0);
  std::vector<double> jac(9), re(3), im(3), left(9), right(9), grad(15);
  ASSERT_EQ(ntk4j_fixed_point_spectra(l.model, nullptr, h.data(), 1, jac.data(), re.data(), im.data(), left.data(),
                                      right.data()),
            NTK4J_OK)
      << err();
  EXPECT_EQ(ntk4j_fixed_point_spectra(l.model, nullptr, h.data(), 0, jac.data(), re.data(), im.data(), left.data(),
                                      right.data()),
            NTK4J_ERR_SHAPE);
  auto gradient = [&](int64_t critical, int64_t len) {
    return ntk4j_critical_gradient(l.model, h.data(), nullptr, jac.data(), re.data(), im.data(), left.data(),
                                   right.data(), critical, grad.data(), len);
  };
  EXPECT_EQ(gradient(0, 15), NTK4J_OK) << err();  // n_params = 3*2 + 3*3
  EXPECT_EQ(gradient(3, 15), NTK4J_ERR_INVALID_ARGUMENT);
  EXPECT_NE(err().find("critical"), std::string::npos) << err();
  EXPECT_EQ(gradient(0, 14), NTK4J_ERR_SHAPE);
  EXPECT_NE(err().find("grad has 14 values"), std::string::npos) << err();
  re[0] = std::nan("");
  EXPECT_EQ(gradient(0, 15), NTK4J_ERR_NON_FINITE);
}

TEST(Abi, MemoryBudgetRefusesWhatDoesNotFitBeforeAllocating) {
  int64_t budget = -2, avail = -2;
  ASSERT_EQ(ntk4j_get_memory(&budget, &avail), NTK4J_OK);
  EXPECT_EQ(budget, 0);
  EXPECT_GT(avail, 0);
  EXPECT_EQ(ntk4j_set_memory_budget(-1), NTK4J_ERR_INVALID_ARGUMENT);
  // A budget below what the process already holds leaves nothing: a new trajectory is refused,
  // with the sizes, and nothing is created.
  ASSERT_EQ(ntk4j_set_memory_budget(1), NTK4J_OK);
  std::vector<double> wih(3 * 2, 0.1), whh(3 * 3, 0.1), x(2 * 4 * 2, 0.5);
  ntk4j_model* m = nullptr;
  ASSERT_EQ(ntk4j_model_create(NTK4J_CELL_RNN_LEAKY, 3, 2, 0.5, 0, wih.data(), whh.data(), nullptr, nullptr, &m),
            NTK4J_OK);
  ntk4j_session* s = nullptr;
  EXPECT_EQ(ntk4j_session_create(m, x.data(), 2, 4, 2, nullptr, &s), NTK4J_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(s, nullptr);
  EXPECT_NE(err().find("the trajectory needs"), std::string::npos) << err();
  EXPECT_NE(err().find("memory budget"), std::string::npos) << err();
  ASSERT_EQ(ntk4j_set_memory_budget(0), NTK4J_OK);
  EXPECT_EQ(ntk4j_session_create(m, x.data(), 2, 4, 2, nullptr, &s), NTK4J_OK) << err();
  ntk4j_session_destroy(s);
  ntk4j_model_destroy(m);
}
