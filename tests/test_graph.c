/* Graph IR: the op registry and its traits, builder errors, parameter bookkeeping, cloning, the
 * inference rewrite (BN folding, dropout removal; reference executor). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Every op of the list (ops/op_list.h) is defined: a unique name, a shape rule, a forward and a
 * backward. */
static void test_op_registry(void) {
    for (int k = 0; k < ECG_OP_COUNT; k++) {
        const ecg_op *op = ecg_op_get((ecg_op_kind)k);
        CHECK(op && op->name && op->name[0] && op->infer && op->forward && op->backward, "op %d incomplete", k);
        for (int j = 0; op && j < k; j++)
            CHECK(strcmp(ecg_op_get((ecg_op_kind)j)->name, op->name), "op name %s twice", op->name);
    }
    CHECK(!ecg_op_get(ECG_OP_COUNT) && !ecg_op_has(ECG_OP_COUNT, 0), "a kind out of range is accepted");
    CHECK(ecg_op_has(ECG_OP_RELU, ECG_TRAIT_PER_CHANNEL) && !ecg_op_has(ECG_OP_LAYERNORM, ECG_TRAIT_PER_CHANNEL) &&
              ecg_op_has(ECG_OP_LSTM, ECG_TRAIT_WEIGHT_MATRICES) && !ecg_op_has(ECG_OP_EMBEDDING, ECG_TRAIT_WEIGHT_MATRICES),
          "traits");
}

/* An op with ECG_TRAIT_PER_CHANNEL keeps the channel count (channel pruning ties its input and
 * output channels). A new per-channel op that is not unary needs its builder here. */
static void test_per_channel_ops_keep_channels(void) {
    for (int k = 0; k < ECG_OP_COUNT; k++) {
        ecg_op_kind kind = (ecg_op_kind)k;
        if (!ecg_op_has(kind, ECG_TRAIT_PER_CHANNEL)) continue;
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(12, 6)), y;
        switch (kind) {
        case ECG_OP_BATCHNORM: y = ecg_batchnorm(&g, "op", x, 1e-5f, 0.1f); break;
        case ECG_OP_ADD: case ECG_OP_MUL: y = ecg_binary(&g, kind, "op", x, x); break;
        case ECG_OP_GAP: y = ecg_gap(&g, "op", x); break;
        case ECG_OP_MAXPOOL: y = ecg_maxpool(&g, "op", x, 3, 2, 1); break;
        case ECG_OP_DROPOUT: y = ecg_dropout(&g, "op", x, 0.5f); break;
        default: y = ecg_unary(&g, kind, "op", x); break;
        }
        const ecg_shape *s = y >= 0 ? &g.values[y].shape : NULL;
        CHECK(s && s->d[s->rank - 1] == 6, "%s: %s", ecg_op_get(kind)->name, y < 0 ? g.err : "channels changed");
        ecg_graph_free(&g);
    }
}

/* The first failing builder names its node; later builders return -1 without overwriting it. */
static void test_builder_errors_propagate(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(10, 6));
    int y = ecg_conv1d(&g, "bad_conv", x, 8, 3, 1, 1, 4, 1); /* 6 channels, 4 groups */
    int z = ecg_unary(&g, ECG_OP_RELU, "relu", y);
    CHECK(y < 0 && z < 0, "error did not propagate");
    CHECK(strstr(g.err, "bad_conv") != NULL, "error does not name the node: %s", g.err);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2(10, 6));
    ecg_linear(&g, "fc", x, 4, 1);
    CHECK(ecg_linear(&g, "fc", x, 4, 1) < 0 && strstr(g.err, "duplicate parameter name fc.weight"),
          "duplicate name accepted: %s", g.err);
    ecg_graph_free(&g);

    /* negative sizes are caught when the parameter is made, before any allocation */
    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2(10, 6));
    CHECK(ecg_linear(&g, "fc", x, -4, 1) < 0 && strstr(g.err, "fc.weight: invalid shape"), "negative width: %s", g.err);
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2(10, 6));
    CHECK(ecg_conv1d_pad(&g, "c", x, 4, -3, 1, 1, 1, 0, 0, 0) < 0 && strstr(g.err, "c.weight: invalid shape"),
          "negative kernel: %s", g.err);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    CHECK(ecg_input(&g, "x", ecg_shape2(0, 3)) < 0 && strstr(g.err, "dimension"), "zero-length input accepted");
    ecg_graph_free(&g);
}

/* Trainable parameters only, as PyTorch's parameters() counts them. */
static void test_param_count(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(50, 12));
    int y = ecg_batchnorm(&g, "bn", ecg_conv1d(&g, "conv", x, 16, 9, 2, 1, 4, 1), 1e-5f, 0.1f);
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_gap(&g, "gap", y), 5, 1));
    int64_t want = (16 * (12 / 4) * 9 + 16) + (16 + 16) + (5 * 16 + 5);
    CHECK(ecg_graph_param_count(&g) == want, "params %lld want %lld", (long long)ecg_graph_param_count(&g),
          (long long)want);
    CHECK(ecg_param_find(&g, "bn.running_var") >= 0 && ecg_param_find(&g, "conv.weight") == 0, "names");
    char buf[64];
    CHECK(!strcmp(ecg_shape_str(&g.params[0].shape, buf, sizeof buf), "[16, 3, 9]"), "shape %s", buf);
    ecg_graph_free(&g);
}

/* Same seed, same initial weights; another seed, others. */
static void test_init_deterministic(void) {
    ecg_graph a, b, c;
    ecg_graph_init(&a, 42);
    ecg_graph_init(&b, 42);
    ecg_graph_init(&c, 43);
    ecg_graph *gs[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++) ecg_linear(gs[i], "fc", ecg_input(gs[i], "x", ecg_shape1(30)), 20, 1);
    size_t n = 600 * sizeof(float);
    CHECK(!memcmp(a.params[0].data, b.params[0].data, n), "same seed differs");
    CHECK(memcmp(a.params[0].data, c.params[0].data, n) != 0, "different seeds equal");
    float bound = 1.0f / sqrtf(30.0f), mx = 0;
    for (int i = 0; i < 600; i++) mx = fmaxf(mx, fabsf(a.params[0].data[i]));
    CHECK(mx <= bound && mx > 0.9f * bound, "init outside PyTorch's bound: %g vs %g", mx, bound);
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    ecg_graph_free(&c);
}

static void test_clone_is_deep(void) {
    ecg_graph g, h;
    ecg_graph_init(&g, 1);
    ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(3)), 2, 1);
    CHECK(ecg_graph_clone(&h, &g) == 0, "clone failed");
    h.params[0].data[0] = 1234.0f;
    CHECK(g.params[0].data[0] != 1234.0f && h.n_nodes == 1 && h.n_params == 2, "clone shares data");
    ecg_graph_free(&h);
    ecg_graph_free(&g);
}

/* The inference rewrite (BN folded into the conv/linear before it, dropout removed) gives the same
 * eval outputs (reference executor); without folding it only removes the dropout. */
static void test_fold_bn_identity(void) {
    for (int bias = 0; bias <= 1; bias++) {
        ecg_graph g, f;
        ecg_graph_init(&g, 9);
        int x = ecg_input(&g, "x", ecg_shape2(31, 5));
        int y = ecg_batchnorm(&g, "bn1", ecg_conv1d(&g, "conv", x, 7, 5, 2, 1, 1, bias), 1e-3f, 0.1f);
        y = ecg_dropout(&g, "drop", ecg_unary(&g, ECG_OP_RELU, "relu", y), 0.5f);
        y = ecg_batchnorm(&g, "bn2", ecg_linear(&g, "fc", y, 4, bias), 1e-5f, 0.1f);
        ecg_graph_set_output(&g, y);
        ecg_rng r = {3};
        for (int i = 0; i < g.n_params; i++)
            if (strstr(g.params[i].name, "bn"))
                for (int64_t j = 0; j < ecg_shape_numel(&g.params[i].shape); j++)
                    g.params[i].data[j] = 0.5f + ecg_rng_uniform(&r); /* positive var, non-trivial affine */
        ecg_graph u;
        CHECK(ecg_graph_clone(&u, &g) == 0, "clone");
        int nu = ecg_graph_inference_rewrite(&u, 0);
        CHECK(nu == 0 && u.n_nodes == 5, "without folding: folded %d, nodes left %d", nu, u.n_nodes);
        ecg_graph_free(&u);
        CHECK(ecg_graph_clone(&f, &g) == 0, "clone");
        int nf = ecg_graph_inference_rewrite(&f, 1);
        CHECK(nf == 2 && f.n_nodes == 3, "folded %d, nodes left %d", nf, f.n_nodes);
        char err[128];
        ecg_ref *ra = ecg_ref_create(&g, 3, err, sizeof err), *rb = ecg_ref_create(&f, 3, err, sizeof err);
        CHECK(ra && rb, "reference executor: %s", err);
        if (ra && rb) {
            float *in = malloc(3 * 31 * 5 * sizeof(float));
            fill_normal(in, 3 * 31 * 5, &r, 1.0f);
            const float *inputs[1] = {in};
            ecg_ref_forward(ra, inputs, 0, 0);
            ecg_ref_forward(rb, inputs, 0, 0);
            double e = rel_err_f(ecg_ref_output(rb), ecg_ref_output(ra), 3 * 16 * 4);
            CHECK(e < 1e-5, "folded output differs: %.3g", e);
            free(in);
        }
        ecg_ref_free(ra);
        ecg_ref_free(rb);
        ecg_graph_free(&f);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_op_registry);
    RUN(test_per_channel_ops_keep_channels);
    RUN(test_builder_errors_propagate);
    RUN(test_param_count);
    RUN(test_init_deterministic);
    RUN(test_clone_is_deep);
    RUN(test_fold_bn_identity);
    return test_done();
}
