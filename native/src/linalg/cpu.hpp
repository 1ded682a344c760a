// What instructions this CPU *and* its OS support, read once (CPUID feature bits, and XCR0 via
// XGETBV: the OS must save the wider registers or their instructions fault, whatever CPUID says).
// Shared by the BLAS kernel choice (blas_runtime.hpp) and our own packed kernels (packed_gemm.hpp).
#pragma once

#include <string>

namespace ntk4j::linalg {

struct CpuFeatures {
  // "avx512" (F, DQ, CD, BW, VL: what OpenBLAS's SkylakeX kernels use), "avx2" (with FMA),
  // "avx", "sse3", or "" when not x86-64.
  std::string level;
  bool amd = false;       // AuthenticAMD or HygonGenuine
  bool avx2_fma = false;  // AVX2 and FMA usable
  bool avx512f = false;   // AVX-512 F usable (zmm and opmask state enabled by the OS)
};

// Process-wide, detected on first use (thread-safe).
const CpuFeatures& cpu_features();

// 4 avx512, 3 avx2, 2 avx, 1 sse3, 0 unknown.
int isa_level_number(const std::string& level);

}  // namespace ntk4j::linalg
