// C ABI, models, sessions and dynamics sections of ntk4j.h: handles, the batched unroll, the session's
// block applies, one step with its Jacobian, fixed points with their spectra and grad mu, dense LAPACK.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "abi/abi_support.hpp"
#include "core/memory.hpp"
#include "dynamics/channel.hpp"
#include "dynamics/fixed_points.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/dense.hpp"
#include "training/readout.hpp"

using ntk4j::fail;
using ntk4j::Index;
using namespace ntk4j::abi;  // guard() and the argument checks

extern "C" {

int32_t ntk4j_model_create(int32_t cell, int64_t hidden_size, int64_t input_size, double dt, int32_t has_bias,
                           const double* weight_ih, const double* weight_hh, const double* bias_ih,
                           const double* bias_hh, ntk4j_model** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    auto m =
        ntk4j::make_model(cell, hidden_size, input_size, dt, has_bias != 0, weight_ih, weight_hh, bias_ih, bias_hh);
    *out = new ntk4j_model{std::shared_ptr<const ntk4j::Model>(std::move(m))};
  });
}

int32_t ntk4j_attention_mlp_create(const ntk4j_attention_mlp_config* config, const double* params, int64_t num_params,
                                   ntk4j_model** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(config, "config");
    ntk4j::blocks::AttentionMlpConfig c;
    c.d_input = config->d_input;
    c.d_model = config->d_model;
    c.heads = config->heads;
    c.mlp_hidden = config->mlp_hidden;
    c.mlp_layers = config->mlp_layers;
    c.d_output = config->d_output;
    c.max_seq_len = config->max_seq_len;
    c.positional = config->positional != 0;
    c.causal = config->causal != 0;
    *out = new ntk4j_model{ntk4j::block_model(ntk4j::blocks::make_attention_mlp(c, params, num_params))};
  });
}

int32_t ntk4j_model_num_params(const ntk4j_model* model, int64_t* out) {
  return guard([&] {
    require(model, "model");
    require(out, "out");
    *out = model->model->num_params;
  });
}

void ntk4j_model_destroy(ntk4j_model* model) { delete model; }

int32_t ntk4j_session_create(const ntk4j_model* model, const double* inputs, int64_t batch, int64_t steps,
                             int64_t input_size, const double* h0, ntk4j_session** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(model, "model");
    require(inputs, "inputs");
    const ntk4j::Model& m = *model->model;
    if (batch <= 0) fail(NTK4J_ERR_SHAPE, "batch size B must be > 0, got ", batch);
    if (steps <= 0) fail(NTK4J_ERR_SHAPE, "number of steps T must be > 0, got ", steps);
    if (input_size != m.N)
      fail(NTK4J_ERR_SHAPE, "inputs have N=", input_size, " features but the model's input_size is ", m.N);
    const Index bt = ntk4j::checked_mul(batch, steps, "B*T");
    const Index nin = ntk4j::checked_mul(bt, input_size, "inputs [B,T,N]");
    Index widest = m.S;
    for (const auto& s : m.sites) widest = std::max({widest, s.dim, s.rows});
    ntk4j::checked_mul(bt, widest, "trajectory [B,T,width]");
    if (ntk4j::checked_mul(steps, widest, "T*width") > ntk4j::kMaxBlasDim || bt > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "B=", batch, ", T=", steps, " with width ", widest, " exceed the 32-bit BLAS index range");
    require_finite(inputs, nin, "inputs");
    if (m.block) {
      if (h0 != nullptr) fail(NTK4J_ERR_INVALID_ARGUMENT, "attention_mlp has no initial state: h0 must be NULL");
      const auto& b = *m.block;
      // The forward pass keeps the state, the softmax weights and the site activities.
      double bytes = 8.0 * static_cast<double>(bt) * (b.S + static_cast<double>(b.cfg.heads) * steps);
      for (const auto& s : b.sites) bytes += 8.0 * static_cast<double>(bt) * 2.0 * s.dim;
      ntk4j::require_memory(bytes, "the attention block's forward pass", "reduce B, T or the model's sizes");
      auto state = ntk4j::block_session(model->model, inputs, batch, steps);
      Index where = 0;
      if (!ntk4j::all_finite(state->block->state.data(), state->block->state_size(), &where))
        fail(NTK4J_ERR_NUMERICAL,
             "the attention block's forward pass overflowed to a non-finite value at [b, t, s] = [",
             where / (steps * m.S), ", ", (where / m.S) % steps, ", ", where % m.S, "]");
      *out = new ntk4j_session{std::move(state)};
      return;
    }
    if (h0 != nullptr) require_finite(h0, ntk4j::checked_mul(batch, m.S, "h0 [B,S]"), "h0");
    // The trajectory keeps h, and per site its activity and diagonal, for every (b, t).
    double per_row = 3.0 * static_cast<double>(m.S);
    for (const auto& s : m.sites) per_row += static_cast<double>(s.dim + s.rows);
    ntk4j::require_memory(8.0 * static_cast<double>(bt) * per_row, "the trajectory", "reduce B, T or H");
    auto state = std::make_shared<ntk4j::SessionState>();
    state->model = model->model;
    state->trajectory = ntk4j::unroll(*state->model, inputs, batch, steps, h0);
    Index where = 0;
    if (!ntk4j::all_finite(state->trajectory.hidden.data(), state->trajectory.state_size(), &where))
      fail(NTK4J_ERR_NUMERICAL, "the trajectory overflowed to a non-finite value at [b, t, h] = [",
           where / (steps * m.S), ", ", (where / m.S) % steps, ", ", where % m.S, "] (flat index ", where,
           " of [B,T,H]; step t is 0-based)");
    *out = new ntk4j_session{std::move(state)};
  });
}

int32_t ntk4j_session_dims(const ntk4j_session* session, int64_t* batch, int64_t* steps, int64_t* hidden_size,
                           int64_t* input_size, int64_t* num_params) {
  return guard([&] {
    require(session, "session");
    const auto& tr = session->state->trajectory;
    if (batch) *batch = tr.B;
    if (steps) *steps = tr.T;
    if (hidden_size) *hidden_size = tr.H;
    if (input_size) *input_size = tr.N;
    if (num_params) *num_params = session->state->model->num_params;
  });
}

int32_t ntk4j_session_hidden(const ntk4j_session* session, double* out, int64_t out_len) {
  return guard([&] {
    require(session, "session");
    require(out, "out");
    const auto& tr = session->state->trajectory;
    if (out_len != tr.state_size())
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but [B,T,H] = [", tr.B, ",", tr.T, ",", tr.H, "] needs ",
           tr.state_size());
    const auto& block = session->state->block;
    std::memcpy(out, block ? block->state.data() : tr.hidden.data(), sizeof(double) * static_cast<size_t>(out_len));
  });
}

int32_t ntk4j_session_sites(const ntk4j_session* session, int64_t* count) {
  return guard([&] {
    require(session, "session");
    require(count, "count");
    ntk4j::require_recurrent(*session->state->model, "weight-site activities");
    *count = static_cast<int64_t>(session->state->trajectory.act.size());
  });
}

int32_t ntk4j_session_site_activity(const ntk4j_session* session, int64_t site, double* out, int64_t out_len,
                                    int64_t* dim) {
  return guard([&] {
    require(session, "session");
    require(dim, "dim");
    const ntk4j::Model& m = *session->state->model;
    ntk4j::require_recurrent(m, "weight-site activities");
    const auto& tr = session->state->trajectory;
    if (site < 0 || site >= static_cast<int64_t>(m.sites.size()))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "site ", site, " does not exist: the model has ", m.sites.size(), " sites");
    const Index d = m.sites[static_cast<size_t>(site)].dim;
    *dim = d;
    if (out == nullptr) return;
    if (out_len != tr.bt() * d)
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but [B*T, dim] = [", tr.bt(), ", ", d, "] needs ",
           tr.bt() * d);
    std::memcpy(out, tr.act[static_cast<size_t>(site)].data(), sizeof(double) * static_cast<size_t>(out_len));
  });
}

int32_t ntk4j_apply(const ntk4j_session* session, int32_t op, const double* input, int64_t in_len, int64_t k,
                    double* output, int64_t out_len) {
  return guard([&] {
    require(session, "session");
    require(input, "input");
    require(output, "output");
    if (op < NTK4J_OP_P || op > NTK4J_OP_NTK_H)
      fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown operator code ", op, " (expected 1..10)");
    if (k <= 0) fail(NTK4J_ERR_SHAPE, "probe count k must be > 0, got ", k);
    // The same kernels (and probe chunking) as the session's operator handles.
    const auto a = ntk4j::session_operator(session->state, op);
    struct {
      Index B, T, H;
    } tr{session->state->trajectory.B, session->state->trajectory.T, session->state->trajectory.H};
    if (op == NTK4J_OP_NTK_Y) tr.H = session->state->block->block->cfg.d_output;  // [B, T, d_output]
    if (op == NTK4J_OP_NTK_H) tr.H = session->state->trajectory.hc;               // [B, T, H], h only
    const Index state = tr.B * tr.T * tr.H, params = session->state->model->num_params;
    const Index in_dim = a->cols(), out_dim = a->rows();
    const char* in_shape = op == NTK4J_OP_JTHETA ? "[k, n_params]" : "[k, B, T, H]";
    const char* out_shape = op == NTK4J_OP_JTHETA_T ? "[k, n_params]" : "[k, B, T, H]";
    const Index need_in = ntk4j::checked_mul(k, in_dim, "probe block");
    const Index need_out = ntk4j::checked_mul(k, out_dim, "output block");
    if (ntk4j::checked_mul(k, tr.B, "k*B") > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "k*B = ", k * tr.B, " exceeds the 32-bit BLAS index range");
    if (in_len != need_in)
      fail(NTK4J_ERR_SHAPE, "input has ", in_len, " elements but ", in_shape, " with k=", k, " needs ", need_in,
           " (B=", tr.B, ", T=", tr.T, ", H=", tr.H, ", n_params=", params, ")");
    if (out_len != need_out)
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but ", out_shape, " with k=", k, " needs ", need_out,
           " (B=", tr.B, ", T=", tr.T, ", H=", tr.H, ", n_params=", params, ")");
    if (overlap(input, in_len, output, out_len)) fail(NTK4J_ERR_INVALID_ARGUMENT, "input and output buffers overlap");
    require_finite(input, in_len, "probe block");
    ntk4j::require_memory(3.0 * 8.0 * static_cast<double>(k) * static_cast<double>(state), "the apply's working blocks",
                          "apply fewer probes at once");
    a->apply(input, k, output);
    // Outputs are checked like inputs: an overflow (e.g. P over a long horizon at a large gain)
    // is an error naming where it arose, never numbers handed back.
    Index where = 0;
    if (!ntk4j::all_finite(output, out_len, &where)) {
      const Index probe = where / out_dim, e = where % out_dim;
      if (out_dim == state)
        fail(NTK4J_ERR_NUMERICAL, a->name(), " produced a non-finite value (", output[where], ") at probe ", probe,
             ", [b, t, h] = [", e / (tr.T * tr.H), ", ", (e / tr.H) % tr.T, ", ", e % tr.H, "] (flat index ", where,
             "): it overflowed along the trajectory (B=", tr.B, ", T=", tr.T, ", H=", tr.H, ")");
      fail(NTK4J_ERR_NUMERICAL, a->name(), " produced a non-finite value (", output[where], ") at probe ", probe,
           ", parameter ", e, " (flat index ", where, ")");
    }
  });
}

void ntk4j_session_destroy(ntk4j_session* session) { delete session; }

int32_t ntk4j_model_step(const ntk4j_model* model, const double* h, int64_t batch, const double* x, double* f,
                         double* jac) {
  return guard([&] {
    require(model, "model");
    require(h, "h");
    require(f, "f");
    const ntk4j::Model& m = *model->model;
    ntk4j::require_recurrent(m, "model steps");
    if (batch <= 0) fail(NTK4J_ERR_SHAPE, "batch must be > 0, got ", batch);
    const Index n = ntk4j::checked_mul(batch, m.S, "h [B,S]");  // S: the state width (lstm: [h; c])
    if (jac) ntk4j::checked_mul(n, m.S, "jac [B,S,S]");
    require_finite(h, n, "h");
    if (x) require_finite(x, m.N, "x");
    ntk4j::dynamics::step_with_jacobian(m, h, batch, x, f, jac);
  });
}

int32_t ntk4j_fixed_points(const ntk4j_model* model, const double* x, const ntk4j_fixed_point_options* options,
                           int64_t capacity, double* points, int64_t* found, int64_t* failed) {
  return guard([&] {
    require(model, "model");
    require(options, "options");
    require(found, "found");
    if (capacity < 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "capacity must be >= 0, got ", capacity);
    if (capacity > 0) require(points, "points");
    const ntk4j::Model& m = *model->model;
    ntk4j::require_recurrent(m, "fixed points");
    if (x) require_finite(x, m.N, "x");
    ntk4j::dynamics::FixedPointOptions o;
    if (options->starts < 0 || options->rollout_steps < 0 || options->max_iterations < 1 || !(options->tol > 0) ||
        !(options->init_scale > 0))
      fail(NTK4J_ERR_INVALID_ARGUMENT,
           "fixed-point options: starts and rollout_steps must be >= 0, max_iterations "
           ">= 1, tol and init_scale > 0 (ntk4j_fixed_point_options_init gives the defaults)");
    o.starts = options->starts;
    o.rollout_steps = options->rollout_steps;
    o.max_iterations = options->max_iterations;
    o.tol = options->tol;
    o.init_scale = options->init_scale;
    o.seed = options->seed;
    auto r = ntk4j::dynamics::find_fixed_points(m, x, o);
    *found = r.found;
    if (failed) *failed = r.failed;
    std::copy_n(r.points.begin(), std::min(r.found, capacity) * m.S, points);
  });
}

int32_t ntk4j_eig_general(const double* a, int64_t n, double* re, double* im, double* left, double* right) {
  return guard([&] {
    require(a, "a");
    require(re, "re");
    require(im, "im");
    if (n <= 0 || n > 20000) fail(NTK4J_ERR_SHAPE, "matrix size must be in [1, 20000], got ", n);
    require_finite(a, ntk4j::checked_mul(n, n, "a"), "a");
    ntk4j::linalg::general_eigen(n, a, re, im, left, right);
  });
}

int32_t ntk4j_fixed_point_spectra(const ntk4j_model* model, const double* x, const double* points, int64_t count,
                                  double* jac, double* re, double* im, double* left, double* right) {
  return guard([&] {
    require(model, "model");
    require(points, "points");
    require(jac, "jac");
    require(re, "re");
    require(im, "im");
    require(left, "left");
    require(right, "right");
    const ntk4j::Model& m = *model->model;
    ntk4j::require_recurrent(m, "fixed-point spectra");
    if (count <= 0) fail(NTK4J_ERR_SHAPE, "count must be > 0, got ", count);
    const Index h = m.S, hh = ntk4j::checked_mul(h, h, "S*S");
    ntk4j::checked_mul(count, hh, "jac [count,H,H]");
    require_finite(points, ntk4j::checked_mul(count, h, "points [count,H]"), "points");
    if (x) require_finite(x, m.N, "x");
    std::vector<double> f(h);
    for (Index p = 0; p < count; ++p) {
      double* jp = jac + p * hh;
      ntk4j::dynamics::step_with_jacobian(m, points + p * h, 1, x, f.data(), jp);
      require_finite(jp, hh, "the Jacobian at a point");
      ntk4j::linalg::general_eigen(h, jp, re + p * h, im + p * h, left + p * hh, right + p * hh);
    }
  });
}

int32_t ntk4j_critical_gradient(const ntk4j_model* model, const double* state, const double* x, const double* jac,
                                const double* re, const double* im, const double* left, const double* right,
                                int64_t critical, double* grad, int64_t grad_len) {
  return guard([&] {
    require(model, "model");
    require(state, "state");
    require(jac, "jac");
    require(re, "re");
    require(im, "im");
    require(left, "left");
    require(right, "right");
    require(grad, "grad");
    const ntk4j::Model& m = *model->model;
    ntk4j::require_recurrent(m, "critical gradients");
    const Index h = m.S, hh = h * h;
    if (critical < 0 || critical >= h)
      fail(NTK4J_ERR_INVALID_ARGUMENT, "critical must be in [0, ", h, "), got ", critical);
    if (grad_len != m.num_params)
      fail(NTK4J_ERR_SHAPE, "grad has ", grad_len, " values but the model has ", m.num_params);
    require_finite(state, h, "state");
    if (x) require_finite(x, m.N, "x");
    require_finite(jac, hh, "jac");
    require_finite(re, h, "re");
    require_finite(im, h, "im");
    require_finite(left, hh, "left");
    require_finite(right, hh, "right");
    const bool pair = std::abs(im[critical]) > 1e-12 * std::max(1.0, std::abs(re[critical]));
    if (pair && (im[critical] > 0 ? critical + 1 >= h : critical == 0))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "eigenvalue ", critical, " is complex but its pair's columns are out of range");
    ntk4j::dynamics::critical_gradient(m, state, x, {jac, re, im, left, right, critical}, grad);
    require_finite(grad, m.num_params, "grad mu");
  });
}

int32_t ntk4j_readout_mse(const double* hidden, int64_t rows, int64_t hidden_size, const double* weight,
                          const double* bias, int64_t output_size, const double* targets, double* loss, double* e,
                          double* grad_w, double* grad_b) {
  return guard([&] {
    require(hidden, "hidden");
    require(weight, "weight");
    require(bias, "bias");
    require(targets, "targets");
    require(loss, "loss");
    require(e, "e");
    require(grad_w, "grad_w");
    require(grad_b, "grad_b");
    if (rows <= 0 || hidden_size <= 0 || output_size <= 0)
      fail(NTK4J_ERR_SHAPE, "rows, hidden_size and output_size must be > 0, got ", rows, ", ", hidden_size, ", ",
           output_size);
    const Index nh = ntk4j::checked_mul(rows, hidden_size, "hidden [rows,H]");
    const Index no = ntk4j::checked_mul(rows, output_size, "targets [rows,O]");
    const Index nw = ntk4j::checked_mul(output_size, hidden_size, "weight [O,H]");
    if (rows > ntk4j::kMaxBlasDim || nw > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "rows=", rows, " or O*H=", nw, " exceed the 32-bit BLAS index range");
    require_finite(hidden, nh, "hidden");
    require_finite(weight, nw, "weight");
    require_finite(bias, output_size, "bias");
    require_finite(targets, no, "targets");
    *loss =
        ntk4j::training::readout_mse(rows, hidden_size, output_size, hidden, weight, bias, targets, e, grad_w, grad_b);
    if (!std::isfinite(*loss)) fail(NTK4J_ERR_NUMERICAL, "the loss is not finite (", *loss, "): training diverged");
  });
}

int32_t ntk4j_solve(const double* a, int64_t n, double* b, int64_t nrhs) {
  return guard([&] {
    require(a, "a");
    require(b, "b");
    if (n <= 0 || n > 20000 || nrhs <= 0)
      fail(NTK4J_ERR_SHAPE, "need 1 <= n <= 20000 and nrhs >= 1, got ", n, ", ", nrhs);
    require_finite(a, ntk4j::checked_mul(n, n, "a"), "a");
    require_finite(b, ntk4j::checked_mul(n, nrhs, "b"), "b");
    ntk4j::linalg::solve(n, a, b, nrhs);
  });
}

void ntk4j_fixed_point_options_init(ntk4j_fixed_point_options* o) {
  const ntk4j::dynamics::FixedPointOptions d;  // the core's defaults: one place
  *o = {d.starts, d.rollout_steps, d.max_iterations, d.tol, d.init_scale, d.seed};
}

}  // extern "C"
