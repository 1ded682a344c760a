// The attention block's tangent operators (blocks/attention_mlp.hpp, DESIGN.md "Feed-forward
// blocks"). Everything is GEMM-shaped: a state block of kp probes is a column-major
// (width x kp*B*T) matrix with leading dimension S, so a per-token linear map is one GEMM over all
// columns and the attention of one (probe, trial, head) is five small T x T x d_head GEMMs.
#include <algorithm>
#include <cmath>

#include "blocks/attention_mlp.hpp"
#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"
#include "linalg/restriction.hpp"

namespace ntk4j::blocks {

using linalg::gemm;
using linalg::Op;

namespace {

// g <- A (.) (g - colsum(A (.) g)): the softmax Jacobian (and its transpose, the same map) per
// column of the T x T storage.
void softmax_tangent(const double* A, double* g, Index T) {
  for (Index t = 0; t < T; ++t) {
    const double* a = A + t * T;
    double* col = g + t * T;
    double s = 0;
    for (Index j = 0; j < T; ++j) s += a[j] * col[j];
    for (Index j = 0; j < T; ++j) col[j] = a[j] * (col[j] - s);
  }
}

const double* weight(const AttentionCache& c, const BlockSite& s) { return c.block->theta.data() + s.param; }

// Runs body(probe, trial) over the kp * B attention problems, split across threads.
template <typename Body>
void for_each_trial(const AttentionCache& c, Index kp, Body body) {
  const Index n = kp * c.B;
  linalg::parallel_chunks(n, linalg::parallel_width(n, 2), [&](Index, Index i0, Index i1) {
    std::vector<double> work(static_cast<std::size_t>(2 * c.T * c.T));
    for (Index i = i0; i < i1; ++i) body(i / c.B, i % c.B, work.data());
  });
}

// out_a += sign dAttn(src_q, src_k, src_v) (forward-mode tangent of the attention).
void attention_tangent(const AttentionCache& c, const double* src, double* out, Index kp, double sign) {
  const AttentionMlp& b = *c.block;
  const Index S = b.S, T = c.T, dh = b.cfg.d_head(), nh = b.cfg.heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for_each_trial(c, kp, [&](Index j, Index bi, double* work) {
    const double* x = c.state.data() + bi * T * S;  // the forward pass of trial bi
    const double* dx = src + (j * c.B + bi) * T * S;
    double* dy = out + (j * c.B + bi) * T * S;
    double* ds = work;
    for (Index h = 0; h < nh; ++h) {
      const Index col = h * dh;
      const double* A = c.probs.data() + (bi * nh + h) * T * T;
      gemm(Op::T, Op::N, T, T, dh, scale, dx + b.k + col, S, x + b.q + col, S, 0.0, ds, T);
      gemm(Op::T, Op::N, T, T, dh, scale, x + b.k + col, S, dx + b.q + col, S, 1.0, ds, T);
      softmax_tangent(A, ds, T);
      gemm(Op::N, Op::N, dh, T, T, sign, x + b.v + col, S, ds, T, 1.0, dy + b.a + col, S);
      gemm(Op::N, Op::N, dh, T, T, sign, dx + b.v + col, S, A, T, 1.0, dy + b.a + col, S);
    }
  });
}

// (out_q, out_k, out_v) += sign dAttn^T(src_a) (reverse mode).
void attention_adjoint(const AttentionCache& c, const double* src, double* out, Index kp, double sign) {
  const AttentionMlp& b = *c.block;
  const Index S = b.S, T = c.T, dh = b.cfg.d_head(), nh = b.cfg.heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for_each_trial(c, kp, [&](Index j, Index bi, double* work) {
    const double* x = c.state.data() + bi * T * S;
    const double* ga = src + (j * c.B + bi) * T * S + b.a;
    double* g = out + (j * c.B + bi) * T * S;
    double* gs = work;
    for (Index h = 0; h < nh; ++h) {
      const Index col = h * dh;
      const double* A = c.probs.data() + (bi * nh + h) * T * T;
      gemm(Op::N, Op::T, dh, T, T, sign, ga + col, S, A, T, 1.0, g + b.v + col, S);
      gemm(Op::T, Op::N, T, T, dh, 1.0, x + b.v + col, S, ga + col, S, 0.0, gs, T);
      softmax_tangent(A, gs, T);
      gemm(Op::N, Op::N, dh, T, T, sign * scale, x + b.k + col, S, gs, T, 1.0, g + b.q + col, S);
      gemm(Op::N, Op::T, dh, T, T, sign * scale, x + b.q + col, S, gs, T, 1.0, g + b.k + col, S);
    }
  });
}

// out += sign L src in block order (P: src = out, each block then reads its finished
// predecessors, z = q + L z; P^-1: src = q, z = q - L q). DESIGN.md, "Feed-forward blocks".
void lower(const AttentionCache& c, const double* src, double* out, Index kp, double sign) {
  const AttentionMlp& b = *c.block;
  const Index S = b.S, cols = kp * c.B * c.T, bt = c.B * c.T;
  std::vector<double> tmp;
  for (std::size_t si = 1; si < b.sites.size(); ++si) {
    const BlockSite& s = b.sites[si];
    if (s.out == b.o) attention_tangent(c, src, out, kp, sign);  // a precedes o
    if (s.activity == BlockSite::Activity::GeluOfState) {
      // tmp = gelu'(pre) (.) src_pre, the tangent of the site's activity.
      tmp.resize(static_cast<std::size_t>(s.dim * cols));
      const double* slope = c.slope[si].data();
      for (Index col = 0; col < cols; ++col) {
        const double* z = src + col * S + s.src;
        const double* d = slope + (col % bt) * s.dim;
        double* t = tmp.data() + col * s.dim;
        for (Index i = 0; i < s.dim; ++i) t[i] = d[i] * z[i];
      }
      gemm(Op::T, Op::N, s.rows, cols, s.dim, sign, weight(c, s), s.dim, tmp.data(), s.dim, 1.0, out + s.out, S);
    } else {
      gemm(Op::T, Op::N, s.rows, cols, s.dim, sign, weight(c, s), s.dim, src + s.src, S, 1.0, out + s.out, S);
    }
  }
}

// out += sign L^T src, distributing each block to the ones it reads, latest block first (P*:
// src = out, so a block is distributed once everything after it has reached it).
void lower_adjoint(const AttentionCache& c, const double* src, double* out, Index kp, double sign) {
  const AttentionMlp& b = *c.block;
  const Index S = b.S, cols = kp * c.B * c.T, bt = c.B * c.T;
  std::vector<double> tmp;
  for (std::size_t si = b.sites.size() - 1; si >= 1; --si) {
    const BlockSite& s = b.sites[si];
    if (s.activity == BlockSite::Activity::GeluOfState) {
      tmp.resize(static_cast<std::size_t>(s.dim * cols));
      gemm(Op::N, Op::N, s.dim, cols, s.rows, 1.0, weight(c, s), s.dim, src + s.out, S, 0.0, tmp.data(), s.dim);
      const double* slope = c.slope[si].data();
      for (Index col = 0; col < cols; ++col) {
        const double* d = slope + (col % bt) * s.dim;
        const double* t = tmp.data() + col * s.dim;
        double* z = out + col * S + s.src;
        for (Index i = 0; i < s.dim; ++i) z[i] += sign * d[i] * t[i];
      }
    } else {
      gemm(Op::N, Op::N, s.dim, cols, s.rows, sign, weight(c, s), s.dim, src + s.out, S, 1.0, out + s.src, S);
    }
    if (s.out == b.o) attention_adjoint(c, src, out, kp, sign);  // after o reached a
  }
}

// The per-probe parameter products of one site: G_s = A_s Q_out^T (dim x rows column-major,
// i.e. W-shaped row-major) and Y_out += V_s A_s.
void site_adjoint(const AttentionCache& c, std::size_t si, const double* q, double* g) {
  const BlockSite& s = c.block->sites[si];
  Index ld = 0;
  const double* A = c.activity(si, &ld);
  gemm(Op::N, Op::T, s.dim, s.rows, c.B * c.T, 1.0, A, ld, q + s.out, c.block->S, 0.0, g, s.dim);
}

void site_forward(const AttentionCache& c, std::size_t si, const double* w, double* y) {
  const BlockSite& s = c.block->sites[si];
  Index ld = 0;
  const double* A = c.activity(si, &ld);
  gemm(Op::T, Op::N, s.rows, c.B * c.T, s.dim, 1.0, w, s.dim, A, ld, 1.0, y + s.out, c.block->S);
}

}  // namespace

namespace attention_ops {

void propagate(const AttentionCache& c, const double* q, Index kp, double* y) {
  std::copy(q, q + kp * c.state_size(), y);
  lower(c, y, y, kp, 1.0);
}

void propagate_adjoint(const AttentionCache& c, const double* q, Index kp, double* y) {
  std::copy(q, q + kp * c.state_size(), y);
  lower_adjoint(c, y, y, kp, 1.0);
}

void propagate_inverse(const AttentionCache& c, const double* q, Index kp, double* y) {
  std::copy(q, q + kp * c.state_size(), y);
  lower(c, q, y, kp, -1.0);
}

void propagate_inverse_adjoint(const AttentionCache& c, const double* q, Index kp, double* y) {
  std::copy(q, q + kp * c.state_size(), y);
  lower_adjoint(c, q, y, kp, -1.0);
}

void jtheta(const AttentionCache& c, const double* v, Index kp, double* y) {
  const AttentionMlp& b = *c.block;
  const Index n = c.state_size();
  std::fill(y, y + kp * n, 0.0);
  std::vector<double> w(static_cast<std::size_t>(b.sites[0].rows * b.sites[0].dim));
  for (Index j = 0; j < kp; ++j) {
    const double* vj = v + j * b.num_params;
    gather_input(b, vj, w.data());
    site_forward(c, 0, w.data(), y + j * n);
    for (std::size_t s = 1; s < b.sites.size(); ++s) site_forward(c, s, vj + b.sites[s].param, y + j * n);
  }
}

void jtheta_adjoint(const AttentionCache& c, const double* q, Index kp, double* g) {
  const AttentionMlp& b = *c.block;
  const Index n = c.state_size();
  std::vector<double> w(static_cast<std::size_t>(b.sites[0].rows * b.sites[0].dim));
  for (Index j = 0; j < kp; ++j) {
    double* gj = g + j * b.num_params;
    site_adjoint(c, 0, q + j * n, w.data());
    scatter_input(b, w.data(), gj);
    for (std::size_t s = 1; s < b.sites.size(); ++s) site_adjoint(c, s, q + j * n, gj + b.sites[s].param);
  }
}

// K q = sum_s E_s A_s (A_s^T (E_s^T q)): per site, the W-shaped G_s = A_s^T q_s, then A_s G_s,
// never the parameter vector (the pos columns of the input site included).
void parameter_operator(const AttentionCache& c, const double* q, Index kp, double* y) {
  const AttentionMlp& b = *c.block;
  const Index n = c.state_size();
  std::fill(y, y + kp * n, 0.0);
  Index widest = 0;
  for (const auto& s : b.sites) widest = std::max(widest, s.rows * s.dim);
  std::vector<double> g(static_cast<std::size_t>(widest));
  for (Index j = 0; j < kp; ++j)
    for (std::size_t s = 0; s < b.sites.size(); ++s) {
      site_adjoint(c, s, q + j * n, g.data());
      site_forward(c, s, g.data(), y + j * n);
    }
}

void ntk(const AttentionCache& c, const double* q, Index kp, double* y) {
  std::vector<double> t(static_cast<std::size_t>(kp * c.state_size()));
  propagate_adjoint(c, q, kp, t.data());
  parameter_operator(c, t.data(), kp, y);
  propagate(c, y, kp, t.data());
  std::copy(t.begin(), t.end(), y);
}

void ntk_outputs(const AttentionCache& c, const double* q, Index kp, double* y) {
  const AttentionMlp& b = *c.block;
  linalg::apply_restricted(kp * c.B * c.T, b.S, b.y, b.cfg.d_output, q, y,
                           [&](const double* z, double* w) { ntk(c, z, kp, w); });
}

}  // namespace attention_ops

}  // namespace ntk4j::blocks
