// A recurrent cell and its parameters, described by its weight sites (DESIGN.md, "Kronecker
// core of K"): parameters enter f only through u_s = W_s a_s, where W_s stacks PyTorch
// parameters side by side (biases as columns fed by a constant activity 1) and a_s is the
// site's activity at (b, t). With D_s = df/du_s, which is made of G diagonal H x H blocks,
//   J_theta v = sum_s D_s V_s a_s,   J_theta^T q = sum_s (D_s^T q) a_s^T,
// and the state Jacobian is J = diag(c) + D_h W_hh diag(e) (c, e optional; D_h the D of the
// site holding W_hh in its first H columns).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace ntk4j::blocks {
struct AttentionMlp;
}

namespace ntk4j {

enum class CellKind : std::int32_t {
  RnnLeaky = NTK4J_CELL_RNN_LEAKY,
  RnnElman = NTK4J_CELL_RNN_ELMAN,
  Gru = NTK4J_CELL_GRU,
  RnnRelu = NTK4J_CELL_RNN_RELU,
  RnnLinear = NTK4J_CELL_RNN_LINEAR,
  Lstm = NTK4J_CELL_LSTM,
  AttentionMlp = NTK4J_CELL_ATTENTION_MLP  // not a cell: a feed-forward block (blocks/attention_mlp.hpp)
};

const char* cell_name(CellKind kind);

// Columns [col0, col0 + ncols) of a site's W come from PyTorch parameter `param`
// (rows = the site's rows; a bias is one column).
struct ParamSlice {
  int param;
  Index col0;
  Index ncols;
};

struct Site {
  Index groups = 1;                // G: rows = G * H, D_s has G diagonal blocks
  Index rows = 0;                  // G * H
  Index dim = 0;                   // dimension of the activity a_s
  std::vector<ParamSlice> slices;  // where W_s's columns come from
  std::vector<double> weight;      // W_s, rows x dim, row-major
};

// Pointwise part of a cell at one (b, t): everything but the site GEMMs. The state is R blocks
// of H (R = 1; lstm: R = 2, s = [h; c]), W_hh acts on block 0, and the state Jacobian is
//   J = C + D_h W_hh diag(e) on block 0,
// with C made of R x R diagonal H x H blocks and D_s of R x G diagonal blocks (output block r,
// gate group g): (D_s u)[r] = sum_g D_s[r][g] (.) u[g]. For R = 1, C = diag(c).
class Cell {
 public:
  virtual ~Cell() = default;
  virtual bool has_c() const = 0;  // J carries C (leak, GRU's z, the LSTM's forget gate)
  virtual bool has_e() const = 0;  // W_hh acts on e-scaled h (rnn_leaky: tanh'(h))
  // Fills the activity a_s of every site from s_{t-1} (R H) and x_t (N).
  virtual void activities(const double* sprev, const double* x, double* const* act) const = 0;
  // From the site pre-activations u_s = W_s a_s: the new state s (R H) and the derivative data
  // C (R R H: block (r, r') at (r R + r') H), e (H) (only when has_c()/has_e()) and D_s
  // (R rows_s: output block r at r rows_s).
  virtual void step(const double* sprev, const double* const* u, double* s, double* c, double* e,
                    double* const* d) const = 0;
};

struct Model {
  CellKind kind{};
  Index H = 0, N = 0;
  Index R = 1, S = 0;  // state blocks and state width per step, S = R H (lstm: [h; c], R = 2)
  double dt = 1.0;
  bool bias = false;
  std::vector<std::string> param_names;  // PyTorch order
  std::vector<Index> param_rows, param_cols, param_offset;
  Index num_params = 0;
  std::vector<Site> sites;
  int hidden_site = 0;  // site whose first H columns are W_hh
  std::unique_ptr<Cell> cell;
  // Set (and cell, sites empty) for the feed-forward attention block: H = d_model, N = d_input,
  // S = its state width per token.
  std::shared_ptr<const blocks::AttentionMlp> block;
};

// Refuses a feed-forward block where a recurrent cell is needed (`what`: e.g. "fixed points").
void require_recurrent(const Model& m, const char* what);

// Validates and builds a model (see ntk4j_model_create for the contract).
std::unique_ptr<Model> make_model(std::int32_t cell, Index hidden, Index input, double dt, bool has_bias,
                                  const double* weight_ih, const double* weight_hh, const double* bias_ih,
                                  const double* bias_hh);

// True if all n values are finite; otherwise the index of the first bad one in *where.
bool all_finite(const double* x, Index n, Index* where);

}  // namespace ntk4j
