// The core's own threading (linalg/parallel.hpp): chunking, exceptions, nesting, and the
// threaded kernels (P, P*, J_theta, J_theta^T, K, NTK_S, unroll, split GEMM) giving the serial
// results. The tiny cases of test_operators are below the split thresholds, so these use
// batches and B*T large enough for every kernel to split.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"
#include "operators/operators.hpp"
#include "operators/state_jacobian.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

// Sets the core's thread count for a scope.
struct Threads {
  int saved;
  explicit Threads(int n) : saved(linalg::num_threads()) { linalg::set_num_threads(n); }
  ~Threads() { linalg::set_num_threads(saved); }
};

TEST(ParallelChunks, CoverTheRangeExactlyOnceInOrderedChunks) {
  Threads t(3);
  for (Index n : {1, 2, 5, 100, 1001}) {
    for (Index chunks : {1, 2, 3, 7}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::vector<std::pair<Index, Index>> seen(static_cast<size_t>(chunks), {-1, -1});
      linalg::parallel_chunks(n, chunks, [&](Index c, Index b, Index e) {
        seen[static_cast<size_t>(c)] = {b, e};
        for (Index i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (Index i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << chunks;
      const Index used = std::min(chunks, n);
      Index expect_begin = 0;
      for (Index c = 0; c < used; ++c) {
        EXPECT_EQ(seen[static_cast<size_t>(c)].first, expect_begin);
        EXPECT_GT(seen[static_cast<size_t>(c)].second, seen[static_cast<size_t>(c)].first);
        expect_begin = seen[static_cast<size_t>(c)].second;
      }
      EXPECT_EQ(expect_begin, n);
    }
  }
}

TEST(ParallelChunks, WidthFollowsThreadsAndMinimumChunk) {
  Threads t(2);
  EXPECT_EQ(linalg::parallel_width(100, 8), 2);
  EXPECT_EQ(linalg::parallel_width(15, 8), 1);
  EXPECT_EQ(linalg::parallel_width(0, 8), 1);
  linalg::set_num_threads(1);
  EXPECT_EQ(linalg::parallel_width(100, 8), 1);
  linalg::set_num_threads(4);
  EXPECT_EQ(linalg::parallel_width(100, 8), 4);
}

TEST(ParallelChunks, NestedCallsRunSerially) {
  Threads t(2);
  std::atomic<int> inner_width{0};
  linalg::parallel_chunks(64, 2, [&](Index, Index, Index) { inner_width = int(linalg::parallel_width(1000, 1)); });
  EXPECT_EQ(inner_width.load(), 1);
}

TEST(ParallelChunks, ExceptionsReachTheCallerAfterAllChunks) {
  Threads t(2);
  std::atomic<int> finished{0};
  EXPECT_THROW(linalg::parallel_chunks(100, 2,
                                       [&](Index c, Index, Index) {
                                         if (c == 1) throw std::runtime_error("chunk 1 failed");
                                         finished++;
                                       }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 1);
  // The workers are usable afterwards.
  std::atomic<Index> sum{0};
  linalg::parallel_chunks(10, 2, [&](Index, Index b, Index e) { sum += e - b; });
  EXPECT_EQ(sum.load(), 10);
}

TEST(ParallelChunks, ConcurrentCallersAreSafe) {
  Threads t(2);
  std::atomic<long> total{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&] {
      for (int r = 0; r < 200; ++r) linalg::parallel_chunks(50, 2, [&](Index, Index b, Index e) { total += e - b; });
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(total.load(), 4L * 200 * 50);
}

TEST(SplitGemm, PanelsGiveTheSerialProduct) {
  // Column panels (n >= m) and row panels (m > n), every transpose combination.
  // Also one column and one row (those go to GEMV), split or not.
  for (auto [m, n, kk] : {std::tuple<Index, Index, Index>{40, 300, 90},
                          {300, 40, 90},
                          {3000, 1, 700},
                          {1, 3000, 700},
                          {60, 1, 20000},
                          {1, 60, 20000},
                          {7, 1, 5},
                          {1, 7, 5}}) {
    for (auto oa : {linalg::Op::N, linalg::Op::T})
      for (auto ob : {linalg::Op::N, linalg::Op::T}) {
        const auto a = random_vector(m * kk, 1), b = random_vector(kk * n, 2);
        const Index lda = oa == linalg::Op::N ? m : kk, ldb = ob == linalg::Op::N ? kk : n;
        std::vector<double> serial(size_t(m * n)), split(size_t(m * n));
        {
          Threads t(1);
          linalg::gemm(oa, ob, m, n, kk, 1.0, a.data(), lda, b.data(), ldb, 0.0, serial.data(), m);
        }
        {
          Threads t(2);
          linalg::gemm(oa, ob, m, n, kk, 1.0, a.data(), lda, b.data(), ldb, 0.0, split.data(), m);
        }
        for (size_t i = 0; i < serial.size(); ++i) ASSERT_NEAR(split[i], serial[i], 1e-12 * (1 + std::abs(serial[i])));
        // ... and both the plain triple loop.
        for (Index j = 0; j < n; ++j)
          for (Index i = 0; i < m; ++i) {
            double want = 0, scale = 0;
            for (Index l = 0; l < kk; ++l) {
              const double x = (oa == linalg::Op::N ? a[size_t(l * lda + i)] : a[size_t(i * lda + l)]) *
                               (ob == linalg::Op::N ? b[size_t(j * ldb + l)] : b[size_t(l * ldb + j)]);
              want += x;
              scale += std::abs(x);
            }
            ASSERT_NEAR(serial[size_t(j * m + i)], want, 1e-13 * (1 + scale)) << m << "x" << n << "x" << kk;
          }
      }
  }
}

class ThreadedKernels : public ::testing::TestWithParam<Case> {};

// Every kernel with 2 threads equals the serial kernel (to rounding: J_theta^T sums its
// chunks in a different order), on blocks of k = 1 and k = 3 probes.
TEST_P(ThreadedKernels, EqualTheSerialKernels) {
  const Case c = GetParam();
  const auto params = random_params(c, 7);
  const auto model = build(c, params);
  const auto x = random_vector(c.B * c.T * c.N, 11);
  Trajectory serial_tr, threaded_tr;
  {
    Threads t(1);
    serial_tr = unroll(*model, x.data(), c.B, c.T, nullptr);
  }
  Threads t(2);
  threaded_tr = unroll(*model, x.data(), c.B, c.T, nullptr);
  ASSERT_EQ(serial_tr.hidden.size(), threaded_tr.hidden.size());
  for (size_t i = 0; i < serial_tr.hidden.size(); ++i) ASSERT_EQ(serial_tr.hidden[i], threaded_tr.hidden[i]);
  const Index n = threaded_tr.state_size(), np = model->num_params;
  using Kernel = void (*)(const Trajectory&, const double*, Index, double*);
  struct Named {
    const char* name;
    Kernel f;
    bool from_params, to_params;
  };
  const Named kernels[] = {{"P", ops::propagate, false, false},
                           {"P*", ops::propagate_adjoint, false, false},
                           {"J_theta", ops::jtheta, true, false},
                           {"J_theta^T", ops::jtheta_adjoint, false, true},
                           {"K", ops::parameter_operator, false, false},
                           {"NTK_S", ops::ntk, false, false},
                           {"P J_theta", ops::state_jacobian, true, false},
                           {"J_theta^T P*", ops::state_jacobian_adjoint, false, true},
                           {"J_theta^T P* P J_theta", ops::state_gauss_newton, true, true}};
  for (Index k : {1, 3})
    for (const Named& kn : kernels) {
      const auto q = random_vector(k * (kn.from_params ? np : n), 5);
      std::vector<double> a(size_t(k * (kn.to_params ? np : n))), b(a.size());
      {
        Threads one(1);
        kn.f(threaded_tr, q.data(), k, a.data());
      }
      kn.f(threaded_tr, q.data(), k, b.data());
      double scale = 0, diff = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::abs(a[i]));
        diff = std::max(diff, std::abs(a[i] - b[i]));
      }
      EXPECT_LE(diff, 1e-13 * scale) << kn.name << " k=" << k;
      EXPECT_GT(scale, 0) << kn.name;
    }
}

// The fused kernels (operators/state_jacobian.hpp) split the k*B columns so that a probe's trials
// can land on both threads (k = 3, B >= 16); they must equal the unfused compositions.
TEST_P(ThreadedKernels, FusedStateJacobianEqualsTheComposition) {
  const Case c = GetParam();
  const auto model = build(c, random_params(c, 7));
  const auto x = random_vector(c.B * c.T * c.N, 11);
  Threads t(2);
  const Trajectory tr = unroll(*model, x.data(), c.B, c.T, nullptr);
  const Index n = tr.state_size(), np = model->num_params, k = 3;
  const auto v = random_vector(k * np, 3), q = random_vector(k * n, 4);
  std::vector<double> jv(size_t(k * n)), pjv(jv.size()), fused_pjv(jv.size());
  ops::jtheta(tr, v.data(), k, jv.data());
  ops::propagate(tr, jv.data(), k, pjv.data());
  ops::state_jacobian(tr, v.data(), k, fused_pjv.data());
  std::vector<double> ptq(size_t(k * n)), jtptq(size_t(k * np)), fused_jtptq(jtptq.size());
  ops::propagate_adjoint(tr, q.data(), k, ptq.data());
  ops::jtheta_adjoint(tr, ptq.data(), k, jtptq.data());
  ops::state_jacobian_adjoint(tr, q.data(), k, fused_jtptq.data());
  std::vector<double> ptpjv(size_t(k * n)), gn(size_t(k * np)), fused_gn(gn.size());
  ops::propagate_adjoint(tr, pjv.data(), k, ptpjv.data());
  ops::jtheta_adjoint(tr, ptpjv.data(), k, gn.data());
  ops::state_gauss_newton(tr, v.data(), k, fused_gn.data());
  auto rel = [](const std::vector<double>& a, const std::vector<double>& b) {
    double scale = 0, diff = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      scale = std::max(scale, std::abs(a[i]));
      diff = std::max(diff, std::abs(a[i] - b[i]));
    }
    return scale > 0 ? diff / scale : 1.0;
  };
  EXPECT_LE(rel(pjv, fused_pjv), 1e-13);
  EXPECT_LE(rel(jtptq, fused_jtptq), 1e-13);
  EXPECT_LE(rel(gn, fused_gn), 1e-13);
}

// B*T >= 512 and B >= 16: every kernel splits across two threads.
INSTANTIATE_TEST_SUITE_P(Cells, ThreadedKernels,
                         ::testing::Values(Case{NTK4J_CELL_RNN_LEAKY, false, 0.5, 6, 2, 17, 40, "leaky"},
                                           Case{NTK4J_CELL_RNN_ELMAN, true, 1.0, 5, 3, 16, 33, "elman"},
                                           Case{NTK4J_CELL_GRU, true, 1.0, 4, 2, 20, 30, "gru"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ntk4j::testing
