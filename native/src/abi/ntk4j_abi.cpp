// The C ABI of ntk4j.h: argument validation, status codes, thread-local error text. Every entry
// point runs its body inside guard(), which turns any C++ exception into a status so that none
// crosses the ABI.
#include <cstdint>
#include <algorithm>
#include <lapacke.h>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <exception>
#include <new>
#include <string>

#include "cells/model.hpp"
#include "dynamics/fixed_points.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/blas.hpp"
#include "linalg/blas_runtime.hpp"
#include "linalg/packed_gemm.hpp"
#include "ntk4j.h"
#include "core/progress.hpp"
#include "operators/session_operator.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/svd.hpp"
#include "spectral/ranks.hpp"
#include "spectral/trace.hpp"

struct ntk4j_model {
  std::shared_ptr<const ntk4j::Model> model;
};

struct ntk4j_session {
  // The model is shared with the model handle and the state with operator handles, so each
  // outlives the handle it was made from.
  std::shared_ptr<const ntk4j::SessionState> state;
};

struct ntk4j_operator {
  ntk4j::linalg::OperatorPtr op;
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

// A user-defined operator: the callbacks, with their failures turned into errors.
class CallbackOperator final : public ntk4j::linalg::LinearOperator {
 public:
  CallbackOperator(Index rows, Index cols, bool symmetric, ntk4j_apply_fn apply, ntk4j_apply_fn adjoint,
                   void* user)
      : rows_(rows), cols_(cols), symmetric_(symmetric), apply_(apply), adjoint_(adjoint), user_(user) {}
  Index rows() const override { return rows_; }
  Index cols() const override { return cols_; }
  void apply(const double* x, Index k, double* y) const override { call(apply_, x, k, y, "apply"); }
  void apply_adjoint(const double* x, Index k, double* y) const override {
    call(adjoint_ ? adjoint_ : apply_, x, k, y, "apply_adjoint");
  }
  bool symmetric() const override { return symmetric_; }
  std::string name() const override {
    return "user operator (" + std::to_string(rows_) + " x " + std::to_string(cols_) + ")";
  }

 private:
  void call(ntk4j_apply_fn f, const double* x, Index k, double* y, const char* which) const {
    const int32_t rc = f(user_, x, k, y);
    if (rc != 0) fail(NTK4J_ERR_CALLBACK, "the ", which, " callback of ", name(), " failed (returned ", rc, ")");
  }
  Index rows_, cols_;
  bool symmetric_;
  ntk4j_apply_fn apply_, adjoint_;
  void* user_;
};

// Dense (exact) paths form the n x n matrix: bounded so that a typo cannot ask for terabytes.
void require_dense_size(const ntk4j::linalg::LinearOperator& op) {
  if (op.rows() > 20000 || op.cols() > 20000)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "exact (dense) computation is limited to dimension 20000, ", op.name(),
         " has ", op.rows(), " x ", op.cols(), "; use the randomized estimate");
}

// Eigen-solvers need A = A^T: checked once on random vectors (two applies).
void require_symmetric(const ntk4j::linalg::LinearOperator& op) {
  if (op.rows() != op.cols())
    fail(NTK4J_ERR_SHAPE, "eigenvalues need a square operator, got ", op.rows(), " x ", op.cols());
  if (op.symmetric()) return;
  const Index n = op.rows();
  std::vector<double> x(static_cast<size_t>(2 * n)), y(static_cast<size_t>(2 * n));
  ntk4j::spectral::gaussian_fill(x.data(), 2 * n, 7);
  ntk4j::linalg::checked_apply(op, x.data(), 2, y.data());
  double a = 0, b = 0, na = 0, nb = 0;
  for (Index i = 0; i < n; ++i) {
    a += y[static_cast<size_t>(i)] * x[static_cast<size_t>(n + i)];
    b += x[static_cast<size_t>(i)] * y[static_cast<size_t>(n + i)];
    na += y[static_cast<size_t>(i)] * y[static_cast<size_t>(i)] + y[static_cast<size_t>(n + i)] * y[static_cast<size_t>(n + i)];
    nb += x[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
  }
  if (std::abs(a - b) > 1e-8 * std::sqrt(na * nb))
    fail(NTK4J_ERR_INVALID_ARGUMENT, op.name(), " is not symmetric (<Ax,y> = ", a, " but <x,Ay> = ", b,
         "); eigenvalues need a symmetric operator, e.g. its Gram A A*");
}

// The arguments every eigen/SVD call shares: operator, options, outputs; option fields >= 0 with 0
// meaning "default"; start vectors only where `start_allowed` (ntk4j_eigs), named by `call`.
void check_options(const ntk4j_eigs_options& o);
void check_spectral_call(const ntk4j_operator* a, const ntk4j_eigs_options* options, const double* values,
                         const double* residuals, bool start_allowed, const char* call) {
  require(a, "operator");
  require(options, "options");
  require(values, "values");
  require(residuals, "residuals");
  check_options(*options);
  if (!start_allowed && (options->start != nullptr || options->start_cols != 0))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "start vectors are taken by ntk4j_eigs only (not by ", call, ")");
}

void check_options(const ntk4j_eigs_options& o) {
  if (o.block < 0 || o.max_basis < 0 || o.max_restarts < 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "block, max_basis and max_restarts must be >= 0 (0 = default)");
  if (o.tol < 0 || std::isnan(o.tol))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "tolerance must be > 0 (0 = default), got ", o.tol);
}

int32_t eigs_impl(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values, double* residuals,
                  double* vectors, ntk4j_eigs_info* info, bool gram) {
  return guard([&] {
    check_spectral_call(a, options, values, residuals, !gram, "ntk4j_eigs_gram");
    ntk4j::spectral::EigsOptions o;
    o.k = options->k;
    if (options->block != 0) o.block = options->block;
    if (options->max_basis != 0) o.max_basis = options->max_basis;
    if (options->max_restarts != 0) o.max_restarts = options->max_restarts;
    if (options->tol != 0.0) o.tol = options->tol;
    if (options->seed != 0) o.seed = options->seed;
    o.start = options->start;
    o.start_cols = options->start_cols;
    if (!gram) require_symmetric(*a->op);
    auto r = gram ? ntk4j::spectral::gram_top(a->op, o, vectors != nullptr)
                  : ntk4j::spectral::lanczos_top(*a->op, o, vectors != nullptr);
    std::copy(r.values.begin(), r.values.end(), values);
    std::copy(r.residuals.begin(), r.residuals.end(), residuals);
    if (vectors) std::copy(r.vectors.begin(), r.vectors.end(), vectors);
    if (info) *info = {r.converged, r.block_applies, r.vector_applies, r.restarts, r.block, r.basis};
  });
}

}  // namespace

extern "C" {

const char* ntk4j_last_error(void) { return last_error.c_str(); }

const char* ntk4j_version(void) { return NTK4J_VERSION_STRING; }

int32_t ntk4j_abi_version(void) { return NTK4J_ABI_VERSION; }

const char* ntk4j_blas_info(int32_t field) {
  try {
    const auto& rt = ntk4j::linalg::blas_runtime();
    switch (field) {
      case 0: return rt.library.c_str();
      case 1: return rt.core.c_str();
      case 2: return rt.core_at_load.c_str();
      case 3: return rt.cpu_level.c_str();
      case 4: return rt.decision.c_str();
      case 5: return ntk4j::linalg::PackedMatrix::name(ntk4j::linalg::PackedMatrix::Kernel::Fastest);
      default: return "";
    }
  } catch (...) {
    return "";
  }
}

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

int32_t ntk4j_set_progress(ntk4j_progress_fn fn, void* user_data) {
  return guard([&] { ntk4j::set_progress(fn, user_data); });
}

int32_t ntk4j_dgemm_gflops(int64_t n, int32_t repeats, double* gflops) {
  return guard([&] {
    require(gflops, "gflops");
    if (n < 16 || n > 8192) fail(NTK4J_ERR_INVALID_ARGUMENT, "matrix size must be in [16, 8192], got ", n);
    if (repeats < 1) fail(NTK4J_ERR_INVALID_ARGUMENT, "repeats must be >= 1, got ", repeats);
    std::vector<double> a(static_cast<size_t>(n * n)), b(a.size()), c(a.size());
    ntk4j::spectral::gaussian_fill(a.data(), n * n, 1);
    ntk4j::spectral::gaussian_fill(b.data(), n * n, 2);
    double best = 1e300;
    for (int32_t r = 0; r <= repeats; ++r) {  // the first run warms up the thread pool
      const auto t0 = std::chrono::steady_clock::now();
      ntk4j::linalg::gemm(ntk4j::linalg::Op::N, ntk4j::linalg::Op::N, n, n, n, 1.0, a.data(), n, b.data(), n,
                          0.0, c.data(), n);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0) best = std::min(best, s);
    }
    *gflops = 2.0 * double(n) * double(n) * double(n) / best / 1e9;
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
    ntk4j::checked_mul(bt, widest, "trajectory [B,T,width]");
    if (ntk4j::checked_mul(steps, widest, "T*width") > ntk4j::kMaxBlasDim || bt > ntk4j::kMaxBlasDim)
      fail(NTK4J_ERR_SHAPE, "B=", batch, ", T=", steps, " with width ", widest,
           " exceed the 32-bit BLAS index range");
    require_finite(inputs, nin, "inputs");
    if (h0 != nullptr) require_finite(h0, ntk4j::checked_mul(batch, m.H, "h0 [B,H]"), "h0");
    auto state = std::make_shared<ntk4j::SessionState>();
    state->model = model->model;
    state->trajectory = ntk4j::unroll(*state->model, inputs, batch, steps, h0);
    Index where = 0;
    if (!ntk4j::all_finite(state->trajectory.hidden.data(), state->trajectory.state_size(), &where))
      fail(NTK4J_ERR_NUMERICAL, "the trajectory overflowed to a non-finite value at flat index ",
           where, " of [B,T,H]");
    *out = new ntk4j_session{std::move(state)};
  });
}

int32_t ntk4j_session_dims(const ntk4j_session* session, int64_t* batch, int64_t* steps,
                           int64_t* hidden_size, int64_t* input_size, int64_t* num_params) {
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
    const auto& tr = session->state->trajectory;
    const Index state = tr.state_size(), params = session->state->model->num_params;
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
    // The same kernels (and probe chunking) as the session's operator handles.
    ntk4j::session_operator(session->state, op)->apply(input, k, output);
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
    if (batch <= 0) fail(NTK4J_ERR_SHAPE, "batch must be > 0, got ", batch);
    const Index n = ntk4j::checked_mul(batch, m.H, "h [B,H]");
    if (jac) ntk4j::checked_mul(n, m.H, "jac [B,H,H]");
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
    if (x) require_finite(x, m.N, "x");
    ntk4j::dynamics::FixedPointOptions o;
    if (options->starts < 0 || options->max_iterations < 0 || options->rollout_steps < -1 || options->tol < 0 ||
        options->init_scale < 0 || std::isnan(options->tol) || std::isnan(options->init_scale))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "fixed-point options must be >= 0 (rollout_steps >= -1; 0 = default)");
    if (options->starts) o.starts = options->starts;
    if (options->rollout_steps) o.rollout_steps = options->rollout_steps < 0 ? 0 : options->rollout_steps;
    if (options->max_iterations) o.max_iterations = options->max_iterations;
    if (options->tol != 0.0) o.tol = options->tol;
    if (options->init_scale != 0.0) o.init_scale = options->init_scale;
    if (options->seed) o.seed = options->seed;
    auto r = ntk4j::dynamics::find_fixed_points(m, x, o);
    *found = r.found;
    if (failed) *failed = r.failed;
    std::copy_n(r.points.begin(), std::min(r.found, capacity) * m.H, points);
  });
}

int32_t ntk4j_eig_general(const double* a, int64_t n, double* re, double* im, double* left, double* right) {
  return guard([&] {
    require(a, "a");
    require(re, "re");
    require(im, "im");
    if (n <= 0 || n > 20000) fail(NTK4J_ERR_SHAPE, "matrix size must be in [1, 20000], got ", n);
    require_finite(a, ntk4j::checked_mul(n, n, "a"), "a");
    ntk4j::dynamics::general_eigen(n, a, re, im, left, right);
  });
}

int32_t ntk4j_solve(const double* a, int64_t n, double* b, int64_t nrhs) {
  return guard([&] {
    require(a, "a");
    require(b, "b");
    if (n <= 0 || n > 20000 || nrhs <= 0) fail(NTK4J_ERR_SHAPE, "need 1 <= n <= 20000 and nrhs >= 1, got ", n, ", ", nrhs);
    require_finite(a, ntk4j::checked_mul(n, n, "a"), "a");
    require_finite(b, ntk4j::checked_mul(n, nrhs, "b"), "b");
    std::vector<double> lu(a, a + n * n);
    std::vector<lapack_int> piv(static_cast<size_t>(n));
    const lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, static_cast<lapack_int>(n), static_cast<lapack_int>(nrhs),
                                          lu.data(), static_cast<lapack_int>(n), piv.data(), b,
                                          static_cast<lapack_int>(nrhs));
    if (info > 0) fail(NTK4J_ERR_NUMERICAL, "matrix is singular (zero pivot ", info, ")");
    if (info < 0) fail(NTK4J_ERR_INTERNAL, "LAPACK dgesv argument ", -info);
  });
}

int32_t ntk4j_operator_from_session(const ntk4j_session* session, int32_t op, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(session, "session");
    *out = new ntk4j_operator{ntk4j::session_operator(session->state, op)};
  });
}

int32_t ntk4j_operator_from_callbacks(int64_t rows, int64_t cols, int32_t symmetric,
                                      ntk4j_apply_fn apply, ntk4j_apply_fn apply_adjoint,
                                      void* user_data, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(reinterpret_cast<const void*>(apply), "apply callback");
    if (rows <= 0 || cols <= 0) fail(NTK4J_ERR_SHAPE, "operator shape must be positive, got ", rows, " x ", cols);
    if (symmetric && rows != cols)
      fail(NTK4J_ERR_SHAPE, "a symmetric operator must be square, got ", rows, " x ", cols);
    if (apply_adjoint == nullptr && !symmetric)
      fail(NTK4J_ERR_NULL_ARGUMENT, "apply_adjoint callback is NULL for a non-symmetric operator");
    *out = new ntk4j_operator{std::make_shared<CallbackOperator>(rows, cols, symmetric != 0, apply,
                                                                 apply_adjoint, user_data)};
  });
}

int32_t ntk4j_operator_adjoint(const ntk4j_operator* a, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(a, "operator");
    *out = new ntk4j_operator{ntk4j::linalg::adjoint(a->op)};
  });
}

int32_t ntk4j_operator_compose(const ntk4j_operator* a, const ntk4j_operator* b, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(a, "first operator");
    require(b, "second operator");
    *out = new ntk4j_operator{ntk4j::linalg::compose(a->op, b->op)};
  });
}

int32_t ntk4j_operator_gram(const ntk4j_operator* a, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(a, "operator");
    *out = new ntk4j_operator{ntk4j::linalg::gram(a->op)};
  });
}

int32_t ntk4j_operator_sum(const ntk4j_operator* a, const ntk4j_operator* b, double alpha, double beta,
                           ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(a, "first operator");
    require(b, "second operator");
    *out = new ntk4j_operator{ntk4j::linalg::sum(a->op, b->op, alpha, beta)};
  });
}

int32_t ntk4j_operator_dims(const ntk4j_operator* a, int64_t* rows, int64_t* cols, int32_t* symmetric) {
  return guard([&] {
    require(a, "operator");
    if (rows) *rows = a->op->rows();
    if (cols) *cols = a->op->cols();
    if (symmetric) *symmetric = a->op->symmetric() ? 1 : 0;
  });
}

int32_t ntk4j_operator_apply(const ntk4j_operator* a, int32_t adjoint, const double* x, int64_t in_len,
                             int64_t k, double* y, int64_t out_len) {
  return guard([&] {
    require(a, "operator");
    require(x, "input");
    require(y, "output");
    const auto& op = *a->op;
    if (k <= 0) fail(NTK4J_ERR_SHAPE, "probe count k must be > 0, got ", k);
    const Index in_dim = adjoint ? op.rows() : op.cols(), out_dim = adjoint ? op.cols() : op.rows();
    if (in_len != ntk4j::checked_mul(k, in_dim, "input block"))
      fail(NTK4J_ERR_SHAPE, "input has ", in_len, " elements but ", op.name(), adjoint ? "*" : "",
           " needs k x ", in_dim, " = ", k * in_dim);
    if (out_len != ntk4j::checked_mul(k, out_dim, "output block"))
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but ", op.name(), adjoint ? "*" : "",
           " needs k x ", out_dim, " = ", k * out_dim);
    if (overlap(x, in_len, y, out_len)) fail(NTK4J_ERR_INVALID_ARGUMENT, "input and output buffers overlap");
    require_finite(x, in_len, "input block");
    if (adjoint)
      ntk4j::linalg::checked_apply_adjoint(op, x, k, y);
    else
      ntk4j::linalg::checked_apply(op, x, k, y);
  });
}

void ntk4j_operator_destroy(ntk4j_operator* a) { delete a; }

int32_t ntk4j_eigs(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                   double* residuals, double* vectors, ntk4j_eigs_info* info) {
  return eigs_impl(a, options, values, residuals, vectors, info, false);
}

int32_t ntk4j_eigs_gram(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                        double* residuals, double* vectors, ntk4j_eigs_info* info) {
  return eigs_impl(a, options, values, residuals, vectors, info, true);
}

int32_t ntk4j_eigs_dense(const ntk4j_operator* a, double* values, int64_t n, double* vectors) {
  return guard([&] {
    require(a, "operator");
    require(values, "values");
    const auto& op = *a->op;
    if (op.rows() != op.cols()) fail(NTK4J_ERR_SHAPE, "eigenvalues need a square operator, got ", op.rows(), " x ", op.cols());
    if (n != op.rows()) fail(NTK4J_ERR_SHAPE, "values has length ", n, " but the operator has dimension ", op.rows());
    require_dense_size(op);
    require_symmetric(op);
    auto dense = ntk4j::linalg::to_dense(op);
    std::vector<double> vals, vecs;
    ntk4j::spectral::dense_symmetric_eigen(n, std::move(dense), vals, vectors ? &vecs : nullptr);
    std::copy(vals.begin(), vals.end(), values);
    if (vectors) std::copy(vecs.begin(), vecs.end(), vectors);
  });
}

int32_t ntk4j_svds(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                   double* residuals, double* u, double* v, ntk4j_eigs_info* info) {
  return guard([&] {
    check_spectral_call(a, options, values, residuals, false, "ntk4j_svds");
    ntk4j::spectral::SvdOptions o;
    o.k = options->k;
    if (options->block != 0) o.oversample = options->block;
    if (options->max_restarts != 0) o.max_iterations = options->max_restarts;
    if (options->tol != 0.0) o.tol = options->tol;
    if (options->seed != 0) o.seed = options->seed;
    auto r = ntk4j::spectral::randomized_svd(*a->op, o, u != nullptr || v != nullptr);
    std::copy(r.values.begin(), r.values.end(), values);
    std::copy(r.residuals.begin(), r.residuals.end(), residuals);
    if (u) std::copy(r.u.begin(), r.u.end(), u);
    if (v) std::copy(r.v.begin(), r.v.end(), v);
    if (info) *info = {r.converged, r.iterations + 1, r.applies + r.adjoint_applies, r.iterations, o.oversample, o.k + o.oversample};
  });
}

int32_t ntk4j_trace_estimate(const ntk4j_operator* a, int64_t probes, uint64_t seed,
                             ntk4j_estimate* trace, ntk4j_estimate* trace_of_square,
                             ntk4j_estimate* effective_rank) {
  return guard([&] {
    require(a, "operator");
    require_symmetric(*a->op);
    auto r = ntk4j::spectral::hutchpp(*a->op, probes, seed);
    auto put = [](ntk4j_estimate* o, const ntk4j::spectral::Estimate& e) {
      if (o) *o = {e.value, e.std_error, e.applies};
    };
    put(trace, r.trace);
    put(trace_of_square, r.trace_of_square);
    put(effective_rank, r.effective_rank);
  });
}

int32_t ntk4j_trace_exact(const ntk4j_operator* a, double* trace, double* trace_of_square,
                          double* effective_rank) {
  return guard([&] {
    require(a, "operator");
    require_dense_size(*a->op);
    auto r = ntk4j::spectral::exact_traces(*a->op);
    if (trace) *trace = r.trace;
    if (trace_of_square) *trace_of_square = r.trace_of_square;
    if (effective_rank) *effective_rank = r.effective_rank;
  });
}

int32_t ntk4j_partial_effdims(const ntk4j_operator* a, int64_t batch, int64_t steps, int64_t hidden,
                              int32_t reduction, int32_t exact, int64_t samples, int64_t deflation,
                              uint64_t seed, ntk4j_estimate* out) {
  return guard([&] {
    require(a, "operator");
    require(out, "out");
    if (reduction != NTK4J_REDUCTION_TRUE_PARTIAL_TRACE && reduction != NTK4J_REDUCTION_KPFLOW)
      fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown reduction ", reduction, " (0 = true partial trace, 1 = kpflow)");
    const auto red = static_cast<ntk4j::spectral::Reduction>(reduction);
    if (exact) {
      require_dense_size(*a->op);
      auto r = ntk4j::spectral::partial_effective_dims_exact(*a->op, batch, steps, hidden, red);
      for (int i = 0; i < 3; ++i) out[i] = {r[static_cast<size_t>(i)], 0.0, a->op->rows()};
    } else {
      auto r = ntk4j::spectral::partial_effective_dims_estimate(*a->op, batch, steps, hidden, red, samples, deflation, seed);
      for (int i = 0; i < 3; ++i) {
        const auto& e = r[static_cast<size_t>(i)];
        out[i] = {e.value, e.std_error, e.applies};
      }
    }
  });
}

int32_t ntk4j_rank_estimate(const ntk4j_operator* a, const double* basis, int64_t basis_cols,
                            const ntk4j_rank_options* options, ntk4j_rank_estimates* out) {
  return guard([&] {
    require(a, "operator");
    require(options, "options");
    require(out, "out");
    if (basis_cols < 0 || (basis_cols > 0 && !basis))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "basis: ", basis_cols, " columns requested but basis is NULL");
    if (basis_cols > a->op->cols())
      fail(NTK4J_ERR_INVALID_ARGUMENT, "basis has ", basis_cols, " columns, more than the dimension ", a->op->cols());
    ntk4j::spectral::RankOptions o;
    if (options->accuracy != 0) o.accuracy = options->accuracy;
    if (options->min_samples != 0) o.min_samples = options->min_samples;
    if (options->max_samples != 0) o.max_samples = options->max_samples;
    if (options->seed != 0) o.seed = options->seed;
    o.traces = options->traces != 0;
    o.partial = options->partial != 0;
    o.partial_kpflow = options->partial_kpflow != 0;
    o.B = options->batch;
    o.T = options->steps;
    o.H = options->hidden;
    if (basis_cols > 0) require_finite(basis, basis_cols * a->op->cols(), "basis");
    const auto r = ntk4j::spectral::estimate_ranks(*a->op, basis, basis_cols, o);
    auto put = [](const ntk4j::spectral::Estimate& e) { return ntk4j_estimate{e.value, e.std_error, e.applies}; };
    *out = {};
    out->trace = put(r.trace);
    out->trace_of_square = put(r.trace_of_square);
    out->trace_of_fourth = put(r.trace_of_fourth);
    out->effective_rank = put(r.effective_rank);
    out->effective_rank_kpflow = put(r.effective_rank_kpflow);
    for (int i = 0; i < 3; ++i) {
      out->partial_dims[i] = put(r.partial_dims[static_cast<size_t>(i)]);
      out->partial_dims_kpflow[i] = put(r.partial_dims_kpflow[static_cast<size_t>(i)]);
    }
    out->samples = r.samples;
    out->applies = r.applies;
    out->deflation = r.deflation;
    out->accuracy_met = r.accuracy_met ? 1 : 0;
    out->worst_relative_error = r.worst_relative_error;
  });
}

}  // extern "C"
