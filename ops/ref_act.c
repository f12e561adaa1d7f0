/* Elementwise activations: relu, silu, sigmoid, tanh, hardswish (reference forward + backward). */
#include <math.h>
#include <stdio.h>

#include "ops.h"

static int infer_same(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    (void)msg;
    (void)len;
    (void)n;
    *out = in[0];
    return 0;
}

static size_t numel(const ecg_kctx *k) { return (size_t)k->batch * (size_t)ecg_shape_numel(&k->out_shape); }

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* y = f(x); dy/dx written as a function of x (cheap to recompute, so no state). */
static float relu_f(float x) { return x > 0 ? x : 0; }
static float relu_d(float x) { return x > 0 ? 1.0f : 0.0f; }
/* hardswish(x) = x * relu6(x + 3) / 6; derivative as PyTorch: 0 below -3, 1 above 3. */
static float hswish_f(float x) { return x <= -3.0f ? 0.0f : x >= 3.0f ? x : x * (x + 3.0f) / 6.0f; }
static float hswish_d(float x) { return x < -3.0f ? 0.0f : x > 3.0f ? 1.0f : (2.0f * x + 3.0f) / 6.0f; }
/* sigmoid and tanh: dy/dx from y, which the forward left in out (an exp or tanh saved per element:
 * with silu below they were a fifth of a training step's time). */
static float sigmoid_dy(float y) { return y * (1.0f - y); }
static float tanh_dy(float y) { return 1.0f - y * y; }

static int64_t unary_flops(const ecg_node *nd, const ecg_shape *in, const ecg_shape *out) {
    (void)nd;
    (void)in;
    return ecg_shape_numel(out);
}

#define UNARY_OP(id, label, f, d_of_x_or_y, x_or_y)                                                \
    static void id##_fwd(const ecg_kctx *k) {                                                      \
        size_t n = numel(k);                                                                       \
        for (size_t i = 0; i < n; i++) k->out[i] = f(k->in[0][i]);                                 \
    }                                                                                              \
    static void id##_bwd(const ecg_kctx *k) {                                                      \
        if (!k->d_in[0]) return;                                                                   \
        size_t n = numel(k);                                                                       \
        for (size_t i = 0; i < n; i++) k->d_in[0][i] += k->d_out[i] * d_of_x_or_y(k->x_or_y[i]);   \
    }                                                                                              \
    const ecg_op ecg_op_##id = {label, infer_same, unary_flops, NULL, id##_fwd, id##_bwd,          \
                                ECG_TRAIT_PER_CHANNEL};

/* the last argument: what the derivative reads, the input (in[0]) or the output (out) */
UNARY_OP(relu, "relu", relu_f, relu_d, in[0])
UNARY_OP(hardswish, "hardswish", hswish_f, hswish_d, in[0])
UNARY_OP(sigmoid, "sigmoid", sigmoidf, sigmoid_dy, out)
UNARY_OP(tanh, "tanh", tanhf, tanh_dy, out)

/* silu(x) = x * sigmoid(x); the forward keeps sigmoid(x) in state for the backward,
 * d/dx = s * (1 + x * (1 - s)). */
static size_t silu_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)n;
    (void)in;
    return (size_t)batch * (size_t)ecg_shape_numel(out) * sizeof(float);
}

static void silu_fwd(const ecg_kctx *k) {
    float *s = k->state;
    size_t n = numel(k);
    for (size_t i = 0; i < n; i++) {
        s[i] = sigmoidf(k->in[0][i]);
        k->out[i] = k->in[0][i] * s[i];
    }
}

static void silu_bwd(const ecg_kctx *k) {
    if (!k->d_in[0]) return;
    const float *s = k->state;
    size_t n = numel(k);
    for (size_t i = 0; i < n; i++) k->d_in[0][i] += k->d_out[i] * (s[i] * (1.0f + k->in[0][i] * (1.0f - s[i])));
}

const ecg_op ecg_op_silu = {"silu", infer_same, unary_flops, silu_state_bytes, silu_fwd, silu_bwd,
                            ECG_TRAIT_PER_CHANNEL};
