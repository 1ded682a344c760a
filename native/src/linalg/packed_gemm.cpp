#include "linalg/packed_gemm.hpp"

#include <algorithm>

#include "linalg/cpu.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NTK4J_X86 1
#endif

namespace ntk4j::linalg {

namespace {

constexpr Index kPanel = 8;  // rows per packed panel
constexpr Index kCols = 6;   // columns of C per block of the portable kernel

// Writes the valid rows (m_valid <= 8) of an 8 x nc block held in acc[col][row].
inline void store_block(const double acc[kCols][kPanel], Index nc, Index m_valid, double* c, Index ldc) {
  for (Index j = 0; j < nc; ++j)
    for (Index r = 0; r < m_valid; ++r) c[j * ldc + r] = acc[j][r];
}

// Portable kernel: C[8 rows of panel, nc columns] = panel * B[:, nc columns].
void block_portable(const double* panel, Index k, const double* b, Index ldb, Index nc, Index m_valid, double* c,
                    Index ldc) {
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
// One panel column (8 doubles) as each instruction set holds it: two ymm registers (AVX2 + FMA)
// or one zmm (AVX-512 F). The block kernel below is written once over these and compiled for
// each set, so the AVX-512 path runs the same source as the AVX2 path (which every x86-64 test
// machine since 2015 exercises) with wider registers and twice the columns per block.
#define NTK4J_LANES_FN static inline __attribute__((always_inline, target
struct Avx2Lanes {
  struct V {
    __m256d lo, hi;
  };
  static constexpr int kMaxCols = 6;  // 12 accumulators + 2 panel halves + 1 broadcast of 16 ymm
  NTK4J_LANES_FN("avx2,fma"))) V zero() { return {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
  NTK4J_LANES_FN("avx2,fma"))) V load(const double* p) { return {_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; }
  NTK4J_LANES_FN("avx2,fma"))) V fma(V a, const double* b, V acc) {
    const __m256d bb = _mm256_broadcast_sd(b);
    return {_mm256_fmadd_pd(a.lo, bb, acc.lo), _mm256_fmadd_pd(a.hi, bb, acc.hi)};
  }
  NTK4J_LANES_FN("avx2,fma"))) void store(double* c, V v) {
    _mm256_storeu_pd(c, v.lo);
    _mm256_storeu_pd(c + 4, v.hi);
  }
};
struct Avx512Lanes {
  using V = __m512d;
  static constexpr int kMaxCols = 12;  // 12 accumulators of 32 zmm; the broadcast folds into the FMA
  NTK4J_LANES_FN("avx512f"))) V zero() { return _mm512_setzero_pd(); }
  NTK4J_LANES_FN("avx512f"))) V load(const double* p) { return _mm512_loadu_pd(p); }
  NTK4J_LANES_FN("avx512f"))) V fma(V a, const double* b, V acc) { return _mm512_fmadd_pd(a, _mm512_set1_pd(*b), acc); }
  NTK4J_LANES_FN("avx512f"))) void store(double* c, V v) { _mm512_storeu_pd(c, v); }
};
#undef NTK4J_LANES_FN

// C[8 rows, NC columns] = panel * B[:, NC columns]. The accumulators are a fully unrolled array
// (every index a constant), so they live in registers; the k loop is one panel load and NC
// broadcast FMAs.
#define NTK4J_BLOCK_KERNEL(NAME, TARGET, LANES)                                                                      \
  template <int NC>                                                                                                  \
  __attribute__((target(TARGET))) void NAME(const double* panel, Index k, const double* b, Index ldb, Index m_valid, \
                                            double* c, Index ldc) {                                                  \
    using L = LANES;                                                                                                 \
    typename L::V acc[NC];                                                                                           \
    _Pragma("GCC unroll 12") for (int q = 0; q < NC; ++q) acc[q] = L::zero();                                        \
    for (Index j = 0; j < k; ++j) {                                                                                  \
      const typename L::V a = L::load(panel + j * kPanel);                                                           \
      _Pragma("GCC unroll 12") for (int q = 0; q < NC; ++q) acc[q] = L::fma(a, b + q * ldb + j, acc[q]);             \
    }                                                                                                                \
    if (m_valid == kPanel) {                                                                                         \
      _Pragma("GCC unroll 12") for (int q = 0; q < NC; ++q) L::store(c + q * ldc, acc[q]);                           \
      return;                                                                                                        \
    }                                                                                                                \
    double tmp[kPanel];                                                                                              \
    _Pragma("GCC unroll 12") for (int q = 0; q < NC; ++q) {                                                          \
      L::store(tmp, acc[q]);                                                                                         \
      for (Index r = 0; r < m_valid; ++r) c[q * ldc + r] = tmp[r];                                                   \
    }                                                                                                                \
  }

NTK4J_BLOCK_KERNEL(block_avx2, "avx2,fma", Avx2Lanes)
NTK4J_BLOCK_KERNEL(block_avx512, "avx512f", Avx512Lanes)
#undef NTK4J_BLOCK_KERNEL

using BlockFn = void (*)(const double*, Index, const double*, Index, Index, double*, Index);

constexpr BlockFn kAvx2Blocks[Avx2Lanes::kMaxCols + 1] = {nullptr,       block_avx2<1>, block_avx2<2>, block_avx2<3>,
                                                          block_avx2<4>, block_avx2<5>, block_avx2<6>};
constexpr BlockFn kAvx512Blocks[Avx512Lanes::kMaxCols + 1] = {
    nullptr,          block_avx512<1>,  block_avx512<2>, block_avx512<3>, block_avx512<4>,
    block_avx512<5>,  block_avx512<6>,  block_avx512<7>, block_avx512<8>, block_avx512<9>,
    block_avx512<10>, block_avx512<11>, block_avx512<12>};
#endif

}  // namespace

PackedMatrix::PackedMatrix(Index m, Index k, const double* a, Index row_stride, Index col_stride) : m_(m), k_(k) {
  const Index panels = (m + kPanel - 1) / kPanel;
  panels_.assign(static_cast<size_t>(panels * k * kPanel), 0.0);  // rows past m stay zero
  for (Index p = 0; p < panels; ++p)
    for (Index j = 0; j < k; ++j)
      for (Index r = 0; r < kPanel && p * kPanel + r < m; ++r)
        panels_[static_cast<size_t>((p * k + j) * kPanel + r)] = a[(p * kPanel + r) * row_stride + j * col_stride];
}

bool PackedMatrix::available(Kernel kernel) {
  switch (kernel) {
    case Kernel::Fastest:
    case Kernel::Portable:
      return true;
#ifdef NTK4J_X86
    case Kernel::Avx2:
      return cpu_features().avx2_fma;
    case Kernel::Avx512:
      return cpu_features().avx512f;
#else
    default:
      return false;
#endif
  }
  return false;
}

PackedMatrix::Kernel PackedMatrix::fastest() {
  static const Kernel k = available(Kernel::Avx512) ? Kernel::Avx512
                          : available(Kernel::Avx2) ? Kernel::Avx2
                                                    : Kernel::Portable;
  return k;
}

const char* PackedMatrix::name(Kernel kernel) {
  switch (kernel == Kernel::Fastest ? fastest() : kernel) {
    case Kernel::Avx512:
      return "avx512";
    case Kernel::Avx2:
      return "avx2+fma";
    default:
      return "portable";
  }
}

void PackedMatrix::multiply(const double* b, Index ldb, Index n, double* c, Index ldc, Kernel kernel) const {
  if (kernel == Kernel::Fastest) kernel = fastest();
  if (!available(kernel))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "packed kernel ", name(kernel), " is not supported by this CPU");
  const Index panels = (m_ + kPanel - 1) / kPanel;
  const BlockFn* blocks = nullptr;
  Index cols = kCols;
#ifdef NTK4J_X86
  if (kernel == Kernel::Avx512) {
    blocks = kAvx512Blocks;
    cols = Avx512Lanes::kMaxCols;
  } else if (kernel == Kernel::Avx2) {
    blocks = kAvx2Blocks;
    cols = Avx2Lanes::kMaxCols;
  }
#endif
  // Columns outermost: a block of columns of B (cols * k doubles) stays in L1 while every panel
  // of A streams past it.
  for (Index j0 = 0; j0 < n; j0 += cols) {
    const Index nc = std::min(cols, n - j0);
    for (Index p = 0; p < panels; ++p) {
      const double* panel = panels_.data() + p * k_ * kPanel;
      const Index m_valid = std::min(kPanel, m_ - p * kPanel);
      double* cp = c + j0 * ldc + p * kPanel;
      if (blocks)
        blocks[nc](panel, k_, b + j0 * ldb, ldb, m_valid, cp, ldc);
      else
        block_portable(panel, k_, b + j0 * ldb, ldb, nc, m_valid, cp, ldc);
    }
  }
}

}  // namespace ntk4j::linalg
