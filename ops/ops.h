/* ecgbench operator backend, its core: shapes, the graph IR and its ops, the builders, and the
 * two executors (reference for training, XNNPACK for inference). The rest of ops/ has headers of
 * its own (docs/backend.md has the map): rng.h, timing.h, loss.h, safetensors.h, qmodel.h (the
 * int8 model), isa.h, sparse_gemm.h and small_gemm.h (own inference kernels).
 *
 * Conventions
 *  - Activations are time-major, channels last: a value of per-sample shape [T, C] is stored
 *    for a batch as [N, T, C]; a vector value [C] as [N, C]. Shapes below never include N.
 *  - Parameters carry PyTorch names and layouts (Conv1d [out, in/groups, k], Linear [out, in],
 *    BatchNorm1d weight/bias/running_mean/running_var, LSTM weight_ih_l0 [4H, in] gates i,f,g,o,
 *    MultiheadAttention in_proj_weight [3E, E]).
 *  - FLOPs count a multiply-add as 2 FLOPs, per sample.
 *  - Backward kernels ACCUMULATE (+=) into input and parameter gradients, so a value that feeds
 *    several nodes (a residual) gets the sum. Executors zero gradients first.
 */
#ifndef ECG_OPS_H
#define ECG_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "op_list.h"

#define ECG_MAX_RANK 4
#define ECG_MAX_IN 4
#define ECG_MAX_PARAMS 32
#define ECG_NAME_LEN 128
#define ECG_ERR_LEN 512

/* ---------------------------------------------------------------- shapes */
typedef struct {
    int rank;
    int64_t d[ECG_MAX_RANK];
} ecg_shape;

ecg_shape ecg_shape1(int64_t a);
ecg_shape ecg_shape2(int64_t a, int64_t b);
ecg_shape ecg_shape3(int64_t a, int64_t b, int64_t c);
int64_t ecg_shape_numel(const ecg_shape *s);
int ecg_shape_eq(const ecg_shape *a, const ecg_shape *b);
/* Writes e.g. "[64, 32]" into buf. Returns buf. */
char *ecg_shape_str(const ecg_shape *s, char *buf, size_t n);

/* ---------------------------------------------------------------- ops */
/* ECG_OP_CONV1D, ECG_OP_LINEAR, ...: one per entry of ops/op_list.h, where each is described. */
#define ECG_OP_ENUM(id, name, lowering) ECG_OP_##id,
typedef enum { ECG_OP_LIST(ECG_OP_ENUM) ECG_OP_COUNT } ecg_op_kind;
#undef ECG_OP_ENUM

/* Attributes of a node; each op reads only its own fields. */
typedef struct {
    int out_features;          /* conv1d: out channels; linear: out features */
    int kernel, stride, dilation, groups;
    int pad_left, pad_right;   /* explicit padding on the time axis (conv1d, maxpool) */
    int has_bias;
    float eps, momentum;       /* batchnorm / layernorm; momentum as in PyTorch (0.1) */
    float p;                   /* dropout probability */
    int per_sample;            /* dropout: one draw per sample (stochastic depth), not per element */
    int unscaled;              /* dropout: kept elements not scaled by 1/(1-p) (modality dropout) */
    int hidden, layers, bidirectional, last_only; /* lstm */
    int heads;                 /* mha */
    int num_embeddings, dim;   /* embedding; dim also tokens (D) */
    int axis;                  /* concat, slice: per-sample axis */
    int start, length;         /* slice; length also tokens (L) */
    ecg_shape shape;           /* reshape: per-sample output shape */
    int fused_relu;            /* conv1d, linear, add: output clamped at 0. Set only on the XNNPACK
                                  executor's private graph, where a ReLU was folded in (ecg_fuse_relu) */
} ecg_attrs;

typedef struct {
    char name[ECG_NAME_LEN];   /* PyTorch state_dict key */
    ecg_shape shape;           /* PyTorch layout */
    float *data;
    float *grad;               /* NULL until ecg_graph_alloc_grads */
    int trainable;             /* 0 for buffers (BN running stats) */
    int frozen;                /* a trainable param held fixed (another model's trained part, see
                                  ecg_graph_freeze): counted as a parameter, never given a gradient */
} ecg_param;

/* A param the optimizer updates: trainable and not frozen. */
static inline int ecg_param_learns(const ecg_param *p) { return p->trainable && !p->frozen; }

typedef struct {
    char name[ECG_NAME_LEN];
    ecg_shape shape;           /* per sample */
    int producer;              /* node index, -1 for a graph input */
} ecg_value;

typedef struct {
    ecg_op_kind kind;
    char name[ECG_NAME_LEN];   /* module prefix, e.g. "blocks.0.dw" */
    int in[ECG_MAX_IN];
    int n_in;
    int out;
    int param[ECG_MAX_PARAMS]; /* indices into graph params, in the op's documented order */
    int n_param;
    ecg_attrs a;
} ecg_node;

typedef struct {
    ecg_node *nodes;
    int n_nodes, cap_nodes;
    ecg_value *values;
    int n_values, cap_values;
    ecg_param *params;
    int n_params, cap_params;
    int inputs[ECG_MAX_IN];
    int n_inputs;
    int output;                /* -1 until ecg_graph_set_output */
    uint64_t init_seed;        /* parameter initialisation seed */
    uint64_t init_counter;     /* advanced per parameter, so init is order-deterministic */
    char err[ECG_ERR_LEN];     /* first builder error; builders return -1 after it */
} ecg_graph;

/* Kernel context: what one node's reference kernel sees. Shapes are per sample. */
typedef struct {
    const ecg_node *node;
    int batch;
    int n_in;
    const float *in[ECG_MAX_IN];
    ecg_shape in_shape[ECG_MAX_IN];
    float *out;
    ecg_shape out_shape;
    float *w[ECG_MAX_PARAMS];        /* parameter data, node order */
    float *dw[ECG_MAX_PARAMS];       /* parameter grads (accumulate); NULL when not wanted */
    float *d_in[ECG_MAX_IN];         /* input grads (accumulate); NULL when not wanted */
    const float *d_out;
    void *state;                     /* state_bytes() bytes kept from forward to backward */
    int training;
    uint64_t seed;                   /* per node and step (dropout) */
} ecg_kctx;

typedef struct {
    const char *name;
    /* Checks inputs and attrs, writes the per-sample output shape. 0 ok, -1 with msg. */
    int (*infer)(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len);
    /* NULL: data movement only, 0 FLOPs. */
    int64_t (*flops)(const ecg_node *n, const ecg_shape *in, const ecg_shape *out);
    /* Bytes the forward must keep for the backward, for a whole batch (may be 0). */
    size_t (*state_bytes)(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch);
    void (*forward)(const ecg_kctx *k);
    void (*backward)(const ecg_kctx *k);
    unsigned traits;           /* ECG_TRAIT_* below: what passes may assume about the op */
} ecg_op;

/* Structural traits, set in the op's definition and read by the passes instead of lists of op
 * kinds of their own. */
/* Output channel c (last axis) is computed from channel c of each input alone, so pruning a
 * channel removes it from inputs and output together (channel pruning). Inputs with fewer
 * channels than the output (a broadcast) break that; the pass checks the node's shapes. */
#define ECG_TRAIT_PER_CHANNEL 1u
/* Its trainable parameters of rank >= 2 are weight matrices that magnitude pruning may sparsify
 * (biases, norms and lookup tables are not). */
#define ECG_TRAIT_WEIGHT_MATRICES 2u

const ecg_op *ecg_op_get(ecg_op_kind kind);
/* 1 when kind's op has every trait in `traits`; 0 for an unknown kind. */
int ecg_op_has(ecg_op_kind kind, unsigned traits);
#define ECG_OP_EXTERN(id, name, lowering) extern const ecg_op ecg_op_##name;
ECG_OP_LIST(ECG_OP_EXTERN)
#undef ECG_OP_EXTERN

/* ---------------------------------------------------------------- graph */
void ecg_graph_init(ecg_graph *g, uint64_t init_seed);
void ecg_graph_free(ecg_graph *g);
/* Deep copy (params and data included). 0 ok. */
int ecg_graph_clone(ecg_graph *dst, const ecg_graph *src);
int ecg_graph_fail(ecg_graph *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int ecg_input(ecg_graph *g, const char *name, ecg_shape shape);
void ecg_graph_set_output(ecg_graph *g, int value);
/* Adds a parameter initialised U(-bound, bound) from the graph seed (bound 0: constant fill). */
int ecg_param_add(ecg_graph *g, const char *name, ecg_shape shape, float bound, float fill, int trainable);
/* Adds a node: copies attrs, infers the output shape, creates the output value. Returns the
 * output value id, or -1 (error in g->err). Params must already be added; pass their ids. */
int ecg_node_add(ecg_graph *g, ecg_op_kind kind, const char *name, const int *in, int n_in,
                 const int *params, int n_params, const ecg_attrs *a);
int ecg_param_find(const ecg_graph *g, const char *name);
int64_t ecg_graph_param_count(const ecg_graph *g);   /* trainable only, as PyTorch counts */
/* Freezes the trainable params whose names start with prefix; returns how many (0: none there). */
int ecg_graph_freeze(ecg_graph *g, const char *prefix);
int64_t ecg_node_param_count(const ecg_graph *g, const ecg_node *n);
int64_t ecg_node_flops(const ecg_graph *g, const ecg_node *n);
int64_t ecg_graph_flops(const ecg_graph *g);
int ecg_graph_alloc_grads(ecg_graph *g);
void ecg_graph_zero_grads(ecg_graph *g);

/* Builders (ops/build.c). Each returns the output value id or -1; they return -1 at once when
 * given a negative input id, so a model builder checks only its final result. */
ecg_attrs ecg_attrs_default(void);
int ecg_conv1d(ecg_graph *g, const char *name, int x, int out_ch, int kernel, int stride,
               int dilation, int groups, int bias);       /* "same" padding, see ecg_same_pad */
int ecg_conv1d_pad(ecg_graph *g, const char *name, int x, int out_ch, int kernel, int stride,
                   int dilation, int groups, int bias, int pad_left, int pad_right);
int ecg_dwconv1d(ecg_graph *g, const char *name, int x, int kernel, int stride, int dilation, int bias);
int ecg_linear(ecg_graph *g, const char *name, int x, int out_features, int bias);
int ecg_batchnorm(ecg_graph *g, const char *name, int x, float eps, float momentum);
int ecg_unary(ecg_graph *g, ecg_op_kind kind, const char *name, int x);
int ecg_binary(ecg_graph *g, ecg_op_kind kind, const char *name, int a, int b);
int ecg_gap(ecg_graph *g, const char *name, int x);
int ecg_maxpool(ecg_graph *g, const char *name, int x, int kernel, int stride, int pad);
int ecg_dropout(ecg_graph *g, const char *name, int x, float p);
/* Stochastic depth: drops a whole sample's residual branch with probability p in training. */
int ecg_drop_path(ecg_graph *g, const char *name, int x, float p);
/* Modality dropout: in training, each sample's whole x is zeroed with probability p and kept as it
 * is otherwise (not scaled up: at inference x is always whole, as a kept sample's is). */
int ecg_modality_drop(ecg_graph *g, const char *name, int x, float p);
int ecg_lstm(ecg_graph *g, const char *name, int x, int hidden, int layers, int bidirectional,
             int last_only);
int ecg_mha(ecg_graph *g, const char *name, int query, int kv, int heads); /* kv < 0: self */
int ecg_layernorm(ecg_graph *g, const char *name, int x, float eps);
int ecg_embedding(ecg_graph *g, const char *name, int idx, int num_embeddings, int dim);
/* Any number of inputs: past ECG_MAX_IN they are joined in steps, nodes NAME.first, NAME.next1, ...,
 * the last one NAME. */
int ecg_concat(ecg_graph *g, const char *name, const int *xs, int n, int axis);
int ecg_slice(ecg_graph *g, const char *name, int x, int axis, int start, int length);
/* The same numbers viewed with another per-sample shape (row-major, element count kept). */
int ecg_reshape(ecg_graph *g, const char *name, int x, ecg_shape shape);
/* A learned [L, D] block, the same for every sample (PyTorch: nn.Parameter(torch.zeros(1, L, D)),
 * named `name`; initialised N(0, 0.02^2)-like, U(-0.02, 0.02)). */
int ecg_tokens(ecg_graph *g, const char *name, int length, int dim);
/* PyTorch-compatible "same" padding for odd kernels (symmetric d*(k-1)/2, which gives
 * ceil(T/stride) outputs), and padding='same' (left = total/2) for even kernels at stride 1. */
void ecg_same_pad(int kernel, int dilation, int *left, int *right);
int ecg_conv_out_len(int t, int kernel, int stride, int dilation, int pad_left, int pad_right);

/* ---------------------------------------------------------------- inference rewrite (ops/fold.c) */
/* The eval-mode graph the XNNPACK executor lowers, in place: each BatchNorm folded into the
 * conv1d/linear that feeds it when that is its only consumer (unless fold_bn is 0), and every
 * dropout removed (identity at inference). Value ids stay valid; removed nodes' outputs are
 * produced by no node. Compression passes run it on a copy to see the weights that will run.
 * Returns the number of batchnorms folded, -1 on error (g->err). */
int ecg_graph_inference_rewrite(ecg_graph *g, int fold_bn);

/* ---------------------------------------------------------------- reference executor */
typedef struct ecg_ref ecg_ref;
ecg_ref *ecg_ref_create(ecg_graph *g, int batch, char *err, size_t errlen);
void ecg_ref_free(ecg_ref *r);
/* inputs[i] holds batch * numel(graph input i) floats. Training mode uses batch statistics
 * in BN, updates running stats, and applies dropout with masks drawn from seed. */
int ecg_ref_forward(ecg_ref *r, const float *const *inputs, int training, uint64_t seed);
/* Backpropagates d_output (batch * numel(output)); accumulates param grads if allocated. */
void ecg_ref_backward(ecg_ref *r, const float *d_output);
const float *ecg_ref_value(const ecg_ref *r, int value);
const float *ecg_ref_grad(const ecg_ref *r, int value);   /* after backward */
const float *ecg_ref_output(const ecg_ref *r);

/* ---------------------------------------------------------------- XNNPACK executor */
/* Threads to use for a request: <= 0 or more than the online cores gives the cores (an
 * oversubscribed pool only spins). */
int ecg_threads_for(int requested);

/* One-time backend init (xnn_initialize); safe to call repeatedly. 0 ok. */
int ecg_backend_init(char *err, size_t errlen);

typedef struct ecg_xnn ecg_xnn;
/* Lowers the graph (eval mode: BN folded into the preceding conv/linear when it is its only
 * consumer, a ReLU likewise into the f32 conv/linear/add that feeds it, dropout removed) for a
 * fixed batch. threads <= 0, or more than there are cores: all cores (ecg_xnn_threads says how
 * many). Operators are created and set up once here; ecg_xnn_run only runs them. */
#define ECG_XNN_NO_DW_PAD 1u   /* keep depthwise tap counts as they are (to measure the slow path) */
#define ECG_XNN_NO_BN_FOLD 2u  /* lower batchnorm as its own per-channel affine step */
/* 1x1 convs (stride 1, unpadded, groups 1) and linears: time our sparse kernel against XNNPACK's
 * dense op on the layer's shape at create time and keep the faster (pays off for pruned weights). */
#define ECG_XNN_SPARSE 4u
#define ECG_XNN_SPARSE_ALWAYS 8u /* take the sparse kernel for every such layer, untimed (tests) */
#define ECG_XNN_NO_INT8_CHAIN 16u /* int8 path: dequantise every int8 node's output, even between int8 nodes */
/* Give every value a buffer of its own (and every ReLU its own step), so ecg_xnn_value can read
 * each after a run (calibration).
 * Without it, values whose lives do not overlap share memory (ecg_xnn_plan). */
#define ECG_XNN_KEEP_VALUES 32u
/* Keep each ReLU as its own step instead of clamping in the conv/linear/add that feeds it. */
#define ECG_XNN_NO_RELU_FUSE 64u
/* 1x1 convs and linears over at most 32 rows (batch 1, short T) run on our dense kernel where it
 * reads the weights fewer times than XNNPACK (8 rows per pass against 7: 8, 15-16, 22-24, 29-32
 * rows; on AVX-512, by default). NO_SMALL: never; SMALL_ALWAYS: every such layer, any row count. */
#define ECG_XNN_NO_SMALL 128u
#define ECG_XNN_SMALL_ALWAYS 256u
/* Dense stride-1 convs of 3 or more taps over many rows run by Winograd F(m, r) by default
 * (ops/xnn_winograd.c); this keeps them on XNNPACK's direct convolution. */
#define ECG_XNN_NO_WINOGRAD 512u
ecg_xnn *ecg_xnn_create(const ecg_graph *g, int batch, int threads, unsigned flags, char *err, size_t errlen);
void ecg_xnn_free(ecg_xnn *x);
float *ecg_xnn_input(ecg_xnn *x, int i);        /* batch * numel floats, with XNN_EXTRA_BYTES slack */
int ecg_xnn_run(ecg_xnn *x);
const float *ecg_xnn_output(const ecg_xnn *x);
int ecg_xnn_threads(const ecg_xnn *x);
/* Diagnostics of the lowering, for tests and benchmarks. */
typedef struct {
    int n_xnn_ops;        /* XNNPACK operators created */
    int n_own_kernels;    /* steps run by our own kernels */
    int n_dw_padded;      /* depthwise convs whose taps were zero-padded to a fast size */
    int n_dw_slow;        /* depthwise convs left on a tap count with no fast kernel (should be 0) */
    int n_bn_folded;
    int n_relu_fused;     /* ReLUs clamped in the conv/linear/add that feeds them */
    int n_sparse;         /* layers lowered onto the own sparse kernel */
    int n_sparse_timed;   /* layers where both candidates were timed (ECG_XNN_SPARSE) */
    int n_small;          /* layers lowered onto the own small-row dense kernel */
    int n_winograd;       /* convs lowered onto Winograd transforms around XNNPACK GEMMs */
    int n_int8_nodes;     /* conv1d/linear nodes lowered onto XNNPACK int8 operators */
    int n_int8_chained;   /* int8 values passed on in int8 (no dequantise + quantise between int8 nodes) */
    size_t value_bytes;   /* activation memory for the whole batch: the planned arena (f32 values, int8 buffers) */
} ecg_xnn_stats;
ecg_xnn_stats ecg_xnn_get_stats(const ecg_xnn *x);
/* XNNPACK's fast f32 depthwise tap counts are 3, 4, 9, 25: the smallest >= taps, or taps. */
int ecg_xnn_dw_fast_taps(int taps);
/* A value of the executor's graph after a run (value ids are those of the graph given to
 * create: folding and dropout removal keep them); NULL for an id out of range or an executor
 * created without ECG_XNN_KEEP_VALUES. A value no node writes any more (a folded batchnorm's
 * output; on the int8 path, a value kept in int8 between int8 nodes) holds zeros. For
 * calibration, on the f32 executor. */
const float *ecg_xnn_value(const ecg_xnn *x, int value);

/* The executor's memory plan for g's values at a batch: offset[v] in one arena (SIZE_MAX for a
 * value no node writes or reads), *total its bytes. A value is live from the node that writes it
 * to the last node that reads it; graph inputs, the output and the outputs of nodes without inputs
 * (filled once at create time) live throughout. Values live at the same time never overlap.
 * -1: out of memory. */
int ecg_xnn_plan(const ecg_graph *g, int batch, size_t *offset, size_t *total);
/* One value's bytes in the plan: batch * numel floats, XNN_EXTRA_BYTES of slack, 64-byte aligned. */
size_t ecg_xnn_value_bytes(const ecg_graph *g, int value, int batch);

/* Per-layer profile. The executor's graph is the one given to create, rewritten: folded
 * batchnorms and dropouts are gone, every other node keeps its name. Each step (an XNNPACK operator
 * or an own kernel) belongs to one node of it; an int8 node's quantise/dequantise steps are its own.
 * ecg_xnn_profile runs the network once to warm up, then reps times with every step timed
 * (CLOCK_MONOTONIC read between steps; not Google Benchmark), and writes per node of the
 * executor's graph (ecg_xnn_n_nodes entries) the median over reps of its steps' summed time in
 * microseconds; NaN for a node with no step (tokens, filled once at create). The nodes' times sum to
 * about a whole run's. 0 ok, -1 on a failed run, reps < 1 or out of memory. */
int ecg_xnn_profile(ecg_xnn *x, int reps, double *node_us);
int ecg_xnn_n_nodes(const ecg_xnn *x);
const char *ecg_xnn_node_name(const ecg_xnn *x, int node);     /* NULL out of range */
int ecg_xnn_find_node(const ecg_xnn *x, const char *name);      /* -1: not in it (folded away) */
int ecg_xnn_n_steps(const ecg_xnn *x);
int ecg_xnn_step_node(const ecg_xnn *x, int step);              /* -1 out of range */
/* The int8 executor, ecg_xnn_create_q, is in ops/qmodel.h. */

#endif
