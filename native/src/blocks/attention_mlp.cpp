// The attention block's layout and forward pass (blocks/attention_mlp.hpp); its tangents are in
// attention_tangents.cpp.
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

}  // namespace

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

std::shared_ptr<AttentionMlp> attention_mlp_layout(const AttentionMlpConfig& cfg) {
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
  return b;
}

std::shared_ptr<const AttentionMlp> make_attention_mlp(const AttentionMlpConfig& cfg, const double* params, Index n) {
  auto b = attention_mlp_layout(cfg);
  const Index D = b->cfg.d_model, N = b->cfg.d_input, L = b->cfg.mlp_layers, Hm = b->cfg.mlp_hidden;
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
    gemm(Op::T, Op::N, s.rows, BT, s.dim, 1.0, c.block->theta.data() + s.param, s.dim, act, ld, 0.0, z + s.out, S);
  }
  return c;
}

}  // namespace ntk4j::blocks
