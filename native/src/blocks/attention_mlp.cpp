// The attention block's layout, forward pass and tangent operators (blocks/attention_mlp.hpp).
// Everything is GEMM-shaped: a state block of kp probes is a column-major (width x kp*B*T)
// matrix with leading dimension S, so a per-token linear map is one GEMM over all columns and
// the attention of one (probe, trial, head) is five small T x T x d_head GEMMs.
#include "blocks/attention_mlp.hpp"

#include <algorithm>
#include <cmath>

#include "cells/model.hpp"
#include "linalg/blas.hpp"
#include "linalg/parallel.hpp"

namespace ntk4j::blocks {

using linalg::gemm;
using linalg::Op;

namespace {

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x * M_SQRT1_2)); }
// d/dx x Phi(x) = Phi(x) + x phi(x) (PyTorch's exact GELU, approximate='none').
double gelu_slope(double x) {
  return 0.5 * (1.0 + std::erf(x * M_SQRT1_2)) + x * std::exp(-0.5 * x * x) * 0.5 * M_2_SQRTPI * M_SQRT1_2;
}

void add_param(AttentionMlp& b, const std::string& name, Index size) {
  b.param_names.push_back(name);
  b.param_offset.push_back(b.num_params);
  b.param_size.push_back(size);
  b.num_params = checked_mul(1, b.num_params + size, "parameter count");
}

Index offset_of(const AttentionMlp& b, const std::string& name) {
  for (std::size_t i = 0; i < b.param_names.size(); ++i)
    if (b.param_names[i] == name) return b.param_offset[i];
  return -1;
}

// The input site's W_s = [W_in | b_in | pos^T] (D x dim, row-major) from a flat parameter-space
// vector, and back (scatter adds into g).
void gather_input(const AttentionMlp& b, const double* theta, double* w) {
  const Index D = b.cfg.d_model, N = b.cfg.d_input, dim = b.sites[0].dim;
  for (Index d = 0; d < D; ++d) {
    double* row = w + d * dim;
    std::copy(theta + b.w_in + d * N, theta + b.w_in + (d + 1) * N, row);
    row[N] = theta[b.b_in + d];
    if (b.pos >= 0)
      for (Index t = 0; t < b.cfg.max_seq_len; ++t) row[N + 1 + t] = theta[b.pos + t * D + d];
  }
}

void scatter_input(const AttentionMlp& b, const double* w, double* g) {
  const Index D = b.cfg.d_model, N = b.cfg.d_input, dim = b.sites[0].dim;
  for (Index d = 0; d < D; ++d) {
    const double* row = w + d * dim;
    std::copy(row, row + N, g + b.w_in + d * N);
    g[b.b_in + d] = row[N];
    if (b.pos >= 0)
      for (Index t = 0; t < b.cfg.max_seq_len; ++t) g[b.pos + t * D + d] = row[N + 1 + t];
  }
}

// Column-wise softmax of a T x T column-major score matrix (column t: query t over keys t'),
// keys t' > t masked when causal.
void softmax_columns(double* sc, Index T, bool causal) {
  for (Index t = 0; t < T; ++t) {
    double* col = sc + t * T;
    const Index n = causal ? t + 1 : T;
    double mx = col[0];
    for (Index j = 1; j < n; ++j) mx = std::max(mx, col[j]);
    double sum = 0;
    for (Index j = 0; j < n; ++j) sum += (col[j] = std::exp(col[j] - mx));
    for (Index j = 0; j < n; ++j) col[j] /= sum;
    for (Index j = n; j < T; ++j) col[j] = 0;
  }
}

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

std::shared_ptr<const AttentionMlp> make_attention_mlp(const AttentionMlpConfig& cfg, const double* params, Index n) {
  auto positive = [](Index v, const char* what) {
    if (v <= 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp: ", what, " must be > 0, got ", v);
  };
  positive(cfg.d_input, "d_input");
  positive(cfg.d_model, "d_model");
  positive(cfg.heads, "the head count");
  positive(cfg.mlp_layers, "mlp_layers");
  positive(cfg.d_output, "d_output");
  if (cfg.mlp_layers > 1) positive(cfg.mlp_hidden, "mlp_hidden");
  if (cfg.positional) positive(cfg.max_seq_len, "max_seq_len (the positional table's length)");
  if (cfg.d_model % cfg.heads != 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp: d_model = ", cfg.d_model,
         " is not divisible by heads = ", cfg.heads, " (each head takes d_model / heads columns)");
  const Index limit = Index{1} << 24;
  for (Index v : {cfg.d_input, cfg.d_model, cfg.mlp_hidden, cfg.d_output, cfg.max_seq_len, cfg.mlp_layers})
    if (v > limit) fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp: a size of ", v, " exceeds ", limit);
  auto b = std::make_shared<AttentionMlp>();
  b->cfg = cfg;
  if (!cfg.positional) b->cfg.max_seq_len = 0;
  const Index D = cfg.d_model, N = cfg.d_input, L = cfg.mlp_layers, Hm = L > 1 ? cfg.mlp_hidden : 0;
  b->cfg.mlp_hidden = Hm;
  // PyTorch's named_parameters() order: a module's own parameters (pos_embedding) before its
  // submodules'.
  if (cfg.positional) add_param(*b, "pos_embedding", checked_mul(cfg.max_seq_len, D, "pos_embedding"));
  add_param(*b, "input_proj.weight", checked_mul(D, N, "input_proj.weight"));
  add_param(*b, "input_proj.bias", D);
  for (const char* p : {"attn.q_proj.weight", "attn.k_proj.weight", "attn.v_proj.weight", "attn.o_proj.weight"})
    add_param(*b, p, checked_mul(D, D, p));
  for (Index i = 0; i + 1 < L; ++i)
    add_param(*b, "mlp.hidden_linears." + std::to_string(i) + ".weight", checked_mul(Hm, i == 0 ? D : Hm, "mlp"));
  add_param(*b, "mlp.final_linear.weight", checked_mul(cfg.d_output, L > 1 ? Hm : D, "mlp.final_linear.weight"));
  b->w_in = offset_of(*b, "input_proj.weight");
  b->b_in = offset_of(*b, "input_proj.bias");
  b->pos = offset_of(*b, "pos_embedding");
  // State layout: [h0, q, k, v, a, o, m_1 .. m_{L-1}, y].
  b->h0 = 0, b->q = D, b->k = 2 * D, b->v = 3 * D, b->a = 4 * D, b->o = 5 * D;
  for (Index i = 1; i < L; ++i) b->m.push_back(6 * D + (i - 1) * Hm);
  b->y = 6 * D + (L - 1) * Hm;
  b->S = b->y + cfg.d_output;
  using A = BlockSite::Activity;
  b->sites.push_back({b->h0, D, N + 1 + b->cfg.max_seq_len, A::Input, 0, 0});
  b->sites.push_back({b->q, D, D, A::State, b->h0, offset_of(*b, "attn.q_proj.weight")});
  b->sites.push_back({b->k, D, D, A::State, b->h0, offset_of(*b, "attn.k_proj.weight")});
  b->sites.push_back({b->v, D, D, A::State, b->h0, offset_of(*b, "attn.v_proj.weight")});
  b->sites.push_back({b->o, D, D, A::State, b->a, offset_of(*b, "attn.o_proj.weight")});
  for (Index i = 1; i < L; ++i)
    b->sites.push_back({b->m[i - 1], Hm, i == 1 ? D : Hm, A::GeluOfState, i == 1 ? b->o : b->m[i - 2],
                        offset_of(*b, "mlp.hidden_linears." + std::to_string(i - 1) + ".weight")});
  b->sites.push_back({b->y, cfg.d_output, L > 1 ? Hm : D, A::State, L > 1 ? b->m.back() : b->o,
                      offset_of(*b, "mlp.final_linear.weight")});
  if (n != b->num_params)
    fail(NTK4J_ERR_SHAPE, "attention_mlp with d_input=", N, ", d_model=", D, ", mlp_hidden=", Hm, ", mlp_layers=", L,
         ", d_output=", cfg.d_output, cfg.positional ? ", max_seq_len=" + std::to_string(cfg.max_seq_len) : "", " has ",
         b->num_params, " parameters, got ", n);
  if (params == nullptr) fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp: parameters must not be NULL");
  Index where = 0;
  if (!all_finite(params, n, &where)) {
    std::size_t p = 0;
    while (p + 1 < b->param_offset.size() && b->param_offset[p + 1] <= where) ++p;
    fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp parameter ", b->param_names[p],
         " has a non-finite value at flat index ", where - b->param_offset[p]);
  }
  b->theta.assign(params, params + n);
  return b;
}

const double* AttentionCache::activity(std::size_t s, Index* ld) const {
  if (!act[s].empty()) {
    *ld = block->sites[s].dim;
    return act[s].data();
  }
  *ld = block->S;
  return state.data() + block->sites[s].src;
}

AttentionCache run_attention_mlp(std::shared_ptr<const AttentionMlp> blk, const double* x, Index B, Index T) {
  const AttentionMlp& b = *blk;
  if (b.cfg.positional && T > b.cfg.max_seq_len)
    fail(NTK4J_ERR_SHAPE, "sequence of T = ", T,
         " tokens is longer than the positional table (max_seq_len = ", b.cfg.max_seq_len, ")");
  AttentionCache c;
  c.block = std::move(blk);
  c.B = B;
  c.T = T;
  const Index S = b.S, BT = B * T, N = b.cfg.d_input, D = b.cfg.d_model, nh = b.cfg.heads, dh = b.cfg.d_head();
  c.state.assign(static_cast<std::size_t>(BT * S), 0.0);
  c.probs.assign(static_cast<std::size_t>(B * nh * T * T), 0.0);
  c.act.resize(b.sites.size());
  c.slope.resize(b.sites.size());
  // The input site's activity [x_t, 1, e_t] and W = [W_in | b_in | pos^T].
  const BlockSite& in = b.sites[0];
  c.act[0].assign(static_cast<std::size_t>(BT * in.dim), 0.0);
  for (Index r = 0; r < BT; ++r) {
    double* row = c.act[0].data() + r * in.dim;
    std::copy(x + r * N, x + (r + 1) * N, row);
    row[N] = 1.0;
    if (b.pos >= 0) row[N + 1 + r % T] = 1.0;
  }
  c.w_input.resize(static_cast<std::size_t>(D * in.dim));
  gather_input(b, b.theta.data(), c.w_input.data());
  gemm(Op::T, Op::N, D, BT, in.dim, 1.0, c.w_input.data(), in.dim, c.act[0].data(), in.dim, 0.0, c.state.data() + b.h0,
       S);
  double* z = c.state.data();
  for (std::size_t si = 1; si < b.sites.size(); ++si) {
    const BlockSite& s = b.sites[si];
    if (s.out == b.o) {
      // a = softmax(q k^T / sqrt(d_head)) v per trial and head.
      const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
      linalg::parallel_chunks(B, linalg::parallel_width(B, 2), [&](Index, Index b0, Index b1) {
        for (Index bi = b0; bi < b1; ++bi)
          for (Index h = 0; h < nh; ++h) {
            double* zt = z + bi * T * S;
            double* A = c.probs.data() + (bi * nh + h) * T * T;
            gemm(Op::T, Op::N, T, T, dh, scale, zt + b.k + h * dh, S, zt + b.q + h * dh, S, 0.0, A, T);
            softmax_columns(A, T, b.cfg.causal);
            gemm(Op::N, Op::N, dh, T, T, 1.0, zt + b.v + h * dh, S, A, T, 0.0, zt + b.a + h * dh, S);
          }
      });
    }
    Index ld = S;
    const double* act = z + s.src;
    if (s.activity == BlockSite::Activity::GeluOfState) {
      c.act[si].resize(static_cast<std::size_t>(BT * s.dim));
      c.slope[si].resize(static_cast<std::size_t>(BT * s.dim));
      for (Index r = 0; r < BT; ++r)
        for (Index i = 0; i < s.dim; ++i) {
          const double pre = z[r * S + s.src + i];
          c.act[si][static_cast<std::size_t>(r * s.dim + i)] = gelu(pre);
          c.slope[si][static_cast<std::size_t>(r * s.dim + i)] = gelu_slope(pre);
        }
      act = c.act[si].data();
      ld = s.dim;
    }
    gemm(Op::T, Op::N, s.rows, BT, s.dim, 1.0, weight(c, s), s.dim, act, ld, 0.0, z + s.out, S);
  }
  return c;
}

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

}  // namespace attention_ops

}  // namespace ntk4j::blocks
