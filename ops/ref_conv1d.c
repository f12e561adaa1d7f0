/* conv1d reference kernel (dense, grouped, depthwise), forward + backward; also the training kernel.
 *
 * Input [T, Cin], weight [Cout, Cin/g, K] (PyTorch), bias [Cout], output [Tout, Cout], explicit zero
 * padding on time. The PyTorch weight layout has the tap innermost, so the kernels first copy it to
 * a tap-major scratch [K][Cout][Cin/g] (kept in the node state, no allocation per call).
 *
 * Dense and grouped convolutions are a sum over taps of matrix products (ecg_gemm_acc). For tap k,
 * the output steps [t0, t1) whose tap reads inside the input read the input rows
 * t * stride - pad_left + k * dilation: a strided view X_k of the input (row stride stride * Cin),
 * no im2col copy. Per group g, with W_kg the [Cout/g, Cin/g] slice of tap k:
 *   Y[t0:t1, g] += X_k[t0:t1, g] @ W_kg^T,  dX_k[t0:t1, g] += dY[t0:t1, g] @ W_kg,
 *   dW_kg += dY[t0:t1, g]^T @ X_k[t0:t1, g].
 * Depthwise convolutions (one channel per group) are per-channel loops instead, with the valid tap
 * range computed once per output step, never per element. */
#include <stdio.h>
#include <string.h>

#include "gemm.h"
#include "ops.h"

/* Geometry of one node, resolved once per call. */
typedef struct {
    int t_in, t_out, cin, cout, groups, cin_g, cout_g, kernel, stride, dilation, pad_left;
} conv_geom;

static conv_geom geom_of(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    const ecg_attrs *a = &n->a;
    conv_geom c;
    c.t_in = (int)in->d[0];
    c.cin = (int)in->d[1];
    c.t_out = (int)out->d[0];
    c.cout = a->out_features;
    c.groups = a->groups;
    c.cin_g = c.cin / c.groups;
    c.cout_g = c.cout / c.groups;
    c.kernel = a->kernel;
    c.stride = a->stride;
    c.dilation = a->dilation;
    c.pad_left = a->pad_left;
    return c;
}

static size_t weight_floats(const conv_geom *c) { return (size_t)c->kernel * (size_t)c->cout * (size_t)c->cin_g; }

/* ------------------------------------------------------------------------------------ infer */

static int conv1d_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    const ecg_attrs *a = &n->a;
    char s[64];
    if (in[0].rank != 2) {
        snprintf(msg, len, "input must be [T, C], got rank %d %s", in[0].rank, ecg_shape_str(&in[0], s, sizeof s));
        return -1;
    }
    int64_t t = in[0].d[0], cin = in[0].d[1];
    if (a->out_features < 1) return snprintf(msg, len, "out channels %d must be >= 1", a->out_features), -1;
    if (a->kernel < 1) return snprintf(msg, len, "kernel %d must be >= 1", a->kernel), -1;
    if (a->stride < 1) return snprintf(msg, len, "stride %d must be >= 1", a->stride), -1;
    if (a->dilation < 1) return snprintf(msg, len, "dilation %d must be >= 1", a->dilation), -1;
    if (a->groups < 1) return snprintf(msg, len, "groups %d must be >= 1", a->groups), -1;
    if (cin % a->groups || a->out_features % a->groups)
        return snprintf(msg, len, "groups %d must divide input channels %lld and output channels %d", a->groups,
                        (long long)cin, a->out_features),
               -1;
    if (a->pad_left < 0 || a->pad_right < 0)
        return snprintf(msg, len, "padding %d, %d must be >= 0", a->pad_left, a->pad_right), -1;
    if (n->n_param != 1 + (a->has_bias != 0))
        return snprintf(msg, len, "%d params given, want %d (weight%s)", n->n_param, 1 + (a->has_bias != 0),
                        a->has_bias ? ", bias" : ""),
               -1;
    /* In 64 bits: kernel * dilation may overflow an int. */
    int64_t span = (int64_t)a->dilation * (a->kernel - 1) + 1, padded = t + a->pad_left + a->pad_right;
    int64_t t_out = padded < span ? 0 : (padded - span) / a->stride + 1;
    if (t_out < 1)
        return snprintf(msg, len,
                        "output length %lld < 1: input length %lld + padding %d + %d is shorter than the kernel "
                        "span %lld (kernel %d, dilation %d)",
                        (long long)t_out, (long long)t, a->pad_left, a->pad_right, (long long)span, a->kernel,
                        a->dilation),
               -1;
    *out = ecg_shape2(t_out, a->out_features);
    return 0;
}

static int64_t conv1d_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    int64_t t_out = out->d[0], cout = out->d[1], cin_g = in[0].d[1] / n->a.groups;
    return 2 * t_out * cout * cin_g * n->a.kernel + (n->a.has_bias ? t_out * cout : 0);
}

/* Scratch for the tap-major weight and its gradient (whole node, independent of the batch). */
static size_t conv1d_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)batch;
    conv_geom c = geom_of(n, in, out);
    return 2 * weight_floats(&c) * sizeof(float);
}

/* ------------------------------------------------------------------------------------ helpers */

/* Taps k in [*k0, *k1) read input time t*stride - pad_left + k*dilation inside [0, T). */
static void valid_taps(const conv_geom *c, int t, int *k0, int *k1) {
    int base = t * c->stride - c->pad_left; /* input time of tap 0 */
    int lo = base >= 0 ? 0 : (-base + c->dilation - 1) / c->dilation;
    int hi = base >= c->t_in ? 0 : (c->t_in - 1 - base) / c->dilation + 1;
    *k0 = lo;
    *k1 = hi < c->kernel ? hi : c->kernel;
}

/* Output steps t in [*t0, *t1) whose tap k reads inside the input. */
static void valid_steps(const conv_geom *c, int k, int *t0, int *t1) {
    int off = k * c->dilation - c->pad_left; /* input time of step 0 */
    int lo = off >= 0 ? 0 : (-off + c->stride - 1) / c->stride;
    int hi = off > c->t_in - 1 ? 0 : (c->t_in - 1 - off) / c->stride + 1;
    *t0 = lo;
    *t1 = hi < c->t_out ? hi : c->t_out;
}

/* PyTorch [Cout, Cin/g, K] -> tap-major [K][Cout][Cin/g]. */
static void weight_to_tap_major(const conv_geom *c, const float *w, float *wt) {
    for (int o = 0; o < c->cout; o++)
        for (int i = 0; i < c->cin_g; i++) {
            const float *src = w + ((size_t)o * c->cin_g + i) * c->kernel;
            for (int k = 0; k < c->kernel; k++) wt[((size_t)k * c->cout + o) * c->cin_g + i] = src[k];
        }
}

/* Adds tap-major [K][Cout][Cin/g] into PyTorch [Cout, Cin/g, K]. */
static void add_tap_major_to_weight(const conv_geom *c, const float *wt, float *w) {
    for (int o = 0; o < c->cout; o++)
        for (int i = 0; i < c->cin_g; i++) {
            float *dst = w + ((size_t)o * c->cin_g + i) * c->kernel;
            for (int k = 0; k < c->kernel; k++) dst[k] += wt[((size_t)k * c->cout + o) * c->cin_g + i];
        }
}

static int is_depthwise(const conv_geom *c) { return c->cin_g == 1 && c->cout_g == 1; }

/* The operands of tap k, group g over the valid steps [t0, t1) of one sample (see the top). */
typedef struct {
    int steps;                /* t1 - t0 (0: the tap never reads inside the input) */
    size_t x_off, y_off;      /* first input / output element of the block, from the sample start */
    size_t w_off;             /* W_kg in the tap-major weight */
    int ldx;                  /* stride * Cin */
} tap_block;

static tap_block block_of(const conv_geom *c, int k, int g) {
    int t0, t1;
    valid_steps(c, k, &t0, &t1);
    tap_block b = {t1 > t0 ? t1 - t0 : 0, 0, 0, 0, c->stride * c->cin};
    if (!b.steps) return b;
    b.x_off = (size_t)(t0 * c->stride - c->pad_left + k * c->dilation) * c->cin + (size_t)g * c->cin_g;
    b.y_off = (size_t)t0 * c->cout + (size_t)g * c->cout_g;
    b.w_off = ((size_t)k * c->cout + (size_t)g * c->cout_g) * c->cin_g;
    return b;
}

/* ------------------------------------------------------------------------------------ forward */

/* Depthwise: channels in blocks held in a local accumulator across all taps, so the output row
 * is read and written once per step instead of once per tap. */
#define DW_BLOCK 32
static void forward_step_depthwise(const conv_geom *c, const float *x, const float *wt, int base, int k0, int k1,
                                   float *orow) {
    for (int c0 = 0; c0 < c->cout; c0 += DW_BLOCK) {
        int nc = c->cout - c0 < DW_BLOCK ? c->cout - c0 : DW_BLOCK;
        float acc[DW_BLOCK] = {0};
        for (int k = k0; k < k1; k++) {
            const float *xb = x + (size_t)(base + k * c->dilation) * c->cin + c0;
            const float *wb = wt + (size_t)k * c->cout + c0;
            if (nc == DW_BLOCK)
                for (int j = 0; j < DW_BLOCK; j++) acc[j] += wb[j] * xb[j];
            else
                for (int j = 0; j < nc; j++) acc[j] += wb[j] * xb[j];
        }
        for (int j = 0; j < nc; j++) orow[c0 + j] += acc[j];
    }
}

/* Dense / grouped, one sample: y already holds the bias. */
static void forward_dense(const conv_geom *c, const float *x, const float *wt, float *y) {
    for (int k = 0; k < c->kernel; k++)
        for (int g = 0; g < c->groups; g++) {
            tap_block b = block_of(c, k, g);
            ecg_gemm_acc(0, 1, b.steps, c->cout_g, c->cin_g, x + b.x_off, b.ldx, wt + b.w_off, c->cin_g, y + b.y_off,
                         c->cout);
        }
}

static void conv1d_forward(const ecg_kctx *k) {
    conv_geom c = geom_of(k->node, &k->in_shape[0], &k->out_shape);
    float *wt = k->state;
    weight_to_tap_major(&c, k->w[0], wt);
    const float *bias = k->node->a.has_bias ? k->w[1] : NULL;
    for (int b = 0; b < k->batch; b++) {
        const float *x = k->in[0] + (size_t)b * c.t_in * c.cin;
        float *y = k->out + (size_t)b * c.t_out * c.cout;
        for (int t = 0; t < c.t_out; t++) {
            float *orow = y + (size_t)t * c.cout;
            if (bias) memcpy(orow, bias, (size_t)c.cout * sizeof(float));
            else memset(orow, 0, (size_t)c.cout * sizeof(float));
            if (!is_depthwise(&c)) continue;
            int k0, k1;
            valid_taps(&c, t, &k0, &k1);
            forward_step_depthwise(&c, x, wt, t * c.stride - c.pad_left, k0, k1, orow);
        }
        if (!is_depthwise(&c)) forward_dense(&c, x, wt, y);
    }
}

/* ------------------------------------------------------------------------------------ backward */

/* Depthwise, one output step: dx rows (may be NULL) and the tap-major weight grad (may be NULL);
 * every loop runs over contiguous channels, and the whole weight gradient (K x C) stays in L1. */
static void depthwise_backward_step(const conv_geom *c, const float *x, float *dx, const float *wt, float *dwt,
                                    int base, int k0, int k1, const float *restrict dorow) {
    for (int k = k0; k < k1; k++) {
        size_t row = (size_t)(base + k * c->dilation) * c->cin;
        const float *restrict wk = wt + (size_t)k * c->cout, *restrict xrow = x + row;
        float *restrict dxrow = dx ? dx + row : NULL, *restrict dwk = dwt ? dwt + (size_t)k * c->cout : NULL;
        if (dxrow)
            for (int ch = 0; ch < c->cout; ch++) dxrow[ch] += dorow[ch] * wk[ch];
        if (dwk)
            for (int ch = 0; ch < c->cout; ch++) dwk[ch] += dorow[ch] * xrow[ch];
    }
}

/* Dense / grouped, one sample: input gradient (dx may be NULL) and tap-major weight gradient
 * (dwt may be NULL). */
static void backward_dense(const conv_geom *c, const float *x, const float *dy, const float *wt, float *dx,
                           float *dwt) {
    for (int k = 0; k < c->kernel; k++)
        for (int g = 0; g < c->groups; g++) {
            tap_block b = block_of(c, k, g);
            if (dx)
                ecg_gemm_acc(0, 0, b.steps, c->cin_g, c->cout_g, dy + b.y_off, c->cout, wt + b.w_off, c->cin_g,
                             dx + b.x_off, b.ldx);
            if (dwt)
                ecg_gemm_acc(1, 0, c->cout_g, c->cin_g, b.steps, dy + b.y_off, c->cout, x + b.x_off, b.ldx,
                             dwt + b.w_off, c->cin_g);
        }
}

static void conv1d_backward(const ecg_kctx *k) {
    conv_geom c = geom_of(k->node, &k->in_shape[0], &k->out_shape);
    float *dx_all = k->d_in[0], *dw = k->dw[0];
    float *db = k->node->a.has_bias ? k->dw[1] : NULL;
    /* Rebuilt here so the backward never depends on what happened since the forward. */
    float *wt = k->state, *dwt = dw ? wt + weight_floats(&c) : NULL;
    int dwise = is_depthwise(&c);
    weight_to_tap_major(&c, k->w[0], wt);
    if (dwt) memset(dwt, 0, weight_floats(&c) * sizeof(float));
    if (db) ecg_add_col_sums(db, k->d_out, k->batch * c.t_out, c.cout);
    for (int b = 0; b < k->batch; b++) {
        const float *x = k->in[0] + (size_t)b * c.t_in * c.cin, *dy = k->d_out + (size_t)b * c.t_out * c.cout;
        float *dx = dx_all ? dx_all + (size_t)b * c.t_in * c.cin : NULL;
        if (!dwise) {
            backward_dense(&c, x, dy, wt, dx, dwt);
            continue;
        }
        for (int t = 0; t < c.t_out; t++) {
            int k0, k1;
            valid_taps(&c, t, &k0, &k1);
            depthwise_backward_step(&c, x, dx, wt, dwt, t * c.stride - c.pad_left, k0, k1, dy + (size_t)t * c.cout);
        }
    }
    if (dwt) add_tap_major_to_weight(&c, dwt, dw);
}

const ecg_op ecg_op_conv1d = {"conv1d", conv1d_infer, conv1d_flops, conv1d_state_bytes, conv1d_forward,
                              conv1d_backward, ECG_TRAIT_WEIGHT_MATRICES};
