// Top eigenpairs of a Gram operator A A* by Lanczos on the smaller of A A* and A* A
// (spectral/lanczos.hpp, gram_top): NTK_S = J J^T is solved on the parameter side when that is
// smaller, and its vectors mapped back.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>

#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/dense.hpp"
#include "linalg/random.hpp"
#include "spectral/lanczos.hpp"

namespace ntk4j::spectral {

using linalg::gemm;
using linalg::Op;

EigsResult gram_top(const linalg::OperatorPtr& a, const EigsOptions& o, bool want_vectors) {
  const auto big = linalg::gram(a);
  const Index n = a->rows(), m = a->cols();
  if (m >= n || o.k > m) return lanczos_top(*big, o, want_vectors);
  EigsOptions small_o = o;
  small_o.adjoint_side_tol = true;       // the map back to A A* amplifies residuals by sqrt(lambda_max / lambda)
  const auto small = linalg::normal(a);  // A* A
  EigsResult s = lanczos_top(*small, small_o, true);
  const Index k = o.k;
  const double top = std::abs(s.values[0]);
  for (double v : s.values)
    if (!(v > 1e-12 * top)) {  // a zero eigenvalue: no vector to map back
      EigsResult r = lanczos_top(*big, o, want_vectors);
      r.vector_applies += s.vector_applies;
      r.block_applies += s.block_applies;
      return r;
    }
  // With v_i the eigenvectors of A* A and r_i = A* A v_i - lambda_i v_i their residuals,
  // u_i = A v_i / ||A v_i|| has A A* u_i - lambda_i u_i = A r_i / ||A v_i||, and ||A v_i|| =
  // sqrt(lambda_i) (lambda_i is v_i's Rayleigh quotient). The r_i all lie, up to round-off, in the
  // span of the final Krylov block F (b columns): r_i = F c_i + e_i with e_i tiny and known. So
  // one apply of A on F (plus on the v_i when the vectors are wanted) bounds every residual:
  //   ||A r_i|| <= ||(A F) c_i|| + ||A|| ||e_i||,   ||A|| = sqrt(lambda_max).
  // Without that structure (the basis exhausted the space), A is applied to all the r_i.
  std::vector<double> res(static_cast<size_t>(k * m));
  for (Index i = 0; i < k * m; ++i)
    res[static_cast<size_t>(i)] =
        s.images[static_cast<size_t>(i)] - s.values[static_cast<size_t>(i / m)] * s.vectors[static_cast<size_t>(i)];
  const Index w = s.krylov_width > 0 ? s.krylov_width : k;
  std::vector<double> e_norm(static_cast<size_t>(k), 0.0);
  if (s.krylov_width > 0) {
    for (Index i = 0; i < k; ++i) {
      double ss = 0;
      for (Index j = 0; j < m; ++j) {
        double fc = 0;
        for (Index l = 0; l < w; ++l)
          fc += s.krylov_block[static_cast<size_t>(l * m + j)] * s.krylov_coeffs[static_cast<size_t>(i * w + l)];
        const double d = res[static_cast<size_t>(i * m + j)] - fc;
        ss += d * d;
      }
      e_norm[static_cast<size_t>(i)] = std::sqrt(ss);
    }
  }
  const Index nv = want_vectors ? k : 0, cols = nv + w;
  std::vector<double> in(static_cast<size_t>(cols * m)), images(static_cast<size_t>(cols * n));
  std::copy_n(s.vectors.data(), nv * m, in.data());
  std::copy_n(s.krylov_width > 0 ? s.krylov_block.data() : res.data(), w * m, in.data() + nv * m);
  linalg::checked_apply(*a, in.data(), cols, images.data());
  // ||A r_i|| (or of its part A F c_i), one state vector at a time.
  std::vector<double> ar_norm(static_cast<size_t>(k)), ar(static_cast<size_t>(n));
  for (Index i = 0; i < k; ++i) {
    const double* ari = images.data() + (nv + i) * n;
    if (s.krylov_width > 0) {
      gemm(Op::N, Op::N, n, 1, w, 1.0, images.data() + nv * n, n, s.krylov_coeffs.data() + i * w, w, 0.0, ar.data(), n);
      ari = ar.data();
    }
    double ss = 0;
    for (Index j = 0; j < n; ++j) ss += ari[j] * ari[j];
    ar_norm[static_cast<size_t>(i)] = std::sqrt(ss);
  }
  std::vector<double> norms(static_cast<size_t>(k));
  for (Index i = 0; i < k; ++i) norms[static_cast<size_t>(i)] = std::sqrt(s.values[static_cast<size_t>(i)]);
  std::vector<double> u;
  if (want_vectors) {
    u.assign(images.begin(), images.begin() + k * n);
    for (Index i = 0; i < k; ++i) {
      double norm = 0;
      for (Index j = 0; j < n; ++j) norm += u[static_cast<size_t>(i * n + j)] * u[static_cast<size_t>(i * n + j)];
      norms[static_cast<size_t>(i)] = std::sqrt(norm);  // = sqrt(lambda_i) up to round-off
      for (Index j = 0; j < n; ++j) u[static_cast<size_t>(i * n + j)] /= norms[static_cast<size_t>(i)];
    }
  }
  EigsResult r = s;
  r.converged = 0;
  double scale = 0;
  for (double v : s.values) scale = std::max(scale, std::abs(v));
  for (Index i = 0; i < k; ++i) {
    r.residuals[static_cast<size_t>(i)] =
        (ar_norm[static_cast<size_t>(i)] + std::sqrt(top) * e_norm[static_cast<size_t>(i)]) /
        norms[static_cast<size_t>(i)];
    if (r.residuals[static_cast<size_t>(i)] <= o.tol * scale) ++r.converged;
  }
  // Vector applies in units of A A* (an apply of A* A costs the same: one A and one A*); columns
  // through A alone count half.
  r.vector_applies = s.vector_applies + (cols + 1) / 2;
  r.block_applies = s.block_applies + 1;
  r.images.clear();
  r.krylov_block.clear();
  r.krylov_coeffs.clear();
  r.krylov_width = 0;
  if (want_vectors)
    r.vectors = std::move(u);
  else
    r.vectors.clear();
  return r;
}

}  // namespace ntk4j::spectral
