/* XNNPACK lowering of the LSTM vs the reference executor; the operator count must not grow with T. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ops/isa.h"
#include "ops/rng.h"

#define TOL 1e-4

static void check_lstm(int t, int in, int hidden, int layers, int bidir, int last_only, int batch, int threads,
                       uint64_t seed) {
    ecg_graph g;
    ecg_graph_init(&g, seed);
    int x = ecg_input(&g, "x", ecg_shape2(t, in));
    ecg_graph_set_output(&g, ecg_lstm(&g, "lstm", x, hidden, layers, bidir, last_only));
    char label[128];
    snprintf(label, sizeof label, "lstm T%d in%d H%d L%d %s%s N%d threads %d", t, in, hidden, layers,
             bidir ? "bi" : "uni", last_only ? " last" : "", batch, threads);
    CHECK(!g.err[0], "%s: build: %s", label, g.err);
    xnn_check(label, &g, batch, threads, 0, TOL, seed);
    ecg_graph_free(&g);
}

/* 2 layers, uni and bi, last_only on and off, batch 1 and 3, 1 and 2 threads. */
static void test_lstm_two_layers(void) {
    ecg_rng r = {4242};
    uint64_t seed = 1;
    for (int bidir = 0; bidir <= 1; bidir++)
        for (int last = 0; last <= 1; last++)
            for (int batch = 1; batch <= 3; batch += 2)
                for (int threads = 1; threads <= 2; threads++) {
                    int t = 2 * rand_int(&r, 3, 12) + 1, in = rand_int(&r, 1, 12), hidden = rand_int(&r, 3, 24);
                    check_lstm(t, in, hidden, 2, bidir, last, batch, threads, seed++);
                }
}

/* Enough examples x hidden units (70 x 64 > 2 tasks of 2048 units) that the own per-step loops
 * really run on two threads; one and three layers; T = 1 and 2, where the recurrent operator
 * never runs or runs once. */
static void test_lstm_shapes(void) {
    check_lstm(5, 3, 64, 2, 1, 0, 70, 2, 99);
    check_lstm(33, 16, 48, 1, 1, 0, 3, 2, 100);
    check_lstm(17, 5, 40, 3, 1, 1, 2, 2, 101);
    check_lstm(1, 4, 6, 2, 1, 0, 3, 2, 102);
    check_lstm(1, 4, 6, 2, 1, 1, 1, 1, 103);
    check_lstm(2, 3, 5, 2, 0, 0, 2, 1, 104);
    check_lstm(2, 3, 5, 2, 1, 1, 3, 2, 105);
}

static int lstm_xnn_ops(int t, int layers, int bidir) {
    ecg_graph g;
    ecg_graph_init(&g, 9);
    int x = ecg_input(&g, "x", ecg_shape2(t, 6));
    ecg_graph_set_output(&g, ecg_lstm(&g, "lstm", x, 8, layers, bidir, 0));
    char err[512] = "";
    ecg_xnn *xe = ecg_xnn_create(&g, 2, 1, 0, err, sizeof err);
    CHECK(xe != NULL, "xnn create T%d: %s", t, err);
    int n = xe ? ecg_xnn_get_stats(xe).n_xnn_ops : -1;
    ecg_xnn_free(xe);
    ecg_graph_free(&g);
    return n;
}

/* Per layer and direction, two fully_connected and two sigmoid operators, whatever the sequence length. */
static void test_lstm_op_count_independent_of_t(void) {
    for (int bidir = 0; bidir <= 1; bidir++) {
        int a = lstm_xnn_ops(10, 2, bidir), b = lstm_xnn_ops(40, 2, bidir), want = 4 * 2 * (bidir ? 2 : 1);
        CHECK(a == b, "%s: %d XNNPACK ops at T 10, %d at T 40", bidir ? "bi" : "uni", a, b);
        CHECK(a == want, "%s: %d XNNPACK ops, want %d", bidir ? "bi" : "uni", a, want);
    }
}

/* At batch 1 on AVX-512 the recurrent product runs on the small-row kernel's one-row path
 * (ops/xnn_lstm.c), which adds in XNNPACK's order: the same bits as with NO_SMALL. */
static void test_lstm_batch1_bits(void) {
    if (ecg_isa_best() != ECG_ISA_AVX512) {
        test_skip("no AVX-512: the recurrent product stays on XNNPACK");
        return;
    }
    ecg_graph g;
    ecg_graph_init(&g, 77);
    int x = ecg_input(&g, "x", ecg_shape2(21, 12));
    ecg_graph_set_output(&g, ecg_lstm(&g, "lstm", x, 128, 2, 1, 1));
    float out[2][256];
    for (int v = 0; v < 2; v++) {
        char err[512] = "";
        ecg_xnn *xe = ecg_xnn_create(&g, 1, 1, v ? ECG_XNN_NO_SMALL : 0, err, sizeof err);
        CHECK(xe != NULL, "create: %s", err);
        if (!xe) break;
        ecg_rng r = {8};
        fill_normal(ecg_xnn_input(xe, 0), 21 * 12, &r, 1.0f);
        CHECK(ecg_xnn_run(xe) == 0, "run");
        memcpy(out[v], ecg_xnn_output(xe), sizeof out[v]);
        /* one recurrent fully_connected per layer and direction fewer on the own path */
        CHECK(ecg_xnn_get_stats(xe).n_xnn_ops == (v ? 16 : 12), "flags %d: %d XNNPACK ops", v,
              ecg_xnn_get_stats(xe).n_xnn_ops);
        ecg_xnn_free(xe);
    }
    CHECK(!memcmp(out[0], out[1], sizeof out[0]), "batch 1: not XNNPACK's bits");
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_lstm_two_layers);
    RUN(test_lstm_batch1_bits);
    RUN(test_lstm_shapes);
    RUN(test_lstm_op_count_independent_of_t);
    return test_done();
}
