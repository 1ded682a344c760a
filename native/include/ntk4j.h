/*
 * ntk4j.h — the one public C header of the ntk4j native core.
 *
 * Written for jextract (see bindings/): fixed-width types only, no function-like macros, no
 * bit-fields, opaque handles. Conventions (see DESIGN.md):
 *   - every function returns an int32_t status (NTK4J_OK = 0 on success);
 *   - on failure, ntk4j_last_error() returns a thread-local, human-readable explanation that
 *     stays valid until the next ntk4j call on the same thread;
 *   - arrays are caller-owned, row-major, float64, with explicit dimensions; the library
 *     never keeps a pointer to a caller's array after a call returns and writes results only
 *     into the caller's output buffer;
 *   - state-shaped blocks of k probes are [k, B, T, H]; parameter-shaped blocks are
 *     [k, n_params] in PyTorch named_parameters() order (weight_ih, weight_hh, bias_ih,
 *     bias_hh), each parameter flattened in C order.
 */
#ifndef NTK4J_H
#define NTK4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ABI version ------------------------------------------------------------------------
 * Raised whenever a function's signature, a struct's layout or a constant's meaning changes;
 * also the library's SONAME (libntk4j.so.<version>). The Java side compares what it was
 * generated against (this macro) with what the loaded library reports (ntk4j_abi_version)
 * and refuses a mismatch by name. */
#define NTK4J_ABI_VERSION 2

/* The seed of every randomized step when none is given (the *_options_init functions use it). */
#define NTK4J_DEFAULT_SEED 2605

/* ---- status codes ---------------------------------------------------------------------- */
#define NTK4J_OK 0
#define NTK4J_ERR_NULL_ARGUMENT 1   /* a required pointer was NULL */
#define NTK4J_ERR_INVALID_ARGUMENT 2 /* a value is out of its documented range */
#define NTK4J_ERR_SHAPE 3           /* dimensions disagree, are non-positive, or overflow */
#define NTK4J_ERR_NON_FINITE 4      /* NaN or Inf in weights, inputs or probes */
#define NTK4J_ERR_OUT_OF_MEMORY 5   /* an allocation failed */
#define NTK4J_ERR_INTERNAL 6        /* a bug: please report it with the message */
#define NTK4J_ERR_NUMERICAL 7       /* the computation itself overflowed (e.g. a diverging unroll) */
#define NTK4J_ERR_CALLBACK 8        /* a user-defined operator's callback reported a failure */

/* ---- cell kinds (DESIGN.md, "Conventions") --------------------------------------------- */
#define NTK4J_CELL_RNN_LEAKY 1 /* h' = (1-dt) h + dt (W_hh tanh(h) + W_ih x); no bias */
#define NTK4J_CELL_RNN_ELMAN 2 /* h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (torch.nn.RNNCell) */
#define NTK4J_CELL_GRU 3       /* torch.nn.GRUCell, gate order r, z, n */
#define NTK4J_CELL_RNN_RELU 4  /* h' = relu(W_ih x + b_ih + W_hh h + b_hh) (RNNCell, nonlinearity='relu'); relu'(0) = 0 */
#define NTK4J_CELL_RNN_LINEAR 5 /* h' = (1-dt) h + dt (W_hh h + W_ih x) (kpflow's linear BasicRNN); no bias */
#define NTK4J_CELL_LSTM 6       /* torch.nn.LSTMCell, gates i, f, g, o; the state is [h; c] (2H per step) */
#define NTK4J_CELL_ATTENTION_MLP 7 /* not a cell: the feed-forward self-attention block (ntk4j_attention_mlp_create) */

/* ---- operators (DESIGN.md, "The operators") -------------------------------------------- */
#define NTK4J_OP_P 1        /* state -> state: z_t = q_t + J_t z_{t-1} */
#define NTK4J_OP_PT 2       /* state -> state: adjoint P* (backward in time) */
#define NTK4J_OP_PINV 3     /* state -> state: (P^-1 q)_t = q_t - J_t q_{t-1} */
#define NTK4J_OP_PINVT 4    /* state -> state: (P^-* z)_t = z_t - J_{t+1}^T z_{t+1} */
#define NTK4J_OP_JTHETA 5   /* params -> state: one-step parameter Jacobian */
#define NTK4J_OP_JTHETA_T 6 /* state -> params: its adjoint */
#define NTK4J_OP_K 7        /* state -> state: K = J_theta J_theta^T (Kronecker-core form) */
#define NTK4J_OP_NTK 8      /* state -> state: NTK_S = P K P* */
#define NTK4J_OP_NTK_Y 9    /* outputs -> outputs [B, T, d_output]: the NTK of the outputs y, E_y NTK_S E_y^T
                               (attention_mlp, whose state holds y; recurrent models: refused) */
#define NTK4J_OP_NTK_H 10   /* [B, T, H] -> [B, T, H]: NTK_S restricted to the observable state h, E_h NTK_S E_h^T
                               (lstm: the h half of [h; c]; the other cells: NTK_S itself; attention_mlp: refused) */

typedef struct ntk4j_model ntk4j_model;
typedef struct ntk4j_session ntk4j_session;
typedef struct ntk4j_operator ntk4j_operator;

/*
 * Callback of a user-defined operator: y[k, rows] = A x[k, cols] (or the adjoint's shapes).
 * Returns 0 on success; any other value aborts the computation with NTK4J_ERR_CALLBACK.
 */
typedef int32_t (*ntk4j_apply_fn)(void* user_data, const double* x, int64_t k, double* y);

/* Options of ntk4j_eigs and ntk4j_eigs_gram: fill them with ntk4j_eigs_options_init, then change
 * what you want; every field is taken as it is (no value stands for "the default"). */
typedef struct ntk4j_eigs_options {
  int64_t k;            /* eigenpairs wanted (largest algebraic), 1 <= k <= n */
  int64_t block;        /* block size; 0 is a mode: single vector with a completeness check, the
                           block grown when it finds a missed eigenvalue (init: 0) */
  int64_t max_basis;    /* basis columns between restarts; 0 is a mode: max(k + 6 * block, 2k + 20),
                           less if 2 GiB won't hold it (init: 0) */
  int64_t max_restarts; /* >= 1 (init: 200); ntk4j_svds: power iterations, >= 0 (init: 50) */
  double tol;           /* residual tolerance relative to |lambda_max|, > 0 (init: 1e-10) */
  uint64_t seed;        /* start block (init: NTK4J_DEFAULT_SEED) */
  /* Warm start (ntk4j_eigs only; NULL / 0: a random start block): start_cols columns of length n,
   * column-major (e.g. the eigenvectors of a previous, nearby call) opening the first block, whose
   * width becomes max(block, start_cols); random columns fill the rest. */
  const double* start;
  int64_t start_cols;
} ntk4j_eigs_options;

/* A randomized estimate with its standard error and cost. */
typedef struct ntk4j_estimate {
  double value;
  double std_error;
  int64_t applies; /* vectors pushed through the operator */
} ntk4j_estimate;

/* Options of ntk4j_rank_estimate: fill them with ntk4j_rank_options_init (then set the axes);
 * every field is taken as it is. */
typedef struct ntk4j_rank_options {
  double accuracy;     /* target standard error relative to each estimate, in (0, 1) (init: 0.01) */
  int64_t min_samples; /* probes drawn at least, >= 8 (init: 64) */
  int64_t max_samples; /* sampling budget, >= min_samples (init: 4096): reached, the estimates are
                          returned with accuracy_met = 0 */
  uint64_t seed;       /* (init: NTK4J_DEFAULT_SEED) */
  int32_t traces;      /* nonzero: tr A, tr A^2, tr A^4, PR(A) and PR(A^2) (symmetric A only) */
  int32_t partial;     /* nonzero: partial effective dimensions (true partial trace of A A*) over
                          batch, time, hidden of A's range [batch, steps, hidden] */
  int32_t partial_kpflow; /* nonzero: the same with kpflow's broadcast-reduce */
  int64_t batch, steps, hidden;
} ntk4j_rank_options;

/* Results of ntk4j_rank_estimate; every estimate carries its standard error. */
typedef struct ntk4j_rank_estimates {
  ntk4j_estimate trace;                 /* tr A */
  ntk4j_estimate trace_of_square;       /* tr A^2 (tr A A* in general) */
  ntk4j_estimate trace_of_fourth;       /* tr A^4 */
  ntk4j_estimate effective_rank;        /* PR(A) = (tr A)^2 / tr A^2 */
  ntk4j_estimate effective_rank_kpflow; /* kpflow's PR(A^2) = (tr A^2)^2 / tr A^4 */
  ntk4j_estimate partial_dims[3];       /* batch, time, hidden */
  ntk4j_estimate partial_dims_kpflow[3]; /* batch, time, hidden (kpflow's reduction) */
  int64_t samples;                      /* probes drawn */
  int64_t applies;                      /* vectors through A or A* in all */
  int64_t deflation;                    /* rank of the deflation basis used */
  int32_t accuracy_met;                 /* every requested estimate reached `accuracy` */
  double worst_relative_error;          /* the largest std_error / |value| among them */
} ntk4j_rank_estimates;

/* Reductions of a Gram matrix to one axis (DESIGN.md, partial effective dimension). */
#define NTK4J_REDUCTION_TRUE_PARTIAL_TRACE 0 /* M[r,r'] = sum_s G[(s,r),(s,r')] (default) */
#define NTK4J_REDUCTION_KPFLOW 1             /* M[r,r'] = sum_{s,s'} G[(s,r),(s',r')] (kpflow) */

/* Options of ntk4j_fixed_points: fill them with ntk4j_fixed_point_options_init; every field is
 * taken as it is. */
typedef struct ntk4j_fixed_point_options {
  int64_t starts;         /* random initial states, >= 0 (init: 16) */
  int64_t rollout_steps;  /* autonomous steps before Newton from each start, >= 0 (0: Newton from
                             the raw starts only; init: 500) */
  int64_t max_iterations; /* Newton iterations per start, >= 1 (init: 100) */
  double tol;             /* ||f(h) - h||_inf <= tol * max(1, ||h||_inf), > 0 (init: 1e-12) */
  double init_scale;      /* starts ~ N(0, init_scale^2), > 0 (init: 1) */
  uint64_t seed;          /* (init: NTK4J_DEFAULT_SEED) */
} ntk4j_fixed_point_options;

/* The defaults of each options struct (the core's own; never NULL-safe: o must be valid). */
void ntk4j_eigs_options_init(ntk4j_eigs_options* o, int64_t k);
void ntk4j_svds_options_init(ntk4j_eigs_options* o, int64_t k); /* block = oversampling 10, max_restarts = 50 */
void ntk4j_rank_options_init(ntk4j_rank_options* o);
void ntk4j_fixed_point_options_init(ntk4j_fixed_point_options* o);

/* Diagnostics of ntk4j_eigs. */
typedef struct ntk4j_eigs_info {
  int64_t converged;      /* how many of the k eigenpairs satisfy the tolerance */
  int64_t block_applies;  /* block applications of the operator */
  int64_t vector_applies; /* vectors pushed through the operator */
  int64_t restarts;
  int64_t block;          /* block size used */
  int64_t basis;          /* basis size used */
} ntk4j_eigs_info;

/* Thread-local message of the last failure on this thread ("" if none). Never NULL. */
const char* ntk4j_last_error(void);

/* Library version, e.g. "0.1.0". Never NULL. */
const char* ntk4j_version(void);

/* The ABI version this library was built with (NTK4J_ABI_VERSION of its header). */
int32_t ntk4j_abi_version(void);

/*
 * The BLAS library the core runs on (field 0: name and version, e.g. "OpenBLAS 0.3.21"), the
 * kernel core in use (1: e.g. "Haswell", "SkylakeX", "Zen"), the core the library picked by itself
 * at load (2), what this CPU and its OS support (3: "avx512", "avx2", "avx", "sse3"), and why the
 * core in use was chosen (4: one sentence). A user-set OPENBLAS_CORETYPE is always respected; a
 * generic fallback core (an OpenBLAS older than the CPU) is replaced by the CPU's own kernels
 * once, before the first BLAS call, after a DGEMM self-check. Field 5: ntk4j's own kernel for the
 * W_hh products of P and P* ("avx512", "avx2+fma" or "portable", chosen for this CPU at run
 * time). Never NULL ("" for other fields).
 */
const char* ntk4j_blas_info(int32_t field);

/* Bounds the number of threads of the core (1 <= n <= 1024; default: OpenBLAS's default, i.e. the cores or
 * OPENBLAS_NUM_THREADS). The core splits work across its own threads and keeps OpenBLAS
 * single-threaded (process-wide: OpenBLAS has one setting per process). */
int32_t ntk4j_set_num_threads(int32_t n);

/* Number of threads of the core (written to *out). */
int32_t ntk4j_get_num_threads(int32_t* out);

/* The memory budget (process-wide). Before a large allocation (a trajectory, an apply's working
 * blocks, a Krylov basis, a dense matrix) the core estimates its bytes and refuses with
 * NTK4J_ERR_OUT_OF_MEMORY and a message ("X needs A GB but B GB are available") when they do not
 * fit in what the system has available (MemAvailable) or, under a budget, in the budget minus the
 * process's resident memory. bytes = 0 removes the budget; bytes < 0 is an error. */
int32_t ntk4j_set_memory_budget(int64_t bytes);

/* The budget (0: none) and the bytes that may still be allocated (-1: unknown), written to *budget
 * and *available (either may be NULL). */
int32_t ntk4j_get_memory(int64_t* budget, int64_t* available);

/* Progress of long native work: fn(user_data, done, total, what) is called on the calling thread
 * between the steps of Lanczos (converged eigenpairs of k), Hutch++ (stages of 3), randomized SVD
 * (power iterations) and partial traces (axes of 3). NULL removes it. Process-wide; fn must return
 * normally (a Java upcall must catch everything). */
typedef void (*ntk4j_progress_fn)(void* user_data, int64_t done, int64_t total, const char* what);
int32_t ntk4j_set_progress(ntk4j_progress_fn fn, void* user_data);

/*
 * This machine's DGEMM rate through the same OpenBLAS the core uses: C = A B with n x n
 * matrices (16 <= n <= 8192), the best of `repeats` runs, in GFLOP/s (benchmark reference).
 */
int32_t ntk4j_dgemm_gflops(int64_t n, int32_t repeats, double* gflops);

/*
 * Creates a model. Shapes (PyTorch layout, row-major), with G = 3 for gru and 1 otherwise:
 *   weight_ih [G*H, N], weight_hh [G*H, H], bias_ih [G*H], bias_hh [G*H].
 * Biases must be NULL when has_bias == 0 (always for rnn_leaky) and non-NULL otherwise.
 * dt is used by rnn_leaky only (finite, > 0); it is ignored by the other cells.
 * The weights are copied: the caller may free its buffers after the call.
 */
int32_t ntk4j_model_create(int32_t cell, int64_t hidden_size, int64_t input_size, double dt,
                           int32_t has_bias, const double* weight_ih, const double* weight_hh,
                           const double* bias_ih, const double* bias_hh, ntk4j_model** out);

/*
 * The self-attention block of the Global-NTK paper (kpflow's SingleBlockAttnMLP without Fourier
 * features), DESIGN.md "Feed-forward blocks": per token h0 = W_in x + b_in (+ pos[t]),
 * q, k, v = W_q h0, W_k h0, W_v h0, a = softmax(q k^T / sqrt(d_model / heads)) v per head (keys
 * t' <= t when causal), o = W_o a, m_1 = W_1 gelu(o), m_i = W_i gelu(m_{i-1}), y = W_f m_{L-1}
 * (y = W_f o when mlp_layers = 1); exact (erf) GELU; no biases but input_proj's. Its state per
 * token is [h0, q, k, v, a, o, m_1 .. m_{L-1}, y], of width S = 6 d_model + (L-1) mlp_hidden +
 * d_output (ntk4j_session_dims reports S as hidden_size). params is the flat concatenation, in
 * this order, of pos_embedding [1, max_seq_len, d_model] (when positional), input_proj.weight
 * [d_model, d_input], input_proj.bias [d_model], attn.{q,k,v,o}_proj.weight [d_model, d_model],
 * mlp.hidden_linears.<i>.weight [mlp_hidden, d_model or mlp_hidden] (i < L-1) and
 * mlp.final_linear.weight [d_output, mlp_hidden or d_model]: PyTorch's named_parameters() order.
 */
typedef struct ntk4j_attention_mlp_config {
  int64_t d_input, d_model, heads, mlp_hidden, mlp_layers, d_output;
  int64_t max_seq_len; /* length of the positional table (used when positional != 0) */
  int32_t positional;  /* a learned positional embedding is added to h0 */
  int32_t causal;      /* token t attends to t' <= t only */
} ntk4j_attention_mlp_config;

int32_t ntk4j_attention_mlp_create(const ntk4j_attention_mlp_config* config, const double* params,
                                   int64_t num_params, ntk4j_model** out);

/* Total number of parameters (length of a parameter vector). */
int32_t ntk4j_model_num_params(const ntk4j_model* model, int64_t* out);

/* Frees a model; NULL is accepted and ignored. Sessions made from it stay valid. */
void ntk4j_model_destroy(ntk4j_model* model);

/*
 * Unrolls the model on inputs [B, T, N] (vectorized over the batch) and keeps what the
 * tangent operators need: the trajectory and per-step derivative diagonals, never per-step
 * H x H Jacobians. h0 is [B, H], or NULL for zeros. Neither array is retained.
 */
int32_t ntk4j_session_create(const ntk4j_model* model, const double* inputs, int64_t batch,
                             int64_t steps, int64_t input_size, const double* h0,
                             ntk4j_session** out);

/* Dimensions of a session (any output pointer may be NULL). */
int32_t ntk4j_session_dims(const ntk4j_session* session, int64_t* batch, int64_t* steps,
                           int64_t* hidden_size, int64_t* input_size, int64_t* num_params);

/* Copies the trajectory h_1..h_T, [B, T, H], into out (out_len must equal B*T*H). */
int32_t ntk4j_session_hidden(const ntk4j_session* session, double* out, int64_t out_len);

/*
 * The weight sites of a recurrent session (DESIGN.md, K's Kronecker-core form): their count, and
 * site `site`'s activity a_s over every (b, t), [B*T, dim] (row b*T + t: the step that reads x[b, t]
 * and h[b, t-1]; e.g. rnn_leaky's joint [h; x]). *dim receives dim_s; out may be NULL to ask for it
 * (else out_len must be B*T*dim_s). Refused for attention_mlp.
 */
int32_t ntk4j_session_sites(const ntk4j_session* session, int64_t* count);
int32_t ntk4j_session_site_activity(const ntk4j_session* session, int64_t site, double* out, int64_t out_len,
                                    int64_t* dim);

/*
 * Applies operator `op` (NTK4J_OP_*) to a block of k probes.
 *   input:  [k, B, T, H] (or [k, n_params] for NTK4J_OP_JTHETA), in_len elements;
 *   output: [k, B, T, H] (or [k, n_params] for NTK4J_OP_JTHETA_T), out_len elements.
 * The buffers must not overlap. Probes containing NaN or Inf are rejected. Safe to call
 * concurrently on one session from several threads (the session is read-only here).
 */
int32_t ntk4j_apply(const ntk4j_session* session, int32_t op, const double* input,
                    int64_t in_len, int64_t k, double* output, int64_t out_len);

/* Frees a session; NULL is accepted and ignored. Operators made from it stay valid. */
void ntk4j_session_destroy(ntk4j_session* session);

/* ---- dynamics (issue 4) ------------------------------------------------------------------ */

/*
 * One step f(h_b, x) for B states under one input x [N] (NULL: zero input), and optionally the
 * Jacobians J_b = df/dh at h_b (jac: [B, H, H], J[i][j] = df_i/dh_j; NULL to skip).
 */
int32_t ntk4j_model_step(const ntk4j_model* model, const double* h, int64_t batch, const double* x, double* f,
                         double* jac);

/*
 * Fixed points h = f(h, x) under a constant input x [N] (NULL: zero): Newton's method with
 * backtracking from h = 0, from random starts, and from the ends of autonomous rollouts of those
 * starts; deduplicated and sorted by norm. Up to `capacity` points are written to points
 * [capacity, H]; *found says how many there are (possibly more than capacity), *failed how many
 * Newton runs did not converge (reported, not an error).
 */
int32_t ntk4j_fixed_points(const ntk4j_model* model, const double* x, const ntk4j_fixed_point_options* options,
                           int64_t capacity, double* points, int64_t* found, int64_t* failed);

/*
 * Eigen-decomposition of a general real n x n row-major matrix (LAPACK dgeev): eigenvalues
 * re[n] + i im[n]; left and right eigenvectors (n x n row-major, column j = eigenvector j, a
 * complex pair as columns j (real part) and j+1 (imaginary part)) only when non-NULL.
 */
int32_t ntk4j_eig_general(const double* a, int64_t n, double* re, double* im, double* left, double* right);

/*
 * The Jacobians and their spectra at `count` states points [count, H] (e.g. ntk4j_fixed_points'
 * output) under the constant input x [N] (NULL: zero), in one call: jac [count, H, H] as
 * ntk4j_model_step gives it, and per point what ntk4j_eig_general gives (re, im [count, H]; left,
 * right [count, H, H]).
 */
int32_t ntk4j_fixed_point_spectra(const ntk4j_model* model, const double* x, const double* points, int64_t count,
                                  double* jac, double* re, double* im, double* left, double* right);

/*
 * grad_theta mu [num_params] (PyTorch order) of the distance to bifurcation mu = |lambda_c| - 1
 * at the fixed point `state` [H] under the constant input x [N] (NULL: zero), given that point's
 * Jacobian and eigen-decomposition as ntk4j_fixed_point_spectra returns them (H x H row-major;
 * eigenvector column j for eigenvalue j, a complex pair as its real and imaginary columns at the
 * member with Im > 0) and the index `critical` of lambda_c. The sNTK bifurcation channel is
 * P J_theta grad mu / ||grad mu||. A singular I - J is NTK4J_ERR_NUMERICAL.
 */
int32_t ntk4j_critical_gradient(const ntk4j_model* model, const double* state, const double* x, const double* jac,
                                const double* re, const double* im, const double* left, const double* right,
                                int64_t critical, double* grad, int64_t grad_len);

/*
 * Solves A x = b for a general real n x n row-major matrix A (LAPACK dgesv); b [n, nrhs]
 * row-major is overwritten by x. A singular matrix is NTK4J_ERR_NUMERICAL.
 */
int32_t ntk4j_solve(const double* a, int64_t n, double* b, int64_t nrhs);

/* ---- training ---------------------------------------------------------------------------- */

/*
 * The mean-squared-error loss through a linear readout y = W h + b over rows = B*T states, and its
 * gradients, as GEMMs: hidden [rows, H], targets [rows, O], weight [O, H], bias [O] in; *loss =
 * mean((y - target)^2), e = dL/dh [rows, H], grad_w [O, H], grad_b [O] out (all row-major). A
 * non-finite loss is NTK4J_ERR_NUMERICAL (training diverged).
 */
int32_t ntk4j_readout_mse(const double* hidden, int64_t rows, int64_t hidden_size, const double* weight,
                          const double* bias, int64_t output_size, const double* targets, double* loss, double* e,
                          double* grad_w, double* grad_b);

/* ---- operators and their algebra (issue 3) --------------------------------------------- */

/* One of a session's operators (NTK4J_OP_*) as an operator handle. */
int32_t ntk4j_operator_from_session(const ntk4j_session* session, int32_t op, ntk4j_operator** out);

/*
 * A user-defined operator of shape rows x cols given by callbacks (apply_adjoint may be NULL only
 * when symmetric != 0 and rows == cols). The callbacks are called on the caller's thread, during
 * the calls that use the operator; user_data is passed through untouched.
 */
int32_t ntk4j_operator_from_callbacks(int64_t rows, int64_t cols, int32_t symmetric,
                                      ntk4j_apply_fn apply, ntk4j_apply_fn apply_adjoint,
                                      void* user_data, ntk4j_operator** out);

/* A* */
int32_t ntk4j_operator_adjoint(const ntk4j_operator* a, ntk4j_operator** out);
/* A B (A.cols == B.rows) */
int32_t ntk4j_operator_compose(const ntk4j_operator* a, const ntk4j_operator* b, ntk4j_operator** out);
/* A A* */
int32_t ntk4j_operator_gram(const ntk4j_operator* a, ntk4j_operator** out);
/* R A R* (A square, R.cols == A.rows); symmetric when A is */
int32_t ntk4j_operator_congruence(const ntk4j_operator* r, const ntk4j_operator* a, ntk4j_operator** out);
/* alpha A + beta B (same shapes) */
int32_t ntk4j_operator_sum(const ntk4j_operator* a, const ntk4j_operator* b, double alpha, double beta,
                           ntk4j_operator** out);

/*
 * I_left (x) A (x) I_right for A row-major rows x cols (copied; finite), acting on blocks
 * [k, left, cols, right] -> [k, left, rows, right]: with right = 1, A applied to every row of a
 * [left, cols] layout (a readout W_out on every step [B*T, H]); with left = 1, A mixing the rows of
 * a [cols, right] layout. GEMM-shaped; its adjoint uses A^T.
 */
int32_t ntk4j_operator_kronecker(int64_t left, const double* a, int64_t rows, int64_t cols, int64_t right,
                                 ntk4j_operator** out);

/* Shape and symmetry flag (any output may be NULL). */
int32_t ntk4j_operator_dims(const ntk4j_operator* a, int64_t* rows, int64_t* cols, int32_t* symmetric);

/* y = A x (adjoint == 0) or A* x, for a block of k vectors ([k, cols] -> [k, rows]). */
int32_t ntk4j_operator_apply(const ntk4j_operator* a, int32_t adjoint, const double* x, int64_t in_len,
                             int64_t k, double* y, int64_t out_len);

/* Frees an operator handle; NULL is accepted and ignored. */
void ntk4j_operator_destroy(ntk4j_operator* a);

/* Diagnostics: how many operator handles exist now (created and not yet destroyed), for leak
 * checks of a binding's ownership rules. */
int64_t ntk4j_operator_handles_live(void);

/* ---- spectra (issue 3) ------------------------------------------------------------------ */

/*
 * Top-k eigenpairs of a symmetric operator by randomized Lanczos (full reorthogonalization,
 * thick restarts; with block 0 single-vector Lanczos plus a completeness check on the deflated
 * operator, repeated with a larger block when the check finds a missed eigenvalue, so that every
 * copy of a repeated eigenvalue is found). values[k] descending and residuals[k]
 * (||A v - lambda v||) are always written; vectors[k, n] only when non-NULL. Eigenpairs that did
 * not reach the tolerance are still written, and info->converged says how many did: an
 * unconverged result is a status of the result, not an error.
 */
int32_t ntk4j_eigs(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                   double* residuals, double* vectors, ntk4j_eigs_info* info);

/*
 * Top-k eigenpairs of the Gram operator A A* of any operator A (e.g. NTK_S = J J^T with
 * J = P J_theta, K = J_theta J_theta^T), by block Lanczos on the smaller of A A* and A* A (same
 * nonzero eigenvalues); eigenvectors (k x rows) are those of A A*, and residuals are A A*'s own.
 * Same options, outputs and diagnostics as ntk4j_eigs.
 */
int32_t ntk4j_eigs_gram(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                        double* residuals, double* vectors, ntk4j_eigs_info* info);

/*
 * All eigenvalues (descending) of a symmetric operator, exactly: the dense matrix is formed by
 * block applies on the identity and diagonalized by LAPACK (dsyevd). For n <= 20000.
 * values[n]; vectors[n, n] (row i = eigenvector i) only when non-NULL.
 */
int32_t ntk4j_eigs_dense(const ntk4j_operator* a, double* values, int64_t n, double* vectors);

/*
 * Top-k singular triplets of any operator by randomized SVD (Halko-Martinsson-Tropp, power
 * iterations until the residuals max(||A v - s u||, ||A* u - s v||) <= tol * s_max). Options
 * from ntk4j_svds_options_init: k, tol, seed; `block` is the oversampling and `max_restarts` the
 * maximum number of power iterations (>= 0). values[k] descending and residuals[k] always written;
 * u[k, rows] and v[k, cols] only when non-NULL. info: converged, vector_applies (A and A*
 * together), restarts = power iterations done.
 */
int32_t ntk4j_svds(const ntk4j_operator* a, const ntk4j_eigs_options* options, double* values,
                   double* residuals, double* u, double* v, ntk4j_eigs_info* info);

/*
 * Hutch++ estimates of tr A, tr A^2 and the effective rank PR(A) = (tr A)^2 / tr(A^2) of a
 * symmetric operator from `probes` applies (>= 3). Any output may be NULL.
 */
int32_t ntk4j_trace_estimate(const ntk4j_operator* a, int64_t probes, uint64_t seed,
                             ntk4j_estimate* trace, ntk4j_estimate* trace_of_square,
                             ntk4j_estimate* effective_rank);

/* The same three numbers exactly, from the dense matrix (n <= 20000). Any output may be NULL. */
int32_t ntk4j_trace_exact(const ntk4j_operator* a, double* trace, double* trace_of_square,
                          double* effective_rank);

/*
 * Partial effective dimensions of an operator on a [B, T, H] state space: G = A A* reduced to the
 * kept axis (reduction NTK4J_REDUCTION_*), then (tr M)^2 / ||M||_F^2, for the kept axes batch,
 * time, hidden in out[0..2]. exact != 0: dense (n <= 20000, std_error 0). Otherwise estimated:
 * the kpflow reduction exactly with m applies per axis (m = the kept axis' length); the true
 * partial trace by reducing A A* on a `deflation`-dimensional sketch of A's dominant range
 * exactly (symmetric A; 0 = no deflation) and sampling the rest with `samples` random-sign
 * probe blocks per axis.
 */
int32_t ntk4j_partial_effdims(const ntk4j_operator* a, int64_t batch, int64_t steps, int64_t hidden,
                              int32_t reduction, int32_t exact, int64_t samples, int64_t deflation,
                              uint64_t seed, ntk4j_estimate* out);

/*
 * Effective ranks and partial effective dimensions with error control (see
 * native/src/spectral/ranks.hpp): the moments of A A* are split into an exact part on an
 * orthonormal deflation basis V (e.g. the top eigenvectors an eigen-solve already returned:
 * basis[basis_cols, cols], row-major; NULL / 0 for none; orthonormalized here) and a remainder
 * sampled by probes until every requested estimate's standard error is at most `accuracy` of its
 * value, or the budget is spent (then accuracy_met = 0; the estimates are still written).
 * A zero operator is a numerical failure (the ranks are undefined).
 */
int32_t ntk4j_rank_estimate(const ntk4j_operator* a, const double* basis, int64_t basis_cols,
                            const ntk4j_rank_options* options, ntk4j_rank_estimates* out);

#ifdef __cplusplus
}
#endif

#endif /* NTK4J_H */
