// The self-attention block of the Global-NTK paper (kpflow's SingleBlockAttnMLP without Fourier
// features) as a feed-forward "global constraint" (DESIGN.md, "Feed-forward blocks"):
//
//   h0 = W_in x_t + b_in (+ pos[t])               input projection (+ learned positional table)
//   q, k, v = W_q h0, W_k h0, W_v h0              bias-free, per token
//   a = softmax(q k^T / sqrt(d_head)) v           per trial and head, over the trial's tokens
//                                                 (optionally causal: keys t' <= t)
//   o = W_o a
//   m_1 = W_1 gelu(o), m_i = W_i gelu(m_{i-1})    the MLP's hidden layers (exact erf GELU)
//   y = W_f m_{L-1}   (L = 1: y = W_f o)          the output, no GELU before the last layer
//
// The state of token (b, t) is the stack z = [h0, q, k, v, a, o, m_1 .. m_{L-1}, y] (width S).
// Writing the block as z = F(z, theta, x) with dF/dz = L strictly lower block-triangular, the
// propagator is P = (I - L)^{-1} (forward-mode tangents with a source q in every block), P* the
// reverse mode, P^-1 = I - L, and J_theta = dF/dtheta. Every weight enters as u_s = W_s a_s with
// an activity a_s per (b, t), so K = J_theta J_theta^T keeps the Kronecker-core form
// K q = sum_s E_s (A_s A_s^T (x) I) E_s^T q over weight sites, and NTK_S = P K P* is the Gram of
// the total Jacobian dz/dtheta. The positional table is a weight whose activity is the one-hot
// vector of t (a column block of the input site).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace ntk4j::blocks {

struct AttentionMlpConfig {
  Index d_input = 0, d_model = 0, heads = 1, mlp_hidden = 0, mlp_layers = 1, d_output = 1, max_seq_len = 0;
  bool positional = false, causal = false;
  Index d_head() const { return d_model / heads; }
};

// A weight site: the state block it writes and the activity it reads.
struct BlockSite {
  Index out = 0, rows = 0;  // offset of its output block in the state and the block's width
  Index dim = 0;            // activity width
  enum class Activity { Input, State, GeluOfState } activity = Activity::State;
  Index src = 0;    // for State/GeluOfState: the offset of the state block read
  Index param = 0;  // offset of W_s (row-major rows x dim) in the flat parameter vector
                    // (the input site's W is gathered from three parameters)
};

struct AttentionMlp {
  AttentionMlpConfig cfg;
  Index S = 0;  // state width per token
  // Offsets of the state blocks.
  Index h0 = 0, q = 0, k = 0, v = 0, a = 0, o = 0, y = 0;
  std::vector<Index> m;          // m_1 .. m_{L-1}
  std::vector<BlockSite> sites;  // input, q, k, v, o, mlp 1 .. L-1, final
  std::vector<std::string> param_names;
  std::vector<Index> param_offset, param_size;
  Index num_params = 0;
  std::vector<double> theta;  // the flat parameters, PyTorch named_parameters() order
  // Offsets in theta of input_proj.weight, input_proj.bias and pos_embedding (-1 without).
  Index w_in = 0, b_in = 0, pos = -1;
};

// Validates the configuration and lays the block out (sizes, state blocks, sites, parameter
// names and offsets), without parameters.
std::shared_ptr<AttentionMlp> attention_mlp_layout(const AttentionMlpConfig& cfg);

// Validates the configuration and the parameters (n values, finite) and lays the block out.
std::shared_ptr<const AttentionMlp> make_attention_mlp(const AttentionMlpConfig& cfg, const double* params, Index n);

// The input site's W_s = [W_in | b_in | pos^T] (D x dim, row-major) from a flat parameter-space
// vector theta, and back into g (the other sites' W_s are their parameters as stored).
void gather_input(const AttentionMlp& b, const double* theta, double* w);
void scatter_input(const AttentionMlp& b, const double* w, double* g);

// The forward pass on inputs [B, T, d_input] with everything the tangents need.
struct AttentionCache {
  std::shared_ptr<const AttentionMlp> block;
  Index B = 0, T = 0;
  std::vector<double> state;               // [B, T, S]
  std::vector<double> probs;               // softmax weights [B, heads, T, T] (row t: query t)
  std::vector<std::vector<double>> act;    // per site: its activity [B*T, dim] (empty: read the state)
  std::vector<std::vector<double>> slope;  // per GELU site: gelu'(pre) [B*T, dim]
  std::vector<double> w_input;             // the input site's W = [W_in | b_in | pos^T], D x dim
  Index state_size() const { return B * T * block->S; }
  // Activity of site s as a column-major dim x (B*T) matrix and its leading dimension.
  const double* activity(std::size_t s, Index* ld) const;
};

AttentionCache run_attention_mlp(std::shared_ptr<const AttentionMlp> block, const double* x, Index B, Index T);

// The tangent operators on blocks of kp probes ([kp, B, T, S] and [kp, n_params]).
namespace attention_ops {
void propagate(const AttentionCache& c, const double* q, Index kp, double* y);
void propagate_adjoint(const AttentionCache& c, const double* q, Index kp, double* y);
void propagate_inverse(const AttentionCache& c, const double* q, Index kp, double* y);
void propagate_inverse_adjoint(const AttentionCache& c, const double* q, Index kp, double* y);
void jtheta(const AttentionCache& c, const double* v, Index kp, double* y);
void jtheta_adjoint(const AttentionCache& c, const double* q, Index kp, double* g);
void parameter_operator(const AttentionCache& c, const double* q, Index kp, double* y);
void ntk(const AttentionCache& c, const double* q, Index kp, double* y);
// The output NTK on [kp, B, T, d_output]: E_y NTK_S E_y^T (E_y^T embeds y into the state's y block).
void ntk_outputs(const AttentionCache& c, const double* q, Index kp, double* y);
}  // namespace attention_ops

}  // namespace ntk4j::blocks
