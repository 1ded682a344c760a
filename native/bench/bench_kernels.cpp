// Native benchmarks of the core kernels (Google Benchmark), so the C++ core can be profiled and
// compared without the JVM: `./ntk4j bench --native`. Sizes follow issue 3's benchmark model
// (rnn_leaky, B=32, T=100, N=3) with H as the argument; blocks of k probes.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "operators/operators.hpp"
#include "operators/session_operator.hpp"
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
  st.counters["GFLOP"] = benchmark::Counter(times * flops(f) * double(k) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
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
  block_op<ntk4j::ops::ntk>(st, [](const Fixture& f) { return 2 * flops_p(f) + flops_k(f); }, 1);
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
BENCHMARK(BM_LanczosCycle)->Arg(128)->Unit(benchmark::kMillisecond)->Iterations(2);

BENCHMARK_MAIN();
