/* Calibration: activation ranges of the f32 inference graph over a calibration set, read from
 * the XNNPACK executor's values (the same f32 numbers the int8 path replaces). Two passes: min
 * and max first, then a histogram over [min, max] per value for the percentiles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "ops/qmodel.h"

void ecg_act_ranges_free(ecg_act_ranges *r) {
    free(r->has);
    free(r->min);
    free(r->max);
    free(r->p_lo);
    free(r->p_hi);
    memset(r, 0, sizeof *r);
}

ecg_qparams ecg_qparams_for_range(float lo, float hi) {
    if (!(lo <= 0)) lo = 0; /* also NaN */
    if (!(hi >= 0)) hi = 0;
    double span = (double)hi - (double)lo;
    if (!(span >= 1e-6) || !isfinite(span)) span = isfinite(span) ? 1e-6 : 1e30;
    float scale = (float)(span / 255.0);
    double zp = nearbyint(-128.0 - (double)lo / scale);
    return (ecg_qparams){scale, (int32_t)(zp < -128 ? -128 : zp > 127 ? 127 : zp)};
}

/* The values conv1d and linear nodes read or write. */
static void mark_values(const ecg_graph *g, unsigned char *has) {
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        if (n->kind != ECG_OP_CONV1D && n->kind != ECG_OP_LINEAR) continue;
        has[n->in[0]] = has[n->out] = 1;
    }
}

typedef struct {
    const ecg_graph *g;
    ecg_xnn *x;
    const float *xs, *fs;
    int n, batch;
    size_t ex, nf;
} runner;

/* Fills the executor's inputs with examples [start, start + m) (zeros past them). */
static int run_batch(runner *r, int start, int *m) {
    *m = r->n - start < r->batch ? r->n - start : r->batch;
    float *in0 = ecg_xnn_input(r->x, 0);
    memcpy(in0, r->xs + (size_t)start * r->ex, (size_t)*m * r->ex * sizeof(float));
    memset(in0 + (size_t)*m * r->ex, 0, (size_t)(r->batch - *m) * r->ex * sizeof(float));
    if (r->g->n_inputs > 1) {
        float *in1 = ecg_xnn_input(r->x, 1);
        memcpy(in1, r->fs + (size_t)start * r->nf, (size_t)*m * r->nf * sizeof(float));
        memset(in1 + (size_t)*m * r->nf, 0, (size_t)(r->batch - *m) * r->nf * sizeof(float));
    }
    return ecg_xnn_run(r->x);
}

/* Value v's element count for the m real examples of a batch. */
static size_t value_count(const ecg_graph *g, int v, int m) {
    return (size_t)m * (size_t)ecg_shape_numel(&g->values[v].shape);
}

static void percentiles(const uint64_t *hist, float lo, float hi, double pct, float *p_lo, float *p_hi) {
    uint64_t total = 0;
    for (int b = 0; b < ECG_CALIB_BINS; b++) total += hist[b];
    double width = ((double)hi - lo) / ECG_CALIB_BINS, tail = (100.0 - pct) / 100.0 * (double)total;
    /* conservative: the lower edge of the bin where the lower tail ends, the upper edge of the
     * bin where the upper tail begins, so at most `tail` values are clipped at either end */
    uint64_t acc = 0;
    int b = 0;
    for (; b < ECG_CALIB_BINS - 1 && (double)(acc + hist[b]) <= tail; b++) acc += hist[b];
    *p_lo = (float)(lo + b * width);
    acc = 0;
    b = ECG_CALIB_BINS - 1;
    for (; b > 0 && (double)(acc + hist[b]) <= tail; b--) acc += hist[b];
    *p_hi = (float)(lo + (b + 1) * width);
    if (*p_lo < lo) *p_lo = lo;
    if (*p_hi > hi) *p_hi = hi;
}

int ecg_calibrate(const ecg_graph *g, const float *x, const float *features, int n, int batch, double percentile,
                  ecg_act_ranges *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    if (n < 1 || !x || (g->n_inputs > 1 && !features) || !(percentile > 50 && percentile <= 100)) {
        snprintf(err, errlen, "calibration needs examples (got %d), features for a 2-input model, and a percentile "
                              "in (50, 100] (got %g)", n, percentile);
        return -1;
    }
    if (batch < 1) batch = 1;
    if (batch > n) batch = n;
    int nv = g->n_values;
    r->n_values = nv;
    r->percentile = percentile;
    r->has = calloc((size_t)nv, 1);
    r->min = malloc((size_t)nv * sizeof(float));
    r->max = malloc((size_t)nv * sizeof(float));
    r->p_lo = calloc((size_t)nv, sizeof(float));
    r->p_hi = calloc((size_t)nv, sizeof(float));
    uint64_t *hist = calloc((size_t)nv * ECG_CALIB_BINS, sizeof(uint64_t));
    runner ru = {g, NULL, x, features, n, batch, 0, 0};
    if (!r->has || !r->min || !r->max || !r->p_lo || !r->p_hi || !hist) {
        snprintf(err, errlen, "out of memory for calibration");
        goto fail;
    }
    mark_values(g, r->has);
    for (int v = 0; v < nv; v++) {
        r->min[v] = INFINITY;
        r->max[v] = -INFINITY;
    }
    ru.ex = (size_t)ecg_shape_numel(&g->values[g->inputs[0]].shape);
    ru.nf = g->n_inputs > 1 ? (size_t)ecg_shape_numel(&g->values[g->inputs[1]].shape) : 0;
    if (!(ru.x = ecg_xnn_create(g, batch, 0, ECG_XNN_KEEP_VALUES, err, errlen))) goto fail;
    for (int pass = 0; pass < 2; pass++)
        for (int start = 0, m = 0; start < n; start += m) {
            if (run_batch(&ru, start, &m)) {
                snprintf(err, errlen, "XNNPACK run failed during calibration");
                goto fail;
            }
            for (int v = 0; v < nv; v++) {
                if (!r->has[v]) continue;
                const float *d = ecg_xnn_value(ru.x, v);
                size_t cnt = value_count(g, v, m);
                if (pass == 0) {
                    float lo = r->min[v], hi = r->max[v];
                    for (size_t i = 0; i < cnt; i++) {
                        lo = d[i] < lo ? d[i] : lo;
                        hi = d[i] > hi ? d[i] : hi;
                    }
                    r->min[v] = lo;
                    r->max[v] = hi;
                } else {
                    uint64_t *h = hist + (size_t)v * ECG_CALIB_BINS;
                    double lo = r->min[v], inv = r->max[v] > lo ? ECG_CALIB_BINS / ((double)r->max[v] - lo) : 0;
                    for (size_t i = 0; i < cnt; i++) {
                        long b = (long)(((double)d[i] - lo) * inv);
                        h[b < 0 ? 0 : b >= ECG_CALIB_BINS ? ECG_CALIB_BINS - 1 : b]++;
                    }
                }
            }
        }
    for (int v = 0; v < nv; v++) {
        if (!r->has[v]) continue;
        if (!isfinite(r->min[v]) || !isfinite(r->max[v])) {
            snprintf(err, errlen, "value '%s' is not finite on the calibration set", g->values[v].name);
            goto fail;
        }
        percentiles(hist + (size_t)v * ECG_CALIB_BINS, r->min[v], r->max[v], percentile, &r->p_lo[v], &r->p_hi[v]);
    }
    ecg_xnn_free(ru.x);
    free(hist);
    return 0;
fail:
    ecg_xnn_free(ru.x);
    free(hist);
    ecg_act_ranges_free(r);
    return -1;
}
