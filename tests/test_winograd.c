/* Winograd convolution (ops/winograd.c, ops/xnn_winograd.c): the transforms against a direct
 * correlation in double for every F(m, r) they can build; in the executor, convs of every tap
 * count it takes (padding, bias, folded ReLU, batch, threads, several passes over the tiles)
 * against a naive double loop and against XNNPACK's direct convolution; the rule that picks it;
 * and the ResNets against the reference executor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../models/models.h"
#include "harness.h"
#include "ops/rng.h"
#include "ops/winograd.h"

/* y = AT [(G g) .* (BT d)] equals y[j] = sum_k g[k] d[j + k] for random g, d. */
static void test_transforms(void) {
    ecg_rng rng = {5};
    for (int r = 1; r <= 9; r++)
        for (int m = 1; m + r - 1 <= ECG_WINOGRAD_MAX_N; m++) {
            int n = m + r - 1;
            double at[ECG_WINOGRAD_MAX_N * ECG_WINOGRAD_MAX_N], g[ECG_WINOGRAD_MAX_N * ECG_WINOGRAD_MAX_N];
            double bt[ECG_WINOGRAD_MAX_N * ECG_WINOGRAD_MAX_N];
            CHECK(ecg_winograd_matrices(m, r, at, g, bt) == 0, "F(%d, %d) refused", m, r);
            double filt[ECG_WINOGRAD_MAX_N], d[ECG_WINOGRAD_MAX_N], u[ECG_WINOGRAD_MAX_N], v[ECG_WINOGRAD_MAX_N];
            for (int i = 0; i < r; i++) filt[i] = rand_int(&rng, -1000, 1000) / 1000.0;
            for (int i = 0; i < n; i++) d[i] = rand_int(&rng, -1000, 1000) / 1000.0;
            for (int i = 0; i < n; i++) {
                u[i] = v[i] = 0;
                for (int k = 0; k < r; k++) u[i] += g[i * r + k] * filt[k];
                for (int k = 0; k < n; k++) v[i] += bt[i * n + k] * d[k];
            }
            double worst = 0;
            for (int j = 0; j < m; j++) {
                double y = 0, want = 0;
                for (int i = 0; i < n; i++) y += at[j * n + i] * u[i] * v[i];
                for (int k = 0; k < r; k++) want += filt[k] * d[j + k];
                worst = fmax(worst, fabs(y - want));
            }
            CHECK(worst <= 1e-9, "F(%d, %d): max error %g", m, r, worst);
        }
    double a[1], b[1], c[1];
    CHECK(ecg_winograd_matrices(0, 3, a, b, c) == -1 && ecg_winograd_matrices(3, 0, a, b, c) == -1 &&
              ecg_winograd_matrices(8, 6, a, b, c) == -1,
          "bad sizes accepted");
    /* the executor's tiles: n = 8, and only where they save enough */
    const int want[] = {0, 0, 0, 6, 5, 4, 3, 2, 0, 0};
    for (int r = 0; r <= 9; r++) CHECK(ecg_winograd_tile(r) == want[r], "tile for %d taps: %d", r, ecg_winograd_tile(r));
    /* parts with the fewest products per output: 7 and 8 taps in 2 parts of 4 (3.2 against F(2, 7)'s
     * 4), 11 in 3 of 4 (4.8 against 2 of 6: 5.3), ties to the fewest parts (6: 1 part or 2 of 3) */
    const int want_parts[] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4};
    for (int k = 0; k <= 16; k++)
        CHECK(ecg_winograd_parts(k) == want_parts[k], "parts for %d taps: %d", k, ecg_winograd_parts(k));
}

typedef struct {
    int t_in, cin, cout, k, pad_left, pad_right, stride, dilation, groups;
} conv_case;

/* Conv (+ ReLU) through the executor with flags on `batch` random inputs; the output (free it),
 * its size, the stats, and a naive double-precision result of the same conv (free it). */
static float *run_conv(const conv_case *c, int relu, int batch, int threads, unsigned flags, size_t *n_out,
                       ecg_xnn_stats *st, double **naive) {
    ecg_graph g;
    ecg_graph_init(&g, (uint64_t)(c->t_in * 31 + c->cin * 7 + c->k));
    int x = ecg_input(&g, "x", ecg_shape2(c->t_in, c->cin));
    int y = ecg_conv1d_pad(&g, "layer", x, c->cout, c->k, c->stride, c->dilation, c->groups, 1, c->pad_left,
                           c->pad_right);
    int conv = g.n_nodes - 1;
    ecg_graph_set_output(&g, relu ? ecg_unary(&g, ECG_OP_RELU, "relu", y) : y);
    char err[256];
    ecg_xnn *xe = ecg_xnn_create(&g, batch, threads, flags, err, sizeof err);
    CHECK(xe != NULL, "create: %s", err);
    float *res = NULL;
    *naive = NULL;
    if (xe) {
        ecg_rng r = {11};
        float *in = ecg_xnn_input(xe, 0);
        fill_normal(in, (size_t)batch * (size_t)c->t_in * (size_t)c->cin, &r, 1.0f);
        CHECK(ecg_xnn_run(xe) == 0, "run");
        int t_out = (int)g.values[y].shape.d[0];
        *n_out = (size_t)batch * (size_t)t_out * (size_t)c->cout;
        res = malloc(*n_out * sizeof(float));
        memcpy(res, ecg_xnn_output(xe), *n_out * sizeof(float));
        *st = ecg_xnn_get_stats(xe);
        const float *w = g.params[g.nodes[conv].param[0]].data, *bias = g.params[g.nodes[conv].param[1]].data;
        int gin = c->cin / c->groups, gout = c->cout / c->groups;
        double *ref = malloc(*n_out * sizeof(double));
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < t_out; t++)
                for (int o = 0; o < c->cout; o++) {
                    double acc = bias[o];
                    for (int i = 0; i < gin; i++)
                        for (int k = 0; k < c->k; k++) {
                            int at = t * c->stride + k * c->dilation - c->pad_left;
                            if (at < 0 || at >= c->t_in) continue;
                            acc += (double)w[((size_t)o * (size_t)gin + (size_t)i) * (size_t)c->k + (size_t)k] *
                                   in[((size_t)b * (size_t)c->t_in + (size_t)at) * (size_t)c->cin +
                                      (size_t)(o / gout * gin + i)];
                        }
                    ref[((size_t)b * (size_t)t_out + (size_t)t) * (size_t)c->cout + (size_t)o] =
                        relu && acc < 0 ? 0 : acc;
                }
        *naive = ref;
    }
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
    return res;
}

/* Tap counts of one part (3 to 6) and of several (7 = 2 x 4 with a zero tap, 8 = 2 x 4,
 * 11 = 3 x 4, 14 = 3 x 5, 15 = 3 x 5), "same" and one-sided padding, outputs that end
 * inside a tile, batches whose tiles run across the samples, several passes over the tiles
 * (256 channels at batch 2: 2 passes of 100 tiles), one and two threads: within 1e-5 of the output's scale of a
 * naive loop, like XNNPACK's direct convolution. */
static void test_executor(void) {
    const conv_case cases[] = {
        {100, 64, 80, 3, 1, 1, 1, 1, 1},   {61, 128, 64, 5, 2, 2, 1, 1, 1}, {70, 96, 96, 7, 3, 3, 1, 1, 1},
        {75, 64, 72, 4, 0, 3, 1, 1, 1},    {47, 64, 100, 6, 5, 0, 1, 1, 1}, {600, 256, 256, 3, 1, 1, 1, 1, 1},
        {130, 128, 128, 5, 0, 0, 1, 1, 1}, {90, 64, 80, 8, 3, 4, 1, 1, 1},  {70, 128, 96, 11, 5, 5, 1, 1, 1},
        {60, 96, 96, 14, 6, 7, 1, 1, 1},   {80, 64, 64, 15, 7, 7, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int v = 0; v < 4; v++) {
            int relu = v & 1, batch = 1 + (v >> 1), threads = 1 + (int)(i % 2);
            ecg_xnn_stats a = {0}, b = {0};
            size_t na = 0, nb = 0;
            double *ra = NULL, *rb = NULL;
            float *wino = run_conv(&cases[i], relu, batch, threads, 0, &na, &a, &ra);
            float *direct = run_conv(&cases[i], relu, batch, threads, ECG_XNN_NO_WINOGRAD, &nb, &b, &rb);
            CHECK(a.n_winograd == 1 && b.n_winograd == 0, "case %zu: %d / %d layers on Winograd", i, a.n_winograd,
                  b.n_winograd);
            if (wino && direct && ra && na == nb) {
                double scale = 1e-3, ew = 0, ed = 0;
                for (size_t j = 0; j < na; j++) scale = fmax(scale, fabs(ra[j]));
                for (size_t j = 0; j < na; j++) {
                    ew = fmax(ew, isnan(wino[j]) ? INFINITY : fabs(wino[j] - ra[j]));
                    ed = fmax(ed, fabs(direct[j] - ra[j]));
                }
                CHECK(ew <= 1e-5 * scale, "case %zu relu %d batch %d threads %d: Winograd error %.3g of scale %.3g "
                      "(direct %.3g)", i, relu, batch, threads, ew, scale, ed);
            }
            free(wino), free(direct), free(ra), free(rb);
        }
}

/* Layers it must leave to XNNPACK: too few channels or tiles, 1 or 2 taps, stride, dilation,
 * groups. */
static void test_rule(void) {
    const conv_case no[] = {
        {100, 32, 64, 3, 1, 1, 1, 1, 1},  {100, 64, 32, 3, 1, 1, 1, 1, 1},  {66, 64, 64, 3, 1, 1, 1, 1, 1},
        {100, 64, 64, 2, 0, 1, 1, 1, 1},  {100, 64, 64, 3, 1, 1, 2, 1, 1},  {100, 64, 64, 3, 2, 2, 1, 2, 1},
        {100, 64, 64, 3, 1, 1, 1, 1, 2},  {100, 64, 64, 1, 0, 0, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        ecg_xnn_stats st = {0};
        size_t n = 0;
        double *ref = NULL;
        float *y = run_conv(&no[i], 0, 1, 1, 0, &n, &st, &ref);
        CHECK(st.n_winograd == 0, "case %zu: on Winograd", i);
        free(y), free(ref);
    }
    /* 12 tiles is the least it takes: 67 rows of 6-output tiles, not 66 (above) */
    const conv_case yes = {67, 64, 64, 3, 1, 1, 1, 1, 1};
    ecg_xnn_stats st = {0};
    size_t n = 0;
    double *ref = NULL;
    float *y = run_conv(&yes, 0, 1, 1, 0, &n, &st, &ref);
    CHECK(st.n_winograd == 1, "67 rows, 3 taps: not on Winograd");
    free(y), free(ref);
}

/* The ResNets at a length where most of their convs take it, against the reference executor. */
static void test_models(void) {
    static const char *const models[] = {"resnet1d", "resnet1d-18"};
    for (int i = 0; i < 2; i++) {
        ecg_graph g;
        char err[256];
        ecg_model_cfg cfg = ecg_model_cfg_default(720, 1, 4);
        int rc = ecg_model_build(models[i], &cfg, &g, err, sizeof err);
        CHECK(rc == 0, "build %s: %s", models[i], err);
        if (rc) continue;
        ecg_xnn *x = ecg_xnn_create(&g, 1, 1, 0, err, sizeof err);
        CHECK(x && ecg_xnn_get_stats(x).n_winograd >= 4, "%s: %d convs on Winograd", models[i],
              x ? ecg_xnn_get_stats(x).n_winograd : -1);
        ecg_xnn_free(x);
        xnn_check(models[i], &g, 2, 2, 0, 1e-4, 3);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_transforms);
    RUN(test_executor);
    RUN(test_rule);
    RUN(test_models);
    return test_done();
}
