/* conv1d reference kernel (dense, grouped, depthwise), forward + backward; also the training kernel.
 *
 * Input [T, Cin], weight [Cout, Cin/g, K] (PyTorch), bias [Cout], output [Tout, Cout], explicit zero
 * padding on time. The PyTorch weight layout has the tap innermost, so the kernels first copy it to
 * a tap-major scratch [K][Cout][Cin/g] (kept in the node state, no allocation per call): then every
 * inner loop runs over contiguous channels of both the activation and the weight. Padding is
 * handled by computing the valid tap range once per output step, never per element. */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "ref_dot.h"

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

/* One output step (all channels) from the taps in [k0, k1). orow already holds the bias. */
static void forward_step(const conv_geom *c, const float *x, const float *wt, int base, int k0, int k1,
                         float *orow) {
    if (is_depthwise(c)) {
        forward_step_depthwise(c, x, wt, base, k0, k1, orow);
        return;
    }
    for (int k = k0; k < k1; k++) {
        const float *xrow = x + (size_t)(base + k * c->dilation) * c->cin;
        const float *wk = wt + (size_t)k * c->cout * c->cin_g;
        for (int g = 0; g < c->groups; g++) {
            const float *xg = xrow + (size_t)g * c->cin_g;
            for (int o = g * c->cout_g; o < (g + 1) * c->cout_g; o++)
                orow[o] += ecg_dot(wk + (size_t)o * c->cin_g, xg, c->cin_g);
        }
    }
}

static void conv1d_forward(const ecg_kctx *k) {
    conv_geom c = geom_of(k->node, &k->in_shape[0], &k->out_shape);
    float *wt = k->state;
    weight_to_tap_major(&c, k->w[0], wt);
    const float *bias = k->node->a.has_bias ? k->w[1] : NULL;
    for (int b = 0; b < k->batch; b++) {
        const float *x = k->in[0] + (size_t)b * c.t_in * c.cin;
        for (int t = 0; t < c.t_out; t++) {
            float *orow = k->out + ((size_t)b * c.t_out + t) * c.cout;
            if (bias) memcpy(orow, bias, (size_t)c.cout * sizeof(float));
            else memset(orow, 0, (size_t)c.cout * sizeof(float));
            int k0, k1;
            valid_taps(&c, t, &k0, &k1);
            forward_step(&c, x, wt, t * c.stride - c.pad_left, k0, k1, orow);
        }
    }
}

/* ------------------------------------------------------------------------------------ backward */

/* Gradients of one output step: dx rows (may be NULL) and the tap-major weight grad (may be NULL). */
static void backward_step(const conv_geom *c, const float *x, float *dx, const float *wt, float *dwt, int base,
                          int k0, int k1, const float *dorow) {
    for (int k = k0; k < k1; k++) {
        size_t row = (size_t)(base + k * c->dilation) * c->cin;
        const float *xrow = x + row;
        float *dxrow = dx ? dx + row : NULL;
        const float *wk = wt + (size_t)k * c->cout * c->cin_g;
        float *dwk = dwt ? dwt + (size_t)k * c->cout * c->cin_g : NULL;
        if (is_depthwise(c)) {
            if (dxrow)
                for (int ch = 0; ch < c->cout; ch++) dxrow[ch] += dorow[ch] * wk[ch];
            if (dwk)
                for (int ch = 0; ch < c->cout; ch++) dwk[ch] += dorow[ch] * xrow[ch];
            continue;
        }
        for (int g = 0; g < c->groups; g++) {
            size_t goff = (size_t)g * c->cin_g;
            for (int o = g * c->cout_g; o < (g + 1) * c->cout_g; o++) {
                float go = dorow[o];
                size_t woff = (size_t)o * c->cin_g;
                if (dxrow)
                    for (int i = 0; i < c->cin_g; i++) dxrow[goff + i] += go * wk[woff + i];
                if (dwk)
                    for (int i = 0; i < c->cin_g; i++) dwk[woff + i] += go * xrow[goff + i];
            }
        }
    }
}

static void conv1d_backward(const ecg_kctx *k) {
    conv_geom c = geom_of(k->node, &k->in_shape[0], &k->out_shape);
    float *dx_all = k->d_in[0], *dw = k->dw[0];
    float *db = k->node->a.has_bias ? k->dw[1] : NULL;
    /* Rebuilt here so the backward never depends on what happened since the forward. */
    float *wt = k->state, *dwt = dw ? wt + weight_floats(&c) : NULL;
    weight_to_tap_major(&c, k->w[0], wt);
    if (dwt) memset(dwt, 0, weight_floats(&c) * sizeof(float));
    for (int b = 0; b < k->batch; b++) {
        const float *x = k->in[0] + (size_t)b * c.t_in * c.cin;
        float *dx = dx_all ? dx_all + (size_t)b * c.t_in * c.cin : NULL;
        for (int t = 0; t < c.t_out; t++) {
            const float *dorow = k->d_out + ((size_t)b * c.t_out + t) * c.cout;
            if (db)
                for (int o = 0; o < c.cout; o++) db[o] += dorow[o];
            if (!dx && !dwt) continue;
            int k0, k1;
            valid_taps(&c, t, &k0, &k1);
            backward_step(&c, x, dx, wt, dwt, t * c.stride - c.pad_left, k0, k1, dorow);
        }
    }
    if (dwt) add_tap_major_to_weight(&c, dwt, dw);
}

const ecg_op ecg_op_conv1d = {"conv1d", conv1d_infer, conv1d_flops, conv1d_state_bytes, conv1d_forward,
                              conv1d_backward};
