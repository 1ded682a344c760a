// C = A B for a small matrix A that multiplies many thin blocks: W_hh in every time step of P
// and P* (one 128 x 128 by 128 x 16 product per step and thread at the benchmark's sizes). A
// general GEMM re-packs A on every call; measured with perf on single-vector Lanczos over
// NTK_S, that packing was ~16 % of the run. A is packed here once, in panels of 8 rows laid
// out k-major, and the product runs an 8 x 6 register-blocked kernel (AVX2 + FMA when the
// CPU has them, chosen at run time; a portable loop otherwise).
#pragma once

#include <vector>

#include "core/error.hpp"

namespace ntk4j::linalg {

class PackedMatrix {
 public:
  PackedMatrix() = default;
  // A (m x k) with A(i, j) = a[i * row_stride + j * col_stride] (row-major, or transposed views).
  PackedMatrix(Index m, Index k, const double* a, Index row_stride, Index col_stride);
  Index rows() const { return m_; }
  Index cols() const { return k_; }
  bool empty() const { return m_ == 0; }
  enum class Kernel { Fastest, Portable };
  // C (m x n, column-major, leading dimension ldc) = A B (B: k x n, column-major, ldb). C must
  // not overlap B. The portable kernel can be asked for (tests check both).
  void multiply(const double* b, Index ldb, Index n, double* c, Index ldc,
                Kernel kernel = Kernel::Fastest) const;

 private:
  Index m_ = 0, k_ = 0;
  std::vector<double> panels_;  // panel p, column j: panels_[(p * k + j) * 8 + r] = A(8p + r, j)
};

}  // namespace ntk4j::linalg
