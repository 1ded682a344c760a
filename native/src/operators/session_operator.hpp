// The tangent operators of a session as linalg::LinearOperator, so that spectral algorithms and
// operator algebra apply to them. Each keeps the session state alive (shared ownership).
#pragma once

#include <memory>

#include "dynamics/trajectory.hpp"
#include "linalg/linear_operator.hpp"

namespace ntk4j {

struct SessionState {
  std::shared_ptr<const Model> model;
  Trajectory trajectory;
};

// op is an NTK4J_OP_* code.
linalg::OperatorPtr session_operator(std::shared_ptr<const SessionState> state, std::int32_t op);

}  // namespace ntk4j
