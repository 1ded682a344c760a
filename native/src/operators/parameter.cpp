// J_theta, J_theta^T and K through the weight sites (DESIGN.md, "Kronecker core of K"). Per
// probe and site, with A_s the (B*T) x dim activity matrix and X = D_s^T q (rows x B*T):
//   J_theta^T q :  M = X A_s                    (rows x dim, one GEMM)
//   J_theta v   :  y += D_s (V_s A_s^T)         (one GEMM)
//   K q         :  y += D_s ((X A_s) A_s^T)     (two GEMMs; G_s = A_s A_s^T is never formed)
#include <algorithm>
#include <cmath>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"
#include "linalg/scratch.hpp"
#include "linalg/views.hpp"
#include "operators/operators.hpp"

namespace ntk4j::ops {

namespace {

using linalg::col;

// X (rows x nbt, column-major) = D_s^T q over rows bt0 .. bt0+nbt-1 of one probe q ([B, T, H]):
// X[g*H+i, bt] = D[bt, g*H+i] q[bt, i].
void scale_into_site(const Trajectory& tr, size_t s, const double* q, Index bt0, Index nbt, double* x) {
  const Site& site = tr.model->sites[s];
  const Index H = tr.H, rows = site.rows;
  const double* d = tr.d[s].data();
  if (tr.R > 1) {  // X[g] = sum_r D[r][g] (.) q[r] (cells/model.hpp)
    const Index hc = tr.hc, R = tr.R;
    for (Index bt = bt0; bt < bt0 + nbt; ++bt) {
      const double* db = d + bt * R * rows;
      for (Index g = 0; g < site.groups; ++g) {
        auto xg = col(x + (bt - bt0) * rows + g * hc, hc);
        xg = col(db + g * hc, hc) * col(q + bt * H, hc);
        for (Index r = 1; r < R; ++r) xg += col(db + r * rows + g * hc, hc) * col(q + bt * H + r * hc, hc);
      }
    }
    return;
  }
  for (Index bt = bt0; bt < bt0 + nbt; ++bt) {
    const auto qc = col(q + bt * H, H);
    for (Index g = 0; g < site.groups; ++g) col(x + (bt - bt0) * rows + g * H, H) = col(d + bt * rows + g * H, H) * qc;
  }
}

// y[bt, i] += sum_g D[bt, g*H+i] u[g*H+i, bt - bt0] over rows bt0 .. bt0+nbt-1 (u: rows x nbt).
void scale_from_site(const Trajectory& tr, size_t s, const double* u, Index bt0, Index nbt, double* y) {
  const Site& site = tr.model->sites[s];
  const Index H = tr.H, rows = site.rows;
  const double* d = tr.d[s].data();
  if (tr.R > 1) {  // y[r] += sum_g D[r][g] (.) u[g]
    const Index hc = tr.hc, R = tr.R;
    for (Index bt = bt0; bt < bt0 + nbt; ++bt) {
      const double* db = d + bt * R * rows;
      for (Index r = 0; r < R; ++r) {
        auto yr = col(y + bt * H + r * hc, hc);
        for (Index g = 0; g < site.groups; ++g)
          yr += col(db + r * rows + g * hc, hc) * col(u + (bt - bt0) * rows + g * hc, hc);
      }
    }
    return;
  }
  for (Index bt = bt0; bt < bt0 + nbt; ++bt) {
    auto yc = col(y + bt * H, H);
    for (Index g = 0; g < site.groups; ++g) yc += col(d + bt * rows + g * H, H) * col(u + (bt - bt0) * rows + g * H, H);
  }
}

Index max_rows(const Model& m) {
  Index r = 0;
  for (const Site& s : m.sites) r = std::max(r, s.rows);
  return r;
}

// The hidden site of rnn_leaky: one site, D the same number everywhere (tr.d_scalar), one group.
// Its D scaling folds into the GEMM's alpha and the state rows are the GEMM's operand, in place.
bool scalar_site(const Trajectory& tr, const Site& site) {
  return tr.model->sites.size() == 1 && site.groups == 1 && site.rows == tr.H && !std::isnan(tr.d_scalar);
}

// Rows of B*T per thread below which splitting does not pay.
constexpr Index kMinRowsPerThread = 256;

}  // namespace

SiteStack::SiteStack(const Model& m) {
  for (const Site& s : m.sites) {
    offset.push_back(size);
    size += s.rows * s.dim;
  }
}

void SiteStack::gather(const Model& m, const double* v, double* mats) const {
  for (size_t s = 0; s < m.sites.size(); ++s) {
    const Site& site = m.sites[s];
    double* mat = mats + offset[s];
    for (const ParamSlice& sl : site.slices) {
      const double* p = v + m.param_offset[static_cast<size_t>(sl.param)];
      for (Index c = 0; c < sl.ncols; ++c)
        for (Index r = 0; r < site.rows; ++r) mat[(sl.col0 + c) * site.rows + r] = p[r * sl.ncols + c];
    }
  }
}

void SiteStack::scatter(const Model& m, const double* mats, double* g) const {
  for (size_t s = 0; s < m.sites.size(); ++s) {
    const Site& site = m.sites[s];
    const double* mat = mats + offset[s];
    for (const ParamSlice& sl : site.slices) {
      double* p = g + m.param_offset[static_cast<size_t>(sl.param)];
      for (Index r = 0; r < site.rows; ++r)
        for (Index c = 0; c < sl.ncols; ++c) p[r * sl.ncols + c] = mat[(sl.col0 + c) * site.rows + r];
    }
  }
}

void jtheta_rows(const Trajectory& tr, const SiteStack& st, const double* mats, Index bt0, Index bt1, double* y) {
  const Model& m = *tr.model;
  const Index nbt = bt1 - bt0;
  if (nbt <= 0) return;
  if (scalar_site(tr, m.sites[0])) {  // y = d (V A^T), written straight into the state rows
    const Site& site = m.sites[0];
    linalg::gemm(linalg::Op::N, linalg::Op::N, site.rows, nbt, site.dim, tr.d_scalar, mats, site.rows,
                 tr.act[0].data() + bt0 * site.dim, site.dim, 0.0, y + bt0 * tr.H, tr.H);
    return;
  }
  linalg::Scratch u(static_cast<size_t>(max_rows(m) * nbt));
  std::fill(y + bt0 * tr.H, y + bt1 * tr.H, 0.0);
  for (size_t s = 0; s < m.sites.size(); ++s) {
    const Site& site = m.sites[s];
    linalg::gemm(linalg::Op::N, linalg::Op::N, site.rows, nbt, site.dim, 1.0, mats + st.offset[s], site.rows,
                 tr.act[s].data() + bt0 * site.dim, site.dim, 0.0, u.data(), site.rows);
    scale_from_site(tr, s, u.data(), bt0, nbt, y);
  }
}

void jtheta_adjoint_rows(const Trajectory& tr, const SiteStack& st, const double* q, Index bt0, Index bt1,
                         double* mats) {
  const Model& m = *tr.model;
  const Index nbt = bt1 - bt0;
  if (nbt <= 0) {
    std::fill(mats, mats + st.size, 0.0);
    return;
  }
  if (scalar_site(tr, m.sites[0])) {  // M = d (Q A), Q the state rows themselves
    const Site& site = m.sites[0];
    linalg::gemm(linalg::Op::N, linalg::Op::T, site.rows, site.dim, nbt, tr.d_scalar, q + bt0 * tr.H, tr.H,
                 tr.act[0].data() + bt0 * site.dim, site.dim, 0.0, mats, site.rows);
    return;
  }
  linalg::Scratch x(static_cast<size_t>(max_rows(m) * nbt));
  for (size_t s = 0; s < m.sites.size(); ++s) {
    const Site& site = m.sites[s];
    scale_into_site(tr, s, q, bt0, nbt, x.data());
    linalg::gemm(linalg::Op::N, linalg::Op::T, site.rows, site.dim, nbt, 1.0, x.data(), site.rows,
                 tr.act[s].data() + bt0 * site.dim, site.dim, 0.0, mats + st.offset[s], site.rows);
  }
}

// y = J_theta v: per site and probe, U = V_s A_s^T over a range of B*T rows, then y += D_s U.
// Threads take disjoint row ranges (no reduction needed).
void jtheta(const Trajectory& tr, const double* v, Index k, double* y) {
  const Model& m = *tr.model;
  const SiteStack st(m);
  const Index n = tr.state_size();
  linalg::Scratch mats(static_cast<size_t>(k * st.size));
  for (Index j = 0; j < k; ++j) st.gather(m, v + j * m.num_params, mats.data() + j * st.size);
  linalg::parallel_chunks(tr.bt(), linalg::parallel_width(tr.bt(), kMinRowsPerThread),
                          [&](Index, Index bt0, Index bt1) {
                            for (Index j = 0; j < k; ++j)
                              jtheta_rows(tr, st, mats.data() + j * st.size, bt0, bt1, y + j * n);
                          });
}

// g = J_theta^T q: per site and probe, M = X A_s with X = D_s^T q. Each thread sums its range
// of B*T rows into its own stack of site matrices; the stacks are added afterwards.
void jtheta_adjoint(const Trajectory& tr, const double* q, Index k, double* g) {
  const Model& m = *tr.model;
  const SiteStack st(m);
  const Index n = tr.state_size(), width = std::min(tr.bt(), linalg::parallel_width(tr.bt(), kMinRowsPerThread));
  const Index per_chunk = k * st.size;
  linalg::Scratch partial(static_cast<size_t>(width * per_chunk));
  linalg::parallel_chunks(tr.bt(), width, [&](Index c, Index bt0, Index bt1) {
    for (Index j = 0; j < k; ++j)
      jtheta_adjoint_rows(tr, st, q + j * n, bt0, bt1, partial.data() + c * per_chunk + j * st.size);
  });
  double* sum = partial.data();
  for (Index c = 1; c < width; ++c)
    for (Index i = 0; i < per_chunk; ++i) sum[i] += partial.data()[c * per_chunk + i];
  for (Index j = 0; j < k; ++j) st.scatter(m, sum + j * st.size, g + j * m.num_params);
}

// K q = J_theta (J_theta^T q) (DESIGN.md, "Kronecker core of K"; G_s = A_s A_s^T is never formed).
void parameter_operator(const Trajectory& tr, const double* q, Index k, double* y) {
  linalg::Scratch g(static_cast<size_t>(k * tr.model->num_params));
  jtheta_adjoint(tr, q, k, g.data());
  jtheta(tr, g.data(), k, y);
}

}  // namespace ntk4j::ops
