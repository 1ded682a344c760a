// Traces and effective ranks of symmetric PSD operators (DESIGN.md, "Spectral quantities").
//   PR(A) = (tr A)^2 / tr(A^2)                        (effective rank, participation ratio)
//   partial effective dimension over a kept axis r of a state space [B, T, H]:
//     G = A A^T reduced to the kept axis, then (tr M)^2 / ||M||_F^2, with
//     TRUE_PARTIAL_TRACE: M[r,r'] = sum_s G[(s,r),(s,r')]
//     KPFLOW_BROADCAST:   M[r,r'] = sum_{s,s'} G[(s,r),(s',r')]  (kpflow's PartialTrace)
// Exact versions go through the dense matrix; estimates use Hutch++ (Meyer, Musco, Musco,
// Woodruff 2021) and random sign probes, and come with a standard error.
#pragma once

#include <array>
#include <cstdint>

#include "linalg/linear_operator.hpp"

namespace ntk4j::spectral {

enum class Reduction { TruePartialTrace = 0, KpflowBroadcast = 1 };

struct Estimate {
  double value = 0;
  double std_error = 0;
  Index applies = 0;  // vectors pushed through the operator
};

// Hutch++ estimates of tr A and tr A^2 from the same `probes` applies (probes >= 3).
struct TraceEstimates {
  Estimate trace, trace_of_square, effective_rank;
};
TraceEstimates hutchpp(const linalg::LinearOperator& a, Index probes, std::uint64_t seed);

// Exact tr A, tr A^2 and PR(A) from the dense matrix (n applies).
struct ExactTraces {
  double trace = 0, trace_of_square = 0, effective_rank = 0;
};
ExactTraces exact_traces(const linalg::LinearOperator& a);

// Partial effective dimensions for the kept axes {batch, time, hidden} of a [B, T, H] space.
std::array<double, 3> partial_effective_dims_exact(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                   Reduction reduction);
// Estimates: KPFLOW_BROADCAST is computed exactly with m applies of A^T per axis (m = the kept
// axis' length); TRUE_PARTIAL_TRACE reduces the part of A A^T on A's dominant range (a
// `deflation`-column randomized range finder, symmetric A only) exactly and averages `samples`
// random-sign probe blocks per axis for the rest.
std::array<Estimate, 3> partial_effective_dims_estimate(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                        Reduction reduction, Index samples, Index deflation,
                                                        std::uint64_t seed);

// kpflow's broadcast-reduce exactly from applies (m of A^T per axis, with A^T E held whole while
// it fits in whole_budget_bytes; beyond, two applies per column in chunks, memory O(16 n)).
std::array<Estimate, 3> partial_effective_dims_kpflow(const linalg::LinearOperator& a, Index B, Index T, Index H,
                                                      double whole_budget_bytes = 1024.0 * 1024 * 1024);

}  // namespace ntk4j::spectral
