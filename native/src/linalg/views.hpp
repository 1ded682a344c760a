// Eigen views over caller-owned buffers (no copies): a column of H doubles, and the k*B columns of
// one time step of a [k, B, T, H] block (an H x kB matrix with outer stride T*H).
#pragma once

#include <Eigen/Core>

#include "core/error.hpp"

namespace ntk4j::linalg {

using ArrayMap = Eigen::Map<Eigen::ArrayXd>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXd>;
using StepMap = Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>>;
using ConstStepMap = Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>>;

inline ArrayMap col(double* p, Index n) { return ArrayMap(p, n); }
inline ConstArrayMap col(const double* p, Index n) { return ConstArrayMap(p, n); }

}  // namespace ntk4j::linalg
