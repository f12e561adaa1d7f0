/* Multi-head attention on the XNNPACK executor vs the reference executor: self and cross,
 * batch 1 and 3, 1 and 2 threads; plan shape (operators and own kernels) of the lowering. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

#define TOL 1e-4

/* Non-zero projection biases, so a lowering that drops or misplaces them fails. */
static void randomize_biases(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++)
        if (strstr(g->params[i].name, "bias"))
            fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 0.5f);
}

/* Builds attention of a [lq, e] query over a [lk, e] key/value input (lk < 0: self-attention). */
static void build(ecg_graph *g, int lq, int lk, int e, int heads, uint64_t seed) {
    ecg_graph_init(g, seed);
    int q = ecg_input(g, "q", ecg_shape2(lq, e));
    int kv = lk < 0 ? -1 : ecg_input(g, "kv", ecg_shape2(lk, e));
    ecg_graph_set_output(g, ecg_mha(g, "attn", q, kv, heads));
    randomize_biases(g, seed + 1);
}

static void check_all(const char *what, int lq, int lk, int e, int heads) {
    ecg_graph g;
    build(&g, lq, lk, e, heads, 11);
    CHECK(!g.err[0], "%s: build: %s", what, g.err);
    for (int batch = 1; batch <= 3; batch += 2)
        for (int threads = 1; threads <= 2; threads++) {
            char label[96];
            snprintf(label, sizeof label, "%s N%d threads %d", what, batch, threads);
            xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)(batch * 10 + threads));
        }
    ecg_graph_free(&g);
}

static void test_mha_cross(void) { check_all("cross q[5,32] kv[40,32] h4", 5, 40, 32, 4); }
static void test_mha_self(void) { check_all("self [37,32] h4", 37, -1, 32, 4); }

/* Random odd sizes, 1..8 heads, query rows not a multiple of the kernel's row block. */
static void test_mha_random(void) {
    ecg_rng r = {77};
    for (int trial = 0; trial < 8; trial++) {
        int heads = (int[]){1, 2, 4, 8}[trial % 4], e = heads * rand_int(&r, 1, 6);
        int lq = rand_int(&r, 1, 30) | 1, lk = trial % 2 ? -1 : rand_int(&r, 1, 50) | 1;
        ecg_graph g;
        build(&g, lq, lk, e, heads, 100 + (uint64_t)trial);
        char label[96];
        snprintf(label, sizeof label, "mha %s Lq%d Lk%d E%d h%d", lk < 0 ? "self" : "cross", lq, lk, e, heads);
        xnn_check(label, &g, rand_int(&r, 1, 3), 1 + trial % 2, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

/* Large scores (scaled-up weights) must not overflow the softmax. */
static void test_mha_peaked(void) {
    ecg_graph g;
    build(&g, 9, 23, 16, 2, 5);
    for (int64_t i = 0; i < ecg_shape_numel(&g.params[0].shape); i++) g.params[0].data[i] *= 8.0f;
    xnn_check("mha peaked", &g, 2, 2, 0, TOL, 3);
    ecg_graph_free(&g);
}

static ecg_xnn_stats plan_stats(int lk) {
    ecg_graph g;
    build(&g, 5, lk, 8, 2, 1);
    char err[256];
    ecg_xnn *x = ecg_xnn_create(&g, 2, 1, 0, err, sizeof err);
    CHECK(x != NULL, "%s", err);
    ecg_xnn_stats s = {0};
    if (x) s = ecg_xnn_get_stats(x);
    ecg_xnn_free(x);
    ecg_graph_free(&g);
    return s;
}

/* Self-attention: one qkv FC + out FC; cross: q FC, kv FC, out FC; one own kernel either way. */
static void test_mha_plan(void) {
    ecg_xnn_stats self = plan_stats(-1), cross = plan_stats(7);
    CHECK(self.n_xnn_ops == 2 && self.n_own_kernels == 1, "self: %d ops, %d own kernels", self.n_xnn_ops,
          self.n_own_kernels);
    CHECK(cross.n_xnn_ops == 3 && cross.n_own_kernels == 1, "cross: %d ops, %d own kernels", cross.n_xnn_ops,
          cross.n_own_kernels);
}

int main(void) {
    RUN(test_mha_cross);
    RUN(test_mha_self);
    RUN(test_mha_random);
    RUN(test_mha_peaked);
    RUN(test_mha_plan);
    return test_done();
}
