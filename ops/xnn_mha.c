/* XNNPACK lowering of multi-head attention (see ops/ref_mha.c for the maths).
 * XNNPACK has no batched matmul, so the steps are:
 *   1. projections as fully_connected_nc_f32: self-attention one FC with 3E outputs ([N*L, 3E],
 *      q | k | v side by side); cross-attention one FC for q (E outputs) and one for k, v
 *      (2E outputs, in_proj_weight rows E..3E-1 are contiguous);
 *   2. an own attention kernel over (sample, head, block of query rows), parallel with
 *      pthreadpool_parallelize_1d. It uses an online (running-max) softmax that accumulates
 *      straight into the context row, so it needs no score scratch and no per-thread buffers;
 *   3. the out projection as fully_connected_nc_f32.
 * All operators are created and set up once here; buffers come from ecg_lower_alloc. */
#include <math.h>

#include "xnn_lower.h"

/* Query rows handled by one task: enough work per task to amortise the scheduling. */
#define MHA_ROWS 8

typedef struct {
    const float *q, *k, *v;      /* row r of sample n at (n * L + r) * stride, head h at + h * d */
    size_t q_stride, kv_stride;
    float *ctx;                  /* [N * Lq, E] */
    size_t batch, lq, lk, e, heads, d;
    size_t row_blocks;           /* ceil(lq / MHA_ROWS) */
    float scale;
} attn_arg;

/* One query row of one head: ctx_row = softmax(scale * q k^T) v, with a running max so the
 * exponentials never overflow; the row accumulates in ctx and is rescaled when the max grows. */
static void attend_row(const attn_arg *a, const float *q, const float *k, const float *v, float *ctx) {
    float mx = -INFINITY, sum = 0;
    for (size_t d = 0; d < a->d; d++) ctx[d] = 0;
    for (size_t j = 0; j < a->lk; j++) {
        const float *kj = k + j * a->kv_stride, *vj = v + j * a->kv_stride;
        float s = 0;
        for (size_t d = 0; d < a->d; d++) s += q[d] * kj[d];
        s *= a->scale;
        if (s > mx) {
            float shrink = expf(mx - s); /* 0 for the first key */
            sum *= shrink;
            for (size_t d = 0; d < a->d; d++) ctx[d] *= shrink;
            mx = s;
        }
        float p = expf(s - mx);
        sum += p;
        for (size_t d = 0; d < a->d; d++) ctx[d] += p * vj[d];
    }
    float inv = 1.0f / sum;
    for (size_t d = 0; d < a->d; d++) ctx[d] *= inv;
}

static void attend_task(void *p, size_t t) {
    const attn_arg *a = p;
    size_t block = t % a->row_blocks, h = t / a->row_blocks % a->heads, n = t / a->row_blocks / a->heads;
    size_t lo = block * MHA_ROWS, hi = lo + MHA_ROWS < a->lq ? lo + MHA_ROWS : a->lq;
    const float *k = a->k + n * a->lk * a->kv_stride + h * a->d, *v = a->v + n * a->lk * a->kv_stride + h * a->d;
    for (size_t i = lo; i < hi; i++) {
        const float *q = a->q + (n * a->lq + i) * a->q_stride + h * a->d;
        attend_row(a, q, k, v, a->ctx + (n * a->lq + i) * a->e + h * a->d);
    }
}

static void attend_kernel(void *p, pthreadpool_t tp) {
    const attn_arg *a = p;
    pthreadpool_parallelize_1d(tp, attend_task, p, a->batch * a->heads * a->row_blocks, 0);
}

/* Creates and sets up y[rows, out] = x[rows, in] w^T + b with XNNPACK (which packs w at create
 * time, so w may point into the graph's in_proj_weight). */
static int add_fc(ecg_lower *l, size_t in, size_t out, const float *w, const float *b, size_t rows, const float *x,
                  float *y) {
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l, xnn_create_fully_connected_nc_f32(in, out, in, out, w, b, -INFINITY, INFINITY, 0, &op),
                        "xnn_create_fully_connected_nc_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_fully_connected_nc_f32(op, rows, x, y, l->tp), "xnn_setup_fully_connected_nc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

/* Step 1: fills a->q, a->k, a->v (and their strides) with the projections' output buffers. */
static int lower_projections(ecg_lower *l, attn_arg *a) {
    size_t e = a->e, nq = a->batch * a->lq, nk = a->batch * a->lk;
    const float *w = l->w[0], *b = l->w[1];
    if (l->n->in[0] == l->n->in[1]) {
        float *qkv = ecg_lower_alloc(l, nq * 3 * e * sizeof(float));
        if (!qkv || add_fc(l, e, 3 * e, w, b, nq, l->in[0], qkv)) return -1;
        *a = (attn_arg){.q = qkv, .k = qkv + e, .v = qkv + 2 * e, .q_stride = 3 * e, .kv_stride = 3 * e,
                        .batch = a->batch, .lq = a->lq, .lk = a->lk, .e = e, .heads = a->heads, .d = a->d};
        return 0;
    }
    float *q = ecg_lower_alloc(l, nq * e * sizeof(float)), *kv = ecg_lower_alloc(l, nk * 2 * e * sizeof(float));
    if (!q || !kv) return -1;
    if (add_fc(l, e, e, w, b, nq, l->in[0], q) || add_fc(l, e, 2 * e, w + e * e, b + e, nk, l->in[1], kv)) return -1;
    *a = (attn_arg){.q = q, .k = kv, .v = kv + e, .q_stride = e, .kv_stride = 2 * e, .batch = a->batch,
                    .lq = a->lq, .lk = a->lk, .e = e, .heads = a->heads, .d = a->d};
    return 0;
}

int ecg_lower_mha(ecg_lower *l) {
    attn_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    a->batch = (size_t)l->batch;
    a->lq = (size_t)l->in_shape[0].d[0];
    a->lk = (size_t)l->in_shape[1].d[0];
    a->e = (size_t)l->in_shape[0].d[1];
    a->heads = (size_t)l->n->a.heads;
    a->d = a->e / a->heads;
    if (lower_projections(l, a)) return -1;
    a->scale = 1.0f / sqrtf((float)a->d);
    a->row_blocks = (a->lq + MHA_ROWS - 1) / MHA_ROWS;
    float *ctx = ecg_lower_alloc(l, a->batch * a->lq * a->e * sizeof(float));
    if (!ctx) return -1;
    a->ctx = ctx;
    if (ecg_lower_fn(l, attend_kernel, a)) return -1;
    return add_fc(l, a->e, a->e, l->w[2], l->w[3], a->batch * a->lq, ctx, l->out);
}
