// The tangent operators of a session as linalg::LinearOperator, so that spectral algorithms and
// operator algebra apply to them. Each keeps the session state alive (shared ownership).
#pragma once

#include <memory>

#include "blocks/attention_mlp.hpp"
#include "dynamics/trajectory.hpp"
#include "linalg/linear_operator.hpp"

namespace ntk4j {

struct SessionState {
  std::shared_ptr<const Model> model;
  Trajectory trajectory;                                // for a block: only its dimensions (B, T, H = S, N)
  std::shared_ptr<const blocks::AttentionCache> block;  // the forward pass of a feed-forward block
};

// op is an NTK4J_OP_* code.
linalg::OperatorPtr session_operator(std::shared_ptr<const SessionState> state, std::int32_t op);

}  // namespace ntk4j
