// C ABI, spectra section of ntk4j.h: top eigenpairs (Lanczos, on an operator or its Gram),
// dense spectra, randomized SVD, traces, partial effective dimensions and rank estimates.
#include <algorithm>
#include <cmath>

#include "abi/abi_support.hpp"
#include "linalg/dense.hpp"
#include "spectral/lanczos.hpp"
#include "spectral/ranks.hpp"
#include "spectral/svd.hpp"
#include "spectral/trace.hpp"

namespace {

using ntk4j::fail;
using namespace ntk4j::abi;  // guard() and the argument checks
using ntk4j::linalg::require_symmetric;

// Which entry point is checking its arguments: what its options mean and whether it takes start
// vectors (ntk4j_eigs only).
enum class SpectralCall { Eigs, EigsGram, Svds };

const char* call_name(SpectralCall c) {
  return c == SpectralCall::Eigs ? "ntk4j_eigs" : c == SpectralCall::EigsGram ? "ntk4j_eigs_gram" : "ntk4j_svds";
}

// The options as ntk4j_eigs_options_init / ntk4j_svds_options_init describe them, every field literal.
void check_options(const ntk4j_eigs_options& o, SpectralCall call) {
  const bool svd = call == SpectralCall::Svds;
  if (o.block < 0 || o.max_basis < 0)
    fail(NTK4J_ERR_INVALID_ARGUMENT, "block and max_basis must be >= 0 (0: their automatic modes)");
  if (svd ? o.max_restarts < 0 : o.max_restarts < 1)
    fail(NTK4J_ERR_INVALID_ARGUMENT,
         svd ? "power iterations (max_restarts) must be >= 0, got "
             : "max_restarts must be >= 1 (ntk4j_eigs_options_init gives 200), got ",
         o.max_restarts);
  if (!(o.tol > 0))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "tolerance must be > 0 (ntk4j_eigs_options_init gives 1e-10), got ", o.tol);
}

// The arguments every eigen/SVD call shares: operator, options, outputs.
void check_spectral_call(const ntk4j_operator* a, const ntk4j_eigs_options* options, const double* values,
                         const double* residuals, SpectralCall call) {
  require(a, "operator");
  require(options, "options");
  require(values, "values");
  require(residuals, "residuals");
  check_options(*options, call);
  if (call != SpectralCall::Eigs && (options->start != nullptr || options->start_cols != 0))
    fail(NTK4J_ERR_INVALID_ARGUMENT, "start vectors are taken by ntk4j_eigs only (not by ", call_name(call), ")");
}

int32_t eigs_impl(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values, double* residuals,
                  double* vectors, ntk4j_eigs_info* info, bool gram) {
  return guard([&] {
    check_spectral_call(a, options, values, residuals, gram ? SpectralCall::EigsGram : SpectralCall::Eigs);
    ntk4j::spectral::EigsOptions o;
    o.k = options->k;
    o.block = options->block;
    o.max_basis = options->max_basis;
    o.max_restarts = options->max_restarts;
    o.tol = options->tol;
    o.seed = options->seed;
    o.start = options->start;
    o.start_cols = options->start_cols;
    {  // the Krylov basis and the blocks around it
      const ntk4j::Index b = std::max<ntk4j::Index>(o.block, 1),
                         basis = o.max_basis > 0 ? o.max_basis : std::max(o.k + 6 * b, 2 * o.k + 20);
      require_vectors(std::max(a->op->rows(), a->op->cols()), 2 * (basis + 4 * b), "the Lanczos basis");
    }
    if (!gram) require_symmetric(*a->op);
    auto r = gram ? ntk4j::spectral::gram_top(a->op, o, vectors != nullptr)
                  : ntk4j::spectral::lanczos_top(*a->op, o, vectors != nullptr);
    require_finite_result(r.values.data(), static_cast<ntk4j::Index>(r.values.size()), "eigenvalues", *a->op);
    require_finite_result(r.residuals.data(), static_cast<ntk4j::Index>(r.residuals.size()), "residuals", *a->op);
    std::copy(r.values.begin(), r.values.end(), values);
    std::copy(r.residuals.begin(), r.residuals.end(), residuals);
    if (vectors) std::copy(r.vectors.begin(), r.vectors.end(), vectors);
    if (info) *info = {r.converged, r.block_applies, r.vector_applies, r.restarts, r.block, r.basis};
  });
}

constexpr const char* kAxisDims[3] = {"partial effective dimension over batch", "partial effective dimension over time",
                                      "partial effective dimension over hidden"};

}  // namespace

using ntk4j::Index;
using namespace ntk4j::abi;  // guard() and the argument checks

extern "C" {

int32_t ntk4j_eigs(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values, double* residuals,
                   double* vectors, ntk4j_eigs_info* info) {
  return eigs_impl(a, options, values, residuals, vectors, info, false);
}

int32_t ntk4j_eigs_gram(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values, double* residuals,
                        double* vectors, ntk4j_eigs_info* info) {
  return eigs_impl(a, options, values, residuals, vectors, info, true);
}

int32_t ntk4j_eigs_dense(const ntk4j_operator* a, double* values, int64_t n, double* vectors) {
  return guard([&] {
    require(a, "operator");
    require(values, "values");
    const auto& op = *a->op;
    if (op.rows() != op.cols())
      fail(NTK4J_ERR_SHAPE, "eigenvalues need a square operator, got ", op.rows(), " x ", op.cols());
    if (n != op.rows()) fail(NTK4J_ERR_SHAPE, "values has length ", n, " but the operator has dimension ", op.rows());
    require_dense_size(op);
    require_symmetric(op);
    auto dense = ntk4j::linalg::to_dense(op);
    std::vector<double> vals, vecs;
    ntk4j::linalg::dense_symmetric_eigen(n, std::move(dense), vals, vectors ? &vecs : nullptr);
    std::copy(vals.begin(), vals.end(), values);
    if (vectors) std::copy(vecs.begin(), vecs.end(), vectors);
  });
}

int32_t ntk4j_svds(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values, double* residuals,
                   double* u, double* v, ntk4j_eigs_info* info) {
  return guard([&] {
    check_spectral_call(a, options, values, residuals, SpectralCall::Svds);
    ntk4j::spectral::SvdOptions o;
    o.k = options->k;
    o.oversample = options->block;
    o.max_iterations = options->max_restarts;
    o.tol = options->tol;
    o.seed = options->seed;
    require_vectors(a->op->rows() + a->op->cols(), 4 * (o.k + o.oversample), "the randomized SVD's sketches");
    auto r = ntk4j::spectral::randomized_svd(*a->op, o, u != nullptr || v != nullptr);
    require_finite_result(r.values.data(), static_cast<Index>(r.values.size()), "singular values", *a->op);
    std::copy(r.values.begin(), r.values.end(), values);
    std::copy(r.residuals.begin(), r.residuals.end(), residuals);
    if (u) std::copy(r.u.begin(), r.u.end(), u);
    if (v) std::copy(r.v.begin(), r.v.end(), v);
    if (info)
      *info = {r.converged,  r.iterations + 1, r.applies + r.adjoint_applies,
               r.iterations, o.oversample,     o.k + o.oversample};
  });
}

int32_t ntk4j_trace_estimate(const ntk4j_operator* a, int64_t probes, uint64_t seed, ntk4j_estimate* trace,
                             ntk4j_estimate* trace_of_square, ntk4j_estimate* effective_rank) {
  return guard([&] {
    require(a, "operator");
    require_symmetric(*a->op);
    require_vectors(a->op->rows(), 2 * std::max<int64_t>(probes, 16), "Hutch++'s sketch and probes");
    auto r = ntk4j::spectral::hutchpp(*a->op, probes, seed);
    require_defined(r.trace.value, r.trace.std_error, "trace", *a->op);
    require_defined(r.trace_of_square.value, r.trace_of_square.std_error, "trace of the square", *a->op);
    require_defined(r.effective_rank.value, r.effective_rank.std_error, "effective rank", *a->op);
    auto put = [](ntk4j_estimate* o, const ntk4j::spectral::Estimate& e) {
      if (o) *o = {e.value, e.std_error, e.applies};
    };
    put(trace, r.trace);
    put(trace_of_square, r.trace_of_square);
    put(effective_rank, r.effective_rank);
  });
}

int32_t ntk4j_trace_exact(const ntk4j_operator* a, double* trace, double* trace_of_square, double* effective_rank) {
  return guard([&] {
    require(a, "operator");
    require_dense_size(*a->op);
    auto r = ntk4j::spectral::exact_traces(*a->op);
    require_defined(r.trace, 0, "trace", *a->op);
    require_defined(r.effective_rank, 0, "effective rank", *a->op);
    if (trace) *trace = r.trace;
    if (trace_of_square) *trace_of_square = r.trace_of_square;
    if (effective_rank) *effective_rank = r.effective_rank;
  });
}

int32_t ntk4j_partial_effdims(const ntk4j_operator* a, int64_t batch, int64_t steps, int64_t hidden, int32_t reduction,
                              int32_t exact, int64_t samples, int64_t deflation, uint64_t seed, ntk4j_estimate* out) {
  return guard([&] {
    require(a, "operator");
    require(out, "out");
    if (reduction != NTK4J_REDUCTION_TRUE_PARTIAL_TRACE && reduction != NTK4J_REDUCTION_KPFLOW)
      fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown reduction ", reduction, " (0 = true partial trace, 1 = kpflow)");
    const auto red = static_cast<ntk4j::spectral::Reduction>(reduction);
    if (exact) {
      require_dense_size(*a->op);
      auto r = ntk4j::spectral::partial_effective_dims_exact(*a->op, batch, steps, hidden, red);
      for (int i = 0; i < 3; ++i) out[i] = {r[static_cast<size_t>(i)], 0.0, a->op->rows()};
      for (int i = 0; i < 3; ++i) require_defined(out[i].value, 0, kAxisDims[i], *a->op);
    } else {
      auto r =
          ntk4j::spectral::partial_effective_dims_estimate(*a->op, batch, steps, hidden, red, samples, deflation, seed);
      for (int i = 0; i < 3; ++i) {
        const auto& e = r[static_cast<size_t>(i)];
        out[i] = {e.value, e.std_error, e.applies};
        require_defined(e.value, e.std_error, kAxisDims[i], *a->op);
      }
    }
  });
}

int32_t ntk4j_rank_estimate(const ntk4j_operator* a, const double* basis, int64_t basis_cols,
                            const ntk4j_rank_options* options, ntk4j_rank_estimates* out) {
  return guard([&] {
    require(a, "operator");
    require(options, "options");
    require(out, "out");
    if (basis_cols < 0 || (basis_cols > 0 && !basis))
      fail(NTK4J_ERR_INVALID_ARGUMENT, "basis: ", basis_cols, " columns requested but basis is NULL");
    if (basis_cols > a->op->cols())
      fail(NTK4J_ERR_INVALID_ARGUMENT, "basis has ", basis_cols, " columns, more than the dimension ", a->op->cols());
    ntk4j::spectral::RankOptions o;
    o.accuracy = options->accuracy;
    o.min_samples = options->min_samples;
    o.max_samples = options->max_samples;
    o.seed = options->seed;
    o.traces = options->traces != 0;
    o.partial = options->partial != 0;
    o.partial_kpflow = options->partial_kpflow != 0;
    o.B = options->batch;
    o.T = options->steps;
    o.H = options->hidden;
    if (basis_cols > 0) require_finite(basis, basis_cols * a->op->cols(), "basis");
    require_vectors(a->op->rows(), 2 * basis_cols + 64, "the rank estimate's deflation basis and probe blocks");
    const auto r = ntk4j::spectral::estimate_ranks(*a->op, basis, basis_cols, o);
    auto put = [](const ntk4j::spectral::Estimate& e) { return ntk4j_estimate{e.value, e.std_error, e.applies}; };
    *out = {};
    out->trace = put(r.trace);
    out->trace_of_square = put(r.trace_of_square);
    out->trace_of_fourth = put(r.trace_of_fourth);
    out->effective_rank = put(r.effective_rank);
    out->effective_rank_kpflow = put(r.effective_rank_kpflow);
    for (int i = 0; i < 3; ++i) {
      out->partial_dims[i] = put(r.partial_dims[static_cast<size_t>(i)]);
      out->partial_dims_kpflow[i] = put(r.partial_dims_kpflow[static_cast<size_t>(i)]);
    }
    if (o.traces) {
      require_defined(r.effective_rank.value, r.effective_rank.std_error, "effective rank", *a->op);
      require_defined(r.effective_rank_kpflow.value, r.effective_rank_kpflow.std_error, "kpflow effective rank",
                      *a->op);
    }
    for (int i = 0; i < 3; ++i) {
      if (o.partial) require_defined(out->partial_dims[i].value, out->partial_dims[i].std_error, kAxisDims[i], *a->op);
      if (o.partial_kpflow)
        require_defined(out->partial_dims_kpflow[i].value, out->partial_dims_kpflow[i].std_error, kAxisDims[i], *a->op);
    }
    out->samples = r.samples;
    out->applies = r.applies;
    out->deflation = r.deflation;
    out->accuracy_met = r.accuracy_met ? 1 : 0;
    out->worst_relative_error = r.worst_relative_error;
  });
}

void ntk4j_eigs_options_init(ntk4j_eigs_options* o, int64_t k) {
  const ntk4j::spectral::EigsOptions d;  // the core's defaults: one place
  *o = {};
  o->k = k;
  o->block = d.block;
  o->max_basis = d.max_basis;
  o->max_restarts = d.max_restarts;
  o->tol = d.tol;
  o->seed = d.seed;
}

void ntk4j_svds_options_init(ntk4j_eigs_options* o, int64_t k) {
  const ntk4j::spectral::SvdOptions d;
  *o = {};
  o->k = k;
  o->block = d.oversample;
  o->max_restarts = d.max_iterations;
  o->tol = d.tol;
  o->seed = d.seed;
}

void ntk4j_rank_options_init(ntk4j_rank_options* o) {
  const ntk4j::spectral::RankOptions d;
  *o = {};
  o->accuracy = d.accuracy;
  o->min_samples = d.min_samples;
  o->max_samples = d.max_samples;
  o->seed = d.seed;
  o->traces = d.traces ? 1 : 0;
  o->partial = d.partial ? 1 : 0;
  o->partial_kpflow = d.partial_kpflow ? 1 : 0;
}

}  // extern "C"
