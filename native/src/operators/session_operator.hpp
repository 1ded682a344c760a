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

// The model of a feed-forward block: H = d_model, N = d_input, S = its state width per token, no
// cell or sites of its own (the block holds them).
std::shared_ptr<Model> block_model(std::shared_ptr<const blocks::AttentionMlp> block);

// A block model's session on inputs x [B, T, N]: its forward pass, and the trajectory's dimensions
// only (B, T, H = S, N; the block's operators read the forward pass). Checks nothing: callers do.
std::shared_ptr<SessionState> block_session(std::shared_ptr<const Model> model, const double* x, Index B, Index T);

// op is an NTK4J_OP_* code.
linalg::OperatorPtr session_operator(std::shared_ptr<const SessionState> state, std::int32_t op);

}  // namespace ntk4j
