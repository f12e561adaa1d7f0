/* Pooling over time, reference forward + backward.
 * gap: [T, C] -> [C], mean over time. FLOPs T*C.
 * maxpool: [T, C] -> [Tout, C], Tout = (T + pad_left + pad_right - kernel) / stride + 1; padding
 * counts as -inf (as PyTorch), so a window's max is over its real rows only. On ties the first
 * max gets the gradient. Kernel must be >= 2 (XNNPACK cannot run 1). FLOPs Tout*C*(kernel-1) (comparisons). */
#include <stdio.h>

#include "ops.h"

static int want_time_channels(const ecg_node *n, const ecg_shape *in, char *msg, size_t len) {
    if (n->n_in != 1) {
        snprintf(msg, len, "takes 1 input, got %d", n->n_in);
        return -1;
    }
    if (in[0].rank != 2) {
        char s[64];
        snprintf(msg, len, "input must be [T, C] per sample, got %s", ecg_shape_str(&in[0], s, sizeof s));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- gap */
static int gap_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (want_time_channels(n, in, msg, len)) return -1;
    *out = ecg_shape1(in[0].d[1]);
    return 0;
}

static int64_t gap_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)n;
    (void)out;
    return ecg_shape_numel(&in[0]);
}

static void gap_forward(const ecg_kctx *k) {
    size_t t_len = (size_t)k->in_shape[0].d[0], c = (size_t)k->in_shape[0].d[1];
    for (size_t b = 0; b < (size_t)k->batch; b++) {
        const float *x = k->in[0] + b * t_len * c;
        for (size_t j = 0; j < c; j++) {
            double s = 0; /* double: T can be thousands of samples */
            for (size_t t = 0; t < t_len; t++) s += x[t * c + j];
            k->out[b * c + j] = (float)(s / (double)t_len);
        }
    }
}

static void gap_backward(const ecg_kctx *k) {
    if (!k->d_in[0]) return;
    size_t t_len = (size_t)k->in_shape[0].d[0], c = (size_t)k->in_shape[0].d[1];
    float inv_t = 1.0f / (float)t_len;
    for (size_t b = 0; b < (size_t)k->batch; b++)
        for (size_t t = 0; t < t_len; t++)
            for (size_t j = 0; j < c; j++) k->d_in[0][(b * t_len + t) * c + j] += k->d_out[b * c + j] * inv_t;
}

const ecg_op ecg_op_gap = {"gap", gap_infer, gap_flops, NULL, gap_forward, gap_backward, ECG_TRAIT_PER_CHANNEL};

/* ---------------------------------------------------------------- maxpool */
static int maxpool_check_attrs(const ecg_attrs *a, char *msg, size_t len) {
    if (a->kernel < 1 || a->stride < 1) {
        snprintf(msg, len, "kernel (%d) and stride (%d) must be >= 1", a->kernel, a->stride);
        return -1;
    }
    if (a->kernel == 1) { /* XNNPACK's max pooling rejects 1-element windows; it would be a strided copy */
        snprintf(msg, len, "kernel 1 is not supported (a strided copy, not a pool; XNNPACK rejects it)");
        return -1;
    }
    if (a->pad_left < 0 || a->pad_right < 0) {
        snprintf(msg, len, "negative padding (%d, %d)", a->pad_left, a->pad_right);
        return -1;
    }
    /* PyTorch's rule; it also guarantees every window holds at least one real row. */
    if (a->pad_left > a->kernel / 2 || a->pad_right > a->kernel / 2) {
        snprintf(msg, len, "padding (%d, %d) is more than half the kernel %d", a->pad_left, a->pad_right, a->kernel);
        return -1;
    }
    return 0;
}

static int64_t maxpool_out_len(const ecg_attrs *a, int64_t t) {
    int64_t padded = t + a->pad_left + a->pad_right;
    return padded < a->kernel ? 0 : (padded - a->kernel) / a->stride + 1;
}

static int maxpool_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (want_time_channels(n, in, msg, len) || maxpool_check_attrs(&n->a, msg, len)) return -1;
    int64_t t_out = maxpool_out_len(&n->a, in[0].d[0]);
    if (t_out < 1) {
        snprintf(msg, len, "kernel %d is longer than the padded input (%lld + %d + %d)", n->a.kernel,
                 (long long)in[0].d[0], n->a.pad_left, n->a.pad_right);
        return -1;
    }
    *out = ecg_shape2(t_out, in[0].d[1]);
    return 0;
}

static int64_t maxpool_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)in;
    return ecg_shape_numel(out) * (n->a.kernel - 1);
}

/* Row of the first maximum of channel j in output window o (real rows only). */
static size_t window_argmax(const ecg_attrs *a, const float *x, size_t t_len, size_t c, size_t j, size_t o) {
    int64_t start = (int64_t)o * a->stride - a->pad_left, end = start + a->kernel;
    size_t lo = start < 0 ? 0 : (size_t)start, hi = end > (int64_t)t_len ? t_len : (size_t)end;
    size_t best = lo;
    for (size_t t = lo + 1; t < hi; t++)
        if (x[t * c + j] > x[best * c + j]) best = t;
    return best;
}

/* Runs the forward (copy the max) or backward (route the gradient to it) step for every
 * (sample, output row, channel). */
static void maxpool_run(const ecg_kctx *k, int backward) {
    size_t t_len = (size_t)k->in_shape[0].d[0], c = (size_t)k->in_shape[0].d[1];
    size_t t_out = (size_t)k->out_shape.d[0];
    for (size_t b = 0; b < (size_t)k->batch; b++) {
        const float *x = k->in[0] + b * t_len * c;
        for (size_t o = 0; o < t_out; o++)
            for (size_t j = 0; j < c; j++) {
                size_t t = window_argmax(&k->node->a, x, t_len, c, j, o), yi = (b * t_out + o) * c + j;
                if (backward) k->d_in[0][(b * t_len + t) * c + j] += k->d_out[yi];
                else k->out[yi] = x[t * c + j];
            }
    }
}

static void maxpool_forward(const ecg_kctx *k) { maxpool_run(k, 0); }

/* The argmax is recomputed (cheap, deterministic) instead of being kept as state. */
static void maxpool_backward(const ecg_kctx *k) {
    if (k->d_in[0]) maxpool_run(k, 1);
}

const ecg_op ecg_op_maxpool = {"maxpool", maxpool_infer, maxpool_flops, NULL, maxpool_forward, maxpool_backward,
                               ECG_TRAIT_PER_CHANNEL};
