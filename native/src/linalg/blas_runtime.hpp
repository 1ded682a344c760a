// Which BLAS kernels the core runs on, chosen once before the first product.
//
// A distribution's OpenBLAS is built with DYNAMIC_ARCH and picks its kernels ("core") from CPUID
// when it loads. Builds older than the CPU do not know it and fall back to a generic core:
// Debian 12's 0.3.21 runs Prescott (SSE3) kernels on Sapphire Rapids, 4-6x slower DGEMM than its
// own SkylakeX kernels on the same machine (issue 11). Older builds have also been seen picking a
// core whose instructions the OS has not enabled (AVX-512 state off in a VM), which faults.
//
// The rule, applied at load (blas_runtime() is called before any BLAS call of the core):
//   - OPENBLAS_CORETYPE set by the user: respected as it is, nothing switched;
//   - otherwise the ISA level of OpenBLAS's core is compared with what this CPU and its OS
//     support (CPUID feature bits and XCR0 via XGETBV): if they differ, OpenBLAS is re-initialized
//     with the core of the CPU's level (gotoblas_dynamic_quit/init, OpenBLAS's own dispatch
//     entry points, reading OPENBLAS_CORETYPE for the duration of the call only);
//   - a switched core must pass a self-check against plain loops (DGEMM at odd and small sizes,
//     every transpose; DGEMV; DSYRK), else OpenBLAS's own choice is restored;
//   - the kernels in use are self-checked in any case; kernels that fail it (a build mishandling
//     the CPU) are replaced by the generic Prescott ones unless the user chose them, and the
//     decision says so.
// Other BLAS libraries, or OpenBLAS builds without dynamic dispatch, are used as they are.
#pragma once

#include <string>

namespace ntk4j::linalg {

struct BlasRuntime {
  std::string library;       // e.g. "OpenBLAS 0.3.21" (from openblas_get_config)
  std::string config;        // the library's full build configuration string
  std::string core;          // kernels in use, e.g. "Haswell", "SkylakeX", "Zen"
  std::string core_at_load;  // what the library picked by itself
  std::string cpu_level;     // what the CPU and OS support: "avx512", "avx2", "avx", "sse3"
  std::string decision;      // one sentence: why `core` is in use
  bool user_set = false;     // OPENBLAS_CORETYPE was set by the user
  bool switched = false;     // the core differs from core_at_load
};

// Process-wide, computed on first use (thread-safe) and never changed afterwards.
const BlasRuntime& blas_runtime();

// The rule above applied now to the loaded BLAS (blas_runtime() is its first result). Exposed
// for tests, which force a fallback core first to see it replaced.
BlasRuntime choose_kernels();

// Re-runs OpenBLAS's dispatch with `core` forced; returns the core in use afterwards ("" without
// OpenBLAS dynamic dispatch). Not thread-safe against concurrent BLAS calls: tests only.
std::string force_openblas_core(const std::string& core);

// Pure decision rule, exposed for tests: the OpenBLAS core to switch to, or "" to keep `core`.
// `vendor_amd` picks Zen over Haswell for AVX2 machines (same kernels family, AMD-tuned blocking).
std::string core_for_cpu(const std::string& core, const std::string& cpu_level, bool vendor_amd);

// ISA level an OpenBLAS core name needs: 4 avx512, 3 avx2, 2 avx, 1 sse3, 0 unknown.
int core_isa_level(const std::string& core);

// DGEMM (odd and small sizes, every transpose pair), DGEMV and DSYRK through the loaded BLAS
// against plain loops; true when all agree to 1e-12 relative.
bool blas_self_check();

}  // namespace ntk4j::linalg
