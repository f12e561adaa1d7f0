/* ONNX lowering of the graph IR (see onnx_export.h): one function per op kind, in node order.
 *
 * Layouts. ecgbench keeps activations [N, T, C]; ONNX's Conv, MaxPool and BatchNormalization want
 * [N, C, T]. Each value of per-sample rank 2 can hold both forms: the Transpose between them is
 * made once, when a consumer first asks for the form it lacks. Conv, MaxPool and BatchNormalization
 * produce [N, C, T]; the elementwise ops keep the form of their inputs, so a conv-BN-SiLU-conv
 * chain has no Transpose inside. Everything else reads and writes [N, T, C].
 *
 * Op map (opset 17):
 *   conv1d     Conv (pads [left, right], group, dilations, strides); int8: QDQ around it
 *   linear     MatMul with W^T + Add; int8: QDQ around it (weight per tensor)
 *   batchnorm  BatchNormalization (running statistics)
 *   relu, sigmoid, tanh, hardswish  Relu, Sigmoid, Tanh, HardSwish;  silu  x * Sigmoid(x)
 *   add, mul   Add, Mul (the lower-rank operand Unsqueezed: broadcasting never crosses the batch axis)
 *   gap        ReduceMean over time;  maxpool  MaxPool;  dropout  nothing (inference)
 *   lstm       LSTM per layer (gates i,f,g,o reordered to ONNX's i,o,f,c; [T, N, C] layout)
 *   mha        MatMul/Add projections, Reshape/Transpose into heads, MatMul, Mul by 1/sqrt(D),
 *              Softmax, MatMul, out projection
 *   layernorm  LayerNormalization over the last axis;  embedding  Cast to int64 + Gather
 *   concat     Concat;  slice  Slice;  reshape  Reshape;  tokens  Expand of the parameter to N */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/onnx_builder.h"
#include "export/onnx_export.h"
#include "ops/atomic_file.h"

typedef struct {
    ob_builder b;
    const ecg_graph *g;
    const ecg_qmodel *q;
    char **ntc;      /* per value: the tensor [N, per-sample shape...]; NULL until made */
    char **nct;      /* per value of per-sample rank 2: the tensor [N, C, T]; NULL until made */
    char *input0;    /* the graph's first input, for the batch size */
    char *batch;     /* [1] int64 holding N, made on first use */
    const char *output; /* the graph output's name */
    char *err;
    size_t errlen;
} lower;

typedef int (*lower_fn)(lower *L, const ecg_node *n);

static int fail(lower *L, const ecg_node *n, const char *what) {
    const ecg_op *op = ecg_op_get(n->kind);
    snprintf(L->err, L->errlen, "node %s (%s): %s", n->name, op ? op->name : "?", what);
    return -1;
}

static const ecg_shape *vshape(const lower *L, int v) { return &L->g->values[v].shape; }
static const ecg_param *param(const lower *L, const ecg_node *n, int i) { return &L->g->params[n->param[i]]; }

static char *transpose(lower *L, const char *name, const char *x, const int64_t *perm, int rank) {
    ob_attr_ints(&L->b, "perm", perm, rank);
    return ob_op1(&L->b, "Transpose", name, x);
}

/* The value in [N, T, C] (or its only form for other ranks). */
static char *native(lower *L, int v) {
    if (!L->ntc[v] && L->nct[v]) {
        static const int64_t p[3] = {0, 2, 1};
        L->ntc[v] = transpose(L, L->g->values[v].name, L->nct[v], p, 3);
    }
    return L->ntc[v];
}

/* The value in [N, C, T]; per-sample rank 2 only. */
static char *channels_first(lower *L, int v) {
    if (!L->nct[v] && L->ntc[v] && vshape(L, v)->rank == 2) {
        static const int64_t p[3] = {0, 2, 1};
        L->nct[v] = transpose(L, L->g->values[v].name, L->ntc[v], p, 3);
    }
    return L->nct[v];
}

static char *reshape(lower *L, const char *name, const char *x, const int64_t *shape, int rank) {
    return ob_op2(&L->b, "Reshape", name, x, ob_i64(&L->b, name, shape, rank));
}

static char *unsqueeze(lower *L, const char *name, const char *x, const int64_t *axes, int n) {
    return ob_op2(&L->b, "Unsqueeze", name, x, ob_i64(&L->b, name, axes, n));
}

static char *param_tensor(lower *L, const ecg_param *p) {
    return ob_param(&L->b, p->name, p->shape.d, p->shape.rank, p->data);
}

/* rows x cols -> its transpose cols x rows, as a parameter tensor. */
static char *param_transposed(lower *L, const char *name, const float *w, int64_t rows, int64_t cols) {
    float *t = malloc((size_t)(rows * cols > 0 ? rows * cols : 1) * sizeof *t);
    if (!t) return L->b.oom = 1, NULL;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
    int64_t dims[2] = {cols, rows};
    char *out = ob_param(&L->b, name, dims, 2, t);
    free(t);
    return out;
}

/* ---------------------------------------------------------------- int8 (QDQ) */
/* x through QuantizeLinear and DequantizeLinear with qs8 parameters p: the int8 tensor's values.
 * Written as uint8 with the zero point moved by 128 (q + 128 in [0, 255], the same real values):
 * ONNX Runtime's CPU int8 kernels (QLinearConv, QGemm) take uint8 activations with int8 weights,
 * and its own int8-to-uint8 rewrite of the activations leaves most convs in float. */
static char *qdq(lower *L, const char *name, const char *x, ecg_qparams p) {
    if (p.zero_point < -128 || p.zero_point > 127 || !(p.scale > 0) || !isfinite(p.scale)) return NULL;
    uint8_t zp = (uint8_t)(p.zero_point + 128);
    char *s = ob_f32_scalar(&L->b, name, p.scale),
         *z = ob_init_tensor(&L->b, name, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, NULL, 0, &zp, 1);
    const char *qi[3] = {x, s, z};
    char *qv = ob_node(&L->b, "QuantizeLinear", name, qi, 3);
    const char *di[3] = {qv, s, z};
    return qv ? ob_node(&L->b, "DequantizeLinear", name, di, 3) : NULL;
}

/* DequantizeLinear of constant integer data (dtype INT8 or INT32) with per-axis-0 scales
 * (n_scale == dims[0]) or one scale (n_scale 1, a scalar). */
static char *dq_const(lower *L, const char *name, int dtype, const void *data, size_t elem, const int64_t *dims,
                      int rank, const float *scale, int n_scale) {
    char *w = ob_init_tensor(&L->b, name, dtype, dims, rank, data, elem);
    void *zeros = calloc((size_t)n_scale, elem);
    if (!zeros) return L->b.oom = 1, NULL;
    int64_t sd[1] = {n_scale};
    char *s = ob_init_tensor(&L->b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, sd, n_scale > 1, scale, sizeof(float));
    char *z = ob_init_tensor(&L->b, name, dtype, sd, n_scale > 1, zeros, elem);
    free(zeros);
    if (n_scale > 1) ob_attr_int(&L->b, "axis", 0);
    const char *in[3] = {w, s, z};
    return w && s && z ? ob_node(&L->b, "DequantizeLinear", name, in, 3) : NULL;
}

/* The int32 bias of an int8 node, dequantised with in.scale * w_scale[o]. */
static char *dq_bias(lower *L, const ecg_qnode *qn) {
    float *s = malloc((size_t)qn->n_out * sizeof *s);
    if (!s) return L->b.oom = 1, NULL;
    for (int o = 0; o < qn->n_out; o++) s[o] = qn->in.scale * qn->w_scale[qn->n_scale > 1 ? o : 0];
    int64_t dims[1] = {qn->n_out};
    char *out = dq_const(L, qn->node, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, qn->bias, sizeof(int32_t), dims, 1, s,
                         qn->n_out);
    free(s);
    return out;
}

/* ---------------------------------------------------------------- ops */
static int lower_conv1d(lower *L, const ecg_node *n) {
    const ecg_attrs *a = &n->a;
    const ecg_qnode *qn = L->q ? ecg_qmodel_find(L->q, n->name) : NULL;
    char *x = channels_first(L, n->in[0]), *w, *bias = NULL;
    const ecg_param *pw = param(L, n, 0);
    if (qn) {
        if (qn->n_w != ecg_shape_numel(&pw->shape) || qn->n_scale != qn->n_out || qn->n_out != a->out_features)
            return fail(L, n, "its int8 weights do not fit the node");
        x = qdq(L, n->name, x, qn->in);
        if (!x) return fail(L, n, "invalid input qparams");
        w = dq_const(L, n->name, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, qn->w, 1, pw->shape.d, 3, qn->w_scale,
                     qn->n_scale);
        bias = dq_bias(L, qn);
    } else {
        w = param_tensor(L, pw);
        if (a->has_bias) bias = param_tensor(L, param(L, n, 1));
    }
    int64_t k[1] = {a->kernel}, s[1] = {a->stride}, d[1] = {a->dilation}, p[2] = {a->pad_left, a->pad_right};
    ob_attr_ints(&L->b, "kernel_shape", k, 1);
    ob_attr_ints(&L->b, "strides", s, 1);
    ob_attr_ints(&L->b, "dilations", d, 1);
    ob_attr_ints(&L->b, "pads", p, 2);
    ob_attr_int(&L->b, "group", a->groups);
    const char *in[3] = {x, w, bias};
    char *y = x && w ? ob_node(&L->b, "Conv", n->name, in, bias ? 3 : 2) : NULL;
    if (qn) y = qdq(L, n->name, y, qn->out);
    if (a->fused_relu) y = ob_op1(&L->b, "Relu", n->name, y);
    L->nct[n->out] = y;
    return 0;
}

static int lower_linear(lower *L, const ecg_node *n) {
    const ecg_qnode *qn = L->q ? ecg_qmodel_find(L->q, n->name) : NULL;
    const ecg_param *pw = param(L, n, 0);
    int64_t out = pw->shape.d[0], in = pw->shape.d[1];
    char *x = native(L, n->in[0]), *wt, *bias = NULL;
    if (qn) {
        if (qn->n_w != out * in || qn->n_scale != 1 || qn->n_out != out)
            return fail(L, n, "its int8 weights do not fit the node (per-tensor scale expected)");
        int8_t *t = malloc((size_t)(out * in));
        if (!t) return fail(L, n, "out of memory");
        for (int64_t r = 0; r < out; r++)
            for (int64_t c = 0; c < in; c++) t[c * out + r] = qn->w[r * in + c];
        int64_t dims[2] = {in, out};
        wt = dq_const(L, n->name, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, t, 1, dims, 2, qn->w_scale, 1);
        free(t);
        x = qdq(L, n->name, x, qn->in);
        if (!x) return fail(L, n, "invalid input qparams");
        bias = dq_bias(L, qn);
    } else {
        wt = param_transposed(L, pw->name, pw->data, out, in);
        if (n->a.has_bias) bias = param_tensor(L, param(L, n, 1));
    }
    char *y = ob_op2(&L->b, "MatMul", n->name, x, wt);
    if (bias) y = ob_op2(&L->b, "Add", n->name, y, bias);
    if (qn) y = qdq(L, n->name, y, qn->out);
    if (n->a.fused_relu) y = ob_op1(&L->b, "Relu", n->name, y);
    L->ntc[n->out] = y;
    return 0;
}

static int lower_batchnorm(lower *L, const ecg_node *n) {
    int rank = vshape(L, n->in[0])->rank;
    if (rank != 1 && rank != 2) return fail(L, n, "batchnorm of a per-sample rank other than 1 or 2");
    const char *in[5] = {rank == 2 ? channels_first(L, n->in[0]) : native(L, n->in[0])};
    for (int i = 0; i < 4; i++) in[i + 1] = param_tensor(L, param(L, n, i));
    ob_attr_float(&L->b, "epsilon", n->a.eps);
    char *y = ob_node(&L->b, "BatchNormalization", n->name, in, 5);
    if (rank == 2) L->nct[n->out] = y;
    else L->ntc[n->out] = y;
    return 0;
}

/* Unary ops keep their input's form ([N, C, T] when it has one: the conv chains). */
static int lower_unary(lower *L, const ecg_node *n) {
    int v = n->in[0];
    int cf = L->nct[v] != NULL;
    char *x = cf ? L->nct[v] : native(L, v), *y;
    switch (n->kind) {
    case ECG_OP_RELU: y = ob_op1(&L->b, "Relu", n->name, x); break;
    case ECG_OP_SIGMOID: y = ob_op1(&L->b, "Sigmoid", n->name, x); break;
    case ECG_OP_TANH: y = ob_op1(&L->b, "Tanh", n->name, x); break;
    case ECG_OP_HARDSWISH: y = ob_op1(&L->b, "HardSwish", n->name, x); break;
    case ECG_OP_SILU: y = ob_op2(&L->b, "Mul", n->name, x, ob_op1(&L->b, "Sigmoid", n->name, x)); break;
    default: return fail(L, n, "not a unary op");
    }
    if (cf) L->nct[n->out] = y;
    else L->ntc[n->out] = y;
    return 0;
}

static int lower_dropout(lower *L, const ecg_node *n) {
    L->ntc[n->out] = L->ntc[n->in[0]];
    L->nct[n->out] = L->nct[n->in[0]];
    return 0;
}

/* add, mul: per-sample numpy broadcasting. In [N, C, T] form when the output has per-sample rank 2,
 * no operand is wider and one of them already has that form (a rank-1 operand [N, C] then becomes
 * [N, C, 1]); else in [N, T, C] with the lower-rank operand unsqueezed after the batch axis. */
static int lower_binary(lower *L, const ecg_node *n) {
    int out_rank = vshape(L, n->out)->rank, cf = 0;
    for (int i = 0; i < 2; i++) cf |= L->nct[n->in[i]] != NULL;
    cf = cf && out_rank == 2;
    char *x[2];
    for (int i = 0; i < 2; i++) {
        int v = n->in[i], r = vshape(L, v)->rank;
        if (cf && r == 2) x[i] = channels_first(L, v);
        else if (cf) {
            int64_t ax[1] = {2};
            x[i] = unsqueeze(L, n->name, native(L, v), ax, 1);
        } else if (r < out_rank) {
            int64_t ax[ECG_MAX_RANK];
            for (int k = 0; k < out_rank - r; k++) ax[k] = 1 + k;
            x[i] = unsqueeze(L, n->name, native(L, v), ax, out_rank - r);
        } else
            x[i] = native(L, v);
    }
    char *y = ob_op2(&L->b, n->kind == ECG_OP_ADD ? "Add" : "Mul", n->name, x[0], x[1]);
    if (n->a.fused_relu) y = ob_op1(&L->b, "Relu", n->name, y);
    if (cf) L->nct[n->out] = y;
    else L->ntc[n->out] = y;
    return 0;
}

static int lower_gap(lower *L, const ecg_node *n) {
    int v = n->in[0];
    if (vshape(L, v)->rank != 2) return fail(L, n, "global average pool expects a per-sample [T, C] input");
    int cf = L->nct[v] != NULL;
    int64_t ax[1] = {cf ? 2 : 1};
    ob_attr_ints(&L->b, "axes", ax, 1);
    ob_attr_int(&L->b, "keepdims", 0);
    L->ntc[n->out] = ob_op1(&L->b, "ReduceMean", n->name, cf ? L->nct[v] : native(L, v));
    return 0;
}

static int lower_maxpool(lower *L, const ecg_node *n) {
    int64_t k[1] = {n->a.kernel}, s[1] = {n->a.stride}, p[2] = {n->a.pad_left, n->a.pad_right};
    ob_attr_ints(&L->b, "kernel_shape", k, 1);
    ob_attr_ints(&L->b, "strides", s, 1);
    ob_attr_ints(&L->b, "pads", p, 2);
    L->nct[n->out] = ob_op1(&L->b, "MaxPool", n->name, channels_first(L, n->in[0]));
    return 0;
}

/* PyTorch's gate blocks i, f, g, o as ONNX's i, o, f, c: ONNX block j is PyTorch block src[j]. */
static const int lstm_gate_src[4] = {0, 3, 1, 2};

static void lstm_reorder(float *dst, const float *src, int h, int64_t cols) {
    for (int j = 0; j < 4; j++)
        memcpy(dst + (size_t)j * h * cols, src + (size_t)lstm_gate_src[j] * h * cols, (size_t)h * cols * sizeof *dst);
}

static int lower_lstm(lower *L, const ecg_node *n) {
    const ecg_attrs *a = &n->a;
    int dirs = a->bidirectional ? 2 : 1, h = a->hidden;
    if (vshape(L, n->in[0])->rank != 2) return fail(L, n, "LSTM expects a per-sample [T, C] input");
    if (n->n_param != a->layers * dirs * 4) return fail(L, n, "parameter count does not match layers and directions");
    static const int64_t to_tnc[3] = {1, 0, 2}, y_to_tn[4] = {0, 2, 1, 3}, y_to_nt[4] = {2, 0, 1, 3},
                         yh_to_n[3] = {1, 0, 2};
    char *x = transpose(L, n->name, native(L, n->in[0]), to_tnc, 3), **outs = NULL;
    for (int l = 0; l < a->layers; l++) {
        int64_t in = param(L, n, l * dirs * 4)->shape.d[1];
        size_t wn = (size_t)dirs * 4 * h * in, rn = (size_t)dirs * 4 * h * h, bn = (size_t)dirs * 8 * h;
        float *w = malloc(wn * sizeof *w), *r = malloc(rn * sizeof *r), *bias = malloc(bn * sizeof *bias);
        if (!w || !r || !bias) {
            free(w), free(r), free(bias);
            return fail(L, n, "out of memory");
        }
        for (int d = 0; d < dirs; d++) {
            const ecg_param *p = &L->g->params[n->param[(l * dirs + d) * 4]];
            if (p[0].shape.d[1] != in || p[1].shape.d[1] != h) {
                free(w), free(r), free(bias);
                return fail(L, n, "LSTM weights of unexpected shape");
            }
            lstm_reorder(w + (size_t)d * 4 * h * in, L->g->params[n->param[(l * dirs + d) * 4 + 0]].data, h, in);
            lstm_reorder(r + (size_t)d * 4 * h * h, L->g->params[n->param[(l * dirs + d) * 4 + 1]].data, h, h);
            lstm_reorder(bias + (size_t)d * 8 * h, L->g->params[n->param[(l * dirs + d) * 4 + 2]].data, h, 1);
            lstm_reorder(bias + (size_t)d * 8 * h + 4 * h, L->g->params[n->param[(l * dirs + d) * 4 + 3]].data, h, 1);
        }
        int64_t wd[3] = {dirs, 4 * h, in}, rd[3] = {dirs, 4 * h, h}, bd[2] = {dirs, 8 * h};
        const char *li[4] = {x, ob_param(&L->b, n->name, wd, 3, w), ob_param(&L->b, n->name, rd, 3, r),
                             ob_param(&L->b, n->name, bd, 2, bias)};
        free(w), free(r), free(bias);
        ob_attr_int(&L->b, "hidden_size", h);
        ob_attr_str(&L->b, "direction", dirs == 2 ? "bidirectional" : "forward");
        if (!li[0] || !li[1] || !li[2] || !li[3] || !(outs = ob_node_n(&L->b, "LSTM", n->name, li, 4, 2)))
            return fail(L, n, "out of memory");
        if (l + 1 < a->layers) { /* Y [T, dirs, N, H] -> the next layer's [T, N, dirs * H] */
            static const int64_t flat[3] = {0, 0, -1};
            x = reshape(L, n->name, transpose(L, n->name, outs[0], y_to_tn, 4), flat, 3);
        }
    }
    if (a->last_only) { /* Y_h [dirs, N, H] -> [N, dirs * H] */
        static const int64_t flat[2] = {0, -1};
        L->ntc[n->out] = reshape(L, n->name, transpose(L, n->name, outs[1], yh_to_n, 3), flat, 2);
    } else { /* Y [T, dirs, N, H] -> [N, T, dirs * H] */
        static const int64_t flat[3] = {0, 0, -1};
        L->ntc[n->out] = reshape(L, n->name, transpose(L, n->name, outs[0], y_to_nt, 4), flat, 3);
    }
    return 0;
}

/* x [N, L, E] @ rows r0..r0+E-1 of w [3E or E, E] transposed, + the same rows of bias. */
static char *projection(lower *L, const char *name, const char *x, const float *w, const float *bias, int64_t e) {
    char *y = ob_op2(&L->b, "MatMul", name, x, param_transposed(L, name, w, e, e));
    int64_t bd[1] = {e};
    return ob_op2(&L->b, "Add", name, y, ob_param(&L->b, name, bd, 1, bias));
}

static int lower_mha(lower *L, const ecg_node *n) {
    const ecg_shape *qs = vshape(L, n->in[0]);
    if (qs->rank != 2 || vshape(L, n->in[1])->rank != 2) return fail(L, n, "attention expects per-sample [L, E] inputs");
    int64_t e = qs->d[1], heads = n->a.heads;
    if (heads < 1 || e % heads) return fail(L, n, "embedding width not divisible by the heads");
    int64_t d = e / heads;
    const float *win = param(L, n, 0)->data, *bin = param(L, n, 1)->data;
    char *x = native(L, n->in[0]), *y = native(L, n->in[1]);
    char *q = projection(L, n->name, x, win, bin, e);
    char *k = projection(L, n->name, y, win + e * e, bin + e, e);
    char *v = projection(L, n->name, y, win + 2 * e * e, bin + 2 * e, e);
    int64_t split[4] = {0, 0, heads, d};
    static const int64_t heads_first[4] = {0, 2, 1, 3}, keys_t[4] = {0, 2, 3, 1};
    q = transpose(L, n->name, reshape(L, n->name, q, split, 4), heads_first, 4); /* [N, H, Lq, D] */
    k = transpose(L, n->name, reshape(L, n->name, k, split, 4), keys_t, 4);      /* [N, H, D, Lk] */
    v = transpose(L, n->name, reshape(L, n->name, v, split, 4), heads_first, 4); /* [N, H, Lk, D] */
    char *s = ob_op2(&L->b, "Mul", n->name, ob_op2(&L->b, "MatMul", n->name, q, k),
                     ob_f32_scalar(&L->b, n->name, 1.0f / sqrtf((float)d)));
    ob_attr_int(&L->b, "axis", -1);
    char *p = ob_op1(&L->b, "Softmax", n->name, s);
    char *c = transpose(L, n->name, ob_op2(&L->b, "MatMul", n->name, p, v), heads_first, 4); /* [N, Lq, H, D] */
    int64_t merge[3] = {0, 0, e};
    c = reshape(L, n->name, c, merge, 3);
    L->ntc[n->out] = projection(L, n->name, c, param(L, n, 2)->data, param(L, n, 3)->data, e);
    return 0;
}

static int lower_layernorm(lower *L, const ecg_node *n) {
    const char *in[3] = {native(L, n->in[0]), param_tensor(L, param(L, n, 0)), param_tensor(L, param(L, n, 1))};
    ob_attr_int(&L->b, "axis", -1);
    ob_attr_float(&L->b, "epsilon", n->a.eps);
    L->ntc[n->out] = ob_node(&L->b, "LayerNormalization", n->name, in, 3);
    return 0;
}

static int lower_embedding(lower *L, const ecg_node *n) {
    ob_attr_int(&L->b, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    char *idx = ob_op1(&L->b, "Cast", n->name, native(L, n->in[0]));
    ob_attr_int(&L->b, "axis", 0);
    L->ntc[n->out] = ob_op2(&L->b, "Gather", n->name, param_tensor(L, param(L, n, 0)), idx);
    return 0;
}

static int lower_concat(lower *L, const ecg_node *n) {
    const char *in[ECG_MAX_IN];
    for (int i = 0; i < n->n_in; i++) in[i] = native(L, n->in[i]);
    ob_attr_int(&L->b, "axis", n->a.axis + 1);
    L->ntc[n->out] = ob_node(&L->b, "Concat", n->name, in, n->n_in);
    return 0;
}

static int lower_slice(lower *L, const ecg_node *n) {
    int64_t st[1] = {n->a.start}, en[1] = {(int64_t)n->a.start + n->a.length}, ax[1] = {n->a.axis + 1};
    const char *in[4] = {native(L, n->in[0]), ob_i64(&L->b, n->name, st, 1), ob_i64(&L->b, n->name, en, 1),
                         ob_i64(&L->b, n->name, ax, 1)};
    L->ntc[n->out] = ob_node(&L->b, "Slice", n->name, in, 4);
    return 0;
}

static int lower_reshape(lower *L, const ecg_node *n) {
    int64_t shape[ECG_MAX_RANK + 1] = {0};
    for (int i = 0; i < n->a.shape.rank; i++) shape[i + 1] = n->a.shape.d[i];
    L->ntc[n->out] = reshape(L, n->name, native(L, n->in[0]), shape, n->a.shape.rank + 1);
    return 0;
}

/* The [1, L, D] parameter expanded to [N, L, D]. */
static int lower_tokens(lower *L, const ecg_node *n) {
    if (!L->batch) {
        ob_attr_int(&L->b, "start", 0);
        ob_attr_int(&L->b, "end", 1);
        L->batch = ob_op1(&L->b, "Shape", "batch", L->input0);
    }
    int64_t rest[2] = {n->a.length, n->a.dim};
    const char *parts[2] = {L->batch, ob_i64(&L->b, n->name, rest, 2)};
    ob_attr_int(&L->b, "axis", 0);
    char *shape = ob_node(&L->b, "Concat", n->name, parts, 2);
    L->ntc[n->out] = ob_op2(&L->b, "Expand", n->name, param_tensor(L, param(L, n, 0)), shape);
    return 0;
}

static const lower_fn lowerings[ECG_OP_COUNT] = {
    [ECG_OP_CONV1D] = lower_conv1d,       [ECG_OP_LINEAR] = lower_linear,       [ECG_OP_BATCHNORM] = lower_batchnorm,
    [ECG_OP_RELU] = lower_unary,          [ECG_OP_SILU] = lower_unary,          [ECG_OP_SIGMOID] = lower_unary,
    [ECG_OP_TANH] = lower_unary,          [ECG_OP_HARDSWISH] = lower_unary,     [ECG_OP_ADD] = lower_binary,
    [ECG_OP_MUL] = lower_binary,          [ECG_OP_GAP] = lower_gap,             [ECG_OP_MAXPOOL] = lower_maxpool,
    [ECG_OP_DROPOUT] = lower_dropout,     [ECG_OP_LSTM] = lower_lstm,           [ECG_OP_MHA] = lower_mha,
    [ECG_OP_LAYERNORM] = lower_layernorm, [ECG_OP_EMBEDDING] = lower_embedding, [ECG_OP_CONCAT] = lower_concat,
    [ECG_OP_SLICE] = lower_slice,         [ECG_OP_TOKENS] = lower_tokens,       [ECG_OP_RESHAPE] = lower_reshape,
};

int ecg_onnx_op_lowered(ecg_op_kind kind) { return (unsigned)kind < ECG_OP_COUNT && lowerings[kind] != NULL; }

/* Graph input i: "x" [N, T, C], then "features" [N, F] (per sample [1, F]: unsqueezed inside). */
static int lower_input(lower *L, int i) {
    int v = L->g->inputs[i];
    const ecg_shape *s = vshape(L, v);
    char name[32];
    snprintf(name, sizeof name, i == 0 ? "x" : i == 1 ? "features" : "input%d", i);
    int64_t dims[ECG_MAX_RANK + 1] = {0};
    int squeezed = i > 0 && s->rank == 2 && s->d[0] == 1;
    int rank = squeezed ? 1 : s->rank;
    for (int k = 0; k < rank; k++) dims[k + 1] = s->d[k + squeezed];
    ob_input(&L->b, name, dims, rank + 1);
    char *t = ob_strdup(&L->b, name);
    if (i == 0) L->input0 = t;
    if (squeezed) {
        int64_t ax[1] = {1};
        t = unsqueeze(L, name, t, ax, 1);
    }
    L->ntc[v] = t;
    return 0;
}

static int lower_graph(lower *L) {
    const ecg_graph *g = L->g;
    if (g->output < 0 || g->output >= g->n_values) return snprintf(L->err, L->errlen, "the graph has no output"), -1;
    if (g->n_inputs < 1) return snprintf(L->err, L->errlen, "the graph has no input"), -1;
    /* every int8 node must be a conv1d or linear of this graph, or the export would quietly be f32 */
    for (int i = 0; L->q && i < L->q->n; i++) {
        int found = 0;
        for (int k = 0; k < g->n_nodes && !found; k++)
            found = !strcmp(g->nodes[k].name, L->q->nodes[i].node) &&
                    (g->nodes[k].kind == ECG_OP_CONV1D || g->nodes[k].kind == ECG_OP_LINEAR);
        if (!found)
            return snprintf(L->err, L->errlen, "int8 node %s is not a conv1d or linear of the graph", L->q->nodes[i].node), -1;
    }
    for (int i = 0; i < g->n_inputs; i++) lower_input(L, i);
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        if (!ecg_onnx_op_lowered(n->kind)) {
            const ecg_op *op = ecg_op_get(n->kind);
            snprintf(L->err, L->errlen, "node %s: op %s (kind %d) has no ONNX lowering", n->name, op ? op->name : "unknown",
                     (int)n->kind);
            return -1;
        }
        for (int k = 0; k < n->n_in; k++)
            if (!L->ntc[n->in[k]] && !L->nct[n->in[k]]) return fail(L, n, "reads a value nothing produced before it");
        if (lowerings[n->kind](L, n)) return -1;
        if (L->b.oom) return fail(L, n, "out of memory (or an invalid attribute) while lowering");
        if (!L->ntc[n->out] && !L->nct[n->out]) return fail(L, n, "lowering produced no output");
    }
    const ecg_shape *os = vshape(L, g->output);
    int64_t dims[ECG_MAX_RANK + 1] = {0};
    for (int k = 0; k < os->rank; k++) dims[k + 1] = os->d[k];
    ob_output(&L->b, native(L, g->output), L->output, dims, os->rank + 1);
    return L->b.oom ? (snprintf(L->err, L->errlen, "out of memory writing the graph output"), -1) : 0;
}

int ecg_onnx_export_mem(const ecg_graph *g, const ecg_onnx_opts *o, uint8_t **buf, size_t *len, char *err,
                        size_t errlen) {
    static const ecg_onnx_opts none = {0};
    if (!o) o = &none;
    lower L = {.g = g, .q = o->q, .output = o->output ? o->output : "logits", .err = err, .errlen = errlen};
    ob_init(&L.b);
    L.b.fp16_weights = o->fp16_weights;
    L.ntc = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *L.ntc);
    L.nct = calloc((size_t)(g->n_values ? g->n_values : 1), sizeof *L.nct);
    int rc = -1;
    if (!L.ntc || !L.nct) snprintf(err, errlen, "out of memory");
    else if (!lower_graph(&L)) {
        if (ob_pack(&L.b, "ecgbench", o->producer, o->doc, buf, len)) snprintf(err, errlen, "out of memory packing the model");
        else rc = 0;
    }
    free(L.ntc);
    free(L.nct);
    ob_free(&L.b);
    return rc;
}

int ecg_onnx_export(const ecg_graph *g, const ecg_onnx_opts *o, const char *path, char *err, size_t errlen) {
    uint8_t *buf = NULL;
    size_t len = 0;
    if (ecg_onnx_export_mem(g, o, &buf, &len, err, errlen)) return -1;
    int rc = ecg_atomic_write(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
