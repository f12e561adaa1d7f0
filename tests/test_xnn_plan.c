/* The executor's memory plan (ecg_xnn_plan): a hand-worked chain, then every registry model
 * checked pair by pair against lifetimes found by a naive scan, and the executor's use of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"
#include "models/models.h"
#include "ops/rng.h"

/* x -> r0 -> r1 -> r2 -> r3 (output), every value the same size S. x lives throughout, r0 at
 * nodes 0-1, r1 1-2, r2 2-3, r3 3-end; worked by hand: x 0, r0 S, r1 2S, r2 S (r0's place),
 * r3 2S (r1's place): 3S in all, where separate buffers take 5S. */
static void test_plan_of_a_chain(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int v = ecg_input(&g, "x", ecg_shape2(100, 4));
    const char *names[] = {"r0", "r1", "r2", "r3"};
    for (int i = 0; i < 4; i++) v = ecg_unary(&g, ECG_OP_RELU, names[i], v);
    ecg_graph_set_output(&g, v);
    CHECK(!g.err[0], "build: %s", g.err);
    size_t off[5], total, s = ecg_xnn_value_bytes(&g, 0, 3);
    CHECK(s >= 3 * 400 * sizeof(float) && s % 64 == 0, "value bytes %zu", s);
    CHECK(ecg_xnn_plan(&g, 3, off, &total) == 0, "plan");
    const size_t want[5] = {0, s, 2 * s, s, 2 * s};
    for (int i = 0; i < 5; i++) CHECK(off[i] == want[i], "value %d at %zu, want %zu", i, off[i], want[i]);
    CHECK(total == 3 * s, "total %zu, want %zu", total, 3 * s);
    ecg_graph_free(&g);
}

/* Lifetimes by a naive scan: live[v][step] for steps -1..n_nodes (index step + 1). */
static unsigned char *naive_lives(const ecg_graph *g) {
    int steps = g->n_nodes + 2;
    unsigned char *live = calloc((size_t)g->n_values * (size_t)steps, 1);
    for (int v = 0; v < g->n_values; v++) {
        int lo = INT32_MAX, hi = -2;
        for (int i = 0; i < g->n_inputs; i++)
            if (g->inputs[i] == v) lo = -1, hi = g->n_nodes;
        if (g->output == v) hi = g->n_nodes;
        for (int i = 0; i < g->n_nodes; i++) {
            const ecg_node *n = &g->nodes[i];
            if (n->out == v) {
                lo = lo < i ? lo : n->n_in ? i : -1;
                hi = hi > i ? hi : i;
                if (!n->n_in) hi = g->n_nodes;
            }
            for (int k = 0; k < n->n_in; k++)
                if (n->in[k] == v) hi = hi > i ? hi : i;
        }
        for (int t = lo; t <= hi && lo != INT32_MAX; t++) live[(size_t)v * (size_t)steps + (size_t)(t + 1)] = 1;
    }
    return live;
}

static int meet(const unsigned char *live, int steps, int u, int v) {
    for (int t = 0; t < steps; t++)
        if (live[(size_t)u * (size_t)steps + (size_t)t] && live[(size_t)v * (size_t)steps + (size_t)t]) return 1;
    return 0;
}

static int is_live(const unsigned char *live, int steps, int v) {
    for (int t = 0; t < steps; t++)
        if (live[(size_t)v * (size_t)steps + (size_t)t]) return 1;
    return 0;
}

/* A registry model for 1 lead and 5 classes with mitdb-aami's features (the fusion models read them). */
static int build_model(const char *name, int length, ecg_graph *g) {
    ecg_model_cfg cfg = ecg_model_cfg_default(length, 1, 5);
    cfg.n_features = ECG_MITDB_N_FEATURES;
    cfg.feature_names = ecg_mitdb_feature_names;
    char err[512];
    if (ecg_model_build(name, &cfg, g, err, sizeof err) == 0) return 0;
    CHECK(0, "%s", err);
    return -1;
}

/* Every model at two lengths and two batches: a value that is ever live has a place inside the
 * arena, two values live at the same step never share a byte, and the arena is no larger than
 * separate buffers; at most half of them for the convolutional models (long chains of blocks;
 * an LSTM graph is a few values, the input most of them). */
static void test_plan_of_every_model(void) {
    const int lengths[2] = {252, 600}, batches[2] = {1, 3};
    for (int i = 0; ecg_model_at(i); i++) {
        const ecg_model_def *m = ecg_model_at(i);
        for (int c = 0; c < 4; c++) {
            ecg_graph g;
            if (build_model(m->name, lengths[c % 2], &g)) continue;
            int batch = batches[c / 2], steps = g.n_nodes + 2;
            size_t *off = malloc((size_t)g.n_values * sizeof *off), total = 0, separate = 0;
            unsigned char *live = naive_lives(&g);
            CHECK(ecg_xnn_plan(&g, batch, off, &total) == 0, "%s: plan", m->name);
            int bad = 0;
            for (int u = 0; u < g.n_values && !bad; u++) {
                size_t bu = ecg_xnn_value_bytes(&g, u, batch);
                if (!is_live(live, steps, u)) {
                    bad |= off[u] != SIZE_MAX;
                    CHECK(off[u] == SIZE_MAX, "%s: dead value %d placed", m->name, u);
                    continue;
                }
                separate += bu;
                bad |= off[u] == SIZE_MAX || off[u] + bu > total || off[u] % 64;
                CHECK(!bad, "%s: value %d at %zu (+%zu) outside the arena of %zu", m->name, u, off[u], bu, total);
                for (int v = u + 1; v < g.n_values && !bad; v++) {
                    if (!is_live(live, steps, v) || !meet(live, steps, u, v)) continue;
                    size_t bv = ecg_xnn_value_bytes(&g, v, batch);
                    bad |= off[u] < off[v] + bv && off[v] < off[u] + bu;
                    CHECK(!bad, "%s T=%d b%d: values %d and %d are live together and overlap", m->name,
                          lengths[c % 2], batch, u, v);
                }
            }
            CHECK(total <= separate && (g.n_nodes < 20 || 2 * total <= separate),
                  "%s T=%d b%d: arena %zu of %zu separate", m->name, lengths[c % 2], batch, total, separate);
            free(live);
            free(off);
            ecg_graph_free(&g);
        }
    }
}

/* Sharing memory changes no result: every model gives bit for bit the same logits with the plan
 * as with a buffer per value (ECG_XNN_KEEP_VALUES), on a first run and a second (inputs and the
 * fusion model's constant tokens must survive a run). */
static void test_plan_changes_no_result(void) {
    for (int i = 0; ecg_model_at(i); i++) {
        const ecg_model_def *m = ecg_model_at(i);
        ecg_graph g;
        if (build_model(m->name, 252, &g)) continue;
        const int batch = 3;
        size_t n_out = (size_t)batch * 5;
        char err[512];
        float *y[2][2];
        for (int k = 0; k < 2; k++) {
            ecg_xnn *x = ecg_xnn_create(&g, batch, 2, k ? ECG_XNN_KEEP_VALUES : 0, err, sizeof err);
            CHECK(x != NULL, "%s: %s", m->name, err);
            ecg_rng r = {7};
            for (int in = 0; x && in < g.n_inputs; in++) {
                size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g.values[g.inputs[in]].shape);
                fill_normal(ecg_xnn_input(x, in), n, &r, 1.0f);
            }
            for (int rep = 0; rep < 2; rep++) {
                y[k][rep] = calloc(n_out, sizeof(float));
                if (x && ecg_xnn_run(x) == 0) memcpy(y[k][rep], ecg_xnn_output(x), n_out * sizeof(float));
                else CHECK(0, "%s: run failed", m->name);
            }
            ecg_xnn_free(x);
        }
        CHECK(!memcmp(y[0][0], y[1][0], n_out * sizeof(float)) && !memcmp(y[0][1], y[1][1], n_out * sizeof(float)),
              "%s: planned logits differ from separate buffers", m->name);
        CHECK(!memcmp(y[0][0], y[0][1], n_out * sizeof(float)), "%s: a second planned run differs", m->name);
        for (int k = 0; k < 4; k++) free(y[k / 2][k % 2]);
        ecg_graph_free(&g);
    }
}

/* The executor takes the plan, unless asked to keep every value (calibration reads them). */
static void test_executor_keeps_values_only_when_asked(void) {
    ecg_model_cfg cfg = ecg_model_cfg_default(252, 1, 5);
    ecg_graph g;
    char err[512];
    CHECK(ecg_model_build("efficientecg-s", &cfg, &g, err, sizeof err) == 0, "%s", err);
    ecg_xnn *planned = ecg_xnn_create(&g, 2, 1, 0, err, sizeof err);
    CHECK(planned != NULL, "%s", err);
    ecg_xnn *kept = ecg_xnn_create(&g, 2, 1, ECG_XNN_KEEP_VALUES, err, sizeof err);
    CHECK(kept != NULL, "%s", err);
    if (planned && kept) {
        size_t a = ecg_xnn_get_stats(planned).value_bytes, b = ecg_xnn_get_stats(kept).value_bytes;
        CHECK(a > 0 && 2 * a <= b, "planned %zu bytes, kept %zu", a, b);
        int mid = g.nodes[g.n_nodes / 2].out;
        CHECK(ecg_xnn_value(planned, mid) == NULL, "a planned executor's intermediate value is not readable");
        CHECK(ecg_xnn_value(kept, mid) != NULL, "a kept value is readable");
    }
    ecg_xnn_free(planned);
    ecg_xnn_free(kept);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_plan_of_a_chain);
    RUN(test_plan_of_every_model);
    RUN(test_plan_changes_no_result);
    RUN(test_executor_keeps_values_only_when_asked);
    return test_done();
}
