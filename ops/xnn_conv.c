/* XNNPACK lowering of conv1d (incl. depthwise) and linear.
 * Time lies on XNNPACK's height axis ([N, T, 1, C], kernel K x 1): that is the axis XNNPACK
 * splits across threads for depthwise convolutions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xnn_lower.h"

/* Appends the dense op, or in its place the sparse kernel (followed by the folded ReLU, which it
 * does not apply, in place) or the small-row kernel, where they are picked. */
static int finish(ecg_lower *l, xnn_operator_t op, const float *w, const float *bias, int out, int in, size_t rows) {
    int rc = ecg_lower_sparse_maybe(l, op, w, bias, out, in, rows);
    int relu_step = rc > 0 && l->n->a.fused_relu;
    if (rc == 0) rc = ecg_lower_small_maybe(l, w, bias, out, in, rows);
    if (rc != 0) {
        xnn_delete_operator(op);
        if (rc < 0) return -1;
        return relu_step ? ecg_lower_relu(l, l->out, l->out, rows, (size_t)out) : 0;
    }
    return ecg_lower_op(l, op);
}

static int is_fast_dw_taps(int k) { return k == 3 || k == 4 || k == 9 || k == 25; }

int ecg_lower_conv1d(ecg_lower *l) {
    const ecg_attrs *a = &l->n->a;
    int cin = (int)l->in_shape[0].d[1], cout = a->out_features, g = a->groups, k = a->kernel;
    int gin = cin / g, gout = cout / g;
    int depthwise = g > 1 && gin == 1 && gout == 1;
    int taps = k, pad_bottom = a->pad_right;
    if (depthwise) {
        /* Only 3, 4, 9 and 25 taps have fast depthwise kernels; other counts fall back to a
         * path slower than a naive loop. Appending zero taps (and as much padding at the end,
         * so the output length is unchanged) keeps us on the fast path. */
        if (!(ecg_xnn_flags(l->x) & ECG_XNN_NO_DW_PAD)) taps = ecg_xnn_dw_fast_taps(k);
        if (taps != k) {
            pad_bottom += (taps - k) * a->dilation;
            l->stats->n_dw_padded++;
        }
        if (!is_fast_dw_taps(taps)) l->stats->n_dw_slow++;
    }
    if (!depthwise && g == 1) {
        int rc = ecg_lower_winograd_maybe(l, l->w[0], a->has_bias ? l->w[1] : NULL);
        if (rc != 0) return rc < 0 ? -1 : 0;
    }
    /* PyTorch [Cout, Cin/g, K] -> XNNPACK [Cout, taps, 1, Cin/g], zero taps appended. Only needed
     * until XNNPACK has packed it at create time. */
    float *w = calloc((size_t)cout * (size_t)taps * (size_t)gin, sizeof(float));
    if (!w) return ecg_lower_fail(l, "out of memory");
    const float *src = l->w[0];
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < gin; i++)
            for (int t = 0; t < k; t++) w[((size_t)o * taps + t) * gin + i] = src[((size_t)o * gin + i) * k + t];
    const float *bias = a->has_bias ? l->w[1] : NULL;
    int plain_1x1 = k == 1 && a->stride == 1 && a->pad_left == 0 && a->pad_right == 0; /* finish() below */
    if (!depthwise && g == 1 && !plain_1x1) { /* few output rows: our kernel reads the weights fewer times */
        int rc = ecg_lower_small_conv_maybe(l, w, bias, cout, taps, cin);
        if (rc != 0) {
            free(w);
            return rc < 0 ? -1 : 0;
        }
    }
    xnn_operator_t op = NULL;
    enum xnn_status st = xnn_create_convolution2d_nhwc_f32((uint32_t)a->pad_left, 0, (uint32_t)pad_bottom, 0,
                                                          (uint32_t)taps, 1, (uint32_t)a->stride, 1,
                                                          (uint32_t)a->dilation, 1, (uint32_t)g, (size_t)gin,
                                                          (size_t)gout, (size_t)cin, (size_t)cout, w, bias,
                                                          ecg_lower_out_min(l), INFINITY, 0, &op);
    free(w);
    if (ecg_lower_check(l, st, "xnn_create_convolution2d_nhwc_f32")) return -1;
    if (ecg_lower_check(l,
                        xnn_setup_convolution2d_nhwc_f32(op, (size_t)l->batch, (size_t)l->in_shape[0].d[0], 1,
                                                         l->in[0], l->out, l->tp),
                        "xnn_setup_convolution2d_nhwc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    /* A pointwise conv is a GEMM over rows = batch * T: a candidate for the sparse kernel. */
    if (plain_1x1 && g == 1)
        return finish(l, op, src, bias, cout, cin, (size_t)l->batch * (size_t)l->in_shape[0].d[0]);
    return ecg_lower_op(l, op);
}

int ecg_lower_linear(ecg_lower *l) {
    size_t in = ecg_lower_channels(&l->in_shape[0]), out = (size_t)l->n->a.out_features;
    size_t rows = ecg_lower_rows(l, &l->in_shape[0]);
    const float *bias = l->n->a.has_bias ? l->w[1] : NULL;
    xnn_operator_t op = NULL;
    /* XNNPACK's fully-connected kernel layout [out, in] is PyTorch's Linear layout. */
    if (ecg_lower_create_fc(l, in, out, l->w[0], bias, ecg_lower_out_min(l), rows, l->in[0], l->out, &op)) return -1;
    return finish(l, op, l->w[0], bias, (int)out, (int)in, rows);
}
