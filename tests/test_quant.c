/* int8 post-training quantization: single int8 nodes on XNNPACK bit-exact against a naive integer
 * reference with XNNPACK's fp32 requantisation; calibration; quantized graphs vs f32; the int8
 * weights file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress.h"
#include "harness.h"

/* XNNPACK's "fp32" requantisation (its qs8/qc8 GEMM, IGEMM and DWCONV kernels on x86 in this
 * version): the int32 accumulator to float, times the float scale in_scale * w_scale / out_scale
 * (computed in that order, in float, as the operator's create does), rounded to nearest-even,
 * plus the output zero point, saturated to int8. */
static int8_t requant(int32_t acc, float in_scale, float w_scale, float out_scale, int zp) {
    float scale = in_scale * w_scale / out_scale;
    long v = lrintf((float)acc * scale) + zp;
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static void random_qnode(ecg_qnode *q, const char *name, int64_t n_w, int n_scale, int n_out, ecg_rng *r) {
    memset(q, 0, sizeof *q);
    snprintf(q->node, sizeof q->node, "%s", name);
    q->n_w = n_w;
    q->n_scale = n_scale;
    q->n_out = n_out;
    q->w = malloc((size_t)n_w);
    q->w_scale = malloc((size_t)n_scale * sizeof(float));
    q->bias = malloc((size_t)n_out * sizeof(int32_t));
    for (int64_t i = 0; i < n_w; i++) q->w[i] = (int8_t)rand_int(r, -127, 127);
    for (int i = 0; i < n_scale; i++) q->w_scale[i] = 0.002f + 0.01f * ecg_rng_uniform(r);
    for (int i = 0; i < n_out; i++) q->bias[i] = rand_int(r, -3000, 3000);
    q->in = (ecg_qparams){0.02f + 0.05f * ecg_rng_uniform(r), rand_int(r, -60, 60)};
    q->out = (ecg_qparams){0.05f + 0.2f * ecg_rng_uniform(r), rand_int(r, -60, 60)};
}

/* Input codes xq (batch * numel) as the floats the int8 path quantizes back to exactly xq:
 * (xq - zp) * scale * (1 / scale) is within an ulp of the integer, far from a rounding tie. */
static void codes_to_float(const int8_t *xq, float *x, size_t n, ecg_qparams p) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(xq[i] - p.zero_point) * p.scale;
}

/* Runs graph g (one conv1d or linear node named "node") with int8 parameters q on input codes
 * xq and checks the f32 output equals the dequantised reference codes yq bit for bit. */
static int run_and_compare(const char *label, ecg_graph *g, const ecg_qnode *q, int batch, int threads,
                           const int8_t *xq, const int8_t *yq) {
    ecg_qmodel qm = {(ecg_qnode *)q, 1};
    char err[512];
    ecg_xnn *x = ecg_xnn_create_q(g, &qm, batch, threads, 0, err, sizeof err);
    CHECK(x != NULL, "%s: %s", label, err);
    if (!x) return -1;
    CHECK(ecg_xnn_get_stats(x).n_int8_nodes == 1 && ecg_xnn_get_stats(x).n_dw_slow == 0, "%s: lowering stats", label);
    size_t nin = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[0]].shape);
    size_t nout = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->output].shape);
    codes_to_float(xq, ecg_xnn_input(x, 0), nin, q->in);
    CHECK(ecg_xnn_run(x) == 0, "%s: run", label);
    const float *y = ecg_xnn_output(x);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < nout; i++) {
        float want = (float)(yq[i] - q->out.zero_point) * q->out.scale;
        if (memcmp(&want, &y[i], sizeof want)) {
            if (!bad) first = i;
            bad++;
        }
    }
    CHECK(bad == 0, "%s: %zu of %zu outputs differ from the integer reference (first at %zu: %g vs code %d)", label,
          bad, nout, first, (double)y[first], yq[first]);
    ecg_xnn_free(x);
    return bad ? -1 : 0;
}

/* Naive int8 conv1d: acc = bias + sum w * (x - zp_in), padding contributes nothing (XNNPACK pads
 * with the input zero point), then requant. */
static void naive_conv_q(const ecg_qnode *q, const ecg_attrs *a, int batch, int tin, int cin, int tout,
                         const int8_t *xq, int8_t *yq) {
    int cout = a->out_features, g = a->groups, gin = cin / g, gout = cout / g, k = a->kernel;
    for (int b = 0; b < batch; b++)
        for (int to = 0; to < tout; to++)
            for (int o = 0; o < cout; o++) {
                int32_t acc = q->bias[o];
                int grp = o / gout;
                for (int i = 0; i < gin; i++)
                    for (int t = 0; t < k; t++) {
                        int ti = to * a->stride + t * a->dilation - a->pad_left;
                        if (ti < 0 || ti >= tin) continue;
                        int32_t xv = xq[((size_t)b * tin + ti) * cin + grp * gin + i] - q->in.zero_point;
                        acc += q->w[((size_t)o * gin + i) * k + t] * xv;
                    }
                yq[((size_t)b * tout + to) * cout + o] =
                    requant(acc, q->in.scale, q->w_scale[o], q->out.scale, q->out.zero_point);
            }
}

static void test_conv1d_bit_exact(void) {
    ecg_rng r = {77};
    /* dense, grouped, depthwise at 9 and 25 taps (fast) and 5 taps (padded to 9), strides, dilation */
    const struct { int cin, cout, groups, k, stride, dil; } cases[] = {
        {1, 16, 1, 9, 2, 1},  {16, 48, 1, 1, 1, 1}, {48, 16, 1, 1, 1, 1}, {12, 12, 12, 9, 1, 1},
        {24, 24, 24, 25, 2, 1}, {8, 8, 8, 5, 1, 2},  {6, 9, 3, 3, 2, 1},   {5, 7, 1, 4, 1, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int trial = 0; trial < 2; trial++) {
            ecg_graph g;
            ecg_graph_init(&g, c);
            int t = rand_int(&r, 20, 70), batch = 1 + trial;
            int x = ecg_input(&g, "x", ecg_shape2(t, cases[c].cin));
            int pl = rand_int(&r, 0, cases[c].k / 2 + 1), pr = rand_int(&r, 0, cases[c].k / 2);
            int y = ecg_conv1d_pad(&g, "node", x, cases[c].cout, cases[c].k, cases[c].stride, cases[c].dil,
                                   cases[c].groups, trial, pl, pr);
            ecg_graph_set_output(&g, y);
            CHECK(y >= 0, "build: %s", g.err);
            if (y < 0) {
                ecg_graph_free(&g);
                continue;
            }
            const ecg_attrs *a = &g.nodes[0].a;
            int tout = (int)g.values[y].shape.d[0];
            ecg_qnode q;
            random_qnode(&q, "node", (int64_t)cases[c].cout * (cases[c].cin / cases[c].groups) * cases[c].k,
                         cases[c].cout, cases[c].cout, &r);
            size_t nin = (size_t)batch * t * cases[c].cin, nout = (size_t)batch * tout * cases[c].cout;
            int8_t *xq = malloc(nin), *yq = malloc(nout);
            for (size_t i = 0; i < nin; i++) xq[i] = (int8_t)rand_int(&r, -128, 127);
            naive_conv_q(&q, a, batch, t, cases[c].cin, tout, xq, yq);
            /* the test must be able to fail: the outputs are not all saturated */
            size_t sat = 0;
            for (size_t i = 0; i < nout; i++) sat += yq[i] == -128 || yq[i] == 127;
            CHECK(sat < nout / 2, "case %zu: %zu of %zu outputs saturated; pick smaller scales", c, sat, nout);
            char label[96];
            snprintf(label, sizeof label, "qconv %d->%d g%d k%d s%d d%d pad %d/%d", cases[c].cin, cases[c].cout,
                     cases[c].groups, cases[c].k, cases[c].stride, cases[c].dil, pl, pr);
            run_and_compare(label, &g, &q, batch, 1 + trial, xq, yq);
            free(xq);
            free(yq);
            ecg_qmodel qm = {&q, 1};
            (void)qm;
            free(q.w);
            free(q.w_scale);
            free(q.bias);
            ecg_graph_free(&g);
        }
    }
}

static void test_linear_bit_exact(void) {
    ecg_rng r = {78};
    const int shapes[][3] = {{1, 40, 10}, {3, 17, 5}, {1, 320, 5}, {1, 8, 96}}; /* rows per sample, in, out */
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        int rows = shapes[c][0], in = shapes[c][1], out = shapes[c][2], batch = 3;
        ecg_graph g;
        ecg_graph_init(&g, c);
        int x = ecg_input(&g, "x", rows > 1 ? ecg_shape2(rows, in) : ecg_shape1(in));
        ecg_graph_set_output(&g, ecg_linear(&g, "node", x, out, 1));
        ecg_qnode q;
        random_qnode(&q, "node", (int64_t)in * out, 1, out, &r);
        if (c == 1) {
            /* requantisation scale exactly 0.5: every odd accumulator is a tie, which XNNPACK
             * rounds to even (lrintf), not away from zero (roundf) */
            q.in.scale = 0.25f;
            q.w_scale[0] = 0.5f;
            q.out.scale = 0.25f;
            for (int64_t i = 0; i < q.n_w; i++) q.w[i] = (int8_t)rand_int(&r, -2, 2); /* no saturation */
            for (int i = 0; i < out; i++) q.bias[i] = rand_int(&r, -21, 21);
        }
        size_t n = (size_t)batch * rows;
        int8_t *xq = malloc(n * in), *yq = malloc(n * out);
        for (size_t i = 0; i < n * in; i++) xq[i] = (int8_t)rand_int(&r, -128, 127);
        for (size_t m = 0; m < n; m++)
            for (int o = 0; o < out; o++) {
                int32_t acc = q.bias[o];
                for (int i = 0; i < in; i++) acc += q.w[(size_t)o * in + i] * (xq[m * in + i] - q.in.zero_point);
                yq[m * out + o] = requant(acc, q.in.scale, q.w_scale[0], q.out.scale, q.out.zero_point);
            }
        char label[64];
        snprintf(label, sizeof label, "qlinear %dx%d->%d", rows, in, out);
        run_and_compare(label, &g, &q, batch, 2, xq, yq);
        free(xq);
        free(yq);
        free(q.w);
        free(q.w_scale);
        free(q.bias);
        ecg_graph_free(&g);
    }
}

/* Bad int8 parameters are clear errors, not crashes. */
static void test_bad_qnode(void) {
    ecg_rng r = {5};
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape1(8));
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", x, 4, 1));
    ecg_qnode q;
    random_qnode(&q, "fc", 31, 1, 4, &r); /* 31 weights, the node has 32 */
    ecg_qmodel qm = {&q, 1};
    char err[512];
    ecg_xnn *xe = ecg_xnn_create_q(&g, &qm, 1, 1, 0, err, sizeof err);
    CHECK(!xe && strstr(err, "fc") && strstr(err, "do not fit"), "size mismatch: %s", err);
    ecg_xnn_free(xe);
    q.n_w = 32;
    snprintf(q.node, sizeof q.node, "nope");
    xe = ecg_xnn_create_q(&g, &qm, 1, 1, 0, err, sizeof err);
    CHECK(!xe && strstr(err, "nope"), "unknown node: %s", err);
    ecg_xnn_free(xe);
    free(q.w);
    free(q.w_scale);
    free(q.bias);
    ecg_graph_free(&g);
}

/* A small EfficientECG-like graph: conv + BN + SiLU, depthwise 9 taps + BN + SiLU, SE-free pool,
 * linear. Random weights and BN statistics from seed. */
static int small_graph(ecg_graph *g, uint64_t seed, int c1) {
    ecg_graph_init(g, seed);
    int x = ecg_input(g, "ecg", ecg_shape2(64, 2));
    x = ecg_unary(g, ECG_OP_SILU, "stem.act", ecg_batchnorm(g, "stem.bn", ecg_conv1d(g, "stem.conv", x, c1, 9, 2, 1, 1, 0), 1e-3f, 0.01f));
    x = ecg_unary(g, ECG_OP_SILU, "dw.act", ecg_batchnorm(g, "dw.bn", ecg_dwconv1d(g, "dw.conv", x, 9, 1, 1, 0), 1e-3f, 0.01f));
    x = ecg_conv1d(g, "project", x, 12, 1, 1, 1, 1, 1);
    x = ecg_dropout(g, "drop", ecg_gap(g, "pool", x), 0.2f);
    int y = ecg_linear(g, "classifier", x, 5, 1);
    ecg_graph_set_output(g, y);
    ecg_rng r = {seed ^ 0x5a5a};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        const char *leaf = strrchr(p->name, '.') + 1;
        for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++)
            if (!strcmp(leaf, "running_var")) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else if (!strcmp(leaf, "running_mean")) p->data[j] = 0.3f * ecg_rng_normal(&r);
    }
    return y;
}

static float *random_inputs(int n, size_t ex, uint64_t seed) {
    ecg_rng r = {seed};
    float *x = malloc((size_t)n * ex * sizeof(float));
    fill_normal(x, (size_t)n * ex, &r, 1.0f);
    return x;
}

/* Runs g (f32, or int8 with q) on n examples; returns n * 5 logits. */
static float *run_graph(const ecg_graph *g, const ecg_qmodel *q, const float *x, int n) {
    char err[512];
    ecg_xnn *xe = q ? ecg_xnn_create_q(g, q, n, 1, 0, err, sizeof err) : ecg_xnn_create(g, n, 1, 0, err, sizeof err);
    CHECK(xe != NULL, "create: %s", err);
    if (!xe) return NULL;
    size_t ex = (size_t)ecg_shape_numel(&g->values[g->inputs[0]].shape);
    memcpy(ecg_xnn_input(xe, 0), x, (size_t)n * ex * sizeof(float));
    CHECK(ecg_xnn_run(xe) == 0, "run");
    if (q) CHECK(ecg_xnn_get_stats(xe).n_int8_nodes == q->n, "int8 nodes %d, expected %d", ecg_xnn_get_stats(xe).n_int8_nodes, q->n);
    float *y = malloc((size_t)n * 5 * sizeof(float));
    memcpy(y, ecg_xnn_output(xe), (size_t)n * 5 * sizeof(float));
    ecg_xnn_free(xe);
    return y;
}

/* The whole int8 graph against the f32 graph. Each int8 node adds at most half a step of its
 * output (rounding) and of its input (conversion) in error, amplified by the layers after it;
 * the bound below is 6 steps of the final output, which a broken scale, zero point or weight
 * layout exceeds by orders of magnitude, while the mean error must stay below one step. */
static void test_graph_vs_f32(void) {
    ecg_graph src, g;
    small_graph(&src, 3, 16);
    char err[512];
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    int n = 48;
    float *x = random_inputs(n, 128, 11);
    ecg_act_ranges r;
    CHECK(ecg_calibrate(&g, x, NULL, n, 16, 99.99, &r, err, sizeof err) == 0, "calibrate: %s", err);
    ecg_qmodel q;
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_MINMAX, &q, err, sizeof err) == 0, "quantize: %s", err);
    CHECK(q.n == 4, "4 int8 nodes (stem, dw, project, classifier), got %d", q.n);
    const ecg_qnode *cls = ecg_qmodel_find(&q, "classifier");
    float *yf = run_graph(&g, NULL, x, n), *yq = run_graph(&g, &q, x, n);
    if (yf && yq && cls) {
        double max_e = 0, mean_e = 0;
        int differ = 0;
        for (int i = 0; i < n * 5; i++) {
            double e = fabs((double)yf[i] - yq[i]);
            max_e = e > max_e ? e : max_e;
            mean_e += e / (n * 5);
            differ += yf[i] != yq[i];
        }
        double step = cls->out.scale;
        CHECK(max_e <= 6 * step && mean_e <= step, "int8 vs f32: max error %g, mean %g, output step %g", max_e, mean_e, step);
        CHECK(differ > 0, "int8 output identical to f32: the int8 path did not run");
    }
    free(yf);
    free(yq);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
}

/* Calibration on a synthetic input: uniform in [-1, 3] plus one outlier of 100. min/max keeps
 * the outlier; the 99.9th percentile drops it (to within a histogram bin). */
static void test_calibration_ranges(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int xin = ecg_input(&g, "x", ecg_shape2(50, 1));
    ecg_graph_set_output(&g, ecg_conv1d(&g, "conv", xin, 2, 1, 1, 1, 1, 0));
    int n = 200;
    float *x = malloc((size_t)n * 50 * sizeof(float));
    ecg_rng r = {9};
    for (int i = 0; i < n * 50; i++) x[i] = -1.0f + 4.0f * ecg_rng_uniform(&r);
    x[1234] = 100.0f;
    ecg_act_ranges ar;
    char err[512];
    CHECK(ecg_calibrate(&g, x, NULL, n, 64, 99.9, &ar, err, sizeof err) == 0, "%s", err);
    if (ar.has) {
        double bin = 101.0 / ECG_CALIB_BINS;
        CHECK(ar.has[xin] && ar.max[xin] == 100.0f && ar.min[xin] >= -1.0f && ar.min[xin] < -0.99f,
              "min/max [%g, %g]", (double)ar.min[xin], (double)ar.max[xin]);
        CHECK(fabs(ar.p_hi[xin] - 3.0) <= 2 * bin && fabs(ar.p_lo[xin] + 1.0) <= 2 * bin, "percentile range [%g, %g]",
              (double)ar.p_lo[xin], (double)ar.p_hi[xin]);
    }
    ecg_act_ranges_free(&ar);
    /* qparams: [-1, 3] -> scale 4/255, zero point -64, and 0 is exact */
    ecg_qparams p = ecg_qparams_for_range(-1.0f, 3.0f);
    CHECK(fabsf(p.scale - 4.0f / 255) < 1e-7f && p.zero_point == -64, "qparams %g %d", (double)p.scale, p.zero_point);
    p = ecg_qparams_for_range(0.5f, 2.0f); /* widened to include 0 */
    CHECK(p.zero_point == -128 && fabsf(p.scale - 2.0f / 255) < 1e-7f, "positive range: %g %d", (double)p.scale, p.zero_point);
    p = ecg_qparams_for_range(0.0f, 0.0f);
    CHECK(p.scale > 0 && isfinite(p.scale), "degenerate range scale %g", (double)p.scale);
    /* bad arguments are errors */
    CHECK(ecg_calibrate(&g, x, NULL, 0, 8, 99.9, &ar, err, sizeof err) == -1 && err[0], "n = 0 accepted");
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 20, &ar, err, sizeof err) == -1, "percentile 20 accepted");
    free(x);
    ecg_graph_free(&g);
}

/* Save, load into a fresh graph (other init seed), same outputs bit for bit; truncated,
 * mis-shaped and f32 files are clear errors. */
static void test_int8_file(void) {
    ecg_graph src, g, src2, g2, src3, g3;
    small_graph(&src, 3, 16);
    char err[512], path[128], bad[160];
    snprintf(path, sizeof path, "/tmp/ecg_test_quant_%ld.safetensors", (long)getpid());
    snprintf(bad, sizeof bad, "%s.bad", path);
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    int n = 16;
    float *x = random_inputs(n, 128, 12);
    ecg_act_ranges r;
    ecg_qmodel q, q2 = {0}, q3 = {0};
    CHECK(ecg_calibrate(&g, x, NULL, n, 16, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_PERCENTILE, &q, err, sizeof err) == 0, "%s", err);
    const char *meta[] = {"model", "small"};
    CHECK(ecg_int8_save(&g, &q, path, meta, 1, err, sizeof err) == 0, "save: %s", err);
    small_graph(&src2, 99, 16);
    CHECK(ecg_inference_graph(&g2, &src2, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_int8_load(&g2, &q2, path, err, sizeof err) == 0, "load: %s", err);
    CHECK(q2.n == q.n, "loaded %d int8 nodes of %d", q2.n, q.n);
    float *ya = run_graph(&g, &q, x, n), *yb = run_graph(&g2, &q2, x, n);
    if (ya && yb) CHECK(!memcmp(ya, yb, (size_t)n * 5 * sizeof(float)), "reloaded int8 model gives other outputs");
    free(ya);
    free(yb);
    /* the file is the model size: int8 weights plus small tensors */
    FILE *f = fopen(path, "rb");
    long size = 0;
    if (f && !fseek(f, 0, SEEK_END)) size = ftell(f);
    if (f) fclose(f);
    int64_t bytes = ecg_qmodel_bytes(&g, &q);
    CHECK(bytes > 0 && size > bytes && size < bytes + 8192, "file %ld bytes, params %lld", size, (long long)bytes);
    /* truncated */
    char *buf = malloc((size_t)size);
    f = fopen(path, "rb");
    CHECK(f && fread(buf, 1, (size_t)size, f) == (size_t)size, "read back");
    if (f) fclose(f);
    f = fopen(bad, "wb");
    if (f) {
        fwrite(buf, 1, (size_t)size - 7, f);
        fclose(f);
    }
    ecg_qmodel_free(&q2);
    err[0] = 0;
    CHECK(ecg_int8_load(&g2, &q2, bad, err, sizeof err) == -1 && strstr(err, bad), "truncated file: %s", err);
    free(buf);
    /* mis-shaped: a model with other channel counts */
    small_graph(&src3, 3, 24);
    CHECK(ecg_inference_graph(&g3, &src3, err, sizeof err) == 0, "%s", err);
    err[0] = 0;
    CHECK(ecg_int8_load(&g3, &q3, path, err, sizeof err) == -1 && strstr(err, "expected") && q3.n == 0,
          "mis-shaped file: %s", err);
    /* out-of-range zero point and a negative weight scale are refused on load */
    int32_t zp = q.nodes[0].in.zero_point;
    q.nodes[0].in.zero_point = 300;
    CHECK(ecg_int8_save(&g, &q, bad, NULL, 0, err, sizeof err) == 0, "%s", err);
    err[0] = 0;
    CHECK(ecg_int8_load(&g2, &q2, bad, err, sizeof err) == -1 && strstr(err, "zero point"), "zero point 300: %s", err);
    q.nodes[0].in.zero_point = zp;
    q.nodes[1].w_scale[0] = -q.nodes[1].w_scale[0];
    CHECK(ecg_int8_save(&g, &q, bad, NULL, 0, err, sizeof err) == 0, "%s", err);
    err[0] = 0;
    CHECK(ecg_int8_load(&g2, &q2, bad, err, sizeof err) == -1 && strstr(err, "positive"), "negative scale: %s", err);
    q.nodes[1].w_scale[0] = -q.nodes[1].w_scale[0];
    /* an f32 weights file is not an int8 one */
    CHECK(ecg_safetensors_save(&src, bad, NULL, 0, err, sizeof err) == 0, "%s", err);
    err[0] = 0;
    CHECK(ecg_int8_load(&g2, &q2, bad, err, sizeof err) == -1 && strstr(err, "not an ecgbench int8"), "f32 file: %s", err);
    unlink(path);
    unlink(bad);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
    ecg_graph_free(&g2);
    ecg_graph_free(&src2);
    ecg_graph_free(&g3);
    ecg_graph_free(&src3);
}

/* An int8 file whose weight scale is tiny but positive (1e-12: XNNPACK asserts a requantisation
 * scale in_scale * w_scale / out_scale >= 2^-32 and aborts the process) is refused on load with
 * a message naming the tensor; so is a product under 2^-32 from a huge output scale. */
static void test_int8_tiny_weight_scale(void) {
    ecg_graph src, g, src2, g2;
    small_graph(&src, 3, 16);
    char err[512], path[128];
    snprintf(path, sizeof path, "/tmp/ecg_test_quant_tiny_%ld.safetensors", (long)getpid());
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    small_graph(&src2, 99, 16);
    CHECK(ecg_inference_graph(&g2, &src2, err, sizeof err) == 0, "%s", err);
    int n = 8;
    float *x = random_inputs(n, 128, 12);
    ecg_act_ranges r;
    ecg_qmodel q, q2 = {0};
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_PERCENTILE, &q, err, sizeof err) == 0, "%s", err);
    for (int node = 0; node < q.n; node++) { /* every node: conv (per channel) and linear (per tensor) */
        for (int k = 0; k < 2; k++) {
            float keep_w = q.nodes[node].w_scale[0], keep_out = q.nodes[node].out.scale;
            if (k == 0) q.nodes[node].w_scale[0] = 1e-12f;
            else q.nodes[node].w_scale[0] = 1e-7f, q.nodes[node].out.scale = 1e4f; /* each fine, product 2^-37 */
            CHECK(ecg_int8_save(&g, &q, path, NULL, 0, err, sizeof err) == 0, "%s", err);
            q.nodes[node].w_scale[0] = keep_w;
            q.nodes[node].out.scale = keep_out;
            char want[160];
            snprintf(want, sizeof want, "'%s.weight_scale'", q.nodes[node].node);
            err[0] = 0;
            int rc = ecg_int8_load(&g2, &q2, path, err, sizeof err);
            CHECK(rc == -1 && strstr(err, want) && strstr(err, "2^-32"), "%s case %d: load gave %d: %s", want, k, rc,
                  err);
            if (rc == 0) ecg_qmodel_free(&q2); /* never run it: XNNPACK would abort */
        }
    }
    unlink(path);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
    ecg_graph_free(&g2);
    ecg_graph_free(&src2);
}

/* An int8 file whose input and output scales are both denormal (1e-40: their ratio is 1, so the
 * requantisation check passes) is refused on load naming the tensor, as is a denormal weight
 * scale (with scales that keep the requantisation scale at 1e-9); before, both files loaded and
 * only the executor's build failed. */
static void test_int8_file_denormal_scales(void) {
    ecg_graph src, g, g2;
    small_graph(&src, 3, 16);
    char err[512], path[128];
    snprintf(path, sizeof path, "/tmp/ecg_test_quant_denormal_%ld.safetensors", (long)getpid());
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_graph_clone(&g2, &g) == 0, "clone");
    int n = 8;
    float *x = random_inputs(n, 128, 12);
    ecg_act_ranges r;
    ecg_qmodel q, q2 = {0};
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_PERCENTILE, &q, err, sizeof err) == 0, "%s", err);
    for (int k = 0; k < 2; k++) {
        ecg_qnode *qn = &q.nodes[0], keep = *qn;
        float keep_w = qn->w_scale[0];
        if (k == 0) qn->in.scale = qn->out.scale = 1e-40f;
        else qn->w_scale[0] = 1e-40f, qn->in.scale = 1e15f, qn->out.scale = 1e-16f; /* requantisation 1e-9: fine */
        CHECK(ecg_int8_save(&g, &q, path, NULL, 0, err, sizeof err) == 0, "%s", err);
        *qn = keep;
        qn->w_scale[0] = keep_w;
        char want[160];
        snprintf(want, sizeof want, "'%s.%s'", qn->node, k == 0 ? "input_qparams" : "weight_scale");
        err[0] = 0;
        int rc = ecg_int8_load(&g2, &q2, path, err, sizeof err);
        CHECK(rc == -1 && strstr(err, want) && strstr(err, "normal"), "case %d: load gave %d: %s", k, rc, err);
        if (rc == 0) ecg_qmodel_free(&q2);
    }
    unlink(path);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&g2);
    ecg_graph_free(&src);
}

/* The same checks for an int8 model built in memory (no file): a zero, denormal, tiny (product
 * under 2^-32), NaN or infinite scale, and an out-of-range zero point, in every node, are refused
 * by ecg_xnn_create_q with a message naming the node, never an XNNPACK assertion. */
static void test_in_memory_bad_qparams(void) {
    ecg_graph src, g;
    small_graph(&src, 3, 16);
    char err[512];
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    int n = 8;
    float *x = random_inputs(n, 128, 12);
    ecg_act_ranges r;
    ecg_qmodel q;
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_PERCENTILE, &q, err, sizeof err) == 0, "%s", err);
    ecg_xnn *ok = ecg_xnn_create_q(&g, &q, 1, 1, 0, err, sizeof err);
    CHECK(ok, "the untouched model is refused: %s", err);
    ecg_xnn_free(ok);
    enum { W_SCALE, IN_SCALE, OUT_SCALE, IN_ZP, OUT_ZP };
    static const struct {
        int field;
        float value;
        const char *want;
    } bad[] = {
        {W_SCALE, 0.0f, "weight scale"},          {W_SCALE, 1e-40f, "weight scale"},
        {W_SCALE, 1e-12f, "2^-32"},               {W_SCALE, NAN, "weight scale"},
        {W_SCALE, INFINITY, "weight scale"},      {W_SCALE, -0.01f, "weight scale"},
        {IN_SCALE, 1e-40f, "input scale"},        {IN_SCALE, NAN, "input scale"},
        {OUT_SCALE, 0.0f, "output scale"},        {OUT_SCALE, INFINITY, "output scale"},
        {OUT_SCALE, 1e30f, "2^-32"},              {IN_ZP, 128, "zero point"},
        {OUT_ZP, -129, "zero point"},
    };
    for (int node = 0; node < q.n; node++)
        for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
            ecg_qnode *qn = &q.nodes[node], keep = *qn;
            float keep_w = qn->w_scale[qn->n_scale - 1];
            switch (bad[c].field) {
            case W_SCALE: qn->w_scale[qn->n_scale - 1] = bad[c].value; break; /* the last channel */
            case IN_SCALE: qn->in.scale = bad[c].value; break;
            case OUT_SCALE: qn->out.scale = bad[c].value; break;
            case IN_ZP: qn->in.zero_point = (int32_t)bad[c].value; break;
            default: qn->out.zero_point = (int32_t)bad[c].value; break;
            }
            err[0] = 0;
            ecg_xnn *xe = ecg_xnn_create_q(&g, &q, 1, 1, 0, err, sizeof err);
            CHECK(!xe && !strncmp(err, qn->node, strlen(qn->node)) && strstr(err, bad[c].want),
                  "node %s case %zu (%g): %s", qn->node, c, (double)bad[c].value, xe ? "accepted" : err);
            ecg_xnn_free(xe);
            *qn = keep;
            qn->w_scale[qn->n_scale - 1] = keep_w;
        }
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
}

/* Weights of about 1e-30 (a nearly fully pruned node) give a symmetric scale far under 2^-32:
 * ecg_quantize raises it to a floor XNNPACK accepts, and the int8 graph builds and runs. */
static void test_quantize_tiny_weights(void) {
    ecg_graph src, g;
    small_graph(&src, 3, 16);
    char err[512];
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    int p = ecg_param_find(&g, "classifier.weight");
    CHECK(p >= 0, "no classifier.weight");
    if (p < 0) return;
    for (int64_t i = 0; i < ecg_shape_numel(&g.params[p].shape); i++) g.params[p].data[i] *= 1e-30f;
    int n = 8;
    float *x = random_inputs(n, 128, 12);
    ecg_act_ranges r;
    ecg_qmodel q;
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_PERCENTILE, &q, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < q.n; i++)
        for (int k = 0; k < q.nodes[i].n_scale; k++) {
            double s = (double)q.nodes[i].in.scale * q.nodes[i].w_scale[k] / q.nodes[i].out.scale;
            CHECK(s >= 0x1p-32 && s < 256, "%s channel %d: requantisation scale %g", q.nodes[i].node, k, s);
        }
    float *y = run_graph(&g, &q, x, n);
    free(y);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
}

/* LSTM weights (no XNNPACK int8 operator) are stored weight-only int8: rounded to a scale per row,
 * saved as I8 + row scales, and loaded back dequantised to the same values. */
static void test_weight_only(void) {
    ecg_graph src, g, src2, g2;
    char err[512], path[128];
    snprintf(path, sizeof path, "/tmp/ecg_test_quant_wo_%ld.safetensors", (long)getpid());
    for (int k = 0; k < 2; k++) {
        ecg_graph *s = k ? &src2 : &src;
        ecg_graph_init(s, 5 + (uint64_t)k);
        int x = ecg_input(s, "ecg", ecg_shape2(20, 8));
        ecg_graph_set_output(s, ecg_linear(s, "classifier", ecg_lstm(s, "lstm", x, 64, 1, 0, 1), 5, 1));
    }
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0 && ecg_inference_graph(&g2, &src2, err, sizeof err) == 0,
          "%s", err);
    int pw = ecg_param_find(&g, "lstm.weight_ih_l0");
    CHECK(pw >= 0 && ecg_is_weight_only_param(&g, pw) && !ecg_is_weight_only_param(&g, ecg_param_find(&g, "classifier.weight")),
          "weight-only params: the LSTM's matrices, not the linear's");
    int64_t nw = pw >= 0 ? ecg_shape_numel(&g.params[pw].shape) : 0;
    float *orig = malloc((size_t)nw * sizeof(float) + 1);
    if (pw >= 0) memcpy(orig, g.params[pw].data, (size_t)nw * sizeof(float));
    CHECK(ecg_weight_only_int8(&g) == 2, "weight_ih and weight_hh rounded");
    if (pw >= 0) {
        int64_t cols = g.params[pw].shape.d[1], changed = 0;
        double worst = 0;
        for (int64_t r = 0; r < g.params[pw].shape.d[0]; r++) {
            float sc = ecg_row_int8(orig + r * cols, cols, NULL);
            for (int64_t c = 0; c < cols; c++) {
                double e = fabs((double)g.params[pw].data[r * cols + c] - orig[r * cols + c]) / sc;
                worst = e > worst ? e : worst;
                changed += g.params[pw].data[r * cols + c] != orig[r * cols + c];
            }
        }
        CHECK(worst <= 0.5 + 1e-4 && changed > 0, "rounding error %g steps, %lld changed", worst, (long long)changed);
    }
    int n = 8;
    float *x = random_inputs(n, 160, 3);
    ecg_act_ranges r;
    ecg_qmodel q, q2;
    CHECK(ecg_calibrate(&g, x, NULL, n, 8, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_MINMAX, &q, err, sizeof err) == 0 && q.n == 1, "%s", err);
    CHECK(ecg_int8_save(&g, &q, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_int8_load(&g2, &q2, path, err, sizeof err) == 0, "load: %s", err);
    for (int p = 0; p < g.n_params; p++) {
        if (!ecg_is_weight_only_param(&g, p)) continue;
        const ecg_param *a = &g.params[p], *b = &g2.params[ecg_param_find(&g2, a->name)];
        double d = rel_err_f(b->data, a->data, (size_t)ecg_shape_numel(&a->shape));
        CHECK(d < 1e-6, "%s reloaded differs by %g", a->name, d);
    }
    FILE *f = fopen(path, "rb");
    long size = 0;
    if (f && !fseek(f, 0, SEEK_END)) size = ftell(f);
    if (f) fclose(f);
    int64_t f32_bytes = 4 * ecg_graph_param_count(&g);
    CHECK(size > 0 && size < 0.35 * f32_bytes && ecg_qmodel_bytes(&g, &q) < 0.3 * f32_bytes, "weight-only file %ld bytes vs f32 params %lld", size, (long long)f32_bytes);
    float *ya = run_graph(&g, &q, x, n), *yb = run_graph(&g2, &q2, x, n);
    if (ya && yb) CHECK(rel_err_f(yb, ya, (size_t)n * 5) < 1e-5, "reloaded outputs differ");
    free(ya);
    free(yb);
    unlink(path);
    ecg_qmodel_free(&q);
    ecg_qmodel_free(&q2);
    ecg_act_ranges_free(&r);
    free(orig);
    free(x);
    ecg_graph_free(&g);
    ecg_graph_free(&g2);
    ecg_graph_free(&src);
    ecg_graph_free(&src2);
}

/* conv -> conv with nothing between: the value stays int8 (no dequantise + quantise), which must
 * give bit for bit what the unchained lowering gives, since both quantise with that value's
 * qparams; and the memory plan (int8 buffers sharing the arena) what separate buffers give
 * (ECG_XNN_KEEP_VALUES), on every run. */
static void test_int8_chain(void) {
    ecg_graph g;
    ecg_graph_init(&g, 21);
    int x = ecg_input(&g, "ecg", ecg_shape2(64, 2));
    x = ecg_conv1d(&g, "a", x, 16, 9, 2, 1, 1, 1);
    x = ecg_conv1d(&g, "b", x, 16, 1, 1, 1, 1, 1);
    x = ecg_unary(&g, ECG_OP_RELU, "relu", ecg_dwconv1d(&g, "c", x, 9, 1, 1, 1));
    ecg_graph_set_output(&g, ecg_linear(&g, "classifier", ecg_gap(&g, "pool", x), 5, 1));
    int n = 12;
    float *xs = random_inputs(n, 128, 4);
    char err[512];
    ecg_act_ranges r;
    ecg_qmodel q;
    CHECK(ecg_calibrate(&g, xs, NULL, n, 12, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_MINMAX, &q, err, sizeof err) == 0 && q.n == 4, "%s", err);
    const unsigned flags[3] = {0, ECG_XNN_NO_INT8_CHAIN, ECG_XNN_KEEP_VALUES};
    float *y[3] = {NULL, NULL, NULL};
    size_t bytes[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        ecg_xnn *xe = ecg_xnn_create_q(&g, &q, n, 1, flags[k], err, sizeof err);
        CHECK(xe != NULL, "%s", err);
        if (!xe) continue;
        /* a -> b and b -> c chain; c's output goes through f32 relu */
        CHECK(ecg_xnn_get_stats(xe).n_int8_chained == (k == 1 ? 0 : 2), "chained %d (flags %u)",
              ecg_xnn_get_stats(xe).n_int8_chained, flags[k]);
        bytes[k] = ecg_xnn_get_stats(xe).value_bytes;
        memcpy(ecg_xnn_input(xe, 0), xs, (size_t)n * 128 * sizeof(float));
        y[k] = malloc((size_t)n * 5 * sizeof(float));
        for (int rep = 0; rep < 2; rep++) {
            CHECK(ecg_xnn_run(xe) == 0, "run");
            if (rep) CHECK(!memcmp(y[k], ecg_xnn_output(xe), (size_t)n * 5 * sizeof(float)), "rerun differs (flags %u)", flags[k]);
            memcpy(y[k], ecg_xnn_output(xe), (size_t)n * 5 * sizeof(float));
        }
        ecg_xnn_free(xe);
    }
    for (int k = 1; k < 3; k++)
        if (y[0] && y[k]) CHECK(!memcmp(y[0], y[k], (size_t)n * 5 * sizeof(float)), "planned chained int8 differs (flags %u)", flags[k]);
    CHECK(bytes[0] > 0 && bytes[0] < bytes[2], "planned %zu bytes, separate %zu", bytes[0], bytes[2]);
    for (int k = 0; k < 3; k++) free(y[k]);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(xs);
    ecg_graph_free(&g);
}

/* Six int8 convs in a chain (kernel 9: an output row reads its neighbours' inputs, so a buffer
 * shared too early shows): the int8 outputs share the arena only where their lives allow, and
 * the planned executor gives bit for bit what separate buffers give. */
static void test_int8_plan(void) {
    ecg_graph g;
    ecg_graph_init(&g, 23);
    int x = ecg_input(&g, "ecg", ecg_shape2(64, 8));
    const char *names[6] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) x = ecg_conv1d(&g, names[i], x, 8, 9, 1, 4, 1, 1);
    ecg_graph_set_output(&g, ecg_linear(&g, "classifier", ecg_gap(&g, "pool", x), 5, 1));
    int n = 6;
    float *xs = random_inputs(n, 64 * 8, 5);
    char err[512];
    ecg_act_ranges r;
    ecg_qmodel q;
    CHECK(ecg_calibrate(&g, xs, NULL, n, 6, 99.99, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_quantize(&g, &r, ECG_CALIB_MINMAX, &q, err, sizeof err) == 0, "%s", err);
    float *y[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        ecg_xnn *xe = ecg_xnn_create_q(&g, &q, n, 1, k ? ECG_XNN_KEEP_VALUES : 0, err, sizeof err);
        CHECK(xe != NULL, "%s", err);
        if (!xe) continue;
        CHECK(ecg_xnn_get_stats(xe).n_int8_chained == 5, "chained %d", ecg_xnn_get_stats(xe).n_int8_chained);
        memcpy(ecg_xnn_input(xe, 0), xs, (size_t)n * 64 * 8 * sizeof(float));
        CHECK(ecg_xnn_run(xe) == 0, "run");
        y[k] = malloc((size_t)n * 5 * sizeof(float));
        memcpy(y[k], ecg_xnn_output(xe), (size_t)n * 5 * sizeof(float));
        ecg_xnn_free(xe);
    }
    if (y[0] && y[1]) CHECK(!memcmp(y[0], y[1], (size_t)n * 5 * sizeof(float)), "planned int8 differs from separate buffers");
    free(y[0]);
    free(y[1]);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&r);
    free(xs);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_conv1d_bit_exact);
    RUN(test_linear_bit_exact);
    RUN(test_bad_qnode);
    RUN(test_graph_vs_f32);
    RUN(test_calibration_ranges);
    RUN(test_int8_file);
    RUN(test_int8_tiny_weight_scale);
    RUN(test_in_memory_bad_qparams);
    RUN(test_int8_file_denormal_scales);
    RUN(test_quantize_tiny_weights);
    RUN(test_weight_only);
    RUN(test_int8_chain);
    RUN(test_int8_plan);
    return test_done();
}
