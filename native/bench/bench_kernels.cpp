// Native benchmarks of the core kernels (Google Benchmark), so the C++ core can be profiled and
// compared without the JVM: `./ntk4j bench --native`. Sizes follow issue 3's benchmark model
// (rnn_leaky, B=32, T=100, N=3) with H as the argument; blocks of k probes.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/packed_gemm.hpp"
#include "operators/operators.hpp"
#include "operators/session_operator.hpp"
#include "operators/state_jacobian.hpp"
#include "spectral/lanczos.hpp"

namespace {

using ntk4j::Index;

struct Fixture {
  std::shared_ptr<ntk4j::SessionState> state = std::make_shared<ntk4j::SessionState>();
  std::vector<double> x;
  Index H, B = 32, T = 100, N = 3;
  explicit Fixture(Index h) : H(h) {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> g;
    std::vector<double> wih(static_cast<size_t>(H * N)), whh(static_cast<size_t>(H * H));
    for (auto& v : wih) v = g(rng) / std::sqrt(double(N));
    for (auto& v : whh) v = g(rng) / std::sqrt(double(H));
    x.resize(static_cast<size_t>(B * T * N));
    for (auto& v : x) v = g(rng);
    state->model = ntk4j::make_model(NTK4J_CELL_RNN_LEAKY, H, N, 1.0, false, wih.data(), whh.data(), nullptr, nullptr);
    state->trajectory = ntk4j::unroll(*state->model, x.data(), B, T, nullptr);
  }
  std::vector<double> probes(Index k) const {
    std::mt19937_64 rng(2);
    std::normal_distribution<double> g;
    std::vector<double> q(static_cast<size_t>(k * B * T * H));
    for (auto& v : q) v = g(rng);
    return q;
  }
};

// GEMM flops per probe of each kernel (P and P*: an H x H product per step; K: two per site).
double flops_p(const Fixture& f) { return 2.0 * f.H * f.H * f.B * (f.T - 1); }
double flops_k(const Fixture& f) { return 2 * 2.0 * f.H * (f.H + f.N) * f.B * f.T; }

template <void (*Op)(const ntk4j::Trajectory&, const double*, Index, double*)>
void block_op(benchmark::State& st, double (*flops)(const Fixture&), double times) {
  Fixture f(st.range(0));
  const Index k = st.range(1);
  auto q = f.probes(k);
  std::vector<double> y(q.size());
  for (auto _ : st) {
    Op(f.state->trajectory, q.data(), k, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  // GFLOP per iteration, reported as a rate (shown as GFLOP=x/s).
  st.counters["GFLOP"] =
      benchmark::Counter(times * flops(f) * double(k) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Unroll(benchmark::State& st) {
  Fixture f(st.range(0));
  for (auto _ : st) {
    auto tr = ntk4j::unroll(*f.state->model, f.x.data(), f.B, f.T, nullptr);
    benchmark::DoNotOptimize(tr.hidden.data());
  }
}

void BM_P(benchmark::State& st) { block_op<ntk4j::ops::propagate>(st, flops_p, 1); }
void BM_Pt(benchmark::State& st) { block_op<ntk4j::ops::propagate_adjoint>(st, flops_p, 1); }
void BM_K(benchmark::State& st) { block_op<ntk4j::ops::parameter_operator>(st, flops_k, 1); }
void BM_NTK(benchmark::State& st) {
  block_op<ntk4j::ops::ntk>(
      st, [](const Fixture& f) { return 2 * flops_p(f) + flops_k(f); }, 1);
}

// The Gauss-Newton matrix J_h^T J_h (J_h = P J_theta) on parameter blocks: the operator whose top
// eigenvalues are NTK_S's, fused per thread (operators/state_jacobian.hpp).
void BM_GaussNewton(benchmark::State& st) {
  Fixture f(st.range(0));
  const Index k = st.range(1), np = f.state->model->num_params;
  std::vector<double> v(static_cast<size_t>(k * np), 0.01), g(v.size());
  for (auto _ : st) {
    ntk4j::ops::state_gauss_newton(f.state->trajectory, v.data(), k, g.data());
    benchmark::DoNotOptimize(g.data());
  }
  st.counters["GFLOP"] = benchmark::Counter((2 * flops_p(f) + flops_k(f)) * double(k) / 1e9,
                                            benchmark::Counter::kIsIterationInvariantRate);
}

// The per-step product of P (H x H by H x 16, one thread's trials at B = 32): W_hh packed once
// (linalg/packed_gemm.hpp) against OpenBLAS's GEMM, which packs it on every call.
void BM_StepProductPacked(benchmark::State& st) {
  const Index h = st.range(0), cols = st.range(1);
  std::vector<double> w(static_cast<size_t>(h * h), 0.01), b(static_cast<size_t>(h * cols), 0.02), c(b.size());
  const ntk4j::linalg::PackedMatrix packed(h, h, w.data(), h, 1);
  for (auto _ : st) {
    packed.multiply(b.data(), h, cols, c.data(), h);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOP"] = benchmark::Counter(2.0 * h * h * cols / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_StepProductBlas(benchmark::State& st) {
  const Index h = st.range(0), cols = st.range(1);
  const int threads = ntk4j::linalg::num_threads();
  ntk4j::linalg::set_num_threads(1);  // one thread, as the packed product (no split across the core's workers)
  std::vector<double> w(static_cast<size_t>(h * h), 0.01), b(static_cast<size_t>(h * cols), 0.02), c(b.size());
  for (auto _ : st) {
    ntk4j::linalg::gemm(ntk4j::linalg::Op::T, ntk4j::linalg::Op::N, h, cols, h, 1.0, w.data(), h, b.data(), h, 0.0,
                        c.data(), h);
    benchmark::DoNotOptimize(c.data());
  }
  ntk4j::linalg::set_num_threads(threads);
  st.counters["GFLOP"] = benchmark::Counter(2.0 * h * h * cols / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Top-10 NTK_S eigenvalues as `./ntk4j bench` (c') computes them, without the JVM: single-vector
// Lanczos (basis 100) on the Gauss-Newton side, tol 1e-10.
void BM_Top10SingleVector(benchmark::State& st) {
  Fixture f(st.range(0));
  auto j = ntk4j::linalg::compose(ntk4j::session_operator(f.state, NTK4J_OP_P),
                                  ntk4j::session_operator(f.state, NTK4J_OP_JTHETA));
  ntk4j::spectral::EigsOptions o;
  o.k = 10;
  o.block = 1;
  o.max_basis = 100;
  Index vectors = 0;
  for (auto _ : st) {
    auto r = ntk4j::spectral::gram_top(j, o, false);
    vectors = r.vector_applies;
    benchmark::DoNotOptimize(r.values.data());
  }
  st.counters["vectors"] = double(vectors);
}

// One Lanczos cycle (block 10, basis 50, no restart) on NTK_S: its applies plus the
// orthogonalization and Rayleigh-Ritz overhead.
void BM_LanczosCycle(benchmark::State& st) {
  Fixture f(st.range(0));
  auto ntk = ntk4j::session_operator(f.state, NTK4J_OP_NTK);
  ntk4j::spectral::EigsOptions o;
  o.k = 10;
  o.block = 10;
  o.max_basis = 50;
  o.max_restarts = 0;
  o.tol = 1e-300;  // never converges: exactly one cycle
  for (auto _ : st) {
    auto r = ntk4j::spectral::lanczos_top(*ntk, o, false);
    benchmark::DoNotOptimize(r.values.data());
  }
}

}  // namespace

BENCHMARK(BM_Unroll)->Arg(128)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_P)->Args({128, 1})->Args({128, 2})->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pt)->Args({128, 1})->Args({128, 2})->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_K)->Args({128, 1})->Args({128, 2})->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NTK)->Args({128, 2})->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GaussNewton)->Args({128, 1})->Args({128, 10})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StepProductPacked)->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StepProductBlas)->Args({128, 16})->Args({256, 16})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LanczosCycle)->Arg(128)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_Top10SingleVector)->Arg(128)->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
