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

int main(void) {
    RUN(test_conv1d_bit_exact);
    RUN(test_linear_bit_exact);
    RUN(test_bad_qnode);
    return test_done();
}
