// C ABI, operator section of ntk4j.h: handles for session operators, user callbacks and the
// algebra (adjoint, compose, gram, sum), and their block apply.
#include "abi/abi_support.hpp"

using ntk4j::fail;
using ntk4j::Index;
using namespace ntk4j::abi;  // guard() and the argument checks

extern "C" {

int32_t ntk4j_operator_from_session(const ntk4j_session* session, int32_t op, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(session, "session");
    *out = new ntk4j_operator{ntk4j::session_operator(session->state, op)};
  });
}

int32_t ntk4j_operator_from_callbacks(int64_t rows, int64_t cols, int32_t symmetric, ntk4j_apply_fn apply,
                                      ntk4j_apply_fn apply_adjoint, void* user_data, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    *out =
        new ntk4j_operator{ntk4j::linalg::from_callbacks(rows, cols, symmetric != 0, apply, apply_adjoint, user_data)};
  });
}

int32_t ntk4j_operator_kronecker(int64_t left, const double* a, int64_t rows, int64_t cols, int64_t right,
                                 ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(a, "a");
    *out = new ntk4j_operator{ntk4j::linalg::kronecker(left, rows, cols, a, right,
                                                       "I_" + std::to_string(left) + " (x) A[" + std::to_string(rows) +
                                                           "x" + std::to_string(cols) + "] (x) I_" +
                                                           std::to_string(right))};
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

int32_t ntk4j_operator_congruence(const ntk4j_operator* r, const ntk4j_operator* a, ntk4j_operator** out) {
  return guard([&] {
    require(out, "out");
    *out = nullptr;
    require(r, "R");
    require(a, "A");
    *out = new ntk4j_operator{ntk4j::linalg::congruence(r->op, a->op)};
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

int32_t ntk4j_operator_apply(const ntk4j_operator* a, int32_t adjoint, const double* x, int64_t in_len, int64_t k,
                             double* y, int64_t out_len) {
  return guard([&] {
    require(a, "operator");
    require(x, "input");
    require(y, "output");
    const auto& op = *a->op;
    if (k <= 0) fail(NTK4J_ERR_SHAPE, "probe count k must be > 0, got ", k);
    const Index in_dim = adjoint ? op.rows() : op.cols(), out_dim = adjoint ? op.cols() : op.rows();
    if (in_len != ntk4j::checked_mul(k, in_dim, "input block"))
      fail(NTK4J_ERR_SHAPE, "input has ", in_len, " elements but ", op.name(), adjoint ? "*" : "", " needs k x ",
           in_dim, " = ", k * in_dim);
    if (out_len != ntk4j::checked_mul(k, out_dim, "output block"))
      fail(NTK4J_ERR_SHAPE, "output has ", out_len, " elements but ", op.name(), adjoint ? "*" : "", " needs k x ",
           out_dim, " = ", k * out_dim);
    if (overlap(x, in_len, y, out_len)) fail(NTK4J_ERR_INVALID_ARGUMENT, "input and output buffers overlap");
    require_finite(x, in_len, "input block");
    if (adjoint)
      ntk4j::linalg::checked_apply_adjoint(op, x, k, y);
    else
      ntk4j::linalg::checked_apply(op, x, k, y);
  });
}

void ntk4j_operator_destroy(ntk4j_operator* a) { delete a; }

}  // extern "C"
