/* reshape: reference forward vs a naive loop, backward vs finite differences (op_check), the
 * XNNPACK executor vs the reference (own copy kernel), infer errors and gradient accumulation. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Row-major order is kept: element i of a sample is element i of its reshaped output. */
static void naive_reshape(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                          const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)n;
    (void)in_shape;
    (void)w;
    size_t per = (size_t)ecg_shape_numel(out_shape);
    for (int b = 0; b < batch; b++)
        for (size_t i = 0; i < per; i++) out[(size_t)b * per + i] = in[0][(size_t)b * per + i];
}

/* [T, C] -> [T / k, k C] (the LSTM's frames), -> [T C] and -> [k, T / k, C], each checked both ways. */
static void test_reshape_op_check(void) {
    ecg_rng r = {33};
    for (int trial = 0; trial < 12; trial++) {
        int k = rand_int(&r, 1, 5), t = k * rand_int(&r, 1, 7), c = rand_int(&r, 1, 4);
        ecg_shape to[3] = {ecg_shape2(t / k, (int64_t)k * c), ecg_shape1((int64_t)t * c), ecg_shape3(k, t / k, c)};
        ecg_shape want = to[trial % 3];
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int y = ecg_reshape(&g, "frames", ecg_input(&g, "x", ecg_shape2(t, c)), want);
        CHECK(y >= 0, "build: %s", g.err);
        if (y < 0) {
            ecg_graph_free(&g);
            continue;
        }
        ecg_graph_set_output(&g, y);
        char label[96], a[32], b[32];
        ecg_shape in = ecg_shape2(t, c);
        snprintf(label, sizeof label, "reshape %s -> %s", ecg_shape_str(&in, a, sizeof a),
                 ecg_shape_str(&want, b, sizeof b));
        CHECK(g.values[y].shape.rank == want.rank && !memcmp(g.values[y].shape.d, want.d, sizeof want.d[0] * want.rank),
              "%s: output shape", label);
        op_check_opts o = {.batch = 1 + trial % 3, .seed = 200 + (uint64_t)trial};
        op_check(label, &g, naive_reshape, &o);
        xnn_check(label, &g, 1 + trial % 3, 1 + trial % 2, 0, 0.0, 300 + (uint64_t)trial);
        ecg_graph_free(&g);
    }
}

static int reshape_fails_with(ecg_shape from, ecg_shape to, const char *want1, const char *want2) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_reshape(&g, "frames", ecg_input(&g, "x", from), to);
    int ok = y < 0 && strstr(g.err, "frames (reshape)") && strstr(g.err, want1) && (!want2 || strstr(g.err, want2));
    if (!ok) printf("    got y=%d err \"%s\"\n", y, g.err);
    ecg_graph_free(&g);
    return ok;
}

static void test_reshape_infer_errors(void) {
    CHECK(reshape_fails_with(ecg_shape2(250, 1), ecg_shape2(21, 12), "[250, 1] (250 numbers)", "[21, 12] (252)"),
          "element count differs");
    CHECK(reshape_fails_with(ecg_shape2(4, 3), ecg_shape2(0, 12), "dim 0 is 0", NULL), "zero dim");
    ecg_shape none = {0, {0}};
    CHECK(reshape_fails_with(ecg_shape2(4, 3), none, "rank 0", NULL), "rank 0");
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_reshape(&g, "frames", ecg_input(&g, "x", ecg_shape2(252, 1)), ecg_shape2(21, 12));
    CHECK(y >= 0 && ecg_graph_flops(&g) == 0 && ecg_graph_param_count(&g) == 0, "valid reshape: %s", g.err);
    ecg_graph_free(&g);
}

/* Backward adds d_out into d_in (another consumer may have written there) and tolerates no d_in. */
static void test_reshape_backward_accumulates(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_reshape(&g, "frames", ecg_input(&g, "x", ecg_shape2(6, 2)), ecg_shape2(3, 4));
    CHECK(y >= 0, "build: %s", g.err);
    if (y < 0) return;
    enum { B = 2, N = 12 };
    float x[B * N] = {0}, out[B * N], d_out[B * N], d_in[B * N];
    for (int i = 0; i < B * N; i++) d_out[i] = (float)(i + 1), d_in[i] = 0.5f;
    ecg_kctx k = {.node = &g.nodes[0], .batch = B, .n_in = 1, .in = {x}, .in_shape = {ecg_shape2(6, 2)},
                  .out = out, .out_shape = g.values[y].shape, .d_in = {d_in}, .d_out = d_out};
    ecg_op_reshape.backward(&k);
    for (int i = 0; i < B * N; i++) CHECK(d_in[i] == 0.5f + d_out[i], "d_in[%d] %g", i, (double)d_in[i]);
    k.d_in[0] = NULL;
    ecg_op_reshape.backward(&k);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_reshape_op_check);
    RUN(test_reshape_infer_errors);
    RUN(test_reshape_backward_accumulates);
    return test_done();
}
