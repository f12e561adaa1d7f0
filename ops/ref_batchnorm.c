/* BatchNorm1d over the last axis (channels), reference forward + backward.
 * Params: w[0] weight (gamma), w[1] bias (beta), w[2] running_mean, w[3] running_var.
 * Training: normalise with the batch statistics over all N*T rows (biased variance) and update
 * the running statistics as PyTorch does (unbiased variance). Eval: the running statistics, so
 * the op is a per-channel affine. FLOPs: 2 per element (scale and shift). */
#include <math.h>
#include <stdio.h>

#include "ops.h"

enum { BN_WEIGHT, BN_BIAS, BN_RUNNING_MEAN, BN_RUNNING_VAR, BN_NPARAM };

/* State kept from forward to backward, per channel (doubles, 4 * C):
 * mean and invstd used by the forward, then two backward scratch sums. */
typedef struct {
    double *mean, *invstd, *sum_dy, *sum_dy_xhat;
} bn_state;

static bn_state state_view(void *state, size_t c) {
    double *s = state;
    return (bn_state){s, s + c, s + 2 * c, s + 3 * c};
}

static int bn_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (n->n_in != 1) {
        snprintf(msg, len, "takes 1 input, got %d", n->n_in);
        return -1;
    }
    if (in[0].rank != 1 && in[0].rank != 2) {
        snprintf(msg, len, "input must be [C] or [T, C] per sample, got rank %d", in[0].rank);
        return -1;
    }
    if (n->n_param != BN_NPARAM) {
        snprintf(msg, len, "needs 4 params (weight, bias, running_mean, running_var), got %d", n->n_param);
        return -1;
    }
    if (!(n->a.eps >= 0.0f) || isinf(n->a.eps)) {
        snprintf(msg, len, "eps must be finite and >= 0, got %g", (double)n->a.eps);
        return -1;
    }
    if (!(n->a.momentum >= 0.0f && n->a.momentum <= 1.0f)) {
        snprintf(msg, len, "momentum must be in [0, 1], got %g", (double)n->a.momentum);
        return -1;
    }
    *out = in[0];
    return 0;
}

static int64_t bn_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)n;
    (void)in;
    return 2 * ecg_shape_numel(out);
}

static size_t channels_of(const ecg_shape *s) { return (size_t)s->d[s->rank - 1]; }

static size_t bn_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)n;
    (void)out;
    (void)batch;
    return 4 * channels_of(&in[0]) * sizeof(double);
}

/* Rows of the whole batch seen as [rows, C]. */
static size_t rows_of(const ecg_kctx *k) {
    return (size_t)k->batch * (size_t)ecg_shape_numel(&k->in_shape[0]) / channels_of(&k->in_shape[0]);
}

/* Batch mean and biased variance per channel (two passes, row-major, in double). */
static void batch_stats(const float *x, size_t rows, size_t c, double *mean, double *var) {
    for (size_t j = 0; j < c; j++) mean[j] = var[j] = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < c; j++) mean[j] += x[r * c + j];
    for (size_t j = 0; j < c; j++) mean[j] /= (double)rows;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < c; j++) {
            double d = x[r * c + j] - mean[j];
            var[j] += d * d;
        }
    for (size_t j = 0; j < c; j++) var[j] /= (double)rows;
}

/* PyTorch: running = (1 - m) * running + m * stat, with the unbiased variance. With a single
 * row the unbiased variance is undefined; the biased one (0) is used instead. */
static void update_running(float *rmean, float *rvar, const double *mean, const double *var, size_t c,
                           size_t rows, double m) {
    double unbias = rows > 1 ? (double)rows / (double)(rows - 1) : 1.0;
    for (size_t j = 0; j < c; j++) {
        rmean[j] = (float)((1 - m) * rmean[j] + m * mean[j]);
        rvar[j] = (float)((1 - m) * rvar[j] + m * var[j] * unbias);
    }
}

static void bn_forward(const ecg_kctx *k) {
    size_t c = channels_of(&k->in_shape[0]), rows = rows_of(k);
    bn_state s = state_view(k->state, c);
    const float *gamma = k->w[BN_WEIGHT], *beta = k->w[BN_BIAS];
    double eps = k->node->a.eps;
    if (k->training) {
        batch_stats(k->in[0], rows, c, s.mean, s.invstd);
        update_running(k->w[BN_RUNNING_MEAN], k->w[BN_RUNNING_VAR], s.mean, s.invstd, c, rows,
                       k->node->a.momentum);
        for (size_t j = 0; j < c; j++) s.invstd[j] = 1.0 / sqrt(s.invstd[j] + eps);
    } else {
        for (size_t j = 0; j < c; j++) {
            s.mean[j] = k->w[BN_RUNNING_MEAN][j];
            s.invstd[j] = 1.0 / sqrt((double)k->w[BN_RUNNING_VAR][j] + eps);
        }
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < c; j++) {
            double xhat = (k->in[0][r * c + j] - s.mean[j]) * s.invstd[j];
            k->out[r * c + j] = (float)(xhat * gamma[j] + beta[j]);
        }
}

/* Per-channel sums of dy and dy * xhat over all rows. */
static void grad_sums(const ecg_kctx *k, size_t rows, size_t c, bn_state *s) {
    const float *x = k->in[0], *dy = k->d_out;
    for (size_t j = 0; j < c; j++) s->sum_dy[j] = s->sum_dy_xhat[j] = 0;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < c; j++) {
            double xhat = (x[r * c + j] - s->mean[j]) * s->invstd[j];
            s->sum_dy[j] += dy[r * c + j];
            s->sum_dy_xhat[j] += dy[r * c + j] * xhat;
        }
}

/* Training: the statistics depend on x, so dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * Eval: the statistics are constants, dx = gamma * invstd * dy. */
static void bn_backward(const ecg_kctx *k) {
    size_t c = channels_of(&k->in_shape[0]), rows = rows_of(k);
    bn_state s = state_view(k->state, c);
    const float *gamma = k->w[BN_WEIGHT], *x = k->in[0], *dy = k->d_out;
    grad_sums(k, rows, c, &s);
    for (size_t j = 0; j < c; j++) {
        if (k->dw[BN_WEIGHT]) k->dw[BN_WEIGHT][j] += (float)s.sum_dy_xhat[j];
        if (k->dw[BN_BIAS]) k->dw[BN_BIAS][j] += (float)s.sum_dy[j];
    }
    if (!k->d_in[0]) return;
    double batch_term = k->training ? 1.0 / (double)rows : 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < c; j++) {
            double xhat = (x[r * c + j] - s.mean[j]) * s.invstd[j];
            double g = dy[r * c + j] - batch_term * (s.sum_dy[j] + xhat * s.sum_dy_xhat[j]);
            k->d_in[0][r * c + j] += (float)(gamma[j] * s.invstd[j] * g);
        }
}

const ecg_op ecg_op_batchnorm = {"batchnorm", bn_infer, bn_flops, bn_state_bytes, bn_forward, bn_backward,
                                 ECG_TRAIT_PER_CHANNEL};
