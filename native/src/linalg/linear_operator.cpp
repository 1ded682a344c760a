#include "linalg/linear_operator.hpp"

#include <algorithm>
#include <cmath>

#include "cells/model.hpp"
#include "linalg/blas.hpp"
#include "linalg/random.hpp"
#include "linalg/scratch.hpp"

namespace ntk4j::linalg {

namespace {

class Adjoint final : public LinearOperator {
 public:
  explicit Adjoint(OperatorPtr a) : a_(std::move(a)) {}
  Index rows() const override { return a_->cols(); }
  Index cols() const override { return a_->rows(); }
  void apply(const double* x, Index k, double* y) const override { a_->apply_adjoint(x, k, y); }
  void apply_adjoint(const double* x, Index k, double* y) const override { a_->apply(x, k, y); }
  bool symmetric() const override { return a_->symmetric(); }
  std::string name() const override { return a_->name() + "*"; }
  const OperatorPtr& inner() const { return a_; }

 private:
  OperatorPtr a_;
};

class Compose final : public LinearOperator {
 public:
  Compose(OperatorPtr a, OperatorPtr b) : a_(std::move(a)), b_(std::move(b)) {}
  Index rows() const override { return a_->rows(); }
  Index cols() const override { return b_->cols(); }
  void apply(const double* x, Index k, double* y) const override {
    Scratch mid(static_cast<size_t>(k * b_->rows()));
    b_->apply(x, k, mid.data());
    a_->apply(mid.data(), k, y);
  }
  void apply_adjoint(const double* x, Index k, double* y) const override {
    Scratch mid(static_cast<size_t>(k * a_->cols()));
    a_->apply_adjoint(x, k, mid.data());
    b_->apply_adjoint(mid.data(), k, y);
  }
  std::string name() const override { return a_->name() + " " + b_->name(); }

 private:
  OperatorPtr a_, b_;
};

class Gram final : public LinearOperator {
 public:
  explicit Gram(OperatorPtr a) : a_(std::move(a)) {}
  Index rows() const override { return a_->rows(); }
  Index cols() const override { return a_->rows(); }
  void apply(const double* x, Index k, double* y) const override {
    Scratch mid(static_cast<size_t>(k * a_->cols()));
    a_->apply_adjoint(x, k, mid.data());
    a_->apply(mid.data(), k, y);
  }
  void apply_adjoint(const double* x, Index k, double* y) const override { apply(x, k, y); }
  bool symmetric() const override { return true; }
  std::string name() const override { return a_->name() + " " + a_->name() + "*"; }

 private:
  OperatorPtr a_;
};

// R A R*: the composition with R on both sides, symmetric when A is (the output NTK).
class Congruence final : public LinearOperator {
 public:
  Congruence(OperatorPtr r, OperatorPtr a) : r_(std::move(r)), a_(std::move(a)) {}
  Index rows() const override { return r_->rows(); }
  Index cols() const override { return r_->rows(); }
  void apply(const double* x, Index k, double* y) const override { run(x, k, y, false); }
  void apply_adjoint(const double* x, Index k, double* y) const override { run(x, k, y, !a_->symmetric()); }
  bool symmetric() const override { return a_->symmetric(); }
  std::string name() const override { return r_->name() + " " + a_->name() + " " + r_->name() + "*"; }

 private:
  void run(const double* x, Index k, double* y, bool adj) const {
    Scratch in(static_cast<size_t>(k * r_->cols())), out(static_cast<size_t>(k * r_->cols()));
    r_->apply_adjoint(x, k, in.data());
    if (adj)
      a_->apply_adjoint(in.data(), k, out.data());
    else
      a_->apply(in.data(), k, out.data());
    r_->apply(out.data(), k, y);
  }
  OperatorPtr r_, a_;
};

class Sum final : public LinearOperator {
 public:
  Sum(OperatorPtr a, OperatorPtr b, double alpha, double beta)
      : a_(std::move(a)), b_(std::move(b)), alpha_(alpha), beta_(beta) {}
  Index rows() const override { return a_->rows(); }
  Index cols() const override { return a_->cols(); }
  void apply(const double* x, Index k, double* y) const override { combine(x, k, y, false); }
  void apply_adjoint(const double* x, Index k, double* y) const override { combine(x, k, y, true); }
  bool symmetric() const override { return a_->symmetric() && b_->symmetric(); }
  std::string name() const override {
    return "(" + std::to_string(alpha_) + " " + a_->name() + " + " + std::to_string(beta_) + " " + b_->name() + ")";
  }

 private:
  void combine(const double* x, Index k, double* y, bool adj) const {
    const Index n = k * (adj ? cols() : rows());
    Scratch tmp(static_cast<size_t>(n));
    if (adj) {
      a_->apply_adjoint(x, k, y);
      b_->apply_adjoint(x, k, tmp.data());
    } else {
      a_->apply(x, k, y);
      b_->apply(x, k, tmp.data());
    }
    for (Index i = 0; i < n; ++i) y[i] = alpha_ * y[i] + beta_ * tmp.data()[i];
  }
  OperatorPtr a_, b_;
  double alpha_, beta_;
};

class Dense final : public LinearOperator {
 public:
  Dense(Index rows, Index cols, const double* data, std::string name)
      : rows_(rows), cols_(cols), a_(data, data + rows * cols), name_(std::move(name)) {}
  Index rows() const override { return rows_; }
  Index cols() const override { return cols_; }
  // y (rows x k, column-major = [k, rows]) = A x, with A row-major = col-major A^T.
  void apply(const double* x, Index k, double* y) const override {
    gemm(Op::T, Op::N, rows_, k, cols_, 1.0, a_.data(), cols_, x, cols_, 0.0, y, rows_);
  }
  void apply_adjoint(const double* x, Index k, double* y) const override {
    gemm(Op::N, Op::N, cols_, k, rows_, 1.0, a_.data(), cols_, x, rows_, 0.0, y, cols_);
  }
  std::string name() const override { return name_; }

 private:
  Index rows_, cols_;
  std::vector<double> a_;
  std::string name_;
};

void require_finite_output(const LinearOperator& op, const double* y, Index n) {
  Index where = 0;
  if (!all_finite(y, n, &where))
    fail(NTK4J_ERR_NUMERICAL, "operator ", op.name(), " produced a non-finite value (", y[where], ") at flat index ",
         where);
}

}  // namespace

OperatorPtr adjoint(OperatorPtr a) { return std::make_shared<Adjoint>(std::move(a)); }

OperatorPtr compose(OperatorPtr a, OperatorPtr b) {
  if (a->cols() != b->rows())
    fail(NTK4J_ERR_SHAPE, "cannot compose ", a->name(), " (", a->rows(), " x ", a->cols(), ") with ", b->name(), " (",
         b->rows(), " x ", b->cols(), ")");
  if (auto fused = a->fused_compose(*b)) return fused;
  if (const auto* adj = dynamic_cast<const Adjoint*>(a.get()); adj && adj->inner() == b) return normal(b);
  return std::make_shared<Compose>(std::move(a), std::move(b));
}

OperatorPtr gram(OperatorPtr a) { return std::make_shared<Gram>(std::move(a)); }

OperatorPtr normal(OperatorPtr a) {
  if (auto fused = a->fused_normal()) return fused;
  return gram(adjoint(std::move(a)));
}

OperatorPtr sum(OperatorPtr a, OperatorPtr b, double alpha, double beta) {
  if (a->rows() != b->rows() || a->cols() != b->cols())
    fail(NTK4J_ERR_SHAPE, "cannot add ", a->name(), " (", a->rows(), " x ", a->cols(), ") and ", b->name(), " (",
         b->rows(), " x ", b->cols(), ")");
  if (!std::isfinite(alpha) || !std::isfinite(beta))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "sum coefficients must be finite");
  return std::make_shared<Sum>(std::move(a), std::move(b), alpha, beta);
}

OperatorPtr congruence(OperatorPtr r, OperatorPtr a) {
  if (a->rows() != a->cols() || r->cols() != a->rows())
    fail(NTK4J_ERR_SHAPE, "congruence R A R* needs a square A with R.cols == A.rows, got R ", r->rows(), " x ",
         r->cols(), " and A ", a->rows(), " x ", a->cols(), " (", r->name(), ", ", a->name(), ")");
  return std::make_shared<Congruence>(std::move(r), std::move(a));
}

OperatorPtr dense(Index rows, Index cols, const double* data, std::string name) {
  return std::make_shared<Dense>(rows, cols, data, std::move(name));
}

void checked_apply(const LinearOperator& op, const double* x, Index k, double* y) {
  op.apply(x, k, y);
  require_finite_output(op, y, k * op.rows());
}

void checked_apply_adjoint(const LinearOperator& op, const double* x, Index k, double* y) {
  op.apply_adjoint(x, k, y);
  require_finite_output(op, y, k * op.cols());
}

std::vector<double> to_dense(const LinearOperator& op, Index block) {
  const Index n = op.cols(), m = op.rows();
  std::vector<double> at(static_cast<size_t>(n * m));  // row j = A e_j (so A^T row-major)
  for (Index j0 = 0; j0 < n; j0 += block) {
    const Index b = std::min(block, n - j0);
    std::vector<double> eye(static_cast<size_t>(b * n), 0.0);
    for (Index j = 0; j < b; ++j) eye[static_cast<size_t>(j * n + j0 + j)] = 1.0;
    checked_apply(op, eye.data(), b, at.data() + j0 * m);
  }
  std::vector<double> a(static_cast<size_t>(n * m));
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < n; ++j) a[static_cast<size_t>(i * n + j)] = at[static_cast<size_t>(j * m + i)];
  return a;
}

namespace {

class CallbackOperator final : public LinearOperator {
 public:
  CallbackOperator(Index rows, Index cols, bool symmetric, ApplyCallback apply, ApplyCallback adjoint, void* user)
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
  void call(ApplyCallback f, const double* x, Index k, double* y, const char* which) const {
    const int32_t rc = f(user_, x, k, y);
    if (rc != 0) fail(NTK4J_ERR_CALLBACK, "the ", which, " callback of ", name(), " failed (returned ", rc, ")");
  }
  Index rows_, cols_;
  bool symmetric_;
  ApplyCallback apply_, adjoint_;
  void* user_;
};

}  // namespace

OperatorPtr from_callbacks(Index rows, Index cols, bool symmetric, ApplyCallback apply, ApplyCallback adjoint,
                           void* user) {
  if (apply == nullptr) fail(NTK4J_ERR_NULL_ARGUMENT, "apply callback is NULL");
  if (rows <= 0 || cols <= 0) fail(NTK4J_ERR_SHAPE, "operator shape must be positive, got ", rows, " x ", cols);
  if (symmetric && rows != cols) fail(NTK4J_ERR_SHAPE, "a symmetric operator must be square, got ", rows, " x ", cols);
  if (adjoint == nullptr && !symmetric)
    fail(NTK4J_ERR_NULL_ARGUMENT, "apply_adjoint callback is NULL for a non-symmetric operator");
  return std::make_shared<CallbackOperator>(rows, cols, symmetric, apply, adjoint, user);
}

void require_symmetric(const LinearOperator& op) {
  if (op.rows() != op.cols())
    fail(NTK4J_ERR_SHAPE, "eigenvalues need a square operator, got ", op.rows(), " x ", op.cols());
  if (op.symmetric()) return;
  const Index n = op.rows();
  std::vector<double> x(static_cast<size_t>(2 * n)), y(static_cast<size_t>(2 * n));
  gaussian_fill(x.data(), 2 * n, 7);
  checked_apply(op, x.data(), 2, y.data());
  // <A x1, x2> against <x1, A x2>, relative to ||A x|| ||x||.
  double a = 0, b = 0, na = 0, nb = 0;
  for (Index i = 0; i < n; ++i) {
    const size_t p = static_cast<size_t>(i), q = static_cast<size_t>(n + i);
    a += y[p] * x[q];
    b += x[p] * y[q];
    na += y[p] * y[p] + y[q] * y[q];
    nb += x[p] * x[p];
  }
  if (std::abs(a - b) > 1e-8 * std::sqrt(na * nb))
    fail(NTK4J_ERR_INVALID_ARGUMENT, op.name(), " is not symmetric (<Ax,y> = ", a, " but <x,Ay> = ", b,
         "); eigenvalues need a symmetric operator, e.g. its Gram A A*");
}

}  // namespace ntk4j::linalg
