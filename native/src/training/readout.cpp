#include "training/readout.hpp"

#include <vector>

#include "linalg/blas.hpp"

namespace ntk4j::training {

double readout_mse(Index rows, Index h, Index o, const double* hidden, const double* weight, const double* bias,
                   const double* targets, double* e, double* grad_w, double* grad_b) {
  using linalg::Op;
  // Row-major [rows, H] is column-major H x rows: no copies, only the roles of the operands.
  std::vector<double> dy(static_cast<std::size_t>(rows * o));
  linalg::gemm(Op::T, Op::N, o, rows, h, 1.0, weight, h, hidden, h, 0.0, dy.data(), o);  // y^T = W h^T
  const double n = static_cast<double>(rows) * static_cast<double>(o), scale = 2.0 / n;
  double sum = 0;
  for (Index r = 0; r < o; ++r) grad_b[r] = 0;
  for (Index i = 0; i < rows; ++i) {
    for (Index r = 0; r < o; ++r) {
      const double d = dy[i * o + r] + bias[r] - targets[i * o + r];
      sum += d * d;
      dy[i * o + r] = scale * d;
      grad_b[r] += dy[i * o + r];
    }
  }
  linalg::gemm(Op::N, Op::N, h, rows, o, 1.0, weight, h, dy.data(), o, 0.0, e, h);       // e^T = W^T dy^T
  linalg::gemm(Op::N, Op::T, h, o, rows, 1.0, hidden, h, dy.data(), o, 0.0, grad_w, h);  // (dy^T h)^T
  return sum / n;
}

}  // namespace ntk4j::training
