/* Embedding lookup (reference forward + backward), as torch.nn.Embedding(num_embeddings, dim).
 * Input per sample [L] holds integer indices stored as float; w[0] weight [num_embeddings, dim];
 * output [L, dim]. An index that is NaN, not an integer, or outside [0, num_embeddings) gives a
 * row of NaN (a silently wrong row would be worse) and contributes no weight gradient.
 * Backward: into the weight only (repeated indices sum); indices have no gradient. FLOPs 0. */
#include <math.h>
#include <stdio.h>

#include "ops.h"

static int embedding_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    char s[64];
    if (in[0].rank != 1 || in[0].d[0] < 1) {
        snprintf(msg, len, "indices %s must have rank 1 and length >= 1 per sample",
                 ecg_shape_str(&in[0], s, sizeof s));
        return -1;
    }
    if (n->a.num_embeddings < 1 || n->a.dim < 1) {
        snprintf(msg, len, "num_embeddings %d and dim %d must both be >= 1", n->a.num_embeddings, n->a.dim);
        return -1;
    }
    if (n->n_in != 1 || n->n_param != 1) {
        snprintf(msg, len, "wants 1 input and 1 param (weight), got %d and %d", n->n_in, n->n_param);
        return -1;
    }
    *out = ecg_shape2(in[0].d[0], n->a.dim);
    return 0;
}

/* The row an index stored as float selects, or -1 when it selects none. */
static long embedding_row(float v, int num_embeddings) {
    if (!(v >= 0.0f) || v >= (float)num_embeddings || v != floorf(v)) return -1;
    return (long)v;
}

static void embedding_fwd(const ecg_kctx *k) {
    size_t dim = (size_t)k->node->a.dim, n = (size_t)k->batch * (size_t)k->in_shape[0].d[0];
    const float *w = k->w[0];
    for (size_t i = 0; i < n; i++) {
        long row = embedding_row(k->in[0][i], k->node->a.num_embeddings);
        float *y = k->out + i * dim;
        for (size_t j = 0; j < dim; j++) y[j] = row < 0 ? NAN : w[(size_t)row * dim + j];
    }
}

static void embedding_bwd(const ecg_kctx *k) {
    if (!k->dw[0]) return;
    size_t dim = (size_t)k->node->a.dim, n = (size_t)k->batch * (size_t)k->in_shape[0].d[0];
    for (size_t i = 0; i < n; i++) {
        long row = embedding_row(k->in[0][i], k->node->a.num_embeddings);
        if (row < 0) continue;
        float *dw = k->dw[0] + (size_t)row * dim;
        const float *dy = k->d_out + i * dim;
        for (size_t j = 0; j < dim; j++) dw[j] += dy[j];
    }
}

const ecg_op ecg_op_embedding = {"embedding", embedding_infer, NULL, NULL, embedding_fwd,
                                 embedding_bwd, 0};
