/* Internal interface between the XNNPACK executor and the per-op lowerings (ops/xnn_*.c).
 * A lowering turns one node into steps: XNNPACK operators created and set up once, or our own
 * kernels where XNNPACK has none. Buffers are fixed for the executor's life, so setup happens
 * at plan time and running is only xnn_run_operator / the own kernel. */
#ifndef ECG_XNN_LOWER_H
#define ECG_XNN_LOWER_H

#include <math.h>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "ops.h"
#include "qmodel.h"

typedef void (*ecg_kernel_fn)(void *arg, pthreadpool_t tp);

typedef struct {
    xnn_operator_t op;   /* run with xnn_run_operator, or */
    ecg_kernel_fn fn;    /* our own kernel, called with arg */
    void *arg;
    int node;            /* the executor graph's node this step computes (set by the executor) */
    pthreadpool_t tp;    /* the pool it runs on: the lowering's l->tp (NULL: the calling thread alone) */
} ecg_xnn_step;

typedef struct ecg_lower {
    struct ecg_xnn *x;
    const ecg_graph *g;
    const ecg_node *n;
    int batch;
    const float *in[ECG_MAX_IN];
    ecg_shape in_shape[ECG_MAX_IN];
    float *out;
    ecg_shape out_shape;
    const float *w[ECG_MAX_PARAMS];
    pthreadpool_t tp;
    ecg_xnn_stats *stats;
    const ecg_qnode *q;  /* int8 parameters of this node, or NULL (f32) */
    char *err;
    size_t errlen;
} ecg_lower;

/* Appends a created and set-up XNNPACK operator (the executor deletes it). */
int ecg_lower_op(ecg_lower *l, xnn_operator_t op);
/* Keeps a created and set-up XNNPACK operator that an own kernel runs itself (the executor
 * deletes it but does not run it as a step). */
int ecg_lower_hold_op(ecg_lower *l, xnn_operator_t op);
/* Creates and sets up a fully_connected [rows, in] -> [rows, out] on x and y (W [out, in], bias may
 * be NULL), its outputs clamped below at lo (-INFINITY: not at all); 0 ok, -1 with the op deleted.
 * The caller appends or holds it. */
int ecg_lower_create_fc(ecg_lower *l, size_t in, size_t out, const float *w, const float *bias, float lo, size_t rows,
                        const float *x, float *y, xnn_operator_t *op);
/* Appends an own-kernel step. */
int ecg_lower_fn(ecg_lower *l, ecg_kernel_fn fn, void *arg);
/* Zeroed memory owned by the executor, with XNN_EXTRA_BYTES of slack (scratch buffers, args). */
void *ecg_lower_alloc(ecg_lower *l, size_t bytes);
int ecg_lower_fail(ecg_lower *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Turns a failed xnn_status into an error naming the node and the call. */
int ecg_lower_check(ecg_lower *l, enum xnn_status s, const char *call);

/* rows x channels view of a per-sample shape: channels = last axis. */
size_t ecg_lower_rows(const ecg_lower *l, const ecg_shape *s);
size_t ecg_lower_channels(const ecg_shape *s);
unsigned ecg_xnn_flags(const struct ecg_xnn *x);

typedef int (*ecg_lowering)(ecg_lower *l);

int ecg_lower_conv1d(ecg_lower *l);
int ecg_lower_linear(ecg_lower *l);
int ecg_lower_batchnorm(ecg_lower *l);
int ecg_lower_unary(ecg_lower *l);      /* relu, silu, sigmoid, tanh, hardswish */
int ecg_lower_binary(ecg_lower *l);     /* add, mul with broadcast */
int ecg_lower_gap(ecg_lower *l);
int ecg_lower_maxpool(ecg_lower *l);
int ecg_lower_dropout(ecg_lower *l);    /* identity at inference */
int ecg_lower_lstm(ecg_lower *l);
int ecg_lower_mha(ecg_lower *l);
int ecg_lower_layernorm(ecg_lower *l);
int ecg_lower_embedding(ecg_lower *l);
int ecg_lower_concat(ecg_lower *l);
int ecg_lower_slice(ecg_lower *l);      /* own copy kernel */
int ecg_lower_reshape(ecg_lower *l);    /* own copy kernel */
int ecg_lower_tokens(ecg_lower *l);     /* filled once at plan time: no step at run time */
/* int8 values (ops/xnn_exec.c). An int8 node reads its input in int8 straight from its
 * producer's int8 buffer when the producer is an int8 node writing the qparams it reads (they
 * come from the same value's range, so they match unless an output range was widened); the
 * f32 value is dequantised only if some consumer (or the graph output) needs it. Both int8
 * buffers of a node are in the memory plan. */
int ecg_lower_int8_chained(const ecg_lower *l);  /* the input comes from the producer's int8 buffer */
int8_t *ecg_lower_int8_input(ecg_lower *l);      /* that buffer, or this node's own to quantise into */
int8_t *ecg_lower_int8_output(ecg_lower *l);
int ecg_lower_needs_f32(const ecg_lower *l, int value);

/* Memory plan (ops/xnn_plan.c): items live from step first to step last (-1: before the first,
 * n_nodes: after the last) get offsets in one arena; items live at the same step never overlap. */
typedef struct {
    int first, last;
    size_t bytes, offset;
} ecg_plan_item;
int ecg_plan_place(ecg_plan_item *items, int n, size_t *total);  /* -1: out of memory */
size_t ecg_plan_bytes(size_t bytes);  /* with XNN_EXTRA_BYTES of slack, rounded to 64 */
#define ECG_PLAN_DEAD (-2)
/* Per value: first and last step it is live (ECG_PLAN_DEAD for both: never written or read). */
void ecg_xnn_value_lives(const ecg_graph *g, int *first, int *last);
/* int8 lowerings (ops/xnn_quant.c), used for nodes with l->q set. */
int ecg_lower_conv1d_q(ecg_lower *l);   /* XNNPACK qc8 convolution */
int ecg_lower_linear_q(ecg_lower *l);   /* XNNPACK qs8 fully-connected */

/* With ECG_XNN_SPARSE(_ALWAYS): for a layer computing Y[rows, out] = X W^T + bias from l->in[0]
 * into l->out (W [out, in]), appends our sparse kernel instead of `dense` (already created and
 * set up) when it is faster on this shape (ops/xnn_sparse.c). Returns 1 when it did (the caller
 * deletes `dense`), 0 when the caller should append `dense`, -1 on error. */
int ecg_lower_sparse_maybe(ecg_lower *l, xnn_operator_t dense, const float *w, const float *bias, int out, int in,
                           size_t rows);

/* The same for our dense kernel over few rows (ops/xnn_small.c), where it reads the weights fewer
 * times than XNNPACK (or always with ECG_XNN_SMALL_ALWAYS); it applies the node's folded ReLU. */
int ecg_lower_small_maybe(ecg_lower *l, const float *w, const float *bias, int out, int in, size_t rows);
/* The same for a conv1d with more than one tap (groups 1) over few output rows, w [out, taps, cin]:
 * the input windows copied into rows (im2col), then the kernel. 1 when it did, 0 or -1 as above. */
int ecg_lower_small_conv_maybe(ecg_lower *l, const float *w, const float *bias, int out, int taps, int cin);

/* A dense conv1d (groups 1, stride 1, dilation 1, 3 or more taps, over 7 in parts) over many rows
 * by Winograd F(m, r) (ops/xnn_winograd.c), w in PyTorch's layout [out, cin, taps]; applies the
 * node's folded ReLU. 1 when it did, 0 when the layer is not one for it (or ECG_XNN_NO_WINOGRAD), -1 on error. */
int ecg_lower_winograd_maybe(ecg_lower *l, const float *w, const float *bias);

/* Graph rewrites for inference (ops/fold.c; BN folding and dropout removal are public:
 * ecg_graph_inference_rewrite). */
/* Folds each ReLU into the f32 conv1d/linear/add that feeds it when that is its only consumer
 * (sets the producer's fused_relu; nodes named in q, the int8 ones, keep their ReLU). Returns the
 * number folded. */
int ecg_fuse_relu(ecg_graph *g, const ecg_qmodel *q);
/* The node's lower output bound: 0 where a ReLU was folded into it (ecg_fuse_relu), else -inf. */
static inline float ecg_lower_out_min(const ecg_lower *l) { return l->n->a.fused_relu ? 0.0f : -INFINITY; }
/* Appends y = max(x, 0) over rows x channels (x == y: in place). */
int ecg_lower_relu(ecg_lower *l, const float *x, float *y, size_t rows, size_t channels);

#endif
