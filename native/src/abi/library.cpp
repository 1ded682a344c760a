// C ABI, library section of ntk4j.h: versions, the error text, BLAS and kernel facts, threads,
// progress, the DGEMM reference rate.
#include "abi/abi_support.hpp"
#include "core/memory.hpp"
#include "core/progress.hpp"
#include "linalg/blas.hpp"
#include "linalg/blas_runtime.hpp"
#include "linalg/packed_gemm.hpp"
#include "linalg/parallel.hpp"

using ntk4j::fail;
using ntk4j::Index;
using namespace ntk4j::abi;  // guard() and the argument checks

extern "C" {

const char* ntk4j_last_error(void) { return ntk4j::abi::last_error().c_str(); }

const char* ntk4j_version(void) { return NTK4J_VERSION_STRING; }

int32_t ntk4j_abi_version(void) { return NTK4J_ABI_VERSION; }

const char* ntk4j_blas_info(int32_t field) {
  try {
    const auto& rt = ntk4j::linalg::blas_runtime();
    switch (field) {
      case 0:
        return rt.library.c_str();
      case 1:
        return rt.core.c_str();
      case 2:
        return rt.core_at_load.c_str();
      case 3:
        return rt.cpu_level.c_str();
      case 4:
        return rt.decision.c_str();
      case 5:
        return ntk4j::linalg::PackedMatrix::name(ntk4j::linalg::PackedMatrix::Kernel::Fastest);
      default:
        return "";
    }
  } catch (...) {
    return "";
  }
}

int32_t ntk4j_set_num_threads(int32_t n) {
  return guard([&] {
    // Each thread is a worker of the core's pool: more than a few per core only adds contention,
    // and an absurd count would exhaust the process's threads.
    if (n < 1 || n > 1024) fail(NTK4J_ERR_INVALID_ARGUMENT, "thread count must be in [1, 1024], got ", n);
    ntk4j::linalg::set_num_threads(n);
  });
}

int32_t ntk4j_get_num_threads(int32_t* out) {
  return guard([&] {
    require(out, "out");
    *out = ntk4j::linalg::num_threads();
  });
}

int32_t ntk4j_set_memory_budget(int64_t bytes) {
  return guard([&] {
    if (bytes < 0) fail(NTK4J_ERR_INVALID_ARGUMENT, "memory budget must be >= 0 bytes (0: none), got ", bytes);
    ntk4j::set_memory_budget(bytes);
  });
}

int32_t ntk4j_get_memory(int64_t* budget, int64_t* available) {
  return guard([&] {
    if (budget) *budget = ntk4j::memory_budget();
    if (available) *available = ntk4j::available_memory();
  });
}

int32_t ntk4j_set_progress(ntk4j_progress_fn fn, void* user_data) {
  return guard([&] { ntk4j::set_progress(fn, user_data); });
}

int32_t ntk4j_dgemm_gflops(int64_t n, int32_t repeats, double* gflops) {
  return guard([&] {
    require(gflops, "gflops");
    *gflops = ntk4j::linalg::dgemm_gflops(n, repeats);
  });
}

}  // extern "C"
