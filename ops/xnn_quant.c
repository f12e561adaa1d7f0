/* int8 lowering of conv1d (XNNPACK qc8: per-output-channel weight scales) and linear (XNNPACK
 * qs8: its fully-connected has one weight scale). Each node converts its f32 input to qs8,
 * runs the int8 operator and converts its qs8 output back to f32, so the ops around it (SiLU,
 * sigmoid, SE scaling, residual adds) stay f32: XNNPACK has no int8 SiLU. Between two int8
 * nodes (EfficientECG: a project conv feeding the next block's expand conv) the value stays
 * int8: same codes, two conversions fewer. */
#include <math.h>
#include <stdlib.h>

#include "xnn_lower.h"

/* XNNPACK's smallest requantisation scale (in_scale * w_scale / out_scale): under it its operator
 * setup asserts and the process aborts (compress/int8_file.c checks the same on load). */
#define MIN_REQUANT_SCALE 0x1p-32f

/* XNNPACK refuses a scale that is not a positive normal float; checked here first with a clearer
 * message. */
static int check_qparams(ecg_lower *l, const ecg_qparams *p, const char *what) {
    if (!(p->scale > 0 && isnormal(p->scale)) || p->zero_point < -128 || p->zero_point > 127)
        return ecg_lower_fail(l, "int8 %s scale %g / zero point %d out of range (need a positive normal scale, "
                                 "zero point in [-128, 127])", what, (double)p->scale, (int)p->zero_point);
    return 0;
}

/* Checks the int8 parameters fit the node: weight count, scales, bias. A graph built in memory
 * gets the checks the int8 file reader makes, so no scale reaches an XNNPACK assertion. */
static int check_qnode(ecg_lower *l, int64_t n_w, int n_scale, int n_out) {
    const ecg_qnode *q = l->q;
    if (q->n_w != n_w || q->n_scale != n_scale || q->n_out != n_out || !q->w || !q->w_scale || !q->bias)
        return ecg_lower_fail(l, "int8 parameters (%lld weights, %d scales, %d biases) do not fit the node (%lld, %d, %d)",
                              (long long)q->n_w, q->n_scale, q->n_out, (long long)n_w, n_scale, n_out);
    if (check_qparams(l, &q->in, "input") || check_qparams(l, &q->out, "output")) return -1;
    for (int i = 0; i < n_scale; i++) {
        if (!(q->w_scale[i] > 0 && isnormal(q->w_scale[i])))
            return ecg_lower_fail(l, "int8 weight scale %d is %g (must be a positive normal float)", i,
                                  (double)q->w_scale[i]);
        /* in float, as XNNPACK computes it */
        float rq = q->in.scale * q->w_scale[i] / q->out.scale;
        if (!(rq >= MIN_REQUANT_SCALE))
            return ecg_lower_fail(l, "int8 weight scale %d is %g: with input scale %g and output scale %g the "
                                     "requantisation scale is %g, under the 2^-32 XNNPACK accepts",
                                  i, (double)q->w_scale[i], (double)q->in.scale, (double)q->out.scale, (double)rq);
    }
    return 0;
}

static int add_op(ecg_lower *l, xnn_operator_t op, enum xnn_status setup, const char *call) {
    if (ecg_lower_check(l, setup, call)) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

/* The node's input in int8: its producer's int8 buffer in an int8 chain, else f32 -> qs8 into
 * the node's own planned buffer. */
static int8_t *quantize_input(ecg_lower *l, size_t rows, size_t c) {
    int8_t *q = ecg_lower_int8_input(l);
    if (!q) {
        ecg_lower_fail(l, "no int8 input buffer planned");
        return NULL;
    }
    if (ecg_lower_int8_chained(l)) {
        l->stats->n_int8_chained++;
        return q;
    }
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l,
                        xnn_create_convert_nc_f32_qs8(c, c, c, l->q->in.scale, (int8_t)l->q->in.zero_point, INT8_MIN,
                                                      INT8_MAX, 0, &op),
                        "xnn_create_convert_nc_f32_qs8"))
        return NULL;
    if (add_op(l, op, xnn_setup_convert_nc_f32_qs8(op, rows, l->in[0], q, l->tp), "xnn_setup_convert_nc_f32_qs8"))
        return NULL;
    return q;
}

/* Converts the int8 output to f32 only if someone needs that (int8 consumers read it as it is). */
static int dequantize_output(ecg_lower *l, int8_t *q, size_t rows, size_t c) {
    if (!ecg_lower_needs_f32(l, l->n->out)) return 0;
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l,
                        xnn_create_convert_nc_qs8_f32(c, c, c, l->q->out.scale, (int8_t)l->q->out.zero_point, 0, &op),
                        "xnn_create_convert_nc_qs8_f32"))
        return -1;
    return add_op(l, op, xnn_setup_convert_nc_qs8_f32(op, rows, q, l->out, l->tp), "xnn_setup_convert_nc_qs8_f32");
}

int ecg_lower_conv1d_q(ecg_lower *l) {
    const ecg_attrs *a = &l->n->a;
    const ecg_qnode *q = l->q;
    int cin = (int)l->in_shape[0].d[1], cout = a->out_features, g = a->groups, k = a->kernel;
    int gin = cin / g, gout = cout / g, tin = (int)l->in_shape[0].d[0], tout = (int)l->out_shape.d[0];
    if (check_qnode(l, (int64_t)cout * gin * k, cout, cout)) return -1;
    int depthwise = g > 1 && gin == 1 && gout == 1, taps = k, pad_bottom = a->pad_right;
    if (depthwise) {
        /* int8 depthwise has fast kernels only at 9 and 25 taps: zero taps appended (and as much
         * padding, so the output length is unchanged), as on the f32 path. */
        if (!(ecg_xnn_flags(l->x) & ECG_XNN_NO_DW_PAD)) taps = k <= 9 ? 9 : k <= 25 ? 25 : k;
        if (taps != k) {
            pad_bottom += (taps - k) * a->dilation;
            l->stats->n_dw_padded++;
        }
        if (taps != 9 && taps != 25) l->stats->n_dw_slow++;
    }
    /* PyTorch [Cout, Cin/g, K] -> XNNPACK [Cout, taps, 1, Cin/g] */
    int8_t *w = calloc((size_t)cout * (size_t)taps * (size_t)gin, 1);
    if (!w) return ecg_lower_fail(l, "out of memory");
    for (int o = 0; o < cout; o++)
        for (int i = 0; i < gin; i++)
            for (int t = 0; t < k; t++) w[((size_t)o * taps + t) * gin + i] = q->w[((size_t)o * gin + i) * k + t];
    xnn_operator_t op = NULL;
    enum xnn_status st = xnn_create_convolution2d_nhwc_qc8(
        (uint32_t)a->pad_left, 0, (uint32_t)pad_bottom, 0, (uint32_t)taps, 1, (uint32_t)a->stride, 1,
        (uint32_t)a->dilation, 1, (uint32_t)g, (size_t)gin, (size_t)gout, (size_t)cin, (size_t)cout,
        (int8_t)q->in.zero_point, q->in.scale, q->w_scale, w, q->bias, (int8_t)q->out.zero_point, q->out.scale,
        INT8_MIN, INT8_MAX, 0, &op);
    free(w);
    if (ecg_lower_check(l, st, "xnn_create_convolution2d_nhwc_qc8")) return -1;
    size_t rows_in = (size_t)l->batch * (size_t)tin, rows_out = (size_t)l->batch * (size_t)tout;
    int8_t *qin = quantize_input(l, rows_in, (size_t)cin), *qout = qin ? ecg_lower_int8_output(l) : NULL;
    if (!qout) {
        xnn_delete_operator(op);
        return -1;
    }
    if (add_op(l, op, xnn_setup_convolution2d_nhwc_qc8(op, (size_t)l->batch, (size_t)tin, 1, qin, qout, l->tp),
               "xnn_setup_convolution2d_nhwc_qc8"))
        return -1;
    return dequantize_output(l, qout, rows_out, (size_t)cout);
}

int ecg_lower_linear_q(ecg_lower *l) {
    const ecg_qnode *q = l->q;
    size_t in = ecg_lower_channels(&l->in_shape[0]), out = (size_t)l->n->a.out_features;
    size_t rows = ecg_lower_rows(l, &l->in_shape[0]);
    if (check_qnode(l, (int64_t)(in * out), 1, (int)out)) return -1;
    xnn_operator_t op = NULL;
    /* XNNPACK's fully-connected kernel layout [out, in] is PyTorch's Linear layout. */
    if (ecg_lower_check(l,
                        xnn_create_fully_connected_nc_qs8(in, out, in, out, (int8_t)q->in.zero_point, q->in.scale,
                                                          q->w_scale[0], q->w, q->bias, (int8_t)q->out.zero_point,
                                                          q->out.scale, INT8_MIN, INT8_MAX, 0, &op),
                        "xnn_create_fully_connected_nc_qs8"))
        return -1;
    int8_t *qin = quantize_input(l, rows, in), *qout = qin ? ecg_lower_int8_output(l) : NULL;
    if (!qout) {
        xnn_delete_operator(op);
        return -1;
    }
    if (add_op(l, op, xnn_setup_fully_connected_nc_qs8(op, rows, qin, qout, l->tp), "xnn_setup_fully_connected_nc_qs8"))
        return -1;
    return dequantize_output(l, qout, rows, out);
}
