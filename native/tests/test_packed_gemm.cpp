// The packed small-matrix product of P and P* (linalg/packed_gemm.hpp) against a plain triple
// loop: every row remainder of the 8-row panels, every column remainder of the 6- and 12-column
// blocks, row-major and transposed views of A, leading dimensions larger than the matrices, every
// kernel this CPU can run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "linalg/cpu.hpp"
#include "linalg/packed_gemm.hpp"
#include "test_support.hpp"

namespace ntk4j::testing {
namespace {

using linalg::PackedMatrix;

void check(Index m, Index k, Index n, bool transposed, PackedMatrix::Kernel kernel) {
  // A is stored as an m x k row-major array, or as the transpose of a k x m row-major array.
  const Index lda = (transposed ? m : k) + 3;
  const std::vector<double> store = random_vector((transposed ? k : m) * lda, 100 + m + 7 * k);
  auto a = [&](Index i, Index j) { return transposed ? store[j * lda + i] : store[i * lda + j]; };
  const PackedMatrix p =
      transposed ? PackedMatrix(m, k, store.data(), 1, lda) : PackedMatrix(m, k, store.data(), lda, 1);
  const Index ldb = k + 2, ldc = m + 5;
  const std::vector<double> b = random_vector(ldb * n, 200 + n);
  std::vector<double> c(static_cast<size_t>(ldc * n), 42.0);
  p.multiply(b.data(), ldb, n, c.data(), ldc, kernel);
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < m; ++i) {
      double want = 0, scale = 0;
      for (Index l = 0; l < k; ++l) {
        want += a(i, l) * b[j * ldb + l];
        scale += std::abs(a(i, l) * b[j * ldb + l]);
      }
      ASSERT_NEAR(c[j * ldc + i], want, 1e-15 * std::max(scale, 1.0))
          << m << "x" << k << " times " << k << "x" << n << " at (" << i << ", " << j << ")";
    }
    for (Index i = m; i < ldc; ++i) ASSERT_EQ(c[j * ldc + i], 42.0) << "wrote past row " << m;
  }
}

using Kernel = PackedMatrix::Kernel;

void check_all_shapes(Kernel kernel) {
  for (bool transposed : {false, true})
    for (Index m : {1, 7, 8, 9, 16, 23})
      for (Index n : {1, 5, 6, 7, 11, 12, 13, 18, 25})
        for (Index k : {1, 9, 32}) check(m, k, n, transposed, kernel);
}

TEST(PackedGemm, PortableKernelMatchesTripleLoopForAllRemainders) { check_all_shapes(Kernel::Portable); }

TEST(PackedGemm, FastestKernelMatchesTripleLoopForAllRemainders) {
  std::printf("fastest packed kernel here: %s\n", PackedMatrix::name(Kernel::Fastest));
  check_all_shapes(Kernel::Fastest);
}

TEST(PackedGemm, Avx2KernelMatchesTripleLoopForAllRemainders) {
  if (!PackedMatrix::available(Kernel::Avx2)) GTEST_SKIP() << "this CPU has no AVX2 + FMA";
  check_all_shapes(Kernel::Avx2);
}

TEST(PackedGemm, Avx512KernelMatchesTripleLoopForAllRemainders) {
  if (!PackedMatrix::available(Kernel::Avx512)) GTEST_SKIP() << "this CPU (or its OS) has no AVX-512 F";
  check_all_shapes(Kernel::Avx512);
}

TEST(PackedGemm, FastestIsTheWidestKernelTheCpuHas) {
  const auto& cpu = linalg::cpu_features();
  const Kernel want = cpu.avx512f ? Kernel::Avx512 : cpu.avx2_fma ? Kernel::Avx2 : Kernel::Portable;
  EXPECT_EQ(PackedMatrix::fastest(), want) << "CPU level " << cpu.level;
}

TEST(PackedGemm, KernelTheCpuLacksIsRefused) {
  for (Kernel k : {Kernel::Avx512, Kernel::Avx2}) {
    if (PackedMatrix::available(k)) continue;
    const std::vector<double> a(4, 1.0);
    const PackedMatrix p(2, 2, a.data(), 2, 1);
    std::vector<double> c(4, 0.0);
    EXPECT_THROW(p.multiply(a.data(), 2, 2, c.data(), 2, k), Error) << PackedMatrix::name(k);
    return;
  }
  GTEST_SKIP() << "this CPU runs every kernel";
}

TEST(PackedGemm, EmptyProductsWriteNothing) {
  const std::vector<double> a(12, 1.0);
  const PackedMatrix p(3, 4, a.data(), 4, 1);
  std::vector<double> c(3, 7.0);
  p.multiply(a.data(), 4, 0, c.data(), 3);
  EXPECT_EQ(c, std::vector<double>(3, 7.0));
}

}  // namespace
}  // namespace ntk4j::testing
