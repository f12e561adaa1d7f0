/* Inverted dropout, reference forward + backward. Training: element i of the whole batch
 * (batch-major order) is kept iff the i-th draw of ecg_rng {k->seed} is >= p, and kept elements
 * are scaled by 1/(1-p); the mask is kept in state for the backward. Eval: identity. FLOPs 0.
 * With attrs.per_sample (stochastic depth / drop path) one draw per sample decides for all of
 * the sample's elements: the whole residual branch of that sample is dropped. With attrs.unscaled
 * (modality dropout) kept elements pass unscaled. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "rng.h"

static int dropout_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (n->n_in != 1) {
        snprintf(msg, len, "takes 1 input, got %d", n->n_in);
        return -1;
    }
    if (!(n->a.p >= 0.0f && n->a.p < 1.0f)) { /* also catches NaN */
        snprintf(msg, len, "p must be in [0, 1), got %g", (double)n->a.p);
        return -1;
    }
    *out = in[0];
    return 0;
}

static size_t total(const ecg_kctx *k) { return (size_t)k->batch * (size_t)ecg_shape_numel(&k->out_shape); }

/* One mask byte per element of the batch. */
static size_t dropout_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)n;
    (void)in;
    return (size_t)batch * (size_t)ecg_shape_numel(out);
}

static float keep_scale(const ecg_kctx *k) { return k->node->a.unscaled ? 1.0f : 1.0f / (1.0f - k->node->a.p); }

static void dropout_forward(const ecg_kctx *k) {
    size_t n = total(k);
    if (!k->training) {
        memcpy(k->out, k->in[0], n * sizeof(float));
        return;
    }
    uint8_t *mask = k->state;
    ecg_rng rng = {k->seed};
    float p = k->node->a.p, scale = keep_scale(k);
    size_t per = (size_t)ecg_shape_numel(&k->out_shape);
    for (size_t i = 0; i < n; i++) {
        if (!k->node->a.per_sample || i % per == 0) mask[i] = ecg_rng_uniform(&rng) >= p;
        else mask[i] = mask[i - 1];
        k->out[i] = mask[i] ? k->in[0][i] * scale : 0.0f;
    }
}

static void dropout_backward(const ecg_kctx *k) {
    if (!k->d_in[0]) return;
    size_t n = total(k);
    if (!k->training) {
        for (size_t i = 0; i < n; i++) k->d_in[0][i] += k->d_out[i];
        return;
    }
    const uint8_t *mask = k->state;
    float scale = keep_scale(k);
    for (size_t i = 0; i < n; i++)
        if (mask[i]) k->d_in[0][i] += k->d_out[i] * scale;
}

const ecg_op ecg_op_dropout = {"dropout", dropout_infer, NULL, dropout_state_bytes, dropout_forward,
                               dropout_backward, ECG_TRAIT_PER_CHANNEL};
