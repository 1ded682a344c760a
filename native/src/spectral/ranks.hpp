// Effective ranks and true partial effective dimensions at the cost of a few eigen-solves, with
// error control (issue 11; DESIGN.md, "Spectral quantities").
//
// With V an orthonormal basis of the domain (the top eigenvectors the eigen-solve already has,
// or none), split every moment of G = A A^T into an exact part on V and a sampled remainder
// (Hutch++'s idea, Meyer et al. 2021, with the deflation supplied instead of sketched):
//   G = X + Y,   X = (A V)(A V)^T (exact),   Y = A P A^T,   P = I - V V^T,
// and draw probes w = P z (z Rademacher), v = A w, so that E[v v^T] = Y. Then
//   tr A   = tr(V^T A V) + E[w^T v]                       (symmetric A)
//   tr G   = ||A V||_F^2 + E||v||^2                        (= tr A^2 for symmetric A)
//   tr G^2 = ||(AV)^T (AV)||_F^2 + 2 E||(AV)^T v||^2 + E||P A^T v||^2
//   partial trace over the traced axes S of G, for each kept axis (batch, time, hidden):
//     M = tr_S(X) + E[tr_S(v v^T)]   (one probe serves all three axes: E[v v^T] = Y exactly)
//   and kpflow's broadcast-reduce (1_S^T (x) I) G (1_S (x) I) likewise, from s s^T with s the sum
//   of v over the traced axes (a rank-one sample: it needs the exact part to carry most of M)
// with ||M||_F^2 estimated without the bias of squaring a mean (a U-statistic over samples).
// The quantities reported: PR(A) = (tr A)^2 / tr G, kpflow's PR(A^2) = (tr G)^2 / tr G^2, and
// the partial effective dimension (tr M)^2 / ||M||_F^2 per axis. Standard errors are
// delete-one-group jackknife estimates over groups of samples (they account for the
// correlations between numerator and denominator). Sampling stops once every requested
// estimate's standard error is at most `accuracy` of its value, or at `max_samples`.
#pragma once

#include <array>
#include <cstdint>

#include "linalg/linear_operator.hpp"
#include "spectral/trace.hpp"

namespace ntk4j::spectral {

struct RankOptions {
  double accuracy = 0.01;    // target standard error relative to each estimate
  Index min_samples = 64;    // never stop before (the jackknife needs groups)
  Index max_samples = 4096;  // sampling budget: stop there, met or not
  std::uint64_t seed = NTK4J_DEFAULT_SEED;
  bool traces = true;           // tr A, tr G, tr G^2 and both effective ranks (needs a symmetric A)
  bool partial = true;          // true partial traces of G over batch, time, hidden
  bool partial_kpflow = false;  // kpflow's broadcast-reduce of G over the same axes
  Index B = 0, T = 0, H = 0;    // the state axes of A's range (when partial)
};

struct RankEstimates {
  Estimate trace, trace_of_square, trace_of_fourth;  // tr A, tr A^2 (= tr G), tr A^4 (= tr G^2)
  Estimate effective_rank;                           // (tr A)^2 / tr A^2
  Estimate effective_rank_kpflow;                    // kpflow's PR(A^2) = (tr A^2)^2 / tr A^4
  std::array<Estimate, 3> partial_dims{};            // batch, time, hidden (true partial trace)
  std::array<Estimate, 3> partial_dims_kpflow{};     // the same with kpflow's broadcast-reduce
  Index samples = 0;                                 // probes drawn (each one apply of A; the first ones also of A^T)
  Index applies = 0;                                 // vectors pushed through A or A^T in all, deflation included
  Index deflation = 0;                               // rank of V actually used
  bool accuracy_met = false;                         // every requested estimate reached `accuracy`
  double worst_relative_error = 0;                   // the largest std_error / |value| among them
};

// `basis`: basis_cols vectors of length a.cols() ([basis_cols, cols] row-major, i.e. column-major
// cols x basis_cols), orthonormalized here (need not be exact eigenvectors: the split is exact for
// any V, a better V only lowers the variance). May be null with basis_cols = 0.
RankEstimates estimate_ranks(const linalg::LinearOperator& a, const double* basis, Index basis_cols,
                             const RankOptions& options);

}  // namespace ntk4j::spectral
