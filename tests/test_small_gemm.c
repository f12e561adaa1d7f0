/* Own dense small-row 1x1 kernel (ops/small_gemm.c): every ISA path this CPU runs against a naive
 * double loop; in the XNNPACK executor, bit for bit XNNPACK's own result, with and without a
 * folded ReLU, forced or by the executor's rule, and a registry model against the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>

#include "../models/models.h"
#include "harness.h"
#include "ops/isa.h"
#include "ops/rng.h"
#include "ops/small_gemm.h"

static void naive(const float *w, const float *bias, const float *x, size_t rows, int out, int in, float lo,
                  double *y) {
    for (size_t r = 0; r < rows; r++)
        for (int o = 0; o < out; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int i = 0; i < in; i++) acc += (double)w[(size_t)o * (size_t)in + (size_t)i] * x[r * (size_t)in + (size_t)i];
            y[r * (size_t)out + (size_t)o] = acc > lo ? acc : lo;
        }
}

/* Packs, runs every supported path serially and on a 2-thread pool, compares. Buffers are offset
 * by one float: the kernel must not need alignment. */
static void check_case(int rows, int out, int in, int with_bias, float lo, uint64_t seed) {
    ecg_rng r = {seed};
    size_t nw = (size_t)out * (size_t)in, nx = (size_t)rows * (size_t)in, ny = (size_t)rows * (size_t)out;
    float *w = malloc(nw * sizeof(float)), *bias = malloc((size_t)out * sizeof(float));
    float *xbuf = malloc((nx + 1) * sizeof(float)), *ybuf = malloc((ny + 1) * sizeof(float));
    float *packed = malloc(ecg_small_w_floats(out, in) * sizeof(float) + sizeof(float));
    double *ref = malloc((ny + 1) * sizeof(double));
    float *x = xbuf + 1, *y = ybuf + 1, *wp = packed + 1;
    fill_normal(w, nw, &r, 1.0f);
    fill_normal(bias, (size_t)out, &r, 1.0f);
    fill_normal(x, nx, &r, 1.0f);
    naive(w, with_bias ? bias : NULL, x, (size_t)rows, out, in, lo, ref);
    ecg_small_w_pack(wp, w, with_bias ? bias : NULL, out, in);
    pthreadpool_t tp = pthreadpool_create(2);
    for (int isa = ECG_ISA_SCALAR; isa <= ECG_ISA_AVX512; isa++) {
        if (!ecg_isa_supported((ecg_isa)isa)) continue;
        for (int threaded = 0; threaded <= 1; threaded++) {
            for (size_t k = 0; k < ny; k++) y[k] = NAN;
            int rc = ecg_small_gemm(wp, out, in, x, (size_t)rows, y, lo, threaded ? tp : NULL, (ecg_isa)isa);
            CHECK(rc == 0, "%s: rc %d", ecg_isa_name((ecg_isa)isa), rc);
            double worst = 0;
            for (size_t k = 0; k < ny; k++) worst = fmax(worst, isnan(y[k]) ? INFINITY : fabs(y[k] - ref[k]));
            CHECK(worst <= 1e-4 * sqrt((double)in + 1), "%s rows %d %d->%d bias %d lo %g threads %d: max err %g",
                  ecg_isa_name((ecg_isa)isa), rows, in, out, with_bias, (double)lo, 1 + threaded, worst);
        }
    }
    if (rows == 1 && ecg_isa_supported(ECG_ISA_AVX512)) { /* the one-row path, its own packing */
        float *gbuf = malloc(ecg_small_gemv_w_floats(out, in) * sizeof(float) + sizeof(float)), *gp = gbuf + 1;
        ecg_small_gemv_w_pack(gp, w, with_bias ? bias : NULL, out, in);
        for (int threaded = 0; threaded <= 1; threaded++) {
            for (size_t k = 0; k < ny; k++) y[k] = NAN;
            CHECK(ecg_small_gemv(gp, out, in, x, y, lo, threaded ? tp : NULL) == 0, "gemv refused");
            double worst = 0;
            for (size_t k = 0; k < ny; k++) worst = fmax(worst, isnan(y[k]) ? INFINITY : fabs(y[k] - ref[k]));
            CHECK(worst <= 1e-4 * sqrt((double)in + 1), "gemv %d->%d bias %d lo %g threads %d: max err %g", in, out,
                  with_bias, (double)lo, 1 + threaded, worst);
        }
        free(gbuf);
    }
    pthreadpool_destroy(tp);
    free(w), free(bias), free(xbuf), free(ybuf), free(packed), free(ref);
}

/* Rows across the 8-row passes (1, a partial pass, one, one and a bit, several), outputs across
 * the 16-wide panels, with and without bias and ReLU. */
static void test_kernel(void) {
    const int rows[] = {1, 5, 8, 9, 16, 21, 40}, outs[] = {1, 15, 16, 17, 40, 129, 300}, ins[] = {1, 7, 64};
    uint64_t seed = 1;
    for (size_t a = 0; a < sizeof rows / sizeof *rows; a++)
        for (size_t b = 0; b < sizeof outs / sizeof *outs; b++)
            for (size_t c = 0; c < sizeof ins / sizeof *ins; c++, seed++)
                check_case(rows[a], outs[b], ins[c], (int)(seed % 2), seed % 3 ? -INFINITY : 0.0f, seed);
    /* no rows is nothing to do; bad arguments are refused */
    float wp[64] = {0}, x[4] = {0}, y[4] = {0};
    CHECK(ecg_small_gemm(wp, 1, 1, x, 0, y, -INFINITY, NULL, ECG_ISA_SCALAR) == 0, "zero rows");
    CHECK(ecg_small_gemm(NULL, 1, 1, x, 1, y, -INFINITY, NULL, ECG_ISA_SCALAR) == -1, "NULL weights accepted");
    CHECK(ecg_small_gemm(wp, 0, 1, x, 1, y, -INFINITY, NULL, ECG_ISA_SCALAR) == -1, "out 0 accepted");
    CHECK(ecg_small_gemm(wp, 1, 1, x, 1, y, -INFINITY, NULL, (ecg_isa)99) == -1, "unknown isa accepted");
    CHECK(ecg_small_w_floats(0, 3) == 0 && ecg_small_w_floats(17, 3) == 2 * 16 * 4, "packed size");
    CHECK(ecg_small_gemv_w_floats(0, 3) == 0 && ecg_small_gemv_w_floats(129, 3) == 2 * 128 * 4, "gemv packed size");
    CHECK(ecg_small_gemv(NULL, 1, 1, x, y, -INFINITY, NULL) == -1 && ecg_small_gemv(wp, 1, 0, x, y, -INFINITY, NULL) == -1,
          "gemv: bad arguments accepted");
}

/* One 1x1 conv or linear (optionally + ReLU) over t rows, run through the executor with flags. */
static float *run_layer(int t, int in, int out, int linear, int relu, int threads, unsigned flags, ecg_xnn_stats *st) {
    ecg_graph g;
    ecg_graph_init(&g, (uint64_t)(t * 131 + in));
    int x = ecg_input(&g, "x", ecg_shape2(t, in));
    int y = linear ? ecg_linear(&g, "layer", x, out, 1) : ecg_conv1d(&g, "layer", x, out, 1, 1, 1, 1, 1);
    ecg_graph_set_output(&g, relu ? ecg_unary(&g, ECG_OP_RELU, "relu", y) : y);
    char err[256];
    ecg_xnn *xe = ecg_xnn_create(&g, 1, threads, flags, err, sizeof err);
    CHECK(xe != NULL, "create: %s", err);
    float *res = NULL;
    if (xe) {
        ecg_rng r = {7};
        fill_normal(ecg_xnn_input(xe, 0), (size_t)t * (size_t)in, &r, 1.0f);
        CHECK(ecg_xnn_run(xe) == 0, "run");
        res = malloc((size_t)t * (size_t)out * sizeof(float));
        memcpy(res, ecg_xnn_output(xe), (size_t)t * (size_t)out * sizeof(float));
        *st = ecg_xnn_get_stats(xe);
    }
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
    return res;
}

/* The kernel adds in XNNPACK's order, so picking it never changes a result: every case must be
 * the same bits as XNNPACK's (checked on AVX-512, where it is offered; forced elsewhere it runs the
 * portable path, checked above). */
static void test_executor_bitwise(void) {
    const int shapes[][3] = {{8, 320, 1280}, {8, 1152, 192}, {16, 112, 672}, {5, 7, 19}, {33, 33, 17}, {1, 1, 16}, {1, 128, 512}, {1, 200, 300}};
    int avx512 = ecg_isa_best() == ECG_ISA_AVX512;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int variant = 0; variant < 4; variant++) {
            int t = shapes[s][0], in = shapes[s][1], out = shapes[s][2], linear = variant & 1, relu = variant >> 1;
            ecg_xnn_stats a = {0}, b = {0};
            float *xnn = run_layer(t, in, out, linear, relu, 1, ECG_XNN_NO_SMALL, &a);
            float *own = run_layer(t, in, out, linear, relu, 2, ECG_XNN_SMALL_ALWAYS, &b);
            CHECK(a.n_small == 0 && b.n_small == 1, "T %d %d->%d: %d / %d layers small", t,
                  in, out, a.n_small, b.n_small);
            CHECK(b.n_relu_fused == relu && b.n_xnn_ops == 0, "T %d: %d ReLUs folded, %d XNNPACK ops", t,
                  b.n_relu_fused, b.n_xnn_ops);
            if (xnn && own && avx512)
                CHECK(!memcmp(xnn, own, (size_t)t * (size_t)out * sizeof(float)),
                      "T %d %d->%d linear %d relu %d: not XNNPACK's bits", t, in, out, linear, relu);
            free(xnn);
            free(own);
        }
    /* By rule, on AVX-512 only: where 8 rows a pass means fewer passes than XNNPACK's 7, up to 32
     * rows, and one row from 64 inputs and 48 outputs up; never with NO_SMALL. The same bits either
     * way. */
    const struct {
        int t, in, out, small;
    } rule[] = {{1, 64, 48, 1},  {1, 63, 48, 0},  {1, 64, 47, 0},  {7, 64, 48, 0},  {8, 64, 48, 1},
                {14, 64, 48, 0}, {16, 64, 48, 1}, {24, 64, 48, 1}, {32, 64, 48, 1}, {40, 64, 48, 0}};
    float *first = NULL;
    for (size_t k = 0; k < sizeof rule / sizeof *rule; k++) {
        ecg_xnn_stats st = {0};
        float *y = run_layer(rule[k].t, rule[k].in, rule[k].out, 0, 1, 1, 0, &st);
        CHECK(st.n_small == (rule[k].small && avx512), "T %d %d->%d: %d layers small", rule[k].t, rule[k].in,
              rule[k].out, st.n_small);
        free(y);
    }
    ecg_xnn_stats a = {0}, c = {0};
    first = run_layer(8, 320, 1280, 0, 1, 1, 0, &a);
    float *never = run_layer(8, 320, 1280, 0, 1, 1, ECG_XNN_NO_SMALL, &c);
    CHECK(c.n_small == 0, "NO_SMALL: %d layers small", c.n_small);
    if (first && never) CHECK(!memcmp(first, never, 8 * 1280 * sizeof(float)), "the choice changed the result");
    free(first);
    free(never);
}

/* One conv1d with taps (optionally + ReLU) over t_in input rows, batch 2, run with flags. */
static float *run_conv(const int c[7], int relu, unsigned flags, size_t *n_out, ecg_xnn_stats *st) {
    int t_in = c[0], cin = c[1], cout = c[2], k = c[3], stride = c[4], dilation = c[5], pad_left = c[6];
    ecg_graph g;
    ecg_graph_init(&g, (uint64_t)(t_in * 31 + cin * 7 + k));
    int x = ecg_input(&g, "x", ecg_shape2(t_in, cin));
    int y = ecg_conv1d_pad(&g, "layer", x, cout, k, stride, dilation, 1, 1, pad_left, k / 2);
    ecg_graph_set_output(&g, relu ? ecg_unary(&g, ECG_OP_RELU, "relu", y) : y);
    char err[256];
    ecg_xnn *xe = ecg_xnn_create(&g, 2, 1, flags, err, sizeof err);
    CHECK(xe != NULL, "create: %s", err);
    float *res = NULL;
    if (xe) {
        ecg_rng r = {11};
        fill_normal(ecg_xnn_input(xe, 0), 2 * (size_t)t_in * (size_t)cin, &r, 1.0f);
        CHECK(ecg_xnn_run(xe) == 0, "run");
        *n_out = 2 * (size_t)ecg_shape_numel(&g.values[g.output].shape);
        res = malloc(*n_out * sizeof(float));
        memcpy(res, ecg_xnn_output(xe), *n_out * sizeof(float));
        *st = ecg_xnn_get_stats(xe);
    }
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
    return res;
}

/* Convs with taps (ResNet1D-18's last stages at beat length among them: 16 -> 8 rows at stride 2,
 * 8 rows of 512 channels): the windows copied into rows, then the kernel, give XNNPACK's bits,
 * padding, stride and dilation included. */
static void test_conv_bitwise(void) {
    /* t_in, cin, cout, taps, stride, dilation, pad_left */
    const int convs[][7] = {{16, 256, 512, 7, 2, 1, 3}, {8, 512, 512, 7, 1, 1, 3}, {5, 7, 19, 3, 1, 1, 1},
                            {9, 16, 33, 5, 1, 2, 4},    {12, 8, 24, 8, 1, 1, 3},   {6, 32, 16, 1, 2, 1, 0}};
    int avx512 = ecg_isa_best() == ECG_ISA_AVX512;
    for (size_t i = 0; i < sizeof convs / sizeof *convs; i++)
        for (int relu = 0; relu < 2; relu++) {
            ecg_xnn_stats a = {0}, b = {0};
            size_t na = 0, nb = 0;
            float *xnn = run_conv(convs[i], relu, ECG_XNN_NO_SMALL, &na, &a);
            float *own = run_conv(convs[i], relu, ECG_XNN_SMALL_ALWAYS, &nb, &b);
            CHECK(a.n_small == 0 && b.n_small == 1 && b.n_xnn_ops == 0, "conv %zu: %d / %d layers small, %d ops", i,
                  a.n_small, b.n_small, b.n_xnn_ops);
            if (xnn && own && na == nb && avx512)
                CHECK(!memcmp(xnn, own, na * sizeof(float)), "conv %zu relu %d: not XNNPACK's bits", i, relu);
            else if (xnn && own && na == nb) /* the portable path adds in the same order, without FMA */
                for (size_t j = 0; j < na; j++)
                    CHECK(fabsf(xnn[j] - own[j]) <= 1e-4f * (1 + fabsf(xnn[j])), "conv %zu [%zu]: %g vs %g", i, j,
                          xnn[j], own[j]);
            free(xnn);
            free(own);
        }
}

/* A whole registry model with every 1x1 conv and linear on the kernel, against the reference. */
static void test_registry_model(void) {
    ecg_graph g;
    char err[256];
    ecg_model_cfg cfg = ecg_model_cfg_default(252, 1, 5);
    int rc = ecg_model_build("efficientecg-s", &cfg, &g, err, sizeof err);
    CHECK(rc == 0, "build: %s", err);
    if (rc) return;
    xnn_check("efficientecg-s, small kernel forced", &g, 2, 2, ECG_XNN_SMALL_ALWAYS, 1e-4, 3);
    ecg_graph_free(&g);
    rc = ecg_model_build("resnet1d-18", &cfg, &g, err, sizeof err); /* every conv with taps too */
    CHECK(rc == 0, "build: %s", err);
    if (rc) return;
    xnn_check("resnet1d-18, small kernel forced", &g, 2, 2, ECG_XNN_SMALL_ALWAYS, 1e-4, 3);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_kernel);
    RUN(test_executor_bitwise);
    RUN(test_conv_bitwise);
    RUN(test_registry_model);
    return test_done();
}
