#include "operators/session_operator.hpp"

#include "operators/operators.hpp"

namespace ntk4j {

namespace {

using Kernel = void (*)(const Trajectory&, const double*, Index, double*);

struct OpInfo {
  const char* name;
  Kernel forward;
  Kernel backward;
  bool param_in, param_out, symmetric;
};

OpInfo info(std::int32_t op) {
  switch (op) {
    case NTK4J_OP_P: return {"P", ops::propagate, ops::propagate_adjoint, false, false, false};
    case NTK4J_OP_PT: return {"P*", ops::propagate_adjoint, ops::propagate, false, false, false};
    case NTK4J_OP_PINV:
      return {"P^-1", ops::propagate_inverse, ops::propagate_inverse_adjoint, false, false, false};
    case NTK4J_OP_PINVT:
      return {"P^-*", ops::propagate_inverse_adjoint, ops::propagate_inverse, false, false, false};
    case NTK4J_OP_JTHETA: return {"J_theta", ops::jtheta, ops::jtheta_adjoint, true, false, false};
    case NTK4J_OP_JTHETA_T: return {"J_theta^T", ops::jtheta_adjoint, ops::jtheta, false, true, false};
    case NTK4J_OP_K: return {"K", ops::parameter_operator, ops::parameter_operator, false, false, true};
    case NTK4J_OP_NTK: return {"NTK_S", ops::ntk, ops::ntk, false, false, true};
    default: fail(NTK4J_ERR_INVALID_ARGUMENT, "unknown operator code ", op, " (expected 1..8)");
  }
}

class SessionOperator final : public linalg::LinearOperator {
 public:
  SessionOperator(std::shared_ptr<const SessionState> s, OpInfo info)
      : s_(std::move(s)), info_(info) {}
  Index rows() const override { return info_.param_out ? s_->model->num_params : s_->trajectory.state_size(); }
  Index cols() const override { return info_.param_in ? s_->model->num_params : s_->trajectory.state_size(); }
  void apply(const double* x, Index k, double* y) const override { info_.forward(s_->trajectory, x, k, y); }
  void apply_adjoint(const double* x, Index k, double* y) const override {
    info_.backward(s_->trajectory, x, k, y);
  }
  bool symmetric() const override { return info_.symmetric; }
  std::string name() const override {
    const auto& t = s_->trajectory;
    return std::string(info_.name) + "(B=" + std::to_string(t.B) + ",T=" + std::to_string(t.T) +
           ",H=" + std::to_string(t.H) + ")";
  }

 private:
  std::shared_ptr<const SessionState> s_;
  OpInfo info_;
};

}  // namespace

linalg::OperatorPtr session_operator(std::shared_ptr<const SessionState> state, std::int32_t op) {
  return std::make_shared<SessionOperator>(std::move(state), info(op));
}

}  // namespace ntk4j
