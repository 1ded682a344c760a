// The cells of DESIGN.md ("Conventions"), as activities + pointwise steps.
#include <cmath>

#include "cells/model.hpp"

namespace ntk4j {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// rnn_leaky: f = (1-dt) h + dt (W_hh tanh(h) + W_ih x). One site, a = [tanh(h); x], D = dt,
// J = (1-dt) I + dt W_hh diag(1 - tanh(h)^2): c = 1-dt, e = tanh'(h).
class RnnLeaky final : public Cell {
 public:
  RnnLeaky(Index h, Index n, double dt) : H_(h), N_(n), dt_(dt) {}
  bool has_c() const override { return true; }
  bool has_e() const override { return true; }
  void activities(const double* hprev, const double* x, double* const* act) const override {
    double* a = act[0];
    for (Index i = 0; i < H_; ++i) a[i] = std::tanh(hprev[i]);
    for (Index n = 0; n < N_; ++n) a[H_ + n] = x[n];
  }
  void step(const double* hprev, const double* const* u, double* h, double* c, double* e,
            double* const* d) const override {
    const double* u0 = u[0];
    double* d0 = d[0];
    for (Index i = 0; i < H_; ++i) {
      h[i] = (1.0 - dt_) * hprev[i] + dt_ * u0[i];
      const double th = std::tanh(hprev[i]);
      c[i] = 1.0 - dt_;
      e[i] = 1.0 - th * th;
      d0[i] = dt_;
    }
  }

 private:
  Index H_, N_;
  double dt_;
};

// rnn_linear: rnn_leaky with the identity for tanh, f = (1-dt) h + dt (W_hh h + W_ih x) (kpflow's
// BasicRNN with linear=True). One site, a = [h; x], D = dt, J = (1-dt) I + dt W_hh: c = 1-dt and
// W_hh acts on h itself (no e). J does not depend on the state: P is a linear system's.
class RnnLinear final : public Cell {
 public:
  RnnLinear(Index h, Index n, double dt) : H_(h), N_(n), dt_(dt) {}
  bool has_c() const override { return true; }
  bool has_e() const override { return false; }
  void activities(const double* hprev, const double* x, double* const* act) const override {
    double* a = act[0];
    for (Index i = 0; i < H_; ++i) a[i] = hprev[i];
    for (Index n = 0; n < N_; ++n) a[H_ + n] = x[n];
  }
  void step(const double* hprev, const double* const* u, double* h, double* c, double*,
            double* const* d) const override {
    for (Index i = 0; i < H_; ++i) {
      h[i] = (1.0 - dt_) * hprev[i] + dt_ * u[0][i];
      c[i] = 1.0 - dt_;
      d[0][i] = dt_;
    }
  }

 private:
  Index H_, N_;
  double dt_;
};

// rnn_elman: f = phi(W_ih x + b_ih + W_hh h + b_hh) with phi = tanh (rnn_relu: relu). One site,
// a = [h; x; 1; 1] (the two ones feed b_ih and b_hh), D = diag(phi'(u)), J = D W_hh. relu'(0) is
// 0, as PyTorch's threshold_backward takes it (grad where u > 0).
class RnnElman final : public Cell {
 public:
  RnnElman(Index h, Index n, bool bias, bool relu = false) : H_(h), N_(n), bias_(bias), relu_(relu) {}
  bool has_c() const override { return false; }
  bool has_e() const override { return false; }
  void activities(const double* hprev, const double* x, double* const* act) const override {
    double* a = act[0];
    for (Index i = 0; i < H_; ++i) a[i] = hprev[i];
    for (Index n = 0; n < N_; ++n) a[H_ + n] = x[n];
    if (bias_) a[H_ + N_] = a[H_ + N_ + 1] = 1.0;
  }
  void step(const double*, const double* const* u, double* h, double*, double*, double* const* d) const override {
    if (relu_) {
      for (Index i = 0; i < H_; ++i) {
        const bool on = u[0][i] > 0.0;
        h[i] = on ? u[0][i] : 0.0;
        d[0][i] = on ? 1.0 : 0.0;
      }
      return;
    }
    for (Index i = 0; i < H_; ++i) {
      h[i] = std::tanh(u[0][i]);
      d[0][i] = 1.0 - h[i] * h[i];
    }
  }

 private:
  Index H_, N_;
  bool bias_, relu_;
};

// gru (torch.nn.GRUCell): input site u_i = W_ih x + b_ih, a = [x; 1]; hidden site
// u_h = W_hh h + b_hh, a = [h; 1]; gates r, z, n in that order (G = 3).
//   df/du_i = [d_r, d_z, d_n],  df/du_h = [d_r, d_z, d_n r],  c = z, with
//   d_r = (1-z)(1-n^2) h_n r(1-r),  d_z = (h-n) z(1-z),  d_n = (1-z)(1-n^2).
class Gru final : public Cell {
 public:
  Gru(Index h, Index n, bool bias) : H_(h), N_(n), bias_(bias) {}
  bool has_c() const override { return true; }
  bool has_e() const override { return false; }
  void activities(const double* hprev, const double* x, double* const* act) const override {
    for (Index n = 0; n < N_; ++n) act[0][n] = x[n];
    for (Index i = 0; i < H_; ++i) act[1][i] = hprev[i];
    if (bias_) act[0][N_] = act[1][H_] = 1.0;
  }
  void step(const double* hprev, const double* const* u, double* h, double* c, double*,
            double* const* d) const override {
    const double* ui = u[0];
    const double* uh = u[1];
    double* di = d[0];
    double* dh = d[1];
    for (Index i = 0; i < H_; ++i) {
      const double r = sigmoid(ui[i] + uh[i]);
      const double z = sigmoid(ui[H_ + i] + uh[H_ + i]);
      const double hn = uh[2 * H_ + i];
      const double n = std::tanh(ui[2 * H_ + i] + r * hn);
      h[i] = (1.0 - z) * n + z * hprev[i];
      c[i] = z;
      const double dn = (1.0 - z) * (1.0 - n * n);
      const double dr = dn * hn * r * (1.0 - r);
      const double dz = (hprev[i] - n) * z * (1.0 - z);
      di[i] = dh[i] = dr;
      di[H_ + i] = dh[H_ + i] = dz;
      di[2 * H_ + i] = dn;
      dh[2 * H_ + i] = dn * r;
    }
  }

 private:
  Index H_, N_;
  bool bias_;
};

// lstm (torch.nn.LSTMCell): one site u = W_ih x + b_ih + W_hh h + b_hh, a = [h; x; 1; 1], gates
// i, f, g, o (G = 4); the state is s = [h; c] (R = 2):
//   c' = f c + i g,  h' = o tanh(c'),  i, f, o = sigmoid(u_.), g = tanh(u_g).
// With k = o (1 - tanh(c')^2): dc'/du = [g i(1-i), c f(1-f), i (1-g^2), 0], dh'/du = k dc'/du
// + [0, 0, 0, tanh(c') o(1-o)], and C: dh'/dc = k f, dc'/dc = f (no direct h -> s term).
class Lstm final : public Cell {
 public:
  Lstm(Index h, Index n, bool bias) : H_(h), N_(n), bias_(bias) {}
  bool has_c() const override { return true; }
  bool has_e() const override { return false; }
  void activities(const double* sprev, const double* x, double* const* act) const override {
    double* a = act[0];
    for (Index i = 0; i < H_; ++i) a[i] = sprev[i];
    for (Index n = 0; n < N_; ++n) a[H_ + n] = x[n];
    if (bias_) a[H_ + N_] = a[H_ + N_ + 1] = 1.0;
  }
  void step(const double* sprev, const double* const* u, double* s, double* c, double*,
            double* const* d) const override {
    const double* uu = u[0];
    const Index rows = 4 * H_;
    double* dh = d[0];         // output block h: 4H
    double* dc = d[0] + rows;  // output block c: 4H
    for (Index j = 0; j < H_; ++j) {
      const double ig = sigmoid(uu[j]), fg = sigmoid(uu[H_ + j]), gg = std::tanh(uu[2 * H_ + j]),
                   og = sigmoid(uu[3 * H_ + j]);
      const double cprev = sprev[H_ + j], cn = fg * cprev + ig * gg, tc = std::tanh(cn);
      s[j] = og * tc;
      s[H_ + j] = cn;
      const double k = og * (1.0 - tc * tc);
      const double dci = gg * ig * (1.0 - ig), dcf = cprev * fg * (1.0 - fg), dcg = ig * (1.0 - gg * gg);
      dc[j] = dci;
      dc[H_ + j] = dcf;
      dc[2 * H_ + j] = dcg;
      dc[3 * H_ + j] = 0.0;
      dh[j] = k * dci;
      dh[H_ + j] = k * dcf;
      dh[2 * H_ + j] = k * dcg;
      dh[3 * H_ + j] = tc * og * (1.0 - og);
      c[j] = 0.0;           // (h, h)
      c[H_ + j] = k * fg;   // (h, c)
      c[2 * H_ + j] = 0.0;  // (c, h)
      c[3 * H_ + j] = fg;   // (c, c)
    }
  }

 private:
  Index H_, N_;
  bool bias_;
};

// Copies a row-major parameter (rows x ncols) into columns [col0, col0+ncols) of W_s.
void place(Site& s, const double* p, Index col0, Index ncols) {
  for (Index r = 0; r < s.rows; ++r)
    for (Index c = 0; c < ncols; ++c) s.weight[r * s.dim + col0 + c] = p[r * ncols + c];
}

}  // namespace

const char* cell_name(CellKind kind) {
  switch (kind) {
    case CellKind::RnnLeaky:
      return "rnn_leaky";
    case CellKind::RnnElman:
      return "rnn_elman";
    case CellKind::Gru:
      return "gru";
    case CellKind::RnnRelu:
      return "rnn_relu";
    case CellKind::RnnLinear:
      return "rnn_linear";
    case CellKind::Lstm:
      return "lstm";
    case CellKind::AttentionMlp:
      return "attention_mlp";
  }
  return "?";
}

void require_recurrent(const Model& m, const char* what) {
  if (m.block)
    fail(NTK4J_ERR_INVALID_ARGUMENT, what,
         " need a recurrent cell; attention_mlp is a feed-forward block (no state "
         "carried from step to step)");
}

bool all_finite(const double* x, Index n, Index* where) {
  for (Index i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      if (where) *where = i;
      return false;
    }
  }
  return true;
}

std::unique_ptr<Model> make_model(std::int32_t cell, Index hidden, Index input, double dt, bool has_bias,
                                  const double* weight_ih, const double* weight_hh, const double* bias_ih,
                                  const double* bias_hh) {
  if (cell < NTK4J_CELL_RNN_LEAKY || cell > NTK4J_CELL_LSTM)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown cell kind ", cell,
         " (expected 1 = rnn_leaky, 2 = rnn_elman, 3 = gru, 4 = rnn_relu, 5 = rnn_linear, 6 = lstm; "
         "attention_mlp models come from ntk4j_attention_mlp_create)");
  auto m = std::make_unique<Model>();
  m->kind = static_cast<CellKind>(cell);
  const char* name = cell_name(m->kind);
  if (hidden <= 0) fail(NTK4J_ERR_SHAPE, "hidden_size must be > 0, got ", hidden);
  if (input <= 0) fail(NTK4J_ERR_SHAPE, "input_size must be > 0, got ", input);
  if (weight_ih == nullptr) fail(NTK4J_ERR_NULL_ARGUMENT, "weight_ih is NULL");
  if (weight_hh == nullptr) fail(NTK4J_ERR_NULL_ARGUMENT, "weight_hh is NULL");
  const bool leaky = m->kind == CellKind::RnnLeaky || m->kind == CellKind::RnnLinear;
  if (leaky) {
    if (has_bias) fail(NTK4J_ERR_INVALID_ARGUMENT, name, " has no bias (bias must be false)");
    if (!std::isfinite(dt) || dt <= 0.0) fail(NTK4J_ERR_INVALID_ARGUMENT, name, " needs a finite dt > 0, got ", dt);
  }
  if (has_bias && (bias_ih == nullptr || bias_hh == nullptr))
    fail(NTK4J_ERR_NULL_ARGUMENT, name, " with bias needs both bias_ih and bias_hh (one is NULL)");
  if (!has_bias && (bias_ih != nullptr || bias_hh != nullptr))
    fail(NTK4J_ERR_INVALID_ARGUMENT, name, " without bias takes no bias arrays (pass NULL)");
  const Index H = hidden, N = input;
  const Index G = m->kind == CellKind::Gru ? 3 : m->kind == CellKind::Lstm ? 4 : 1;
  const Index GH = checked_mul(G, H, "G*H");
  checked_mul(GH, H + N + 2, "weights");
  m->H = H;
  m->N = N;
  m->R = m->kind == CellKind::Lstm ? 2 : 1;
  m->S = checked_mul(m->R, H, "state width");
  m->dt = leaky ? dt : 1.0;
  m->bias = has_bias;

  const double* data[4] = {weight_ih, weight_hh, bias_ih, bias_hh};
  const char* names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  const Index cols[4] = {N, H, 1, 1};
  const int count = has_bias ? 4 : 2;
  for (int p = 0; p < count; ++p) {
    m->param_names.emplace_back(names[p]);
    m->param_rows.push_back(GH);
    m->param_cols.push_back(cols[p]);
    m->param_offset.push_back(m->num_params);
    const Index len = GH * cols[p];
    Index where = 0;
    if (!all_finite(data[p], len, &where))
      fail(NTK4J_ERR_NON_FINITE, names[p], " contains a non-finite value (", data[p][where], ") at flat index ", where);
    m->num_params += len;
  }

  // Sites: parameter p's columns placed into the site's W (DESIGN.md, Kronecker core).
  auto add_site = [&](Index groups, std::vector<ParamSlice> slices) {
    Site s;
    s.groups = groups;
    s.rows = groups * H;
    for (const auto& sl : slices) s.dim = std::max(s.dim, sl.col0 + sl.ncols);
    s.slices = std::move(slices);
    s.weight.assign(static_cast<size_t>(s.rows * s.dim), 0.0);
    for (const auto& sl : s.slices) place(s, data[sl.param], sl.col0, sl.ncols);
    m->sites.push_back(std::move(s));
  };
  switch (m->kind) {
    case CellKind::RnnLeaky:
      add_site(1, {{1, 0, H}, {0, H, N}});
      m->hidden_site = 0;
      m->cell = std::make_unique<RnnLeaky>(H, N, dt);
      break;
    case CellKind::RnnLinear:
      add_site(1, {{1, 0, H}, {0, H, N}});
      m->hidden_site = 0;
      m->cell = std::make_unique<RnnLinear>(H, N, dt);
      break;
    case CellKind::RnnElman:
    case CellKind::RnnRelu:
      if (has_bias)
        add_site(1, {{1, 0, H}, {0, H, N}, {2, H + N, 1}, {3, H + N + 1, 1}});
      else
        add_site(1, {{1, 0, H}, {0, H, N}});
      m->hidden_site = 0;
      m->cell = std::make_unique<RnnElman>(H, N, has_bias, m->kind == CellKind::RnnRelu);
      break;
    case CellKind::Lstm:
      if (has_bias)
        add_site(4, {{1, 0, H}, {0, H, N}, {2, H + N, 1}, {3, H + N + 1, 1}});
      else
        add_site(4, {{1, 0, H}, {0, H, N}});
      m->hidden_site = 0;
      m->cell = std::make_unique<Lstm>(H, N, has_bias);
      break;
    case CellKind::Gru:
      if (has_bias) {
        add_site(3, {{0, 0, N}, {2, N, 1}});
        add_site(3, {{1, 0, H}, {3, H, 1}});
      } else {
        add_site(3, {{0, 0, N}});
        add_site(3, {{1, 0, H}});
      }
      m->hidden_site = 1;
      m->cell = std::make_unique<Gru>(H, N, has_bias);
      break;
    case CellKind::AttentionMlp:  // refused above: blocks are built by make_attention_mlp
      break;
  }
  return m;
}

}  // namespace ntk4j
