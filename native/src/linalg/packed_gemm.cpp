#include "linalg/packed_gemm.hpp"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NTK4J_X86 1
#endif

namespace ntk4j::linalg {

namespace {

constexpr Index kPanel = 8;  // rows per packed panel
constexpr Index kCols = 6;   // columns of C per register block (8 x 6: 12 accumulators)

// Writes the valid rows (m_valid <= 8) of an 8 x nc block held in acc[col][row].
inline void store_block(const double acc[kCols][kPanel], Index nc, Index m_valid, double* c, Index ldc) {
  for (Index j = 0; j < nc; ++j)
    for (Index r = 0; r < m_valid; ++r) c[j * ldc + r] = acc[j][r];
}

// Portable kernel: C[8 rows of panel, nc columns] = panel * B[:, nc columns].
void block_portable(const double* panel, Index k, const double* b, Index ldb, Index nc, Index m_valid,
                    double* c, Index ldc) {
  double acc[kCols][kPanel] = {};
  for (Index j = 0; j < k; ++j) {
    const double* a = panel + j * kPanel;
    for (Index q = 0; q < nc; ++q) {
      const double bq = b[q * ldb + j];
      for (Index r = 0; r < kPanel; ++r) acc[q][r] += a[r] * bq;
    }
  }
  store_block(acc, nc, m_valid, c, ldc);
}

#ifdef NTK4J_X86
// An 8 x NC block (NC <= 6) with its accumulators as named variables: held in an array, GCC
// spilled them to the stack on every iteration (a store per FMA, half the speed).
template <int NC>
__attribute__((target("avx2,fma"))) void block_avx2(const double* panel, Index k, const double* b,
                                                    Index ldb, Index m_valid, double* c, Index ldc) {
  __m256d l0 = _mm256_setzero_pd(), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0;
  __m256d h0 = l0, h1 = l0, h2 = l0, h3 = l0, h4 = l0, h5 = l0;
  for (Index j = 0; j < k; ++j) {
    const __m256d a0 = _mm256_loadu_pd(panel + j * kPanel);
    const __m256d a1 = _mm256_loadu_pd(panel + j * kPanel + 4);
#define NTK4J_FMA_COLUMN(q)                                    \
  if constexpr (NC > q) {                                      \
    const __m256d bq = _mm256_broadcast_sd(b + q * ldb + j);   \
    l##q = _mm256_fmadd_pd(a0, bq, l##q);                      \
    h##q = _mm256_fmadd_pd(a1, bq, h##q);                      \
  }
    NTK4J_FMA_COLUMN(0)
    NTK4J_FMA_COLUMN(1)
    NTK4J_FMA_COLUMN(2)
    NTK4J_FMA_COLUMN(3)
    NTK4J_FMA_COLUMN(4)
    NTK4J_FMA_COLUMN(5)
#undef NTK4J_FMA_COLUMN
  }
  const __m256d lo[kCols] = {l0, l1, l2, l3, l4, l5}, hi[kCols] = {h0, h1, h2, h3, h4, h5};
  if (m_valid == kPanel) {
    for (int q = 0; q < NC; ++q) {
      _mm256_storeu_pd(c + q * ldc, lo[q]);
      _mm256_storeu_pd(c + q * ldc + 4, hi[q]);
    }
    return;
  }
  alignas(32) double acc[kCols][kPanel];
  for (int q = 0; q < NC; ++q) {
    _mm256_store_pd(acc[q], lo[q]);
    _mm256_store_pd(acc[q] + 4, hi[q]);
  }
  store_block(acc, NC, m_valid, c, ldc);
}

using BlockFn = void (*)(const double*, Index, const double*, Index, Index, double*, Index);
constexpr BlockFn kAvx2Blocks[kCols + 1] = {nullptr,       block_avx2<1>, block_avx2<2>, block_avx2<3>,
                                            block_avx2<4>, block_avx2<5>, block_avx2<6>};

bool cpu_has_avx2_fma() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
}
#endif

}  // namespace

PackedMatrix::PackedMatrix(Index m, Index k, const double* a, Index row_stride, Index col_stride)
    : m_(m), k_(k) {
  const Index panels = (m + kPanel - 1) / kPanel;
  panels_.assign(static_cast<size_t>(panels * k * kPanel), 0.0);  // rows past m stay zero
  for (Index p = 0; p < panels; ++p)
    for (Index j = 0; j < k; ++j)
      for (Index r = 0; r < kPanel && p * kPanel + r < m; ++r)
        panels_[static_cast<size_t>((p * k + j) * kPanel + r)] = a[(p * kPanel + r) * row_stride + j * col_stride];
}

void PackedMatrix::multiply(const double* b, Index ldb, Index n, double* c, Index ldc, Kernel kernel) const {
  const Index panels = (m_ + kPanel - 1) / kPanel;
#ifdef NTK4J_X86
  const bool avx2 = kernel == Kernel::Fastest && cpu_has_avx2_fma();
#else
  (void)kernel;
#endif
  // Columns outermost: a block of 6 columns of B (6 k doubles) stays in L1 while every panel of
  // A streams past it.
  for (Index j0 = 0; j0 < n; j0 += kCols) {
    const Index nc = std::min(kCols, n - j0);
    for (Index p = 0; p < panels; ++p) {
      const double* panel = panels_.data() + p * k_ * kPanel;
      const Index m_valid = std::min(kPanel, m_ - p * kPanel);
      double* cp = c + j0 * ldc + p * kPanel;
#ifdef NTK4J_X86
      if (avx2) {
        kAvx2Blocks[nc](panel, k_, b + j0 * ldb, ldb, m_valid, cp, ldc);
        continue;
      }
#endif
      block_portable(panel, k_, b + j0 * ldb, ldb, nc, m_valid, cp, ldc);
    }
  }
}

}  // namespace ntk4j::linalg
