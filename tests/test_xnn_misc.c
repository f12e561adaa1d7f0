/* XNNPACK executor vs reference for layernorm, embedding and concat (own kernels), batch 1 and 3,
 * 1 and 2 threads. Embedding inputs must be valid indices, which xnn_check's N(0,1) inputs are
 * not, so embedding graphs are compared directly on chosen indices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

#define TOL 1e-5

static void randomize_params(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++)
        fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 1.0f);
}

static void test_layernorm(void) {
    ecg_rng r = {41};
    for (int trial = 0; trial < 8; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int t = 2 * rand_int(&r, 10, 50) + 1, c = rand_int(&r, 1, 40);
        int x = ecg_input(&g, "x", trial % 2 ? ecg_shape2(t, c) : ecg_shape1(c));
        ecg_graph_set_output(&g, ecg_layernorm(&g, "ln", x, 1e-5f));
        randomize_params(&g, 7 + (uint64_t)trial);
        char label[64];
        snprintf(label, sizeof label, "layernorm %s t%d c%d", trial % 2 ? "[T, C]" : "[C]", t, c);
        int batch = trial / 2 % 2 ? 3 : 1, threads = 1 + trial / 4;
        xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

static void test_concat(void) {
    ecg_rng r = {43};
    for (int trial = 0; trial < 16; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int n_in = 2 + trial % 2, rank = 1 + trial / 2 % 2, axis = trial / 4 % 2 ? rank - 1 : 0;
        int t = 2 * rand_int(&r, 0, 40) + 1, c = rand_int(&r, 1, 9), xs[3];
        for (int j = 0; j < n_in; j++) {
            ecg_shape s = rank == 1 ? ecg_shape1(c) : ecg_shape2(t, c);
            s.d[axis] = rand_int(&r, 1, 70);
            char name[8] = {'x', (char)('0' + j), 0};
            xs[j] = ecg_input(&g, name, s);
        }
        ecg_graph_set_output(&g, ecg_concat(&g, "cat", xs, n_in, axis));
        char label[64];
        snprintf(label, sizeof label, "concat %d inputs rank %d axis %d", n_in, rank, axis);
        xnn_check(label, &g, trial / 8 ? 3 : 1, 1 + trial / 8, 0, TOL, (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

/* Runs g on the given inputs through both executors (XNNPACK twice) and compares, NaN positions
 * included (rel_err_f treats a NaN on one side only as an infinite error). */
static void direct_check(const char *label, ecg_graph *g, int batch, int threads, float *const *inputs) {
    char err[256];
    CHECK(ecg_backend_init(err, sizeof err) == 0, "%s: %s", label, err);
    ecg_ref *ref = ecg_ref_create(g, batch, err, sizeof err);
    CHECK(ref != NULL, "%s: ref: %s", label, err);
    ecg_xnn *x = ecg_xnn_create(g, batch, threads, 0, err, sizeof err);
    CHECK(x != NULL, "%s: xnn: %s", label, err);
    if (ref && x) {
        for (int i = 0; i < g->n_inputs; i++)
            memcpy(ecg_xnn_input(x, i), inputs[i],
                   (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape) * sizeof(float));
        ecg_ref_forward(ref, (const float *const *)inputs, 0, 0);
        size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->output].shape);
        for (int rep = 0; rep < 2; rep++) {
            CHECK(ecg_xnn_run(x) == 0, "%s: run failed", label);
            double e = rel_err_f(ecg_xnn_output(x), ecg_ref_output(ref), n);
            CHECK(e <= TOL, "%s: xnnpack vs reference rel err %.3g (run %d)", label, e, rep);
        }
    }
    ecg_xnn_free(x);
    ecg_ref_free(ref);
}

/* Indices in range, with repeats, plus (when with_bad) NaN / fractional / out-of-range ones. */
static float *make_indices(ecg_rng *r, size_t n, int num, int with_bad) {
    float *idx = malloc(n * sizeof(float));
    const float bad[] = {NAN, 0.5f, -1.0f, (float)num, 1e9f};
    for (size_t i = 0; i < n; i++) idx[i] = (float)rand_int(r, 0, num - 1);
    if (with_bad)
        for (size_t i = 0; i < n; i += 7) idx[i] = bad[i / 7 % 5];
    return idx;
}

static void test_embedding(void) {
    ecg_rng r = {47};
    for (int trial = 0; trial < 8; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int len = 2 * rand_int(&r, 10, 60) + 1, num = rand_int(&r, 1, 30), dim = rand_int(&r, 1, 17);
        int batch = trial % 2 ? 3 : 1, threads = 1 + trial / 2 % 2, with_bad = trial / 4;
        ecg_graph_set_output(&g, ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(len)), num, dim));
        float *idx = make_indices(&r, (size_t)(batch * len), num, with_bad);
        char label[80];
        snprintf(label, sizeof label, "embedding L%d num%d dim%d batch %d threads %d%s", len, num, dim, batch, threads,
                 with_bad ? " bad indices" : "");
        direct_check(label, &g, batch, threads, &idx);
        free(idx);
        ecg_graph_free(&g);
    }
}

/* The bad-index rule holds in the XNNPACK gather too: NaN row for a bad index, exact row otherwise. */
static void test_embedding_nan_rows(void) {
    ecg_graph g;
    ecg_graph_init(&g, 2);
    ecg_graph_set_output(&g, ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(5)), 3, 4));
    char err[256];
    ecg_xnn *x = ecg_xnn_create(&g, 1, 2, 0, err, sizeof err);
    CHECK(x != NULL, "%s", err);
    if (x) {
        const float idx[5] = {2, NAN, 3, 0, 1.25f};
        memcpy(ecg_xnn_input(x, 0), idx, sizeof idx);
        CHECK(ecg_xnn_run(x) == 0, "run");
        const float *y = ecg_xnn_output(x), *w = g.params[0].data;
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++) {
                int ok = i == 0 || i == 3;
                if (ok) CHECK(y[i * 4 + j] == w[(int)idx[i] * 4 + j], "row %d col %d", i, j);
                else CHECK(isnan(y[i * 4 + j]), "row %d (index %g) col %d not NaN", i, (double)idx[i], j);
            }
        ecg_xnn_stats s = ecg_xnn_get_stats(x);
        CHECK(s.n_own_kernels == 1 && s.n_xnn_ops == 0, "stats: own %d xnn %d", s.n_own_kernels, s.n_xnn_ops);
    }
    ecg_xnn_free(x);
    ecg_graph_free(&g);
}

/* A small block (embedded tokens concatenated with features, then layernorm): the three own
 * kernels chained, on valid indices. */
static void test_embed_concat_norm_block(void) {
    ecg_rng r = {53};
    for (int trial = 0; trial < 4; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 9);
        int len = 37, batch = trial % 2 ? 3 : 1, threads = 1 + trial / 2;
        int idx = ecg_input(&g, "idx", ecg_shape1(len)), feat = ecg_input(&g, "feat", ecg_shape2(len, 5));
        int xs[2] = {ecg_embedding(&g, "emb", idx, 11, 6), feat};
        int cat = ecg_concat(&g, "cat", xs, 2, 1);
        ecg_graph_set_output(&g, ecg_layernorm(&g, "ln", cat, 1e-5f));
        CHECK(!g.err[0], "%s", g.err);
        randomize_params(&g, 3);
        float *in[2] = {make_indices(&r, (size_t)(batch * len), 11, 0), malloc((size_t)(batch * len * 5) * sizeof(float))};
        fill_normal(in[1], (size_t)(batch * len * 5), &r, 1.0f);
        direct_check("embedding+concat+layernorm", &g, batch, threads, in);
        free(in[0]);
        free(in[1]);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_layernorm);
    RUN(test_concat);
    RUN(test_embedding);
    RUN(test_embedding_nan_rows);
    RUN(test_embed_concat_norm_block);
    return test_done();
}
