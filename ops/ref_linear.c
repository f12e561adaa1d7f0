/* linear reference kernel, forward + backward, on the last axis: [.., in] -> [.., out].
 * Weight [out, in] (PyTorch), bias [out]. The rows of every sample in the batch form one matrix,
 * so each pass is one matrix product (ecg_gemm_acc). */
#include <stdio.h>
#include <string.h>

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
    int fin = (int)last_dim(&k->in_shape[0]), fout = (int)last_dim(&k->out_shape);
    int rows = k->batch * (int)rows_of(&k->in_shape[0]);
    const float *bias = k->node->a.has_bias ? k->w[1] : NULL;
    for (int r = 0; r < rows; r++) {
        float *y = k->out + (size_t)r * (size_t)fout;
        if (bias) memcpy(y, bias, (size_t)fout * sizeof(float));
        else memset(y, 0, (size_t)fout * sizeof(float));
    }
    ecg_gemm_acc(0, 1, rows, fout, fin, k->in[0], fin, k->w[0], fin, k->out, fout);
}

/* dX += dY @ W, dW += dY^T @ X, db += column sums of dY. */
static void linear_backward(const ecg_kctx *k) {
    int fin = (int)last_dim(&k->in_shape[0]), fout = (int)last_dim(&k->out_shape);
    int rows = k->batch * (int)rows_of(&k->in_shape[0]);
    float *dx = k->d_in[0], *dw = k->dw[0], *db = k->node->a.has_bias ? k->dw[1] : NULL;
    if (dx) ecg_gemm_acc(0, 0, rows, fin, fout, k->d_out, fout, k->w[0], fin, dx, fin);
    if (dw) ecg_gemm_acc(1, 0, fout, fin, rows, k->d_out, fout, k->in[0], fin, dw, fin);
    if (db)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < fout; o++) db[o] += k->d_out[(size_t)r * (size_t)fout + (size_t)o];
}

const ecg_op ecg_op_linear = {"linear", linear_infer, linear_flops, NULL, linear_forward, linear_backward};
