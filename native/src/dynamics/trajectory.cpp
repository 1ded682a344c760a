#include "dynamics/trajectory.hpp"

#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"

namespace ntk4j {

Trajectory unroll(const Model& m, const double* inputs, Index B, Index T, const double* h0) {
  Trajectory tr;
  tr.model = &m;
  tr.B = B;
  tr.T = T;
  tr.H = m.S;
  tr.hc = m.H;
  tr.R = m.R;
  tr.N = m.N;
  const Index H = m.H, SW = m.S, R = m.R, N = m.N, BT = B * T;
  const Cell& cell = *m.cell;
  tr.hidden.assign(static_cast<size_t>(BT * SW), 0.0);
  if (cell.has_c()) tr.c.assign(static_cast<size_t>(BT * R * R * H), 0.0);
  if (cell.has_e()) tr.e.assign(static_cast<size_t>(BT * H), 0.0);
  const size_t S = m.sites.size();
  tr.act.resize(S);
  tr.d.resize(S);
  for (size_t s = 0; s < S; ++s) {
    tr.act[s].assign(static_cast<size_t>(BT * m.sites[s].dim), 0.0);
    tr.d[s].assign(static_cast<size_t>(BT * R * m.sites[s].rows), 0.0);
  }
  std::vector<double> zeros(static_cast<size_t>(SW), 0.0);
  // Trials are independent: each thread unrolls its own range of the batch (one synchronization
  // per unroll instead of one per step and site).
  linalg::parallel_chunks(B, linalg::parallel_width(B, 8), [&](Index, Index b0, Index b1) {
    const Index nb = b1 - b0;
    std::vector<std::vector<double>> u(S);
    for (size_t s = 0; s < S; ++s) u[s].assign(static_cast<size_t>(m.sites[s].rows * nb), 0.0);
    std::vector<double*> actp(S), dp(S);
    std::vector<const double*> up(S);
    for (Index t = 0; t < T; ++t) {
      auto hprev = [&](Index b) -> const double* {
        if (t > 0) return &tr.hidden[static_cast<size_t>((b * T + t - 1) * SW)];
        return h0 ? h0 + b * SW : zeros.data();
      };
      for (Index b = b0; b < b1; ++b) {
        const Index row = b * T + t;
        for (size_t s = 0; s < S; ++s) actp[s] = &tr.act[s][static_cast<size_t>(row * m.sites[s].dim)];
        cell.activities(hprev(b), inputs + row * N, actp.data());
      }
      // u_s (rows x nb) = W_s (rows x dim) * [a_s(b, t)]_b, the activities being a dim x nb
      // matrix with leading dimension T*dim inside act[s] (no gather).
      for (size_t s = 0; s < S; ++s) {
        const Site& site = m.sites[s];
        linalg::gemm(linalg::Op::T, linalg::Op::N, site.rows, nb, site.dim, 1.0, site.weight.data(), site.dim,
                     &tr.act[s][static_cast<size_t>((b0 * T + t) * site.dim)], T * site.dim, 0.0, u[s].data(),
                     site.rows);
      }
      for (Index b = b0; b < b1; ++b) {
        const Index row = b * T + t;
        for (size_t s = 0; s < S; ++s) {
          up[s] = &u[s][static_cast<size_t>((b - b0) * m.sites[s].rows)];
          dp[s] = &tr.d[s][static_cast<size_t>(row * R * m.sites[s].rows)];
        }
        cell.step(hprev(b), up.data(), &tr.hidden[static_cast<size_t>(row * SW)],
                  tr.c.empty() ? nullptr : &tr.c[static_cast<size_t>(row * R * R * H)],
                  tr.e.empty() ? nullptr : &tr.e[static_cast<size_t>(row * H)], dp.data());
      }
    }
  });
  const Site& hs = m.sites[static_cast<size_t>(m.hidden_site)];
  tr.w_hh = linalg::PackedMatrix(hs.rows, H, hs.weight.data(), hs.dim, 1);
  tr.w_hh_t = linalg::PackedMatrix(H, hs.rows, hs.weight.data(), 1, hs.dim);
  if (m.kind == CellKind::RnnLeaky || m.kind == CellKind::RnnLinear) {  // J's c and D are the constants 1-dt, dt
    tr.c_scalar = 1.0 - m.dt;
    tr.d_scalar = m.dt;
  }
  return tr;
}

}  // namespace ntk4j
