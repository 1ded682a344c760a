#include "abi/abi_support.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/memory.hpp"

namespace {
std::atomic<int64_t> live_operators{0};
}  // namespace

ntk4j_operator::ntk4j_operator(ntk4j::linalg::OperatorPtr p) : op(std::move(p)) { ++live_operators; }
ntk4j_operator::~ntk4j_operator() { --live_operators; }

extern "C" int64_t ntk4j_operator_handles_live(void) { return live_operators.load(); }

namespace ntk4j::abi {

std::string& last_error() {
  thread_local std::string text;
  return text;
}

void require(const void* p, const char* what) {
  if (p == nullptr) fail(NTK4J_ERR_NULL_ARGUMENT, what, " is NULL");
}

void require_finite(const double* x, Index n, const char* what) {
  Index where = 0;
  if (!all_finite(x, n, &where))
    fail(NTK4J_ERR_NON_FINITE, what, " contains a non-finite value (", x[where], ") at flat index ", where);
}

void require_finite_result(const double* x, Index n, const char* what, const linalg::LinearOperator& op) {
  Index where = 0;
  if (!all_finite(x, n, &where))
    fail(NTK4J_ERR_NUMERICAL, what, " of ", op.name(), " are not finite (", x[where], " at index ", where,
         "): the operator's applies overflowed");
}

void require_defined(double value, double std_error, const char* what, const linalg::LinearOperator& op) {
  if (std::isfinite(value) && std::isfinite(std_error)) return;
  fail(NTK4J_ERR_NUMERICAL, "the ", what, " of ", op.name(), " is undefined (", value, " +- ", std_error,
       "): a ratio of traces that are zero (the operator is zero on every probe) or not finite");
}

bool overlap(const double* a, Index na, const double* b, Index nb) {
  auto pa = reinterpret_cast<std::uintptr_t>(a), pb = reinterpret_cast<std::uintptr_t>(b);
  return pa < pb + static_cast<std::uintptr_t>(nb) * sizeof(double) &&
         pb < pa + static_cast<std::uintptr_t>(na) * sizeof(double);
}

void require_dense_size(const linalg::LinearOperator& op) {
  if (op.rows() > 20000 || op.cols() > 20000)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "exact (dense) computation is limited to dimension 20000, ", op.name(), " has ",
         op.rows(), " x ", op.cols(), "; use the randomized estimate");
  // The dense matrix, its transpose while it is formed, and LAPACK's eigenvectors and workspace.
  const double n = static_cast<double>(std::max(op.rows(), op.cols()));
  require_memory(3.0 * 8.0 * n * n, "the dense (exact) computation", "use the randomized estimate");
}

void require_vectors(Index n, Index count, const char* what) {
  require_memory(8.0 * static_cast<double>(n) * static_cast<double>(count), what, "ask for fewer vectors or probes");
}

}  // namespace ntk4j::abi
