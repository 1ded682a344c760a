// C = A B for a small matrix A that multiplies many thin blocks: W_hh in every time step of P
// and P* (one 128 x 128 by 128 x 16 product per step and thread at the benchmark's sizes). A
// general GEMM re-packs A on every call; measured with perf on single-vector Lanczos over
// NTK_S, that packing was ~16 % of the run. A is packed here once, in panels of 8 rows laid
// out k-major, and the product runs a register-blocked kernel chosen at run time for what the CPU
// and OS support (linalg/cpu.hpp): 8 x 12 in zmm registers with AVX-512 F, 8 x 6 in ymm with
// AVX2 + FMA (one source for both), a portable loop otherwise.
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
  enum class Kernel { Fastest, Avx512, Avx2, Portable };
  // C (m x n, column-major, leading dimension ldc) = A B (B: k x n, column-major, ldb). C must
  // not overlap B. A particular kernel can be asked for (tests check each available one); one
  // the CPU lacks is refused (NTK4J_ERR_INVALID_ARGUMENT), never run.
  void multiply(const double* b, Index ldb, Index n, double* c, Index ldc, Kernel kernel = Kernel::Fastest) const;
  static bool available(Kernel kernel);
  static Kernel fastest();                 // what Kernel::Fastest runs on this CPU
  static const char* name(Kernel kernel);  // "avx512", "avx2+fma", "portable"

 private:
  Index m_ = 0, k_ = 0;
  std::vector<double> panels_;  // panel p, column j: panels_[(p * k + j) * 8 + r] = A(8p + r, j)
};

}  // namespace ntk4j::linalg
