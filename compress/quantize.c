/* Post-training int8 quantization of the conv1d and linear nodes of an inference graph:
 * symmetric weights (per output channel for conv1d: XNNPACK qc8; per tensor for linear: XNNPACK's
 * qs8 fully-connected has no per-channel form), int32 biases, calibrated activation qparams. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "ops/qmodel.h"

/* XNNPACK's smallest requantisation scale (in_scale * w_scale / out_scale): under it, its
 * operator setup asserts and the process aborts. */
#define ECG_MIN_REQUANT_SCALE 0x1p-32f

const char *ecg_calib_method_name(ecg_calib_method m) { return m == ECG_CALIB_PERCENTILE ? "percentile" : "minmax"; }

static int8_t q8(float w, float scale) {
    long v = lrintf(w / scale);
    return (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
}

/* Symmetric scale of n weights: max|w| / 127, or 1 for all-zero weights (any positive scale
 * represents them exactly; XNNPACK rejects 0). */
static float sym_scale(const float *w, int64_t n) {
    float m = 0;
    for (int64_t i = 0; i < n; i++) m = fabsf(w[i]) > m ? fabsf(w[i]) : m;
    return m > 0 ? m / 127.0f : 1.0f;
}

static ecg_qparams act(const ecg_act_ranges *r, int v, ecg_calib_method m) {
    return m == ECG_CALIB_PERCENTILE ? ecg_qparams_for_range(r->p_lo[v], r->p_hi[v])
                                     : ecg_qparams_for_range(r->min[v], r->max[v]);
}

static int quantize_node(const ecg_graph *g, const ecg_node *n, const ecg_act_ranges *r, ecg_calib_method m,
                         ecg_qnode *q, char *err, size_t errlen) {
    const ecg_param *w = &g->params[n->param[0]];
    const float *b = n->a.has_bias ? g->params[n->param[1]].data : NULL;
    int out = n->a.out_features, per_channel = n->kind == ECG_OP_CONV1D;
    int64_t nw = ecg_shape_numel(&w->shape), row = nw / out;
    if (!r->has[n->in[0]] || !r->has[n->out]) {
        snprintf(err, errlen, "%s: no calibration range for its input or output", n->name);
        return -1;
    }
    snprintf(q->node, sizeof q->node, "%s", n->name);
    q->in = act(r, n->in[0], m);
    q->out = act(r, n->out, m);
    q->n_w = nw;
    q->n_scale = per_channel ? out : 1;
    q->n_out = out;
    q->w = malloc((size_t)nw);
    q->w_scale = malloc((size_t)q->n_scale * sizeof(float));
    q->bias = malloc((size_t)out * sizeof(int32_t));
    if (!q->w || !q->w_scale || !q->bias) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    float wmax = 0;
    for (int o = 0; o < q->n_scale; o++) {
        q->w_scale[o] = per_channel ? sym_scale(w->data + o * row, row) : sym_scale(w->data, nw);
        wmax = q->w_scale[o] > wmax ? q->w_scale[o] : wmax;
    }
    /* XNNPACK refuses requantisation scales >= 256 (a near-constant output): widen the output
     * range around its zero point until the largest one is below. */
    float need = q->in.scale * wmax / 255.0f;
    if (q->out.scale < need) q->out.scale = need;
    /* ... and aborts on one under 2^-32 (weights of ~1e-30, a nearly pruned-away node): such a
     * weight scale is raised to a floor (twice the limit, for float rounding); the weights it
     * holds still round to the same codes or to 0. */
    float floor_scale = 2 * ECG_MIN_REQUANT_SCALE * q->out.scale / q->in.scale;
    for (int o = 0; o < q->n_scale; o++)
        if (q->w_scale[o] < floor_scale) q->w_scale[o] = floor_scale;
    for (int o = 0; o < out; o++) {
        float s = q->w_scale[per_channel ? o : 0];
        for (int64_t j = 0; j < row; j++) q->w[o * row + j] = q8(w->data[o * row + j], s);
        double bq = b ? nearbyint((double)b[o] / ((double)q->in.scale * s)) : 0;
        q->bias[o] = (int32_t)(bq < -2147483647.0 ? -2147483647.0 : bq > 2147483647.0 ? 2147483647.0 : bq);
    }
    return 0;
}

int ecg_quantize(const ecg_graph *g, const ecg_act_ranges *r, ecg_calib_method m, ecg_qmodel *q, char *err,
                 size_t errlen) {
    memset(q, 0, sizeof *q);
    if (r->n_values != g->n_values) {
        snprintf(err, errlen, "calibration ranges are for a graph with %d values, this one has %d", r->n_values,
                 g->n_values);
        return -1;
    }
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) count += g->nodes[i].kind == ECG_OP_CONV1D || g->nodes[i].kind == ECG_OP_LINEAR;
    if (count && !(q->nodes = calloc((size_t)count, sizeof *q->nodes))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        if (n->kind != ECG_OP_CONV1D && n->kind != ECG_OP_LINEAR) continue;
        if (quantize_node(g, n, r, m, &q->nodes[q->n++], err, errlen)) {
            ecg_qmodel_free(q);
            return -1;
        }
    }
    return 0;
}
