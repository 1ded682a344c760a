// Splitting a kernel's independent columns across threads. A time sweep (P, P*) does one small
// GEMM per step, H x H times H x kB; threaded BLAS has to synchronize its threads at every step,
// and at kB = B (one Lanczos probe) that costs more than the GEMM gains. Sweeping disjoint
// column ranges on separate threads, each with single-threaded BLAS, synchronizes once per
// apply. The same split over the B*T rows of the parameter kernels, and over panels of large
// GEMMs (linalg/blas.hpp), keeps all cores busy; OpenBLAS itself stays single-threaded. The
// number of threads is the core's (ntk4j_set_num_threads).
#pragma once

#include <functional>

#include "core/error.hpp"

namespace ntk4j::linalg {

// How many chunks to cut n items into now: one per thread, none smaller than min_chunk;
// 1 inside a parallel_chunks body (nested calls run serially).
Index parallel_width(Index n, Index min_chunk);

// Calls body(chunk, begin, end) for `chunks` contiguous chunks covering [0, n) (chunk numbers
// 0 .. chunks-1; chunks is clamped to [1, n]), on separate threads. An exception thrown by any chunk is rethrown here
// after all have finished. Concurrent callers are safe: a caller that finds the workers busy runs its chunks itself, in
// order.
void parallel_chunks(Index n, Index chunks, const std::function<void(Index chunk, Index begin, Index end)>& body);

}  // namespace ntk4j::linalg
