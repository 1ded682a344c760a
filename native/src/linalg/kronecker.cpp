// I_left (x) A (x) I_right as an operator: the structured maps the output NTK is built from (a
// readout applied to every step, I (x) W_out; a mixing of the steps, G (x) I_O). DESIGN.md,
// "Output NTK and cross kernels".
#include <algorithm>
#include <utility>

#include "cells/model.hpp"
#include "linalg/blas.hpp"
#include "linalg/linear_operator.hpp"

namespace ntk4j::linalg {

namespace {

class Kronecker final : public LinearOperator {
 public:
  Kronecker(Index left, Index r, Index c, const double* a, Index right, std::string name)
      : left_(left), r_(r), c_(c), right_(right), a_(a, a + r * c), name_(std::move(name)) {}
  Index rows() const override { return left_ * r_ * right_; }
  Index cols() const override { return left_ * c_ * right_; }
  void apply(const double* x, Index k, double* y) const override { run(false, x, k, y); }
  void apply_adjoint(const double* x, Index k, double* y) const override { run(true, x, k, y); }
  std::string name() const override { return name_; }

 private:
  // A is row-major r x c, i.e. column-major A^T with leading dimension c.
  void run(bool adjoint, const double* x, Index k, double* y) const {
    const Index in = adjoint ? r_ : c_, out = adjoint ? c_ : r_;
    if (right_ == 1) {
      // Every (probe, left) block is one vector of length `in`: one GEMM over all k * left of them.
      // y (out x kL) = A x (adjoint: A^T x), column-major.
      gemm(adjoint ? Op::N : Op::T, Op::N, out, k * left_, in, 1.0, a_.data(), c_, x, in, 0.0, y, out);
      return;
    }
    // Each (probe, left) block is a row-major in x right matrix X, i.e. column-major X^T
    // (right x in); Y^T = X^T A^T (adjoint: X^T A), one GEMM per block.
    for (Index b = 0; b < k * left_; ++b)
      gemm(Op::N, adjoint ? Op::T : Op::N, right_, out, in, 1.0, x + b * in * right_, right_, a_.data(), c_, 0.0,
           y + b * out * right_, right_);
  }

  Index left_, r_, c_, right_;
  std::vector<double> a_;
  std::string name_;
};

}  // namespace

OperatorPtr kronecker(Index left, Index rows, Index cols, const double* a, Index right, std::string name) {
  if (left <= 0 || rows <= 0 || cols <= 0 || right <= 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "a Kronecker operator I_", left, " (x) A (x) I_", right,
         " needs positive sizes, got A of ", rows, " x ", cols);
  checked_mul(checked_mul(left, right, "left * right"), std::max(rows, cols), "Kronecker operator size");
  if (!all_finite(a, rows * cols, nullptr)) fail(NTK4J_ERR_INVALID_ARGUMENT, "the matrix of ", name, " is not finite");
  return std::make_shared<Kronecker>(left, rows, cols, a, right, std::move(name));
}

}  // namespace ntk4j::linalg
