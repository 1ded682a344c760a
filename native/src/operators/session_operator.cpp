#include "operators/session_operator.hpp"

#include <algorithm>
#include <utility>

#include "operators/operators.hpp"
#include "operators/state_jacobian.hpp"

namespace ntk4j {

namespace {

using Kernel = void (*)(const Trajectory&, const double*, Index, double*);

struct OpInfo {
  const char* name;
  Kernel forward;
  Kernel backward;
  bool param_in, param_out, symmetric;
  std::int32_t code;  // NTK4J_OP_*, or one of the fused forms below
};

// Fused forms, reached through operator algebra rather than by code: P composed with J_theta of
// the same session, and that operator's normal A* A (operators/state_jacobian.hpp).
constexpr std::int32_t kStateJacobian = -1, kGaussNewton = -2;

OpInfo info(std::int32_t op) {
  switch (op) {
    case NTK4J_OP_P:
      return {"P", ops::propagate, ops::propagate_adjoint, false, false, false, op};
    case NTK4J_OP_PT:
      return {"P*", ops::propagate_adjoint, ops::propagate, false, false, false, op};
    case NTK4J_OP_PINV:
      return {"P^-1", ops::propagate_inverse, ops::propagate_inverse_adjoint, false, false, false, op};
    case NTK4J_OP_PINVT:
      return {"P^-*", ops::propagate_inverse_adjoint, ops::propagate_inverse, false, false, false, op};
    case NTK4J_OP_JTHETA:
      return {"J_theta", ops::jtheta, ops::jtheta_adjoint, true, false, false, op};
    case NTK4J_OP_JTHETA_T:
      return {"J_theta^T", ops::jtheta_adjoint, ops::jtheta, false, true, false, op};
    case NTK4J_OP_K:
      return {"K", ops::parameter_operator, ops::parameter_operator, false, false, true, op};
    case NTK4J_OP_NTK:
      return {"NTK_S", ops::ntk, ops::ntk, false, false, true, op};
    case NTK4J_OP_NTK_H:
      return {"NTK_h", ops::ntk_observed, ops::ntk_observed, false, false, true, op};
    case NTK4J_OP_NTK_Y:  // feed-forward blocks only (block_kernels); session_operator refuses the rest
      return {"NTK_y", nullptr, nullptr, false, false, true, op};
    case kStateJacobian:
      return {"P J_theta", ops::state_jacobian, ops::state_jacobian_adjoint, true, false, false, op};
    case kGaussNewton:
      return {"J_theta^T P* P J_theta", ops::state_gauss_newton, ops::state_gauss_newton, true, true, true, op};
    default:
      fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown operator code ", op, " (expected 1..10)");
  }
}

// The same operators of a feed-forward block (blocks/attention_mlp.hpp).
using BlockKernel = void (*)(const blocks::AttentionCache&, const double*, Index, double*);

std::pair<BlockKernel, BlockKernel> block_kernels(std::int32_t op) {
  namespace b = blocks::attention_ops;
  switch (op) {
    case NTK4J_OP_P:
      return {b::propagate, b::propagate_adjoint};
    case NTK4J_OP_PT:
      return {b::propagate_adjoint, b::propagate};
    case NTK4J_OP_PINV:
      return {b::propagate_inverse, b::propagate_inverse_adjoint};
    case NTK4J_OP_PINVT:
      return {b::propagate_inverse_adjoint, b::propagate_inverse};
    case NTK4J_OP_JTHETA:
      return {b::jtheta, b::jtheta_adjoint};
    case NTK4J_OP_JTHETA_T:
      return {b::jtheta_adjoint, b::jtheta};
    case NTK4J_OP_K:
      return {b::parameter_operator, b::parameter_operator};
    case NTK4J_OP_NTK:
      return {b::ntk, b::ntk};
    case NTK4J_OP_NTK_Y:
      return {b::ntk_outputs, b::ntk_outputs};
    default:
      fail(NTK4J_ERR_INVALID_ARGUMENT, "operator code ", op, " has no feed-forward form");
  }
}

class SessionOperator final : public linalg::LinearOperator {
 public:
  SessionOperator(std::shared_ptr<const SessionState> s, OpInfo info) : s_(std::move(s)), info_(info) {}
  Index rows() const override { return info_.param_out ? s_->model->num_params : space(); }
  Index cols() const override { return info_.param_in ? s_->model->num_params : space(); }
  void apply(const double* x, Index k, double* y) const override {
    if (s_->block)
      block_chunked(block_kernels(info_.code).first, x, k, y, cols(), rows());
    else
      chunked(info_.forward, x, k, y, cols(), rows());
  }
  void apply_adjoint(const double* x, Index k, double* y) const override {
    if (s_->block)
      block_chunked(block_kernels(info_.code).second, x, k, y, rows(), cols());
    else
      chunked(info_.backward, x, k, y, rows(), cols());
  }
  bool symmetric() const override { return info_.symmetric; }
  linalg::OperatorPtr fused_normal() const override {
    if (info_.code != kStateJacobian || s_->block) return nullptr;
    return std::make_shared<SessionOperator>(s_, info(kGaussNewton));
  }
  linalg::OperatorPtr fused_compose(const linalg::LinearOperator& b) const override {
    const auto* other = dynamic_cast<const SessionOperator*>(&b);
    if (info_.code != NTK4J_OP_P || s_->block || !other || other->info_.code != NTK4J_OP_JTHETA || other->s_ != s_)
      return nullptr;
    return std::make_shared<SessionOperator>(s_, info(kStateJacobian));
  }
  std::string name() const override {
    const auto& t = s_->trajectory;
    return std::string(info_.name) + "(B=" + std::to_string(t.B) + ",T=" + std::to_string(t.T) +
           ",H=" + std::to_string(t.H) + ")";
  }

 private:
  // Large probe blocks (the partial-trace estimators send one probe per index of an axis, up to
  // H at once) go through the kernels kMaxProbes at a time: the kernels' intermediates then stay
  // ~kMaxProbes state vectors long instead of growing with the block (page faults, memory
  // traffic), while each chunk still fills the per-step products.
  static constexpr Index kMaxProbes = 16;
  void chunked(Kernel f, const double* x, Index k, double* y, Index in, Index out) const {
    for (Index j0 = 0; j0 < k; j0 += kMaxProbes)
      f(s_->trajectory, x + j0 * in, std::min(kMaxProbes, k - j0), y + j0 * out);
  }

  // State space [B, T, H], or the outputs [B, T, d_output] for NTK_y.
  Index space() const {
    const auto& t = s_->trajectory;
    if (info_.code == NTK4J_OP_NTK_Y) return t.B * t.T * s_->block->block->cfg.d_output;
    if (info_.code == NTK4J_OP_NTK_H) return t.B * t.T * t.hc;
    return t.state_size();
  }
  void block_chunked(BlockKernel f, const double* x, Index k, double* y, Index in, Index out) const {
    for (Index j0 = 0; j0 < k; j0 += kMaxProbes) f(*s_->block, x + j0 * in, std::min(kMaxProbes, k - j0), y + j0 * out);
  }

  std::shared_ptr<const SessionState> s_;
  OpInfo info_;
};

}  // namespace

linalg::OperatorPtr session_operator(std::shared_ptr<const SessionState> state, std::int32_t op) {
  if (op == NTK4J_OP_NTK_H && state->block)
    fail(NTK4J_ERR_INVALID_ARGUMENT,
         "NTK_h is the NTK of a recurrent cell's observable state h; attention_mlp has "
         "none (its outputs' NTK is NTK_y)");
  if (op == NTK4J_OP_NTK_Y && !state->block)
    fail(NTK4J_ERR_INVALID_ARGUMENT,
         "NTK_y needs a model whose outputs are part of its state (attention_mlp); "
         "the readout NTK of a recurrent model is not available");
  return std::make_shared<SessionOperator>(std::move(state), info(op));
}

std::shared_ptr<Model> block_model(std::shared_ptr<const blocks::AttentionMlp> block) {
  auto m = std::make_shared<Model>();
  m->kind = CellKind::AttentionMlp;
  m->H = block->cfg.d_model;
  m->N = block->cfg.d_input;
  m->S = block->S;
  m->num_params = block->num_params;
  m->param_names = block->param_names;
  m->block = std::move(block);
  return m;
}

std::shared_ptr<SessionState> block_session(std::shared_ptr<const Model> model, const double* x, Index B, Index T) {
  auto state = std::make_shared<SessionState>();
  state->model = std::move(model);
  const Model& m = *state->model;
  state->block = std::make_shared<const blocks::AttentionCache>(blocks::run_attention_mlp(m.block, x, B, T));
  auto& tr = state->trajectory;
  tr.model = &m;
  tr.B = B, tr.T = T, tr.H = m.S, tr.N = m.N, tr.hc = m.H;
  return state;
}

}  // namespace ntk4j
