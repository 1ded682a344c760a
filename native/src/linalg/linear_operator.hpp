// A linear operator is anything with a block apply and an adjoint (STYLE.md 1): raw buffers in,
// raw buffers out. A block of k vectors is k contiguous vectors ([k, n] row-major), the layout of
// probe blocks [k, B, T, H]. Algorithms (Lanczos, randomized SVD, Hutch++) take operators, not
// models.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace ntk4j::linalg {

class LinearOperator {
 public:
  virtual ~LinearOperator() = default;
  virtual Index rows() const = 0;  // output dimension
  virtual Index cols() const = 0;  // input dimension
  // y[k, rows] = A x[k, cols]
  virtual void apply(const double* x, Index k, double* y) const = 0;
  // y[k, cols] = A^T x[k, rows]
  virtual void apply_adjoint(const double* x, Index k, double* y) const = 0;
  // True if A = A^T (apply_adjoint may then be apply).
  virtual bool symmetric() const { return false; }
  virtual std::string name() const = 0;

  // Fusion hooks for operators that know a faster joint form (a session's P J_theta, and its
  // Gauss-Newton matrix); null: none, the generic composition is used.
  // A* A (this = A).
  virtual std::shared_ptr<const LinearOperator> fused_normal() const { return nullptr; }
  // A B (this = A).
  virtual std::shared_ptr<const LinearOperator> fused_compose(const LinearOperator& /*b*/) const { return nullptr; }
};

using OperatorPtr = std::shared_ptr<const LinearOperator>;

// A* (the adjoint as an operator).
OperatorPtr adjoint(OperatorPtr a);
// A B (requires a.cols == b.rows).
OperatorPtr compose(OperatorPtr a, OperatorPtr b);
// A A* (symmetric positive semi-definite; rows x rows).
OperatorPtr gram(OperatorPtr a);
// A* A (cols x cols), fused when A offers it.
OperatorPtr normal(OperatorPtr a);
// R A R* (A square, R.cols == A.rows), symmetric when A is.
OperatorPtr congruence(OperatorPtr r, OperatorPtr a);
// alpha A + beta B (same shapes).
OperatorPtr sum(OperatorPtr a, OperatorPtr b, double alpha, double beta);
// A given as a dense row-major matrix (rows x cols), copied.
OperatorPtr dense(Index rows, Index cols, const double* data, std::string name);

// I_left (x) A (x) I_right for A row-major rows x cols (copied), on blocks [k, left, cols, right] ->
// [k, left, rows, right]: A applied to every row of a [left, cols] layout (right = 1: a readout on
// every step) or mixing the rows of a [cols, right] one (left = 1). GEMM-shaped.
OperatorPtr kronecker(Index left, Index rows, Index cols, const double* a, Index right, std::string name);

// Applies op and checks that the result is finite (an operator producing NaN/Inf is a numerical
// failure, reported rather than propagated).
void checked_apply(const LinearOperator& op, const double* x, Index k, double* y);
void checked_apply_adjoint(const LinearOperator& op, const double* x, Index k, double* y);

// The dense matrix of an operator (rows x cols, row-major) from block applies on the identity.
std::vector<double> to_dense(const LinearOperator& op, Index block = 256);

// Refuses an operator that is not symmetric (square with A = A^T), checked once on random vectors
// (two applies) unless it declares itself symmetric: eigen-solvers need it.
void require_symmetric(const LinearOperator& op);

// A user-defined operator from C callbacks (ntk4j_operator_from_callbacks): apply(user, x, k, y)
// and its adjoint (the same callback when symmetric and none is given); a non-zero return
// becomes NTK4J_ERR_CALLBACK naming the operator.
using ApplyCallback = int32_t (*)(void* user, const double* x, int64_t k, double* y);
OperatorPtr from_callbacks(Index rows, Index cols, bool symmetric, ApplyCallback apply, ApplyCallback adjoint,
                           void* user);

}  // namespace ntk4j::linalg
