/* linear reference kernel, forward + backward, on the last axis: [.., in] -> [.., out].
 * Weight [out, in] (PyTorch), bias [out]. The rows of every sample in the batch form one matrix,
 * so each pass is one matrix product (ecg_gemm_acc). */
#include <stdio.h>

#include "gemm.h"
#include "ops.h"

static int64_t last_dim(const ecg_shape *s) { return s->d[s->rank - 1]; }

/* Rows the op is applied to per sample: the product of the leading per-sample dims. */
static int64_t rows_of(const ecg_shape *s) { return s->rank == 2 ? s->d[0] : 1; }

static int linear_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    const ecg_attrs *a = &n->a;
    char s[64];
    if (in[0].rank != 1 && in[0].rank != 2) {
        snprintf(msg, len, "input must be [in] or [T, in], got rank %d %s", in[0].rank,
                 ecg_shape_str(&in[0], s, sizeof s));
        return -1;
    }
    if (a->out_features < 1) return snprintf(msg, len, "out features %d must be >= 1", a->out_features), -1;
    if (n->n_param != 1 + (a->has_bias != 0))
        return snprintf(msg, len, "%d params given, want %d (weight%s)", n->n_param, 1 + (a->has_bias != 0),
                        a->has_bias ? ", bias" : ""),
               -1;
    *out = in[0];
    out->d[out->rank - 1] = a->out_features;
    return 0;
}

static int64_t linear_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    int64_t rows = rows_of(&in[0]), fin = last_dim(&in[0]), fout = last_dim(out);
    return 2 * rows * fin * fout + (n->a.has_bias ? rows * fout : 0);
}

/* Every sample's rows at once: Y[rows, out] = X[rows, in] @ W^T + b. */
static void linear_forward(const ecg_kctx *k) {
    int rows = k->batch * (int)rows_of(&k->in_shape[0]);
    ecg_dense_forward(k->in[0], rows, (int)last_dim(&k->in_shape[0]), k->w[0], k->node->a.has_bias ? k->w[1] : NULL,
                      (int)last_dim(&k->out_shape), k->out);
}

static void linear_backward(const ecg_kctx *k) {
    int rows = k->batch * (int)rows_of(&k->in_shape[0]);
    ecg_dense_backward(k->in[0], rows, (int)last_dim(&k->in_shape[0]), k->w[0], (int)last_dim(&k->out_shape),
                       k->d_out, k->d_in[0], k->dw[0], k->node->a.has_bias ? k->dw[1] : NULL);
}

const ecg_op ecg_op_linear = {"linear", linear_infer, linear_flops, NULL, linear_forward, linear_backward,
                              ECG_TRAIT_WEIGHT_MATRICES};
