// The C ABI of ntk4j.h: argument validation, status codes, thread-local error text. Every entry
// point runs its body inside guard(), which turns any C++ exception into a status so that none
// crosses the ABI.
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <exception>
#include <new>
#include <string>

#include "cells/model.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/blas.hpp"
#include "ntk4j.h"
#include "operators/operators.hpp"

struct ntk4j_model {
  std::shared_ptr<const ntk4j::Model> model;
};

struct ntk4j_session {
  // Shared with the model handle, so a session outlives the handle it was made from.
  std::shared_ptr<const ntk4j::Model> model;
  ntk4j::Trajectory trajectory;
};

namespace {

using ntk4j::Error;
using ntk4j::fail;
using ntk4j::Index;

thread_local std::string last_error;

template <typename F>
int32_t guard(F&& body) noexcept {
  try {
    last_error.clear();
    body();
    return NTK4J_OK;
  } catch (const Error& e) {
    last_error = e.what();
    return e.status();
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return NTK4J_ERR_OUT_OF_MEMORY;
  } catch (const std::length_error&) {
    last_error = "out of memory (requested size too large)";
    return NTK4J_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    last_error = std::string("internal error: ") + e.what();
    return NTK4J_ERR_INTERNAL;
  } catch (...) {
    last_error = "internal error: unknown exception";
    return NTK4J_ERR_INTERNAL;
  }
}

void require(const void* p, const char* what) {
  if (p == nullptr) fail(NTK4J_ERR_NULL_ARGUMENT, what, " is NULL");
}

void require_finite(const double* x, Index n, const char* what) {
  Index where = 0;
  if (!ntk4j::all_finite(x, n, &where))
    fail(NTK4J_ERR_NON_FINITE, what, " contains a non-finite value (", x[where],
         ") at flat index ", where);
}

bool overlap(const double* a, Index na, const double* b, Index nb) {
  auto pa = reinterpret_cast<std::uintptr_t>(a), pb = reinterpret_cast<std::uintptr_t>(b);
  return pa < pb + static_cast<std::uintptr_t>(nb) * sizeof(double) &&
         pb < pa + static_cast<std::uintptr_t>(na) * sizeof(double);
}

}  // namespace

extern "C" {

const char* ntk4j_last_error(void) { return last_error.c_str(); }

const char* ntk4j_version(void) { return NTK4J_VERSION_STRING; }

int32_t ntk4j_set_num_threads(int32_t n) {
  return guard([&] {
    if (n < 1) fail(NTK4J_ERR_INVALID_ARGUMENT, "thread count must be >= 1, got ", n);
    ntk4j::linalg::set_num_threads(n);
  });
}

int32_t ntk4j_get_num_threads(int32_t* out) {
  return guard([&] {
    require(out, "out");
    *out = ntk4j::linalg::num_threads();
  });
}

int32_t ntk4j_model_create(int32_t cell, int64_t hidden_size, int64_t input_size, double dt,
                           int32_t has_bias, const double* weight_ih, const double* weight_hh,
                           const double* bias_ih, const double* bias_hh, ntk4j_model** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    auto m = ntk4j::make_model(cell, hidden_size, input_size, dt, has_bias != 0, weight_ih,
                               weight_hh, bias_ih, bias_hh);
    *out = new ntk4j_model{std::shared_ptr<const ntk4j::Model>(std::move(m))};
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

int32_t ntk4j_session_create(const ntk4j_model* model, const double* inputs, int64_t batch,
                             int64_t steps, int64_t input_size, const double* h0,
                             ntk4j_session** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(model, "model");
    require(inputs, "inputs");
    const ntk4j::Model& m = *model->model;
    if (batch <= 0) fail(NTK4J_ERR_SHAPE, "batch size B must be > 0, got ", batch);
    if (steps <= 0) fail(NTK4J_ERR_SHAPE, "number of steps T must be > 0, got ", steps);
    if (input_size != m.N)
      fail(NTK4J_ERR_SHAPE, "inputs have N=", input_size, " features but the model's input_size is ",
           m.N);
    const Index bt = ntk4j::checked_mul(batch, steps, "B*T");
    const Index nin = ntk4j::checked_mul(bt, input_size, "inputs [B,T,N]");
    Index widest = m.H;
    for (const auto& s : m.sites) widest = std::max({widest, s.dim, s.rows});
    const Index state = ntk4j::checked_mul(bt, widest, "trajectory [B,T,width]");
    if (ntk4j::checked_mul(steps, widest, "T*width") > ntk4j::kMaxBlasDim || bt > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "B=", batch, ", T=", steps, " with width ", widest,
           " exceed the 32-bit BLAS index range");
    (void)state;
    require_finite(inputs, nin, "inputs");
    if (h0 != nullptr) require_finite(h0, ntk4j::checked_mul(batch, m.H, "h0 [B,H]"), "h0");
    auto s = std::make_unique<ntk4j_session>();
    s->model = model->model;
    s->trajectory = ntk4j::unroll(*s->model, inputs, batch, steps, h0);
    Index where = 0;
    if (!ntk4j::all_finite(s->trajectory.hidden.data(), s->trajectory.state_size(), &where))
      fail(NTK4J_ERR_NUMERICAL, "the trajectory overflowed to a non-finite value at flat index ",
           where, " of [B,T,H]");
    *out = s.release();
  });
}

int32_t ntk4j_session_dims(const ntk4j_session* session, int64_t* batch, int64_t* steps,
                           int64_t* hidden_size, int64_t* input_size, int64_t* num_params) {
  return guard([&] {
    require(session, "session");
    const auto& tr = session->trajectory;
    if (batch) *batch = tr.B;
    if (steps) *steps = tr.T;
    if (hidden_size) *hidden_size = tr.H;
    if (input_size) *input_size = tr.N;
    if (num_params) *num_params = session->model->num_params;
  });
}

int32_t ntk4j_session_hidden(const ntk4j_session* session, double* out, int64_t out_len) {
  return guard([&] {
    require(session, "session");
    require(out, "out");
    const auto& tr = session->trajectory;
    if (out_len != tr.state_size())
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but [B,T,H] = [", tr.B, ",", tr.T,
           ",", tr.H, "] needs ", tr.state_size());
    std::memcpy(out, tr.hidden.data(), sizeof(double) * static_cast<size_t>(out_len));
  });
}

int32_t ntk4j_apply(const ntk4j_session* session, int32_t op, const double* input, int64_t in_len,
                    int64_t k, double* output, int64_t out_len) {
  return guard([&] {
    require(session, "session");
    require(input, "input");
    require(output, "output");
    if (op < NTK4J_OP_P || op > NTK4J_OP_NTK)
      fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown operator code ", op, " (expected 1..8)");
    if (k <= 0) fail(NTK4J_ERR_SHAPE, "probe count k must be > 0, got ", k);
    const auto& tr = session->trajectory;
    const Index state = tr.state_size(), params = session->model->num_params;
    const Index in_dim = op == NTK4J_OP_JTHETA ? params : state;
    const Index out_dim = op == NTK4J_OP_JTHETA_T ? params : state;
    const char* in_shape = op == NTK4J_OP_JTHETA ? "[k, n_params]" : "[k, B, T, H]";
    const char* out_shape = op == NTK4J_OP_JTHETA_T ? "[k, n_params]" : "[k, B, T, H]";
    const Index need_in = ntk4j::checked_mul(k, in_dim, "probe block");
    const Index need_out = ntk4j::checked_mul(k, out_dim, "output block");
    if (ntk4j::checked_mul(k, tr.B, "k*B") > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "k*B = ", k * tr.B, " exceeds the 32-bit BLAS index range");
    if (in_len != need_in)
      fail(NTK4J_ERR_SHAPE, "input has ", in_len, " elements but ", in_shape, " with k=", k,
           " needs ", need_in, " (B=", tr.B, ", T=", tr.T, ", H=", tr.H, ", n_params=", params, ")");
    if (out_len != need_out)
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but ", out_shape, " with k=", k,
           " needs ", need_out, " (B=", tr.B, ", T=", tr.T, ", H=", tr.H, ", n_params=", params, ")");
    if (overlap(input, in_len, output, out_len))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "input and output buffers overlap");
    require_finite(input, in_len, "probe block");
    switch (op) {
      case NTK4J_OP_P: ntk4j::ops::propagate(tr, input, k, output); break;
      case NTK4J_OP_PT: ntk4j::ops::propagate_adjoint(tr, input, k, output); break;
      case NTK4J_OP_PINV: ntk4j::ops::propagate_inverse(tr, input, k, output); break;
      case NTK4J_OP_PINVT: ntk4j::ops::propagate_inverse_adjoint(tr, input, k, output); break;
      case NTK4J_OP_JTHETA: ntk4j::ops::jtheta(tr, input, k, output); break;
      case NTK4J_OP_JTHETA_T: ntk4j::ops::jtheta_adjoint(tr, input, k, output); break;
      case NTK4J_OP_K: ntk4j::ops::parameter_operator(tr, input, k, output); break;
      case NTK4J_OP_NTK: ntk4j::ops::ntk(tr, input, k, output); break;
    }
  });
}

void ntk4j_session_destroy(ntk4j_session* session) { delete session; }

}  // extern "C"
