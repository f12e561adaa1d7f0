/* conv1d: forward vs a naive double loop, backward vs central differences, on hand-picked and
 * random geometries; FLOPs and parameter counts; shape-inference errors; gradient accumulation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Straight from the definition, PyTorch layouts, padding tested per element. */
static void naive_conv(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                       const double *const *w, double *out, const ecg_shape *out_shape) {
    const ecg_attrs *a = &n->a;
    int t_in = (int)in_shape[0].d[0], cin = (int)in_shape[0].d[1];
    int t_out = (int)out_shape->d[0], cout = (int)out_shape->d[1];
    int cin_g = cin / a->groups, cout_g = cout / a->groups;
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < t_out; t++)
            for (int o = 0; o < cout; o++) {
                double acc = a->has_bias ? w[1][o] : 0;
                int g = o / cout_g;
                for (int i = 0; i < cin_g; i++)
                    for (int k = 0; k < a->kernel; k++) {
                        int ti = t * a->stride - a->pad_left + k * a->dilation;
                        if (ti < 0 || ti >= t_in) continue;
                        acc += w[0][(o * cin_g + i) * a->kernel + k] * in[0][(b * t_in + ti) * cin + g * cin_g + i];
                    }
                out[(b * t_out + t) * cout + o] = acc;
            }
}

typedef struct {
    int t, cin, cout, kernel, stride, dilation, groups, bias;
    int pad_left, pad_right; /* -1: "same" padding (ecg_conv1d) */
    int batch;
} conv_case;

static void check_case(const conv_case *c, uint64_t seed) {
    ecg_graph g;
    ecg_graph_init(&g, seed);
    int x = ecg_input(&g, "x", ecg_shape2(c->t, c->cin));
    if (c->pad_left < 0)
        ecg_conv1d(&g, "conv", x, c->cout, c->kernel, c->stride, c->dilation, c->groups, c->bias);
    else
        ecg_conv1d_pad(&g, "conv", x, c->cout, c->kernel, c->stride, c->dilation, c->groups, c->bias, c->pad_left,
                       c->pad_right);
    char label[160];
    snprintf(label, sizeof label, "conv b%d t%d %d->%d k%d s%d d%d g%d bias%d pad %d,%d", c->batch, c->t, c->cin,
             c->cout, c->kernel, c->stride, c->dilation, c->groups, c->bias, c->pad_left, c->pad_right);
    op_check_opts o = {.batch = c->batch, .seed = seed};
    op_check(label, &g, naive_conv, &o);
    ecg_graph_free(&g);
}

static void check_cases(const conv_case *cs, size_t n) {
    for (size_t i = 0; i < n; i++) check_case(&cs[i], 100 + i);
}

#define CASES(arr) check_cases(arr, sizeof arr / sizeof arr[0])

static void test_conv_dense_strides(void) {
    const conv_case cs[] = {
        {17, 3, 5, 3, 1, 1, 1, 1, -1, -1, 2},  /* odd T, odd kernel, "same" */
        {20, 4, 6, 5, 2, 1, 1, 0, -1, -1, 3},  /* stride 2, no bias */
        {19, 2, 3, 7, 2, 1, 1, 1, -1, -1, 1},  /* stride 2, odd T */
        {16, 5, 4, 3, 3, 1, 1, 1, 1, 0, 4},    /* stride 3, asymmetric padding */
        {10, 19, 3, 3, 1, 1, 1, 1, -1, -1, 2}, /* 19 input channels: two 8-lane chunks and a tail */
        {9, 32, 6, 2, 1, 1, 2, 0, -1, -1, 2},  /* groups of 16 channels: whole chunks only */
    };
    CASES(cs);
}

static void test_conv_groups(void) {
    const conv_case cs[] = {
        {15, 6, 4, 3, 1, 1, 2, 1, -1, -1, 2},  /* Cin 6, Cout 4, groups 2 */
        {14, 6, 9, 5, 2, 1, 3, 0, -1, -1, 3},  /* groups 3, stride 2 */
        {11, 8, 8, 3, 1, 2, 4, 1, -1, -1, 1},  /* groups 4, dilation 2 */
    };
    CASES(cs);
}

static void test_conv_depthwise(void) {
    const conv_case cs[] = {
        {21, 5, 5, 3, 1, 1, 5, 1, -1, -1, 2},  /* depthwise, fast path */
        {23, 7, 7, 5, 2, 1, 7, 0, -1, -1, 3},  /* stride 2, no bias */
        {18, 4, 4, 4, 1, 1, 4, 1, -1, -1, 2},  /* even taps */
        {25, 6, 6, 7, 1, 2, 6, 1, -1, -1, 4},  /* dilation 2 */
        {13, 3, 6, 3, 1, 1, 3, 1, -1, -1, 2},  /* channel multiplier 2 (generic path) */
        {11, 40, 40, 5, 1, 1, 40, 1, -1, -1, 2}, /* one full channel block of 32 and a tail */
        {9, 64, 64, 3, 2, 2, 64, 0, -1, -1, 3},  /* two full blocks, no tail */
    };
    CASES(cs);
}

static void test_conv_dilation_even_kernels(void) {
    const conv_case cs[] = {
        {21, 3, 4, 3, 1, 2, 1, 1, -1, -1, 2},  /* dilation 2 */
        {27, 2, 3, 5, 2, 2, 1, 0, -1, -1, 3},  /* dilation 2, stride 2 */
        {16, 3, 2, 4, 1, 1, 1, 1, -1, -1, 2},  /* even kernel, "same" (extra zero on the right) */
        {15, 2, 5, 8, 1, 1, 1, 1, -1, -1, 1},  /* even kernel, odd T */
        {14, 3, 3, 2, 2, 2, 1, 0, 0, 0, 2},    /* even kernel, stride 2, dilation 2, no padding */
    };
    CASES(cs);
}

/* Inputs shorter than the kernel span: most taps of most steps fall in the padding. */
static void test_conv_short_input(void) {
    const conv_case cs[] = {
        {3, 2, 3, 9, 1, 1, 1, 1, 4, 4, 2},     /* T 3 < span 9 */
        {4, 3, 3, 5, 1, 2, 3, 1, -1, -1, 3},   /* depthwise, span 9 > T 4 */
        {1, 4, 2, 3, 1, 1, 1, 0, 1, 1, 2},     /* T 1 */
        {5, 2, 2, 3, 1, 1, 1, 1, 6, 6, 2},     /* padding wider than the kernel: bias-only steps */
        {2, 3, 3, 5, 2, 1, 1, 1, 3, 1, 4},     /* stride 2, asymmetric */
    };
    CASES(cs);
}

static void test_conv_pointwise(void) {
    const conv_case cs[] = {
        {13, 7, 5, 1, 1, 1, 1, 1, -1, -1, 3},  /* 1x1 */
        {12, 4, 6, 1, 2, 1, 1, 0, -1, -1, 2},  /* 1x1, stride 2 */
        {9, 6, 4, 1, 1, 1, 2, 1, -1, -1, 1},   /* grouped 1x1 */
    };
    CASES(cs);
}

static void test_conv_random(void) {
    ecg_rng r = {4242};
    for (int trial = 0; trial < 24; trial++) {
        conv_case c;
        c.groups = (int[]){1, 1, 2, 3}[trial % 4];
        c.cin = c.groups * rand_int(&r, 1, 4);
        c.cout = trial % 5 == 4 ? c.cin : c.groups * rand_int(&r, 1, 4);
        if (trial % 5 == 4) c.groups = c.cin; /* depthwise */
        c.kernel = rand_int(&r, 1, 9);
        c.stride = rand_int(&r, 1, 2);
        c.dilation = rand_int(&r, 1, 2);
        c.bias = rand_int(&r, 0, 1);
        c.t = rand_int(&r, 1, 40);
        c.batch = rand_int(&r, 1, 4);
        c.pad_left = c.pad_right = -1;
        if (trial % 3 == 2) {
            c.pad_left = rand_int(&r, 0, 5);
            c.pad_right = rand_int(&r, 0, 5);
        }
        int pl = c.pad_left, pr = c.pad_right;
        if (pl < 0) ecg_same_pad(c.kernel, c.dilation, &pl, &pr);
        if (ecg_conv_out_len(c.t, c.kernel, c.stride, c.dilation, pl, pr) < 1) c.pad_right = c.pad_left = 10;
        check_case(&c, 500 + (uint64_t)trial);
    }
}

/* Worked example: T 100, 12 -> 8 channels, k 5, stride 2, groups 2, bias, "same" padding 2 + 2:
 * Tout = (104 - 5) / 2 + 1 = 50; FLOPs 2*50*8*6*5 + 50*8 = 24400; params 8*6*5 + 8 = 248. */
static void test_conv_flops_params(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(100, 12));
    int y = ecg_conv1d(&g, "conv", x, 8, 5, 2, 1, 2, 1);
    CHECK(y >= 0, "build: %s", g.err);
    if (y >= 0) {
        char s[64];
        CHECK(ecg_shape_eq(&g.values[y].shape, &(ecg_shape){2, {50, 8}}), "shape %s",
              ecg_shape_str(&g.values[y].shape, s, sizeof s));
    }
    CHECK(ecg_graph_flops(&g) == 24400, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 248, "params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);

    /* Depthwise, T 64, C 16, k 7, no bias: 2*64*16*1*7 = 14336 FLOPs, 16*7 = 112 params. */
    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2(64, 16));
    y = ecg_dwconv1d(&g, "dw", x, 7, 1, 1, 0);
    CHECK(y >= 0 && g.values[y].shape.d[0] == 64, "dw build: %s", g.err);
    CHECK(ecg_graph_flops(&g) == 14336, "dw flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 112, "dw params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
}

/* A builder call must fail with -1, add no node, and leave a message containing `want`. */
#define EXPECT_BUILD_ERROR(call, want)                                                             \
    do {                                                                                           \
        ecg_graph g_;                                                                              \
        ecg_graph_init(&g_, 1);                                                                    \
        ecg_graph *g = &g_;                                                                        \
        int x = ecg_input(g, "x", in_shape);                                                       \
        int r_ = (call);                                                                           \
        CHECK(r_ == -1, "%s: returned %d, want -1", #call, r_);                                    \
        CHECK(g->n_nodes == 0, "%s: node added", #call);                                           \
        CHECK(strstr(g->err, want) != NULL, "%s: message '%s' lacks '%s'", #call, g->err, want);    \
        ecg_graph_free(g);                                                                         \
    } while (0)

/* Adds a conv node with raw attrs, bypassing the builder's own checks, to reach infer. */
static int raw_conv(ecg_graph *g, int x, int cout, int kernel, int stride, int dilation, int groups, int pl, int pr) {
    ecg_attrs a = ecg_attrs_default();
    a.out_features = cout;
    a.kernel = kernel;
    a.stride = stride;
    a.dilation = dilation;
    a.groups = groups;
    a.pad_left = pl;
    a.pad_right = pr;
    int w = ecg_param_add(g, "conv.weight", ecg_shape3(cout, 1, kernel > 0 ? kernel : 1), 0.1f, 0, 1);
    return ecg_node_add(g, ECG_OP_CONV1D, "conv", &x, 1, &w, 1, &a);
}

static void test_conv_infer_errors(void) {
    ecg_shape in_shape = ecg_shape2(5, 6);
    EXPECT_BUILD_ERROR(ecg_dwconv1d(g, "blocks.0.dw", x, 0, 1, 1, 0), "kernel 0 must be >= 1");
    EXPECT_BUILD_ERROR(ecg_dwconv1d(g, "blocks.0.dw", x, 0, 1, 1, 0), "blocks.0.dw");
    EXPECT_BUILD_ERROR(raw_conv(g, x, 6, -2, 1, 1, 1, 0, 0), "kernel -2");
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 4, 3, 1, 1, 4, 1), "groups 4");
    EXPECT_BUILD_ERROR(raw_conv(g, x, 4, 3, 1, 1, 4, 1, 1), "groups 4 must divide input channels 6");
    EXPECT_BUILD_ERROR(raw_conv(g, x, 6, 3, 1, 1, 0, 1, 1), "groups 0");
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 4, 3, 0, 1, 1, 1), "stride 0 must be >= 1");
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 4, 3, 1, 0, 1, 1), "dilation 0 must be >= 1");
    EXPECT_BUILD_ERROR(ecg_conv1d_pad(g, "c", x, 4, 3, 1, 1, 1, 1, -1, 0), "padding -1");
    EXPECT_BUILD_ERROR(ecg_conv1d_pad(g, "c", x, 4, 9, 1, 1, 1, 1, 0, 0), "output length 0 < 1");
    EXPECT_BUILD_ERROR(ecg_conv1d_pad(g, "c", x, 4, 3, 1, 3, 1, 1, 0, 0), "kernel span 7");
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 0, 3, 1, 1, 1, 1), "out channels 0");
    /* huge dilation must not overflow into a bogus positive length */
    EXPECT_BUILD_ERROR(ecg_conv1d_pad(g, "c", x, 4, 3, 1, 1 << 30, 1, 1, 0, 0), "output length");
    in_shape = ecg_shape1(6);
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 4, 3, 1, 1, 1, 1), "rank 1");
    in_shape = ecg_shape3(2, 5, 6);
    EXPECT_BUILD_ERROR(ecg_conv1d(g, "c", x, 4, 3, 1, 1, 1, 1), "rank 3");
}

/* Backward adds into existing gradients and skips those not wanted (NULL). */
static void test_conv_backward_accumulates(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int x = ecg_input(&g, "x", ecg_shape2(9, 4));
    int y = ecg_conv1d(&g, "conv", x, 6, 3, 2, 1, 2, 1);
    CHECK(y >= 0, "build: %s", g.err);
    if (y < 0) {
        ecg_graph_free(&g);
        return;
    }
    const ecg_node *n = &g.nodes[0];
    const ecg_op *op = ecg_op_get(ECG_OP_CONV1D);
    int batch = 2;
    size_t nx = (size_t)batch * 9 * 4, ny = (size_t)batch * (size_t)ecg_shape_numel(&g.values[y].shape);
    size_t nw = (size_t)ecg_shape_numel(&g.params[n->param[0]].shape);
    ecg_shape in_shape = g.values[x].shape;
    float *xin = malloc(nx * sizeof(float)), *out = malloc(ny * sizeof(float)), *dy = malloc(ny * sizeof(float));
    float *dx1 = calloc(nx, sizeof(float)), *dx2 = malloc(nx * sizeof(float));
    float *dw1 = calloc(nw, sizeof(float)), *dw2 = malloc(nw * sizeof(float)), *db = calloc(6, sizeof(float));
    void *state = malloc(op->state_bytes(n, &in_shape, &g.values[y].shape, batch));
    ecg_rng r = {8};
    fill_normal(xin, nx, &r, 1);
    fill_normal(dy, ny, &r, 1);
    ecg_kctx k = {.node = n, .batch = batch, .n_in = 1, .in = {xin}, .in_shape = {in_shape}, .out = out,
                  .out_shape = g.values[y].shape, .w = {g.params[n->param[0]].data, g.params[n->param[1]].data},
                  .d_out = dy, .state = state};
    op->forward(&k);
    /* fresh gradients */
    k.d_in[0] = dx1;
    k.dw[0] = dw1;
    op->backward(&k);
    /* the same into buffers already holding 1: must give fresh + 1 */
    for (size_t i = 0; i < nx; i++) dx2[i] = 1;
    for (size_t i = 0; i < nw; i++) dw2[i] = 1;
    k.d_in[0] = dx2;
    k.dw[0] = dw2;
    op->backward(&k);
    double ex = 0, ew = 0;
    for (size_t i = 0; i < nx; i++) ex = fmax(ex, fabs((double)dx2[i] - dx1[i] - 1));
    for (size_t i = 0; i < nw; i++) ew = fmax(ew, fabs((double)dw2[i] - dw1[i] - 1));
    CHECK(ex < 1e-5 && ew < 1e-5, "not accumulated: dx err %g, dw err %g", ex, ew);
    /* only the bias grad wanted: d_in and dweight NULL */
    k.d_in[0] = NULL;
    k.dw[0] = NULL;
    k.dw[1] = db;
    op->backward(&k);
    double want0 = 0;
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < (int)g.values[y].shape.d[0]; t++) want0 += dy[((size_t)b * g.values[y].shape.d[0] + t) * 6];
    CHECK(fabs(db[0] - want0) < 1e-5, "dbias %g want %g", db[0], want0);
    free(xin);
    free(out);
    free(dy);
    free(dx1);
    free(dx2);
    free(dw1);
    free(dw2);
    free(db);
    free(state);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_conv_dense_strides);
    RUN(test_conv_groups);
    RUN(test_conv_depthwise);
    RUN(test_conv_dilation_even_kernels);
    RUN(test_conv_short_input);
    RUN(test_conv_pointwise);
    RUN(test_conv_random);
    RUN(test_conv_flops_params);
    RUN(test_conv_infer_errors);
    RUN(test_conv_backward_accumulates);
    return test_done();
}
