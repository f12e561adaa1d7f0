/* XNNPACK lowering of elementwise ops: activations, add/mul with broadcast, dropout (identity). */
#include <math.h>
#include <string.h>

#include "xnn_lower.h"

/* Own tanh: XNNPACK (Feb 2022) has no f32 tanh. Split into blocks over the threadpool. */
typedef struct {
    const float *x;
    float *y;
    size_t n;
} map_arg;

#define TANH_BLOCK 4096

static void tanh_block(void *p, size_t b) {
    const map_arg *a = p;
    size_t lo = b * TANH_BLOCK, hi = lo + TANH_BLOCK < a->n ? lo + TANH_BLOCK : a->n;
    for (size_t i = lo; i < hi; i++) a->y[i] = tanhf(a->x[i]);
}

static void tanh_kernel(void *p, pthreadpool_t tp) {
    const map_arg *a = p;
    pthreadpool_parallelize_1d(tp, tanh_block, p, (a->n + TANH_BLOCK - 1) / TANH_BLOCK, 0);
}

static void copy_kernel(void *p, pthreadpool_t tp) {
    (void)tp;
    const map_arg *a = p;
    if (a->x != a->y) memcpy(a->y, a->x, a->n * sizeof(float));
}

static int own_map(ecg_lower *l, ecg_kernel_fn fn, const float *x, float *y) {
    map_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    *a = (map_arg){x, y, (size_t)l->batch * (size_t)ecg_shape_numel(&l->out_shape)};
    return ecg_lower_fn(l, fn, a);
}

/* Multiplies x by y elementwise with XNNPACK (same shape, flat). */
static int flat_multiply(ecg_lower *l, const float *a, const float *b, float *out, size_t n) {
    xnn_operator_t op = NULL;
    size_t shape[1] = {n};
    if (ecg_lower_check(l, xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &op), "xnn_create_multiply_nd_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_multiply_nd_f32(op, 1, shape, 1, shape, a, b, out, l->tp),
                        "xnn_setup_multiply_nd_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

int ecg_lower_relu(ecg_lower *l, const float *x, float *y, size_t rows, size_t c) {
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l, xnn_create_clamp_nc_f32(c, c, c, 0.0f, INFINITY, 0, &op), "xnn_create_clamp_nc_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_clamp_nc_f32(op, rows, x, y, l->tp), "xnn_setup_clamp_nc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

int ecg_lower_unary(ecg_lower *l) {
    size_t c = ecg_lower_channels(&l->out_shape), rows = ecg_lower_rows(l, &l->out_shape);
    const float *x = l->in[0];
    float *y = l->out;
    xnn_operator_t op = NULL;
    enum xnn_status s;
    switch (l->n->kind) {
    case ECG_OP_RELU:
        return ecg_lower_relu(l, x, y, rows, c);
    case ECG_OP_SIGMOID:
        if (ecg_lower_check(l, xnn_create_sigmoid_nc_f32(c, c, c, 0, &op), "xnn_create_sigmoid_nc_f32")) return -1;
        s = xnn_setup_sigmoid_nc_f32(op, rows, x, y, l->tp);
        break;
    case ECG_OP_HARDSWISH:
        if (ecg_lower_check(l, xnn_create_hardswish_nc_f32(c, c, c, 0, &op), "xnn_create_hardswish_nc_f32"))
            return -1;
        s = xnn_setup_hardswish_nc_f32(op, rows, x, y, l->tp);
        break;
    case ECG_OP_SILU: {
        /* silu(x) = x * sigmoid(x): XNNPACK's vectorised sigmoid into y, then its multiply in place
         * (an elementwise kernel reads each element before it writes it). A scratch buffer per
         * SiLU held as much memory as every other value of EfficientECG together. */
        if (ecg_lower_check(l, xnn_create_sigmoid_nc_f32(c, c, c, 0, &op), "xnn_create_sigmoid_nc_f32")) return -1;
        if (ecg_lower_check(l, xnn_setup_sigmoid_nc_f32(op, rows, x, y, l->tp), "xnn_setup_sigmoid_nc_f32") ||
            ecg_lower_op(l, op)) {
            return -1;
        }
        return flat_multiply(l, x, y, y, rows * c);
    }
    case ECG_OP_TANH:
        return own_map(l, tanh_kernel, x, y);
    default:
        return ecg_lower_fail(l, "not a unary op");
    }
    if (ecg_lower_check(l, s, "xnn_setup (unary)")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

int ecg_lower_dropout(ecg_lower *l) { return own_map(l, copy_kernel, l->in[0], l->out); }

/* Batch-major numpy broadcast: per-sample shapes are right-aligned, then the batch axis leads. */
static size_t full_shape(const ecg_lower *l, const ecg_shape *s, int rank, size_t *out) {
    out[0] = (size_t)l->batch;
    for (int i = 1; i <= rank; i++) {
        int k = i - (rank - s->rank);
        out[i] = k >= 1 ? (size_t)s->d[k - 1] : 1;
    }
    return (size_t)rank + 1;
}

int ecg_lower_binary(ecg_lower *l) {
    int rank = l->in_shape[0].rank > l->in_shape[1].rank ? l->in_shape[0].rank : l->in_shape[1].rank;
    size_t sa[ECG_MAX_RANK + 1], sb[ECG_MAX_RANK + 1];
    size_t na = full_shape(l, &l->in_shape[0], rank, sa), nb = full_shape(l, &l->in_shape[1], rank, sb);
    xnn_operator_t op = NULL;
    enum xnn_status s;
    if (l->n->kind == ECG_OP_ADD) {
        /* a folded ReLU (residual add + ReLU) is the add's lower output bound */
        if (ecg_lower_check(l, xnn_create_add_nd_f32(ecg_lower_out_min(l), INFINITY, 0, &op), "xnn_create_add_nd_f32"))
            return -1;
        s = xnn_setup_add_nd_f32(op, na, sa, nb, sb, l->in[0], l->in[1], l->out, l->tp);
    } else {
        if (ecg_lower_check(l, xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &op),
                            "xnn_create_multiply_nd_f32"))
            return -1;
        s = xnn_setup_multiply_nd_f32(op, na, sa, nb, sb, l->in[0], l->in[1], l->out, l->tp);
    }
    if (ecg_lower_check(l, s, "xnn_setup (binary)")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}
