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

/* y = f(x); dy/dx written as a function of x (all these are cheap to recompute, so no state). */
static float relu_f(float x) { return x > 0 ? x : 0; }
static float relu_d(float x) { return x > 0 ? 1.0f : 0.0f; }
static float silu_f(float x) { return x * sigmoidf(x); }
static float silu_d(float x) {
    float s = sigmoidf(x);
    return s * (1.0f + x * (1.0f - s));
}
static float sigmoid_d(float x) {
    float s = sigmoidf(x);
    return s * (1.0f - s);
}
static float tanh_d(float x) {
    float t = tanhf(x);
    return 1.0f - t * t;
}
/* hardswish(x) = x * relu6(x + 3) / 6; derivative as PyTorch: 0 below -3, 1 above 3. */
static float hswish_f(float x) { return x <= -3.0f ? 0.0f : x >= 3.0f ? x : x * (x + 3.0f) / 6.0f; }
static float hswish_d(float x) { return x < -3.0f ? 0.0f : x > 3.0f ? 1.0f : (2.0f * x + 3.0f) / 6.0f; }

#define UNARY_OP(id, label, f, d)                                                                  \
    static void id##_fwd(const ecg_kctx *k) {                                                      \
        size_t n = numel(k);                                                                       \
        for (size_t i = 0; i < n; i++) k->out[i] = f(k->in[0][i]);                                 \
    }                                                                                              \
    static void id##_bwd(const ecg_kctx *k) {                                                      \
        if (!k->d_in[0]) return;                                                                   \
        size_t n = numel(k);                                                                       \
        for (size_t i = 0; i < n; i++) k->d_in[0][i] += k->d_out[i] * d(k->in[0][i]);              \
    }                                                                                              \
    static int64_t id##_flops(const ecg_node *nd, const ecg_shape *in, const ecg_shape *out) {     \
        (void)nd;                                                                                  \
        (void)in;                                                                                  \
        return ecg_shape_numel(out);                                                               \
    }                                                                                              \
    const ecg_op ecg_op_##id = {label, infer_same, id##_flops, NULL, id##_fwd, id##_bwd,           \
                                ECG_TRAIT_PER_CHANNEL};

UNARY_OP(relu, "relu", relu_f, relu_d)
UNARY_OP(silu, "silu", silu_f, silu_d)
UNARY_OP(sigmoid, "sigmoid", sigmoidf, sigmoid_d)
UNARY_OP(tanh, "tanh", tanhf, tanh_d)
UNARY_OP(hardswish, "hardswish", hswish_f, hswish_d)
