// libFuzzer target: the C ABI's validation under arbitrary arguments (issue 13). The fuzz input
// drives a small program over the ABI: a model (cell, sizes, dt, bias, weights that may be
// NaN/Inf/huge), a session (batch, steps, inputs, h0), then applies, eigen-solves, traces, rank
// estimates, fixed points, grad mu and the readout loss with fuzzed options and lengths. Every
// array handed over is exactly as long as the length we claim for it (the ABI cannot check raw
// pointers, its callers must), so a crash, an ASan or UBSan report, or a hang is a bug of ours;
// any status is fine. Sizes stay tiny so that an iteration takes microseconds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ntk4j.h"

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint8_t byte() { return i_ < n_ ? d_[i_++] : 0; }
  // An integer in [lo, hi].
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(byte()) % (hi - lo + 1); }
  // Mostly ordinary values, sometimes the edges of double.
  double number() {
    switch (byte() % 8) {
      case 0:
        return 0.0;
      case 1:
        return 1e308;
      case 2:
        return -1e-310;
      case 3: {
        uint64_t bits = 0;
        for (int k = 0; k < 8; ++k) bits = bits << 8 | byte();
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;  // any bit pattern: NaN, Inf, subnormals
      }
      default:
        return (static_cast<int>(byte()) - 128) / 32.0;
    }
  }
  std::vector<double> numbers(int64_t n) {
    std::vector<double> v(static_cast<size_t>(n > 0 ? n : 0));
    for (auto& x : v) x = number();
    return v;
  }

 private:
  const uint8_t* d_;
  size_t n_, i_ = 0;
};

// `room`: the longest vector any of the session's operators maps to (state or parameters).
void spectra(Input& in, ntk4j_session* s, int64_t room) {
  ntk4j_operator* op = nullptr;
  if (ntk4j_operator_from_session(s, static_cast<int32_t>(in.range(0, 9)), &op) != NTK4J_OK) return;
  ntk4j_eigs_options o;
  ntk4j_eigs_options_init(&o, in.range(-1, 4));
  o.block = in.range(-1, 3);
  o.max_basis = in.range(-1, 12);
  o.max_restarts = in.range(-1, 3);
  o.tol = in.number();
  const int64_t k = o.k > 0 ? o.k : 1;
  std::vector<double> values(static_cast<size_t>(k)), residuals(static_cast<size_t>(k)),
      vectors(static_cast<size_t>(k * room));
  ntk4j_eigs_info info;
  switch (in.byte() % 5) {
    case 0:
      ntk4j_eigs(op, &o, values.data(), residuals.data(), vectors.data(), &info);
      break;
    case 1:
      ntk4j_eigs_gram(op, &o, values.data(), residuals.data(), nullptr, &info);
      break;
    case 2: {
      ntk4j_estimate t, t2, pr;
      ntk4j_trace_estimate(op, in.range(-1, 12), in.byte(), &t, &t2, &pr);
      break;
    }
    case 3: {
      ntk4j_rank_options r;
      ntk4j_rank_options_init(&r);
      r.accuracy = in.number();
      r.min_samples = in.range(-1, 4);
      r.max_samples = in.range(-1, 8);
      r.batch = in.range(-1, 3);
      r.steps = in.range(-1, 4);
      r.hidden = in.range(-1, 4);
      r.partial = in.byte() & 1;
      ntk4j_rank_estimates out;
      ntk4j_rank_estimate(op, nullptr, 0, &r, &out);
      break;
    }
    default: {
      ntk4j_estimate dims[3];
      ntk4j_partial_effdims(op, in.range(-1, 3), in.range(-1, 4), in.range(-1, 4),
                            static_cast<int32_t>(in.range(-1, 2)), in.byte() & 1, in.range(-1, 4), in.range(-1, 4),
                            in.byte(), dims);
    }
  }
  ntk4j_operator_destroy(op);
}

void dynamics(Input& in, ntk4j_model* m, int64_t h, int64_t n) {
  std::vector<double> x = in.numbers(n), state(static_cast<size_t>(h)), jac(static_cast<size_t>(h * h)),
                      re(static_cast<size_t>(h)), im(static_cast<size_t>(h)), left(static_cast<size_t>(h * h)),
                      right(static_cast<size_t>(h * h));
  ntk4j_fixed_point_options o;
  ntk4j_fixed_point_options_init(&o);
  o.starts = in.range(-1, 2);
  o.rollout_steps = in.range(-1, 8);
  o.max_iterations = in.range(-1, 6);
  o.tol = in.number();
  o.init_scale = in.number();
  const int64_t capacity = in.range(-1, 4);
  std::vector<double> points(static_cast<size_t>((capacity > 0 ? capacity : 1) * h));
  int64_t found = 0, failed = 0;
  ntk4j_fixed_points(m, x.data(), &o, capacity, points.data(), &found, &failed);
  if (ntk4j_fixed_point_spectra(m, x.data(), state.data(), 1, jac.data(), re.data(), im.data(), left.data(),
                                right.data()) == NTK4J_OK) {
    if (in.byte() & 1) jac = in.numbers(h * h);  // inconsistent eigen-data is allowed to fail, not to crash
    std::vector<double> grad(static_cast<size_t>(in.range(0, 64)));
    ntk4j_critical_gradient(m, state.data(), x.data(), jac.data(), re.data(), im.data(), left.data(), right.data(),
                            in.range(-1, h), grad.data(), static_cast<int64_t>(grad.size()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const int32_t cell = static_cast<int32_t>(in.range(-1, 4));
  const int64_t h = in.range(1, 4), n = in.range(1, 3);
  const bool bias = in.byte() & 1;
  const int64_t gates = cell == NTK4J_CELL_GRU ? 3 : 1;
  std::vector<double> wih = in.numbers(gates * h * n), whh = in.numbers(gates * h * h), bih = in.numbers(gates * h),
                      bhh = in.numbers(gates * h);
  ntk4j_model* m = nullptr;
  // The hidden size claimed is the one the arrays are sized for, or one the ABI must refuse
  // before reading them.
  if (ntk4j_model_create(cell, in.byte() & 1 ? h : in.range(-2, 0), n, in.number(), bias ? 1 : 0, wih.data(),
                         whh.data(), bias ? bih.data() : nullptr, bias ? bhh.data() : nullptr, &m) != NTK4J_OK)
    return 0;
  const int64_t b = in.range(1, 3), t = in.range(1, 4), state = b * t * h;
  std::vector<double> inputs = in.numbers(b * t * n), h0 = in.numbers(b * h);
  ntk4j_session* s = nullptr;
  if (ntk4j_session_create(m, inputs.data(), b, t, in.byte() & 1 ? n : in.range(-1, 4),
                           in.byte() & 1 ? h0.data() : nullptr, &s) == NTK4J_OK) {
    const int64_t k = in.range(-1, 3), in_len = in.range(0, 3 * state + 40), out_len = in.range(0, 3 * state + 40);
    std::vector<double> q = in.numbers(in_len), y(static_cast<size_t>(out_len));
    ntk4j_apply(s, static_cast<int32_t>(in.range(-1, 9)), q.data(), in_len, k, y.data(), out_len);
    spectra(in, s, state + 3 * h * (n + h) + 6 * h);  // n_params <= 3H(N+H) + 6H (GRU with bias)
    ntk4j_session_destroy(s);
  }
  dynamics(in, m, h, n);
  {
    const int64_t rows = in.range(-1, 6), o = in.range(-1, 3);
    std::vector<double> hid = in.numbers(rows * h), w = in.numbers(o * h), bb = in.numbers(o),
                        tg = in.numbers(rows * o), e(static_cast<size_t>(rows > 0 ? rows * h : 0)),
                        gw(static_cast<size_t>(o > 0 ? o * h : 0)), gb(static_cast<size_t>(o > 0 ? o : 0));
    double loss = 0;
    ntk4j_readout_mse(hid.data(), rows, h, w.data(), bb.data(), o, tg.data(), &loss, e.data(), gw.data(), gb.data());
  }
  ntk4j_model_destroy(m);
  return 0;
}
