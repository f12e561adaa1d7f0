/* linear reference kernel, forward + backward, on the last axis: [.., in] -> [.., out].
 * Weight [out, in] (PyTorch), bias [out]. Every inner loop runs over a contiguous row of in
 * features (a row of the weight and a row of the input), so no transposition is needed. */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "ref_dot.h"

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

static void linear_forward(const ecg_kctx *k) {
    size_t fin = (size_t)last_dim(&k->in_shape[0]), fout = (size_t)last_dim(&k->out_shape);
    size_t rows = (size_t)k->batch * (size_t)rows_of(&k->in_shape[0]);
    const float *w = k->w[0], *bias = k->node->a.has_bias ? k->w[1] : NULL;
    for (size_t r = 0; r < rows; r++) {
        const float *x = k->in[0] + r * fin;
        float *y = k->out + r * fout;
        for (size_t o = 0; o < fout; o++) {
            float acc = ecg_dot(w + o * fin, x, fin);
            y[o] = bias ? acc + bias[o] : acc;
        }
    }
}

static void linear_backward(const ecg_kctx *k) {
    size_t fin = (size_t)last_dim(&k->in_shape[0]), fout = (size_t)last_dim(&k->out_shape);
    size_t rows = (size_t)k->batch * (size_t)rows_of(&k->in_shape[0]);
    const float *w = k->w[0];
    float *dx_all = k->d_in[0], *dw = k->dw[0], *db = k->node->a.has_bias ? k->dw[1] : NULL;
    for (size_t r = 0; r < rows; r++) {
        const float *x = k->in[0] + r * fin, *dy = k->d_out + r * fout;
        float *dx = dx_all ? dx_all + r * fin : NULL;
        for (size_t o = 0; o < fout; o++) {
            float g = dy[o];
            if (dx)
                for (size_t i = 0; i < fin; i++) dx[i] += g * w[o * fin + i];
            if (dw)
                for (size_t i = 0; i < fin; i++) dw[o * fin + i] += g * x[i];
            if (db) db[o] += g;
        }
    }
}

const ecg_op ecg_op_linear = {"linear", linear_infer, linear_flops, NULL, linear_forward, linear_backward};
