/* XNNPACK-executor lowerings of the data-movement ops, as own kernels: embedding (a gather,
 * with the reference's NaN-row rule for bad indices) and concat (XNNPACK 2022 has no general
 * concatenation). Both split their rows/blocks over the threadpool. */
#include <math.h>
#include <string.h>

#include "xnn_lower.h"

#define GATHER_ROWS 64

typedef struct {
    const float *idx;
    float *y;
    const float *weight;
    size_t n, dim;
    int num_embeddings;
} gather_arg;

/* Same rule as ops/ref_embedding.c: NaN, non-integer or out-of-range index -> no row (-1). */
static long gather_row(float v, int num_embeddings) {
    if (!(v >= 0.0f) || v >= (float)num_embeddings || v != floorf(v)) return -1;
    return (long)v;
}

static void gather_block(void *p, size_t b) {
    const gather_arg *a = p;
    size_t lo = b * GATHER_ROWS, hi = lo + GATHER_ROWS < a->n ? lo + GATHER_ROWS : a->n;
    for (size_t i = lo; i < hi; i++) {
        long row = gather_row(a->idx[i], a->num_embeddings);
        float *y = a->y + i * a->dim;
        if (row >= 0) {
            memcpy(y, a->weight + (size_t)row * a->dim, a->dim * sizeof(float));
        } else {
            for (size_t j = 0; j < a->dim; j++) y[j] = NAN;
        }
    }
}

static void gather_kernel(void *p, pthreadpool_t tp) {
    const gather_arg *a = p;
    pthreadpool_parallelize_1d(tp, gather_block, p, (a->n + GATHER_ROWS - 1) / GATHER_ROWS, 0);
}

int ecg_lower_embedding(ecg_lower *l) {
    gather_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    *a = (gather_arg){l->in[0], l->out, l->w[0], (size_t)l->batch * (size_t)l->in_shape[0].d[0],
                      (size_t)l->n->a.dim, l->n->a.num_embeddings};
    return ecg_lower_fn(l, gather_kernel, a);
}

/* Concat: `outer` blocks (batch x dims before the axis); each input adds chunk[j] floats per block. */
typedef struct {
    const float *in[ECG_MAX_IN];
    size_t chunk[ECG_MAX_IN];
    int n_in;
    float *y;
    size_t outer, out_chunk;
} concat_arg;

static void concat_block(void *p, size_t o) {
    const concat_arg *a = p;
    float *y = a->y + o * a->out_chunk;
    for (int j = 0; j < a->n_in; j++) {
        memcpy(y, a->in[j] + o * a->chunk[j], a->chunk[j] * sizeof(float));
        y += a->chunk[j];
    }
}

static void concat_kernel(void *p, pthreadpool_t tp) {
    const concat_arg *a = p;
    pthreadpool_parallelize_1d(tp, concat_block, p, a->outer, 0);
}

static size_t tail_numel(const ecg_shape *s, int axis) {
    size_t c = 1;
    for (int i = axis; i < s->rank; i++) c *= (size_t)s->d[i];
    return c;
}

int ecg_lower_concat(ecg_lower *l) {
    concat_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    int axis = l->n->a.axis;
    a->n_in = l->n->n_in;
    a->y = l->out;
    a->outer = (size_t)l->batch;
    for (int i = 0; i < axis; i++) a->outer *= (size_t)l->out_shape.d[i];
    a->out_chunk = tail_numel(&l->out_shape, axis);
    for (int j = 0; j < a->n_in; j++) {
        a->in[j] = l->in[j];
        a->chunk[j] = tail_numel(&l->in_shape[j], axis);
    }
    return ecg_lower_fn(l, concat_kernel, a);
}

/* Slice: `outer` blocks (batch x dims before the axis); each copies out_block floats starting
 * `offset` floats into its in_block-float input block. */
typedef struct {
    const float *x;
    float *y;
    size_t outer, in_block, out_block, offset;
} slice_arg;

static void slice_block(void *p, size_t o) {
    const slice_arg *a = p;
    memcpy(a->y + o * a->out_block, a->x + o * a->in_block + a->offset, a->out_block * sizeof(float));
}

static void slice_kernel(void *p, pthreadpool_t tp) {
    const slice_arg *a = p;
    pthreadpool_parallelize_1d(tp, slice_block, p, a->outer, 0);
}

int ecg_lower_slice(ecg_lower *l) {
    slice_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    int axis = l->n->a.axis;
    size_t inner = tail_numel(&l->in_shape[0], axis + 1);
    a->x = l->in[0];
    a->y = l->out;
    a->outer = (size_t)l->batch;
    for (int i = 0; i < axis; i++) a->outer *= (size_t)l->in_shape[0].d[i];
    a->in_block = (size_t)l->in_shape[0].d[axis] * inner;
    a->out_block = (size_t)l->n->a.length * inner;
    a->offset = (size_t)l->n->a.start * inner;
    return ecg_lower_fn(l, slice_kernel, a);
}

/* Reshape: the same floats in a buffer of their own (one block per sample). */
int ecg_lower_reshape(ecg_lower *l) {
    slice_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    size_t numel = tail_numel(&l->in_shape[0], 0);
    *a = (slice_arg){l->in[0], l->out, (size_t)l->batch, numel, numel, 0};
    return ecg_lower_fn(l, slice_kernel, a);
}

/* Tokens: the output buffer belongs to this node alone and the param is constant at inference,
 * so it is filled here, once, with the param in every batch row; no step is added, and a run
 * costs nothing for it. */
int ecg_lower_tokens(ecg_lower *l) {
    size_t n = (size_t)ecg_shape_numel(&l->out_shape);
    for (int b = 0; b < l->batch; b++) memcpy(l->out + (size_t)b * n, l->w[0], n * sizeof(float));
    return 0;
}
