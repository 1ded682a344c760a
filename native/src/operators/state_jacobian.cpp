#include "operators/state_jacobian.hpp"

#include <algorithm>
#include <functional>

#include "linalg/parallel.hpp"
#include "linalg/scratch.hpp"
#include "operators/operators.hpp"

namespace ntk4j::ops {

namespace {

// Threads get at least this many trials (as for P alone: thinner per-step products stop paying).
constexpr Index kMinTrialsPerThread = 8;

// Runs body(chunk, j0, j1) on contiguous ranges of the k*B columns (probe j, trial b: column
// j*B + b), and for_probes(j0, j1, f) calls f(probe, bt0, bt1) for each probe the range touches,
// with its rows b*T + t of the trials in the range.
struct ColumnSplit {
  const Trajectory& tr;
  Index k;
  Index columns() const { return k * tr.B; }
  Index width() const { return linalg::parallel_width(columns(), kMinTrialsPerThread); }
  void for_probes(Index j0, Index j1, const std::function<void(Index, Index, Index)>& f) const {
    const Index B = tr.B, T = tr.T;
    for (Index p = j0 / B; p * B < j1; ++p) {
      const Index b0 = std::max(j0, p * B) - p * B, b1 = std::min(j1, (p + 1) * B) - p * B;
      f(p, b0 * T, b1 * T);
    }
  }
};

// The probes' parameters as site stacks.
void gather_probes(const Model& m, const SiteStack& st, const double* v, Index k, double* mats) {
  for (Index j = 0; j < k; ++j) st.gather(m, v + j * m.num_params, mats + j * st.size);
}

// y = P J_theta v on columns j0 .. j1-1 of the [k, B, T, H] block y (in place: J_theta writes
// the rows, P sweeps them).
void forward_columns(const ColumnSplit& split, const SiteStack& st, const double* mats, Index j0, Index j1, double* y) {
  const Trajectory& tr = split.tr;
  const Index n = tr.state_size(), ld = tr.T * tr.H;
  split.for_probes(
      j0, j1, [&](Index p, Index bt0, Index bt1) { jtheta_rows(tr, st, mats + p * st.size, bt0, bt1, y + p * n); });
  propagate_range(tr, y + j0 * ld, y + j0 * ld, j0, j1 - j0);
}

// Chunk c's part of J_theta^T on columns j0 .. j1-1 of the state block, into its own site stacks.
void adjoint_columns(const ColumnSplit& split, const SiteStack& st, const double* state, Index c, Index j0, Index j1,
                     double* partial) {
  const Index n = split.tr.state_size();
  split.for_probes(j0, j1, [&](Index p, Index bt0, Index bt1) {
    jtheta_adjoint_rows(split.tr, st, state + p * n, bt0, bt1, partial + (c * split.k + p) * st.size);
  });
}

// Adds the per-thread site stacks (width x k stacks) and writes the flat gradients of the k probes.
void reduce_into(const Model& m, const SiteStack& st, double* partial, Index width, Index k, double* g) {
  const Index per_chunk = k * st.size;
  for (Index c = 1; c < width; ++c)
    for (Index i = 0; i < per_chunk; ++i) partial[i] += partial[c * per_chunk + i];
  for (Index j = 0; j < k; ++j) st.scatter(m, partial + j * st.size, g + j * m.num_params);
}

}  // namespace

void state_jacobian(const Trajectory& tr, const double* v, Index k, double* y) {
  const SiteStack st(*tr.model);
  linalg::Scratch mats(static_cast<size_t>(k * st.size));
  gather_probes(*tr.model, st, v, k, mats.data());
  const ColumnSplit split{tr, k};
  linalg::parallel_chunks(split.columns(), split.width(),
                          [&](Index, Index j0, Index j1) { forward_columns(split, st, mats.data(), j0, j1, y); });
}

void state_jacobian_adjoint(const Trajectory& tr, const double* q, Index k, double* g) {
  const SiteStack st(*tr.model);
  const Index ld = tr.T * tr.H;
  const ColumnSplit split{tr, k};
  const Index width = split.width();
  linalg::Scratch state(static_cast<size_t>(k * tr.state_size())), partial(static_cast<size_t>(width * k * st.size));
  std::fill(partial.data(), partial.data() + width * k * st.size, 0.0);
  linalg::parallel_chunks(split.columns(), width, [&](Index c, Index j0, Index j1) {
    propagate_adjoint_range(tr, q + j0 * ld, state.data() + j0 * ld, j0, j1 - j0);
    adjoint_columns(split, st, state.data(), c, j0, j1, partial.data());
  });
  reduce_into(*tr.model, st, partial.data(), width, k, g);
}

void state_gauss_newton(const Trajectory& tr, const double* v, Index k, double* g) {
  const SiteStack st(*tr.model);
  const Index ld = tr.T * tr.H;
  linalg::Scratch mats(static_cast<size_t>(k * st.size));
  gather_probes(*tr.model, st, v, k, mats.data());
  const ColumnSplit split{tr, k};
  const Index width = split.width();
  linalg::Scratch state(static_cast<size_t>(k * tr.state_size())), partial(static_cast<size_t>(width * k * st.size));
  std::fill(partial.data(), partial.data() + width * k * st.size, 0.0);
  linalg::parallel_chunks(split.columns(), width, [&](Index c, Index j0, Index j1) {
    forward_columns(split, st, mats.data(), j0, j1, state.data());  // P J_theta v
    double* cols = state.data() + j0 * ld;
    propagate_adjoint_range(tr, cols, cols, j0, j1 - j0);  // P*, in place
    adjoint_columns(split, st, state.data(), c, j0, j1, partial.data());
  });
  reduce_into(*tr.model, st, partial.data(), width, k, g);
}

}  // namespace ntk4j::ops
