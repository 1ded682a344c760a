// J_theta, J_theta^T and K through the weight sites (DESIGN.md, "Kronecker core of K"). Per
// probe and site, with A_s the (B*T) x dim activity matrix and X = D_s^T q (rows x B*T):
//   J_theta^T q :  M = X A_s                    (rows x dim, one GEMM)
//   J_theta v   :  y += D_s (V_s A_s^T)         (one GEMM)
//   K q         :  y += D_s ((X A_s) A_s^T)     (two GEMMs; G_s = A_s A_s^T is never formed)
#include <algorithm>
#include <vector>

#include "linalg/blas.hpp"
#include "linalg/scratch.hpp"
#include "linalg/views.hpp"
#include "operators/operators.hpp"

namespace ntk4j::ops {

namespace {

using linalg::col;

// X (rows x BT, column-major) = D_s^T q for one probe q ([B, T, H]): X[g*H+i, bt] = D[bt, g*H+i] q[bt, i].
void scale_into_site(const Trajectory& tr, size_t s, const double* q, double* x) {
  const Site& site = tr.model->sites[s];
  const Index H = tr.H, rows = site.rows, BT = tr.bt();
  const double* d = tr.d[s].data();
  for (Index bt = 0; bt < BT; ++bt) {
    const auto qc = col(q + bt * H, H);
    for (Index g = 0; g < site.groups; ++g)
      col(x + bt * rows + g * H, H) = col(d + bt * rows + g * H, H) * qc;
  }
}

// y[bt, i] += sum_g D[bt, g*H+i] u[g*H+i, bt]  (u: rows x BT column-major).
void scale_from_site(const Trajectory& tr, size_t s, const double* u, double* y) {
  const Site& site = tr.model->sites[s];
  const Index H = tr.H, rows = site.rows, BT = tr.bt();
  const double* d = tr.d[s].data();
  for (Index bt = 0; bt < BT; ++bt) {
    auto yc = col(y + bt * H, H);
    for (Index g = 0; g < site.groups; ++g)
      yc += col(d + bt * rows + g * H, H) * col(u + bt * rows + g * H, H);
  }
}

// M (rows x dim, column-major) = X A_s, A_s = act[s] as a (BT x dim) row-major matrix.
void site_gradient(const Trajectory& tr, size_t s, const double* x, double* mat) {
  const Site& site = tr.model->sites[s];
  linalg::gemm(linalg::Op::N, linalg::Op::T, site.rows, site.dim, tr.bt(), 1.0, x, site.rows,
               tr.act[s].data(), site.dim, 0.0, mat, site.rows);
}

// U (rows x BT) = M A_s^T.
void site_forward(const Trajectory& tr, size_t s, const double* mat, double* u) {
  const Site& site = tr.model->sites[s];
  linalg::gemm(linalg::Op::N, linalg::Op::N, site.rows, tr.bt(), site.dim, 1.0, mat, site.rows,
               tr.act[s].data(), site.dim, 0.0, u, site.rows);
}

size_t max_site(const Trajectory& tr, bool dim_times_rows) {
  size_t n = 0;
  for (const Site& s : tr.model->sites)
    n = std::max(n, static_cast<size_t>(dim_times_rows ? s.rows * s.dim : s.rows * tr.bt()));
  return n;
}

}  // namespace

void jtheta(const Trajectory& tr, const double* v, Index k, double* y) {
  const Model& m = *tr.model;
  linalg::Scratch mat(max_site(tr, true)), u(max_site(tr, false));
  const Index n = tr.state_size();
  std::fill(y, y + k * n, 0.0);
  for (Index j = 0; j < k; ++j) {
    const double* vj = v + j * m.num_params;
    for (size_t s = 0; s < m.sites.size(); ++s) {
      const Site& site = m.sites[s];
      // Gather V_s (rows x dim, column-major) from the flat PyTorch-ordered parameter vector.
      for (const ParamSlice& sl : site.slices) {
        const double* p = vj + m.param_offset[static_cast<size_t>(sl.param)];
        for (Index c = 0; c < sl.ncols; ++c)
          for (Index r = 0; r < site.rows; ++r)
            mat.data()[(sl.col0 + c) * site.rows + r] = p[r * sl.ncols + c];
      }
      site_forward(tr, s, mat.data(), u.data());
      scale_from_site(tr, s, u.data(), y + j * n);
    }
  }
}

void jtheta_adjoint(const Trajectory& tr, const double* q, Index k, double* g) {
  const Model& m = *tr.model;
  linalg::Scratch mat(max_site(tr, true)), x(max_site(tr, false));
  const Index n = tr.state_size();
  for (Index j = 0; j < k; ++j) {
    double* gj = g + j * m.num_params;
    for (size_t s = 0; s < m.sites.size(); ++s) {
      const Site& site = m.sites[s];
      scale_into_site(tr, s, q + j * n, x.data());
      site_gradient(tr, s, x.data(), mat.data());
      for (const ParamSlice& sl : site.slices) {
        double* p = gj + m.param_offset[static_cast<size_t>(sl.param)];
        for (Index r = 0; r < site.rows; ++r)
          for (Index c = 0; c < sl.ncols; ++c)
            p[r * sl.ncols + c] = mat.data()[(sl.col0 + c) * site.rows + r];
      }
    }
  }
}

void parameter_operator(const Trajectory& tr, const double* q, Index k, double* y) {
  const Model& m = *tr.model;
  linalg::Scratch mat(max_site(tr, true)), x(max_site(tr, false));
  const Index n = tr.state_size();
  std::fill(y, y + k * n, 0.0);
  for (Index j = 0; j < k; ++j) {
    for (size_t s = 0; s < m.sites.size(); ++s) {
      scale_into_site(tr, s, q + j * n, x.data());
      site_gradient(tr, s, x.data(), mat.data());
      site_forward(tr, s, mat.data(), x.data());
      scale_from_site(tr, s, x.data(), y + j * n);
    }
  }
}

}  // namespace ntk4j::ops
