/* add, mul with numpy broadcasting of the per-sample shapes (trailing axes aligned, each dim
 * equal or 1; the batch axis is never broadcast). Reference forward + backward; the backward
 * sums over the broadcast axes. FLOPs numel(out). XNNPACK's add_nd/multiply_nd (ops/xnn_elementwise.c)
 * accept the same rule for up to XNN_MAX_TENSOR_DIMS = 6 dims; ours are at most 1 + ECG_MAX_RANK. */
#include <stdio.h>

#include "ops.h"

static int broadcast_shape(const ecg_shape *a, const ecg_shape *b, ecg_shape *out, char *msg, size_t len) {
    int rank = a->rank > b->rank ? a->rank : b->rank;
    out->rank = rank;
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[64], sb[64];
            snprintf(msg, len, "shapes %s and %s do not broadcast (axis %d of the output: %lld vs %lld)",
                     ecg_shape_str(a, sa, sizeof sa), ecg_shape_str(b, sb, sizeof sb), i, (long long)da,
                     (long long)db);
            return -1;
        }
        out->d[i] = da == 1 ? db : da;
    }
    return 0;
}

static int binary_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (n->n_in != 2) {
        snprintf(msg, len, "takes 2 inputs, got %d", n->n_in);
        return -1;
    }
    return broadcast_shape(&in[0], &in[1], out, msg, len);
}

static int64_t binary_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)n;
    (void)in;
    return ecg_shape_numel(out);
}

/* Walks the output of one sample row by row (a row: the innermost axis), tracking the offsets of
 * each row's start in a and b (stride 0 on a broadcast axis). Within a row each input steps by 0 or
 * 1, so the row loops below are plain (vectorisable) loops; they keep the element order of a flat
 * walk, so sums over a broadcast axis add up in the same order. */
typedef struct {
    int rank;
    int64_t dim[ECG_MAX_RANK], stride_a[ECG_MAX_RANK], stride_b[ECG_MAX_RANK], idx[ECG_MAX_RANK];
    int64_t off_a, off_b;
    int64_t row, step_a, step_b; /* the innermost axis: its length and each input's step along it */
} bcast_iter;

/* Strides of input s seen through the output's axes. */
static void input_strides(const ecg_shape *s, const ecg_shape *out, int64_t *stride) {
    int64_t step = 1;
    for (int i = out->rank - 1; i >= 0; i--) {
        int is = i - (out->rank - s->rank);
        int64_t d = is >= 0 ? s->d[is] : 1;
        stride[i] = d == 1 ? 0 : step;
        step *= d;
    }
}

static bcast_iter iter_start(const ecg_kctx *k) {
    bcast_iter it = {.rank = k->out_shape.rank, .row = 1};
    for (int i = 0; i < it.rank; i++) it.dim[i] = k->out_shape.d[i];
    input_strides(&k->in_shape[0], &k->out_shape, it.stride_a);
    input_strides(&k->in_shape[1], &k->out_shape, it.stride_b);
    if (it.rank > 0) {
        it.rank--; /* the outer axes are walked below, the innermost by the row loops */
        it.row = it.dim[it.rank], it.step_a = it.stride_a[it.rank], it.step_b = it.stride_b[it.rank];
    }
    return it;
}

static void iter_next_row(bcast_iter *it) {
    for (int i = it->rank - 1; i >= 0; i--) {
        it->off_a += it->stride_a[i];
        it->off_b += it->stride_b[i];
        if (++it->idx[i] < it->dim[i]) return;
        it->off_a -= it->stride_a[i] * it->dim[i];
        it->off_b -= it->stride_b[i] * it->dim[i];
        it->idx[i] = 0;
    }
}

static int is_mul(const ecg_kctx *k) { return k->node->kind == ECG_OP_MUL; }

/* Each case is its own loop, so the compiler vectorises it (a step known to be 0 or 1). */
static void row_forward(float *y, const float *a, int64_t sa, const float *b, int64_t sb, int64_t n, int mul) {
    if (sa && sb) {
        if (mul) for (int64_t j = 0; j < n; j++) y[j] = a[j] * b[j];
        else for (int64_t j = 0; j < n; j++) y[j] = a[j] + b[j];
    } else if (sa || sb) {
        const float *v = sa ? a : b, c = sa ? b[0] : a[0];
        if (mul) for (int64_t j = 0; j < n; j++) y[j] = v[j] * c; /* IEEE + and * commute exactly */
        else for (int64_t j = 0; j < n; j++) y[j] = v[j] + c;
    } else {
        for (int64_t j = 0; j < n; j++) y[j] = mul ? a[0] * b[0] : a[0] + b[0];
    }
}

static void binary_forward(const ecg_kctx *k) {
    size_t na = (size_t)ecg_shape_numel(&k->in_shape[0]), nb = (size_t)ecg_shape_numel(&k->in_shape[1]);
    size_t nout = (size_t)ecg_shape_numel(&k->out_shape);
    int mul = is_mul(k);
    for (size_t s = 0; s < (size_t)k->batch; s++) {
        const float *a = k->in[0] + s * na, *b = k->in[1] + s * nb;
        float *y = k->out + s * nout;
        bcast_iter it = iter_start(k);
        for (size_t i = 0; i < nout; i += (size_t)it.row, iter_next_row(&it))
            row_forward(y + i, a + it.off_a, it.step_a, b + it.off_b, it.step_b, it.row, mul);
    }
}

/* One input's gradient over a row: g[j*sg] += dy[j] * (mul ? other[j*so] : 1). On a broadcast step
 * (sg 0) the row's terms are summed in a register in the same order. */
static void row_grad(float *g, int64_t sg, const float *dy, const float *other, int64_t so, int64_t n, int mul) {
    if (sg) {
        if (!mul) for (int64_t j = 0; j < n; j++) g[j] += dy[j];
        else if (so) for (int64_t j = 0; j < n; j++) g[j] += dy[j] * other[j];
        else for (int64_t j = 0; j < n; j++) g[j] += dy[j] * other[0];
        return;
    }
    float acc = g[0];
    if (!mul) for (int64_t j = 0; j < n; j++) acc += dy[j];
    else if (so) for (int64_t j = 0; j < n; j++) acc += dy[j] * other[j];
    else for (int64_t j = 0; j < n; j++) acc += dy[j] * other[0];
    g[0] = acc;
}

/* d(a+b) = dy to both; d(a*b) = dy*b to a, dy*a to b; summed over each input's broadcast axes. */
static void binary_backward(const ecg_kctx *k) {
    size_t na = (size_t)ecg_shape_numel(&k->in_shape[0]), nb = (size_t)ecg_shape_numel(&k->in_shape[1]);
    size_t nout = (size_t)ecg_shape_numel(&k->out_shape);
    int mul = is_mul(k);
    for (size_t s = 0; s < (size_t)k->batch; s++) {
        const float *a = k->in[0] + s * na, *b = k->in[1] + s * nb, *dy = k->d_out + s * nout;
        float *da = k->d_in[0] ? k->d_in[0] + s * na : NULL, *db = k->d_in[1] ? k->d_in[1] + s * nb : NULL;
        bcast_iter it = iter_start(k);
        /* x * x or x + x (one gradient buffer, equal steps): each element still takes a's term, then b's */
        for (size_t i = 0; i < nout; i += (size_t)it.row, iter_next_row(&it)) {
            if (da) row_grad(da + it.off_a, it.step_a, dy + i, b + it.off_b, it.step_b, it.row, mul);
            if (db) row_grad(db + it.off_b, it.step_b, dy + i, a + it.off_a, it.step_a, it.row, mul);
        }
    }
}

const ecg_op ecg_op_add = {"add", binary_infer, binary_flops, NULL, binary_forward, binary_backward,
                           ECG_TRAIT_PER_CHANNEL};
const ecg_op ecg_op_mul = {"mul", binary_infer, binary_flops, NULL, binary_forward, binary_backward,
                           ECG_TRAIT_PER_CHANNEL};
