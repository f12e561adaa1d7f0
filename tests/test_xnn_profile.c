/* Per-layer profiling of the XNNPACK executor (ecg_xnn_profile): every step belongs to a node of
 * the executor's graph, folded-away nodes are absent, the per-node times are sane against a whole
 * run timed the same way, on the f32 and the int8 executor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../compress/compress.h"
#include "harness.h"
#include "ops/qmodel.h"
#include "ops/rng.h"
#include "ops/timing.h"

#define T_IN 512
#define C_IN 2
#define REPS 101

/* conv + BN + SiLU, depthwise 9 taps + BN + SiLU, 1x1 project, pool, dropout, linear: two BNs
 * and a dropout for the executor to remove. Random BN statistics from seed. */
static void small_graph(ecg_graph *g, uint64_t seed) {
    ecg_graph_init(g, seed);
    int x = ecg_input(g, "ecg", ecg_shape2(T_IN, C_IN));
    x = ecg_unary(g, ECG_OP_SILU, "stem.act",
                  ecg_batchnorm(g, "stem.bn", ecg_conv1d(g, "stem.conv", x, 32, 9, 2, 1, 1, 0), 1e-3f, 0.01f));
    x = ecg_unary(g, ECG_OP_SILU, "dw.act",
                  ecg_batchnorm(g, "dw.bn", ecg_dwconv1d(g, "dw.conv", x, 9, 1, 1, 0), 1e-3f, 0.01f));
    x = ecg_conv1d(g, "project", x, 16, 1, 1, 1, 1, 1);
    x = ecg_dropout(g, "drop", ecg_gap(g, "pool", x), 0.2f);
    ecg_graph_set_output(g, ecg_linear(g, "classifier", x, 5, 1));
    ecg_rng r = {seed ^ 0x5a5a};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        if (strstr(p->name, "running_var"))
            for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++) p->data[j] = 0.5f + ecg_rng_uniform(&r);
    }
}

static void fill_input(ecg_xnn *x) {
    ecg_rng r = {7};
    fill_normal(ecg_xnn_input(x, 0), T_IN * C_IN, &r, 1.0f);
}

static int steps_of(const ecg_xnn *x, int node) {
    int n = 0;
    for (int s = 0; s < ecg_xnn_n_steps(x); s++) n += ecg_xnn_step_node(x, s) == node;
    return n;
}

/* Every step names a node of the executor's graph, and every node of this graph has a step. */
static void check_attribution(const char *label, const ecg_xnn *x) {
    int n = ecg_xnn_n_nodes(x);
    CHECK(ecg_xnn_n_steps(x) >= n, "%s: %d steps for %d nodes", label, ecg_xnn_n_steps(x), n);
    for (int s = 0; s < ecg_xnn_n_steps(x); s++) {
        int node = ecg_xnn_step_node(x, s);
        CHECK(node >= 0 && node < n, "%s: step %d belongs to node %d of %d", label, s, node, n);
    }
    for (int i = 0; i < n; i++) CHECK(steps_of(x, i) > 0, "%s: node %s has no step", label, ecg_xnn_node_name(x, i));
    CHECK(ecg_xnn_step_node(x, -1) == -1 && ecg_xnn_step_node(x, ecg_xnn_n_steps(x)) == -1, "%s: step out of range",
          label);
    CHECK(ecg_xnn_node_name(x, n) == NULL && ecg_xnn_node_name(x, -1) == NULL, "%s: node out of range", label);
}

/* Median of REPS whole runs, each timed with the same clock the profile reads. */
static double whole_run_us(ecg_xnn *x) {
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = ecg_now_s();
        CHECK(ecg_xnn_run(x) == 0, "run");
        t[r] = 1e6 * (ecg_now_s() - t0);
    }
    return ecg_median(t, REPS);
}

/* The profile: a time for every node, non-negative, summing to about a whole run; absent
 * (no node, or NaN) for what the executor folded or removed. */
static void check_profile(const char *label, ecg_xnn *x) {
    int n = ecg_xnn_n_nodes(x);
    double *us = malloc((size_t)n * sizeof *us), sum = 0;
    CHECK(ecg_xnn_profile(x, 0, us) == -1, "%s: reps 0 accepted", label);
    CHECK(ecg_xnn_profile(x, REPS, us) == 0, "%s: profile failed", label);
    for (int i = 0; i < n; i++) {
        CHECK(isfinite(us[i]) && us[i] >= 0, "%s: node %s took %g us", label, ecg_xnn_node_name(x, i), us[i]);
        sum += us[i];
    }
    double whole = whole_run_us(x);
    /* medians of parts against the median of wholes, on a busy machine: a factor of 3 either way
     * still catches a step timed twice, skipped, or charged in the wrong unit */
    CHECK(sum > whole / 3 && sum < whole * 3, "%s: layers sum to %.1f us, a whole run takes %.1f us", label, sum, whole);
    printf("  %s: %d nodes, %d steps, layers sum %.1f us, whole run %.1f us\n", label, n, ecg_xnn_n_steps(x), sum,
           whole);
    static const char *const gone[] = {"stem.bn", "dw.bn", "drop"};
    for (int k = 0; k < 3; k++) CHECK(ecg_xnn_find_node(x, gone[k]) == -1, "%s: %s still in the graph", label, gone[k]);
    CHECK(ecg_xnn_find_node(x, "stem.conv") == 0 && ecg_xnn_find_node(x, "classifier") == n - 1,
          "%s: node names lost", label);
    free(us);
}

static void test_f32_profile(void) {
    ecg_graph g;
    small_graph(&g, 1);
    char err[512];
    ecg_xnn *x = ecg_xnn_create(&g, 1, 1, 0, err, sizeof err);
    CHECK(x != NULL, "create: %s", err);
    if (x) {
        CHECK(ecg_xnn_n_nodes(x) == g.n_nodes - 3, "%d nodes left of %d: two BNs and a dropout go", ecg_xnn_n_nodes(x),
              g.n_nodes);
        fill_input(x);
        check_attribution("f32", x);
        check_profile("f32", x);
    }
    ecg_xnn_free(x);
    ecg_graph_free(&g);
}

/* Without folding, the batchnorms are steps of their own and get their own times. */
static void test_unfolded_bn_is_timed(void) {
    ecg_graph g;
    small_graph(&g, 2);
    char err[512];
    ecg_xnn *x = ecg_xnn_create(&g, 1, 1, ECG_XNN_NO_BN_FOLD, err, sizeof err);
    CHECK(x != NULL, "create: %s", err);
    if (x) {
        check_attribution("no BN fold", x);
        int bn = ecg_xnn_find_node(x, "stem.bn"), n = ecg_xnn_n_nodes(x);
        double *us = malloc((size_t)n * sizeof *us);
        CHECK(bn >= 0 && ecg_xnn_profile(x, 5, us) == 0 && us[bn] >= 0, "stem.bn not timed");
        free(us);
    }
    ecg_xnn_free(x);
    ecg_graph_free(&g);
}

/* int8: each int8 node's quantise and dequantise steps are its own (here every int8 node reads
 * and writes f32 neighbours, so it has three steps: convert in, the int8 operator, convert out). */
static void test_int8_profile(void) {
    ecg_graph src, g;
    small_graph(&src, 3);
    char err[512];
    CHECK(ecg_inference_graph(&g, &src, err, sizeof err) == 0, "%s", err);
    int n = 16;
    float *xs = malloc((size_t)n * T_IN * C_IN * sizeof *xs);
    ecg_rng r = {11};
    fill_normal(xs, (size_t)n * T_IN * C_IN, &r, 1.0f);
    ecg_act_ranges ar;
    ecg_qmodel q = {0};
    CHECK(ecg_calibrate(&g, xs, NULL, n, 8, 99.99, &ar, err, sizeof err) == 0, "calibrate: %s", err);
    CHECK(ecg_quantize(&g, &ar, ECG_CALIB_MINMAX, &q, err, sizeof err) == 0, "quantize: %s", err);
    ecg_xnn *x = ecg_xnn_create_q(&g, &q, 1, 1, 0, err, sizeof err);
    CHECK(x != NULL && q.n == 4, "create_q: %s (%d int8 nodes)", err, q.n);
    if (x) {
        fill_input(x);
        check_attribution("int8", x);
        for (int k = 0; k < q.n; k++) {
            int node = ecg_xnn_find_node(x, q.nodes[k].node);
            CHECK(node >= 0 && steps_of(x, node) == 3, "int8 node %s has %d steps", q.nodes[k].node,
                  node >= 0 ? steps_of(x, node) : -1);
        }
        check_profile("int8", x);
    }
    ecg_xnn_free(x);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&ar);
    free(xs);
    ecg_graph_free(&g);
    ecg_graph_free(&src);
}

int main(void) {
    RUN(test_f32_profile);
    RUN(test_unfolded_bn_is_timed);
    RUN(test_int8_profile);
    return test_done();
}
