// The compression E^T A E of an operator A on row-blocked vectors ([rows, S]: k probes x B x T
// steps of S entries) to the entries [at, at + width) of every row: zero-pad the probes into full
// rows, apply A, keep the same slice. This is how an observed part of the state gets its own
// operator: the NTK restricted to an LSTM's h, or attention_mlp's output NTK E_y NTK_S E_y^T
// (DESIGN.md, "Feed-forward blocks").
#pragma once

#include <algorithm>

#include "core/error.hpp"
#include "linalg/scratch.hpp"

namespace ntk4j::linalg {

template <class Apply>
void apply_restricted(Index rows, Index S, Index at, Index width, const double* q, double* y, Apply&& apply) {
  const auto n = static_cast<std::size_t>(rows * S);
  Scratch z(n), w(n);
  std::fill(z.data(), z.data() + n, 0.0);
  for (Index r = 0; r < rows; ++r) std::copy(q + r * width, q + (r + 1) * width, z.data() + r * S + at);
  apply(static_cast<const double*>(z.data()), w.data());
  for (Index r = 0; r < rows; ++r) std::copy(w.data() + r * S + at, w.data() + r * S + at + width, y + r * width);
}

}  // namespace ntk4j::linalg
