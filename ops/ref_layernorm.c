/* LayerNorm over the last axis (reference forward + backward), as torch.nn.LayerNorm(C):
 * y = (x - mean) / sqrt(var + eps) * weight + bias, biased variance, per row of C values.
 * Params: w[0] weight [C], w[1] bias [C]. FLOPs: 5 per element (see docs/backend.md). */
#include <math.h>
#include <stdio.h>

#include "ops.h"

static int layernorm_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    char s[64];
    if (in[0].rank < 1 || in[0].rank > 2) {
        snprintf(msg, len, "input %s must have rank 1 or 2 per sample", ecg_shape_str(&in[0], s, sizeof s));
        return -1;
    }
    for (int i = 0; i < in[0].rank; i++)
        if (in[0].d[i] < 1) {
            snprintf(msg, len, "input %s has an empty axis", ecg_shape_str(&in[0], s, sizeof s));
            return -1;
        }
    if (n->n_in != 1 || n->n_param != 2) {
        snprintf(msg, len, "wants 1 input and 2 params (weight, bias), got %d and %d", n->n_in, n->n_param);
        return -1;
    }
    if (!(n->a.eps >= 0.0f) || isinf(n->a.eps)) {
        snprintf(msg, len, "eps %g must be finite and >= 0", (double)n->a.eps);
        return -1;
    }
    *out = in[0];
    return 0;
}

static int64_t layernorm_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)n;
    (void)in;
    return 5 * ecg_shape_numel(out);
}

static size_t channels_of(const ecg_shape *s) { return (size_t)s->d[s->rank - 1]; }
static size_t rows_of(const ecg_shape *s, int batch) {
    return (size_t)batch * (size_t)ecg_shape_numel(s) / channels_of(s);
}

/* Keeps mean and 1/std per row, so the backward need not recompute the statistics. */
static size_t layernorm_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)n;
    (void)out;
    return 2 * rows_of(&in[0], batch) * sizeof(float);
}

static void layernorm_fwd(const ecg_kctx *k) {
    size_t c = channels_of(&k->in_shape[0]), rows = rows_of(&k->in_shape[0], k->batch);
    float *stats = k->state;
    const float *w = k->w[0], *b = k->w[1];
    for (size_t r = 0; r < rows; r++) {
        const float *x = k->in[0] + r * c;
        float *y = k->out + r * c;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < c; i++) sum += x[i];
        double mean = sum / (double)c;
        for (size_t i = 0; i < c; i++) sq += (x[i] - mean) * (x[i] - mean);
        double rstd = 1.0 / sqrt(sq / (double)c + k->node->a.eps);
        for (size_t i = 0; i < c; i++) y[i] = (float)((x[i] - mean) * rstd) * w[i] + b[i];
        stats[2 * r] = (float)mean;
        stats[2 * r + 1] = (float)rstd;
    }
}

/* With xhat = (x - mean) * rstd and g = dy * weight:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); dweight = sum dy * xhat; dbias = sum dy. */
static void layernorm_bwd(const ecg_kctx *k) {
    size_t c = channels_of(&k->in_shape[0]), rows = rows_of(&k->in_shape[0], k->batch);
    const float *stats = k->state, *w = k->w[0];
    for (size_t r = 0; r < rows; r++) {
        const float *x = k->in[0] + r * c, *dy = k->d_out + r * c;
        double mean = stats[2 * r], rstd = stats[2 * r + 1];
        double g_mean = 0, gx_mean = 0;
        for (size_t i = 0; i < c; i++) {
            double xhat = (x[i] - mean) * rstd, g = (double)dy[i] * w[i];
            g_mean += g;
            gx_mean += g * xhat;
            if (k->dw[0]) k->dw[0][i] += (float)(dy[i] * xhat);
            if (k->dw[1]) k->dw[1][i] += dy[i];
        }
        if (!k->d_in[0]) continue;
        g_mean /= (double)c;
        gx_mean /= (double)c;
        float *dx = k->d_in[0] + r * c;
        for (size_t i = 0; i < c; i++) {
            double xhat = (x[i] - mean) * rstd;
            dx[i] += (float)(rstd * ((double)dy[i] * w[i] - g_mean - xhat * gx_mean));
        }
    }
}

const ecg_op ecg_op_layernorm = {"layernorm", layernorm_infer, layernorm_flops, layernorm_state_bytes,
                                 layernorm_fwd, layernorm_bwd, 0};
