/* XNNPACK executor vs reference executor, op by op, on random shapes; lowering diagnostics. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ops/rng.h"

#define TOL 1e-4

/* Gives BN layers non-trivial running statistics and affine params so folding is exercised. */
static void randomize_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        int64_t n = ecg_shape_numel(&p->shape);
        const char *leaf = strrchr(p->name, '.');
        leaf = leaf ? leaf + 1 : p->name;
        for (int64_t j = 0; j < n; j++) {
            if (!strcmp(leaf, "running_var")) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else if (!strcmp(leaf, "running_mean")) p->data[j] = 0.3f * ecg_rng_normal(&r);
            else if (strstr(p->name, "bn") && !strcmp(leaf, "weight")) p->data[j] = 1.0f + 0.2f * ecg_rng_normal(&r);
            else if (strstr(p->name, "bn") && !strcmp(leaf, "bias")) p->data[j] = 0.2f * ecg_rng_normal(&r);
        }
    }
}

static void test_conv1d_random(void) {
    ecg_rng r = {2024};
    for (int trial = 0; trial < 24; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int t = rand_int(&r, 9, 81), groups = (int[]){1, 1, 2, 4}[trial % 4];
        int cin = groups * rand_int(&r, 1, 6), cout = groups * rand_int(&r, 1, 6);
        int k = (int[]){1, 3, 5, 8, 9}[rand_int(&r, 0, 4)], stride = rand_int(&r, 1, 2), dil = rand_int(&r, 1, 2);
        int x = ecg_input(&g, "x", ecg_shape2(t, cin));
        ecg_graph_set_output(&g, ecg_conv1d(&g, "conv", x, cout, k, stride, dil, groups, trial % 3 != 0));
        char label[96];
        snprintf(label, sizeof label, "conv t%d %d->%d k%d s%d d%d g%d", t, cin, cout, k, stride, dil, groups);
        xnn_check(label, &g, rand_int(&r, 1, 3), 1 + trial % 2, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

/* Depthwise at every tap count the models use or might: fast (3, 9, 25), padded (5, 7, 15),
 * both paths must agree with the reference; stride 2 and dilation included. */
static void test_dwconv_taps(void) {
    const int taps[] = {3, 4, 5, 7, 9, 15, 25};
    for (size_t i = 0; i < sizeof taps / sizeof taps[0]; i++)
        for (int stride = 1; stride <= 2; stride++) {
            ecg_graph g;
            ecg_graph_init(&g, 7);
            int x = ecg_input(&g, "x", ecg_shape2(61 + (int)i, 24));
            ecg_graph_set_output(&g, ecg_dwconv1d(&g, "dw", x, taps[i], stride, 1 + (int)(i % 2), 1));
            char label[64];
            snprintf(label, sizeof label, "dwconv k%d s%d", taps[i], stride);
            xnn_check(label, &g, 2, 2, 0, TOL, i);
            xnn_check(label, &g, 2, 1, ECG_XNN_NO_DW_PAD, TOL, i);
            ecg_graph_free(&g);
        }
}

static ecg_xnn_stats dw_stats(int taps, unsigned flags) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(40, 16));
    ecg_graph_set_output(&g, ecg_dwconv1d(&g, "dw", x, taps, 1, 1, 0));
    char err[256];
    ecg_xnn *xe = ecg_xnn_create(&g, 1, 1, flags, err, sizeof err);
    CHECK(xe != NULL, "%s", err);
    ecg_xnn_stats s = {0};
    if (xe) s = ecg_xnn_get_stats(xe);
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
    return s;
}

/* A 5-tap depthwise conv is padded to 9 taps (fast path), never left on the slow fallback. */
static void test_dwconv_padding_stats(void) {
    CHECK(ecg_xnn_dw_fast_taps(5) == 9 && ecg_xnn_dw_fast_taps(9) == 9 && ecg_xnn_dw_fast_taps(10) == 25 &&
              ecg_xnn_dw_fast_taps(2) == 3 && ecg_xnn_dw_fast_taps(4) == 4,
          "fast tap table");
    ecg_xnn_stats s5 = dw_stats(5, 0), s9 = dw_stats(9, 0), s5n = dw_stats(5, ECG_XNN_NO_DW_PAD);
    CHECK(s5.n_dw_padded == 1 && s5.n_dw_slow == 0, "5 taps: padded %d slow %d", s5.n_dw_padded, s5.n_dw_slow);
    CHECK(s9.n_dw_padded == 0 && s9.n_dw_slow == 0, "9 taps: padded %d slow %d", s9.n_dw_padded, s9.n_dw_slow);
    CHECK(s5n.n_dw_padded == 0 && s5n.n_dw_slow == 1, "5 taps unpadded: slow %d", s5n.n_dw_slow);
}

static void test_linear(void) {
    ecg_rng r = {31};
    for (int trial = 0; trial < 6; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 3);
        int in = rand_int(&r, 1, 40), out = rand_int(&r, 1, 40);
        int x = ecg_input(&g, "x", trial % 2 ? ecg_shape2(rand_int(&r, 1, 9), in) : ecg_shape1(in));
        ecg_graph_set_output(&g, ecg_linear(&g, "fc", x, out, trial % 3 != 2));
        xnn_check("linear", &g, rand_int(&r, 1, 5), 1 + trial % 2, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

/* Conv + BN: folded (default) and as its own affine step must both equal the reference. */
static void test_batchnorm_fold(void) {
    for (int bias = 0; bias <= 1; bias++) {
        ecg_graph g;
        ecg_graph_init(&g, 11);
        int x = ecg_input(&g, "x", ecg_shape2(33, 6));
        int y = ecg_conv1d(&g, "conv", x, 10, 9, 2, 1, 1, bias);
        ecg_graph_set_output(&g, ecg_batchnorm(&g, "bn", y, 1e-5f, 0.1f));
        randomize_bn(&g, 5);
        xnn_check("conv+bn folded", &g, 3, 2, 0, TOL, 1);
        xnn_check("conv+bn unfolded", &g, 3, 2, ECG_XNN_NO_BN_FOLD, TOL, 1);
        char err[256];
        ecg_xnn *xe = ecg_xnn_create(&g, 1, 1, 0, err, sizeof err);
        CHECK(xe && ecg_xnn_get_stats(xe).n_bn_folded == 1, "bn not folded");
        ecg_xnn_free(xe);
        /* the caller's graph is untouched by the executor's rewrite */
        CHECK(g.n_nodes == 2 && g.params[g.nodes[0].param[0]].data != NULL, "graph modified");
        ecg_graph_free(&g);
    }
    /* A BN whose input also feeds something else cannot be folded; it runs as its own step. */
    ecg_graph g;
    ecg_graph_init(&g, 12);
    int x = ecg_input(&g, "x", ecg_shape2(20, 4));
    int y = ecg_conv1d(&g, "conv", x, 4, 3, 1, 1, 1, 1);
    int z = ecg_batchnorm(&g, "bn", y, 1e-5f, 0.1f);
    ecg_graph_set_output(&g, ecg_binary(&g, ECG_OP_ADD, "sum", z, y));
    randomize_bn(&g, 6);
    xnn_check("bn with shared input", &g, 2, 1, 0, TOL, 2);
    ecg_graph_free(&g);
}

/* ReLU folded into the conv (after its BN), the residual add and the linear that feed it: the
 * sums are the reference's with fusion, without it and on the sparse kernel (which clamps in a
 * step of its own). A ReLU whose input has another reader keeps its own step. */
static int relu_graph(ecg_graph *g) {
    ecg_graph_init(g, 21);
    int x = ecg_input(g, "x", ecg_shape2(40, 6));
    int a = ecg_unary(g, ECG_OP_RELU, "a.relu",
                      ecg_batchnorm(g, "a.bn", ecg_conv1d(g, "a.conv", x, 8, 5, 1, 1, 1, 0), 1e-5f, 0.1f));
    int b = ecg_conv1d(g, "b.conv", a, 8, 3, 1, 1, 1, 1);
    int res = ecg_unary(g, ECG_OP_RELU, "res.relu", ecg_binary(g, ECG_OP_ADD, "res.add", b, a));
    int c = ecg_conv1d(g, "c.conv", res, 8, 3, 1, 1, 1, 1);
    int shared = ecg_binary(g, ECG_OP_ADD, "shared", ecg_unary(g, ECG_OP_RELU, "c.relu", c), c);
    int fc = ecg_linear(g, "fc", ecg_gap(g, "pool", shared), 4, 1);
    ecg_graph_set_output(g, ecg_unary(g, ECG_OP_RELU, "fc.relu", fc));
    randomize_bn(g, 8);
    return 3; /* a.relu, res.relu, fc.relu; not c.relu */
}

static void test_relu_fusion(void) {
    ecg_graph g;
    int want = relu_graph(&g);
    xnn_check("relu fused", &g, 3, 2, 0, TOL, 4);
    xnn_check("relu unfused", &g, 3, 2, ECG_XNN_NO_RELU_FUSE, TOL, 4);
    xnn_check("relu fused, sparse", &g, 3, 1, ECG_XNN_SPARSE_ALWAYS, TOL, 4);
    const struct {
        unsigned flags;
        int fused;
    } cases[] = {{0, want}, {ECG_XNN_NO_RELU_FUSE, 0}, {ECG_XNN_KEEP_VALUES, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256];
        ecg_xnn *xe = ecg_xnn_create(&g, 1, 1, cases[i].flags, err, sizeof err);
        CHECK(xe != NULL, "create: %s", err);
        if (!xe) continue;
        CHECK(ecg_xnn_get_stats(xe).n_relu_fused == cases[i].fused, "flags %u: %d ReLUs fused, want %d",
              cases[i].flags, ecg_xnn_get_stats(xe).n_relu_fused, cases[i].fused);
        CHECK(ecg_xnn_find_node(xe, "c.relu") >= 0, "flags %u: the shared ReLU was fused", cases[i].flags);
        ecg_xnn_free(xe);
    }
    CHECK(g.n_nodes == 12, "the caller's graph lost nodes (%d)", g.n_nodes);
    ecg_graph_free(&g);
}

static void test_pools(void) {
    ecg_rng r = {77};
    for (int trial = 0; trial < 6; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int t = rand_int(&r, 5, 70), c = rand_int(&r, 1, 20);
        int x = ecg_input(&g, "x", ecg_shape2(t, c));
        int k = rand_int(&r, 2, 4), s = rand_int(&r, 1, 2), p = rand_int(&r, 0, k / 2);
        ecg_graph_set_output(&g, trial % 2 ? ecg_gap(&g, "gap", x) : ecg_maxpool(&g, "pool", x, k, s, p));
        xnn_check(trial % 2 ? "gap" : "maxpool", &g, rand_int(&r, 1, 3), 1 + trial % 2, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

static void test_elementwise(void) {
    const ecg_op_kind kinds[] = {ECG_OP_RELU, ECG_OP_SILU, ECG_OP_SIGMOID, ECG_OP_TANH, ECG_OP_HARDSWISH,
                                 ECG_OP_DROPOUT};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(37, 5));
        int y = kinds[i] == ECG_OP_DROPOUT ? ecg_dropout(&g, "drop", x, 0.3f) : ecg_unary(&g, kinds[i], "act", x);
        /* a following op keeps dropout's bypass from making the input the output */
        ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "relu", y));
        xnn_check(ecg_op_get(kinds[i])->name, &g, 3, 2, 0, TOL, i);
        ecg_graph_free(&g);
    }
    /* broadcasts: residual [T,C]+[T,C], SE scaling [T,C]*[C] */
    for (int k = 0; k < 2; k++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int a = ecg_input(&g, "a", ecg_shape2(29, 7));
        int b = ecg_input(&g, "b", k ? ecg_shape1(7) : ecg_shape2(29, 7));
        ecg_graph_set_output(&g, ecg_binary(&g, k ? ECG_OP_MUL : ECG_OP_ADD, "op", a, b));
        xnn_check(k ? "mul [T,C]*[C]" : "add", &g, 3, 2, 0, TOL, 9);
        ecg_graph_free(&g);
    }
}

/* A bad graph gives an error message, not a crash. */
static void test_xnn_errors(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    char err[256] = "";
    CHECK(ecg_xnn_create(&g, 1, 1, 0, err, sizeof err) == NULL && strstr(err, "no output"), "empty graph: %s", err);
    int x = ecg_input(&g, "x", ecg_shape2(4, 3));
    CHECK(ecg_conv1d_pad(&g, "conv", x, 3, 9, 1, 1, 1, 1, 0, 0) < 0, "conv longer than input accepted");
    CHECK(ecg_xnn_create(&g, 1, 1, 0, err, sizeof err) == NULL && strstr(err, "conv"), "build error not reported: %s", err);
    ecg_graph_free(&g);
}

/* Asking for more threads than cores gets the cores (oversubscribed pools spin), and says so. */
static void test_thread_cap(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "relu", ecg_input(&g, "x", ecg_shape2(8, 3))));
    char err[256] = "";
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    ecg_xnn *x = ecg_xnn_create(&g, 1, 1000, 0, err, sizeof err);
    CHECK(x && ecg_xnn_threads(x) == cores, "threads %d, cores %d (%s)", x ? ecg_xnn_threads(x) : -1, cores, err);
    ecg_xnn_free(x);
    x = ecg_xnn_create(&g, 1, 1, 0, err, sizeof err);
    CHECK(x && ecg_xnn_threads(x) == 1, "one thread asked");
    ecg_xnn_free(x);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_conv1d_random);
    RUN(test_dwconv_taps);
    RUN(test_dwconv_padding_stats);
    RUN(test_linear);
    RUN(test_batchnorm_fold);
    RUN(test_relu_fusion);
    RUN(test_pools);
    RUN(test_elementwise);
    RUN(test_xnn_errors);
    RUN(test_thread_cap);
    return test_done();
}
