/* slice and tokens: reference forward vs naive loops, backward vs finite differences (op_check),
 * infer errors, accumulation of gradients, and the XNNPACK executor vs the reference (slice as an
 * own copy kernel; tokens filled once at lowering time, with no step of its own). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

#define TOL 1e-5

/* ---- slice -------------------------------------------------------------------------------- */

/* Per-sample [rows, cols] view of a rank-2 shape; a rank-1 [d0] is [d0, 1]. */
static void dims2(const ecg_shape *s, int64_t *rows, int64_t *cols) {
    *rows = s->d[0];
    *cols = s->rank == 2 ? s->d[1] : 1;
}

static void naive_slice(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                        const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    int64_t ir, ic, orow, oc;
    dims2(&in_shape[0], &ir, &ic);
    dims2(out_shape, &orow, &oc);
    for (int b = 0; b < batch; b++)
        for (int64_t r = 0; r < orow; r++)
            for (int64_t c = 0; c < oc; c++) {
                int64_t sr = n->a.axis == 0 ? r + n->a.start : r, sc = n->a.axis == 1 ? c + n->a.start : c;
                out[(b * orow + r) * oc + c] = in[0][(b * ir + sr) * ic + sc];
            }
}

/* start for a range of `length` in a dim of size `dim`: first, last or a random middle one. */
static int range_start(ecg_rng *r, int where, int dim, int length) {
    if (where == 0) return 0;
    if (where == 1) return dim - length;
    return rand_int(r, 0, dim - length);
}

static void test_slice_op_check(void) {
    ecg_rng r = {71};
    for (int trial = 0; trial < 24; trial++) {
        int rank = 1 + trial % 2, axis = rank == 2 ? trial / 2 % 2 : 0, where = trial / 4 % 3;
        int t = 2 * rand_int(&r, 1, 20) + 1, c = 2 * rand_int(&r, 0, 4) + 1;
        ecg_shape s = rank == 1 ? ecg_shape1(t) : ecg_shape2(t, c);
        int dim = (int)s.d[axis], length = rand_int(&r, 1, dim), start = range_start(&r, where, dim, length);
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", s);
        int y = ecg_slice(&g, "sl", x, axis, start, length);
        CHECK(y >= 0, "build: %s", g.err);
        if (y >= 0) CHECK(g.values[y].shape.d[axis] == length, "out dim %lld", (long long)g.values[y].shape.d[axis]);
        char label[96], sh[32];
        snprintf(label, sizeof label, "slice %s axis %d start %d length %d", ecg_shape_str(&s, sh, sizeof sh), axis,
                 start, length);
        op_check_opts o = {.batch = 1 + trial % 4, .seed = 100 + (uint64_t)trial};
        op_check(label, &g, naive_slice, &o);
        ecg_graph_free(&g);
    }
}

/* Builds a slice of an input of shape s; returns 1 when it failed with all the `want` strings in g.err. */
static int slice_fails_with(ecg_shape s, int axis, int start, int length, const char *want1, const char *want2) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", s);
    int y = ecg_slice(&g, "sl", x, axis, start, length);
    int ok = y < 0 && strstr(g.err, "sl (slice)") && strstr(g.err, want1) && (!want2 || strstr(g.err, want2));
    if (!ok) printf("    got y=%d err \"%s\"\n", y, g.err);
    ecg_graph_free(&g);
    return ok;
}

static void test_slice_infer_errors(void) {
    CHECK(slice_fails_with(ecg_shape2(9, 4), 2, 0, 1, "axis 2", "[9, 4]"), "axis past rank");
    CHECK(slice_fails_with(ecg_shape2(9, 4), -1, 0, 1, "axis -1", NULL), "negative axis");
    CHECK(slice_fails_with(ecg_shape1(9), 1, 0, 1, "axis 1", "rank 1"), "axis 1 of rank 1");
    CHECK(slice_fails_with(ecg_shape2(9, 4), 0, -1, 2, "start -1", NULL), "negative start");
    CHECK(slice_fails_with(ecg_shape2(9, 4), 0, 0, 0, "length 0", NULL), "zero length");
    CHECK(slice_fails_with(ecg_shape2(9, 4), 1, 2, 3, "start 2 length 3", "size 4"), "range past the end");
    CHECK(slice_fails_with(ecg_shape3(2, 3, 4), 0, 0, 1, "rank 3", NULL), "rank 3");
    /* n_in != 1, through ecg_node_add directly */
    for (int n_in = 0; n_in <= 2; n_in += 2) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int xs[2] = {ecg_input(&g, "a", ecg_shape1(5)), ecg_input(&g, "b", ecg_shape1(5))};
        ecg_attrs a = ecg_attrs_default();
        a.length = 1;
        int y = ecg_node_add(&g, ECG_OP_SLICE, "sl", xs, n_in, NULL, 0, &a);
        char want[32];
        snprintf(want, sizeof want, "got %d", n_in);
        CHECK(y < 0 && strstr(g.err, "wants 1 input") && strstr(g.err, want), "n_in %d: err \"%s\"", n_in, g.err);
        ecg_graph_free(&g);
    }
    /* a valid one still builds (the checks above are not failing everything) */
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_slice(&g, "sl", ecg_input(&g, "x", ecg_shape2(9, 4)), 1, 1, 3);
    CHECK(y >= 0 && g.values[y].shape.d[0] == 9 && g.values[y].shape.d[1] == 3, "valid slice: %s", g.err);
    CHECK(ecg_graph_flops(&g) == 0 && ecg_graph_param_count(&g) == 0, "flops/params not 0");
    ecg_graph_free(&g);
}

/* Backward adds into d_in at the sliced positions and leaves the others as they were. */
static void test_slice_backward_accumulates(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_slice(&g, "sl", ecg_input(&g, "x", ecg_shape2(5, 3)), 0, 1, 3);
    CHECK(y >= 0, "build: %s", g.err);
    if (y < 0) return;
    enum { B = 2, IN = 15, OUT = 9 };
    float x[B * IN] = {0}, out[B * OUT], d_out[B * OUT], d_in[B * IN];
    for (int i = 0; i < B * OUT; i++) d_out[i] = (float)(i + 1);
    for (int i = 0; i < B * IN; i++) d_in[i] = 0.5f;
    ecg_kctx k = {.node = &g.nodes[0], .batch = B, .n_in = 1, .in = {x}, .in_shape = {ecg_shape2(5, 3)},
                  .out = out, .out_shape = g.values[y].shape, .d_in = {d_in}, .d_out = d_out};
    ecg_op_slice.backward(&k);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < 5; t++)
            for (int c = 0; c < 3; c++) {
                float want = 0.5f + (t >= 1 && t < 4 ? d_out[(b * 3 + t - 1) * 3 + c] : 0.0f);
                CHECK(d_in[(b * 5 + t) * 3 + c] == want, "d_in[%d,%d,%d] %g want %g", b, t, c,
                      (double)d_in[(b * 5 + t) * 3 + c], (double)want);
            }
    k.d_in[0] = NULL; /* not wanted: must not crash */
    ecg_op_slice.backward(&k);
    ecg_graph_free(&g);
}

/* ---- tokens ------------------------------------------------------------------------------- */

static void naive_tokens(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                         const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)n;
    (void)in;
    (void)in_shape;
    size_t per = (size_t)ecg_shape_numel(out_shape);
    for (int b = 0; b < batch; b++)
        for (size_t i = 0; i < per; i++) out[(size_t)b * per + i] = w[0][i];
}

static void randomize_params(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++)
        fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 1.0f);
}

/* op_check with no graph input at all; the param grad check is FD of the broadcast, so it checks
 * dw = sum over the batch of d_out. */
static void test_tokens_op_check(void) {
    ecg_rng r = {73};
    for (int trial = 0; trial < 8; trial++) {
        int l = rand_int(&r, 1, 5), d = 2 * rand_int(&r, 0, 8) + 1;
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int y = ecg_tokens(&g, "cls_token", l, d);
        CHECK(y >= 0, "build: %s", g.err);
        CHECK(g.n_inputs == 0, "tokens made a graph input");
        randomize_params(&g, 9 + (uint64_t)trial);
        char label[64];
        snprintf(label, sizeof label, "tokens [%d, %d]", l, d);
        op_check_opts o = {.batch = 1 + trial % 4, .seed = 200 + (uint64_t)trial};
        op_check(label, &g, naive_tokens, &o);
        ecg_graph_free(&g);
    }
}

static void test_tokens_shape_and_params(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int y = ecg_tokens(&g, "cls_token", 2, 7);
    CHECK(y >= 0, "build: %s", g.err);
    if (y < 0) return;
    char s[32];
    CHECK(g.values[y].shape.rank == 2 && g.values[y].shape.d[0] == 2 && g.values[y].shape.d[1] == 7, "out %s",
          ecg_shape_str(&g.values[y].shape, s, sizeof s));
    int p = ecg_param_find(&g, "cls_token");
    CHECK(p >= 0, "param cls_token missing");
    if (p >= 0) {
        const ecg_param *pp = &g.params[p];
        CHECK(pp->shape.rank == 3 && pp->shape.d[0] == 1 && pp->shape.d[1] == 2 && pp->shape.d[2] == 7, "param %s",
              ecg_shape_str(&pp->shape, s, sizeof s));
        int in_bound = 1, nonzero = 0;
        for (int i = 0; i < 14; i++) {
            in_bound &= pp->data[i] >= -0.02f && pp->data[i] <= 0.02f;
            nonzero |= pp->data[i] != 0.0f;
        }
        CHECK(in_bound && nonzero, "init not U(-0.02, 0.02)");
    }
    CHECK(ecg_graph_param_count(&g) == 14, "params %lld", (long long)ecg_graph_param_count(&g));
    CHECK(ecg_graph_flops(&g) == 0, "flops %lld", (long long)ecg_graph_flops(&g));
    ecg_graph_free(&g);
}

static void test_tokens_infer_errors(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(2, 3));
    int p = ecg_param_add(&g, "tok", ecg_shape3(1, 2, 3), 0.02f, 0, 1);
    int p2[2] = {p, p};
    ecg_attrs a = ecg_attrs_default();
    a.length = 2;
    a.dim = 3;
    CHECK(ecg_node_add(&g, ECG_OP_TOKENS, "t", &x, 1, &p, 1, &a) < 0 && strstr(g.err, "wants no input") &&
              strstr(g.err, "got 1"),
          "n_in 1: \"%s\"", g.err);
    g.err[0] = 0;
    CHECK(ecg_node_add(&g, ECG_OP_TOKENS, "t", NULL, 0, NULL, 0, &a) < 0 && strstr(g.err, "wants 1 parameter") &&
              strstr(g.err, "got 0"),
          "n_param 0: \"%s\"", g.err);
    g.err[0] = 0;
    CHECK(ecg_node_add(&g, ECG_OP_TOKENS, "t", NULL, 0, p2, 2, &a) < 0 && strstr(g.err, "got 2"),
          "n_param 2: \"%s\"", g.err);
    g.err[0] = 0;
    a.length = 0;
    CHECK(ecg_node_add(&g, ECG_OP_TOKENS, "t", NULL, 0, &p, 1, &a) < 0 && strstr(g.err, "[0, 3]"),
          "length 0: \"%s\"", g.err);
    g.err[0] = 0;
    a.length = 2;
    CHECK(ecg_node_add(&g, ECG_OP_TOKENS, "t", NULL, 0, &p, 1, &a) >= 0, "valid: \"%s\"", g.err);
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    CHECK(ecg_tokens(&g, "t", 3, 0) < 0 && strstr(g.err, "[3, 0]"), "builder dim 0: \"%s\"", g.err);
    ecg_graph_free(&g);
}

/* Backward adds the batch sum of d_out into dw and leaves it alone when dw is NULL. */
static void test_tokens_backward_accumulates(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_tokens(&g, "tok", 2, 3);
    CHECK(y >= 0, "build: %s", g.err);
    if (y < 0) return;
    enum { B = 3, N = 6 };
    float w[N] = {1, 2, 3, 4, 5, 6}, dw[N], out[B * N], d_out[B * N];
    for (int i = 0; i < N; i++) dw[i] = 0.25f;
    for (int i = 0; i < B * N; i++) d_out[i] = (float)(i * i % 7) - 3.0f;
    ecg_kctx k = {.node = &g.nodes[0], .batch = B, .out = out, .out_shape = g.values[y].shape, .w = {w},
                  .dw = {dw}, .d_out = d_out};
    ecg_op_tokens.forward(&k);
    for (int i = 0; i < B * N; i++) CHECK(out[i] == w[i % N], "out[%d] %g", i, (double)out[i]);
    ecg_op_tokens.backward(&k);
    for (int i = 0; i < N; i++) {
        float want = 0.25f + d_out[i] + d_out[N + i] + d_out[2 * N + i];
        CHECK(dw[i] == want, "dw[%d] %g want %g", i, (double)dw[i], (double)want);
    }
    k.dw[0] = NULL;
    ecg_op_tokens.backward(&k);
    ecg_graph_free(&g);
}

/* ---- XNNPACK executor ----------------------------------------------------------------------- */

static void test_xnn_slice(void) {
    ecg_rng r = {75};
    for (int trial = 0; trial < 16; trial++) {
        int rank = 1 + trial % 2, axis = rank == 2 ? trial / 2 % 2 : 0, where = trial % 3;
        int t = 2 * rand_int(&r, 1, 40) + 1, c = 2 * rand_int(&r, 0, 8) + 1;
        ecg_shape s = rank == 1 ? ecg_shape1(t) : ecg_shape2(t, c);
        int dim = (int)s.d[axis], length = rand_int(&r, 1, dim), start = range_start(&r, where, dim, length);
        ecg_graph g;
        ecg_graph_init(&g, 1);
        ecg_graph_set_output(&g, ecg_slice(&g, "sl", ecg_input(&g, "x", s), axis, start, length));
        int batch = trial / 4 % 2 ? 3 : 1, threads = 1 + trial / 8;
        char label[96], sh[32];
        snprintf(label, sizeof label, "xnn slice %s axis %d start %d length %d batch %d threads %d",
                 ecg_shape_str(&s, sh, sizeof sh), axis, start, length, batch, threads);
        xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)trial);
        char err[256];
        ecg_xnn *x = ecg_xnn_create(&g, batch, threads, 0, err, sizeof err);
        CHECK(x != NULL, "%s: %s", label, err);
        if (x) {
            ecg_xnn_stats st = ecg_xnn_get_stats(x);
            CHECK(st.n_own_kernels == 1 && st.n_xnn_ops == 0, "%s: %d own, %d xnn", label, st.n_own_kernels,
                  st.n_xnn_ops);
        }
        ecg_xnn_free(x);
        ecg_graph_free(&g);
    }
}

/* Stats of the XNNPACK plan of g (every layer on XNNPACK: the small-row kernel would replace some). */
static ecg_xnn_stats plan_stats(const ecg_graph *g, int batch, int threads, const char *label) {
    char err[256];
    ecg_xnn_stats st = {.n_xnn_ops = -1, .n_own_kernels = -1};
    ecg_xnn *x = ecg_xnn_create(g, batch, threads, ECG_XNN_NO_SMALL, err, sizeof err);
    CHECK(x != NULL, "%s: %s", label, err);
    if (x) st = ecg_xnn_get_stats(x);
    ecg_xnn_free(x);
    return st;
}

static void check_same_plan(const ecg_graph *with_tokens, const ecg_graph *with_input, int batch, int threads,
                            const char *label) {
    ecg_xnn_stats a = plan_stats(with_tokens, batch, threads, label);
    ecg_xnn_stats b = plan_stats(with_input, batch, threads, label);
    CHECK(a.n_xnn_ops == b.n_xnn_ops && a.n_own_kernels == b.n_own_kernels,
          "%s: tokens added steps: %d xnn ops, %d own kernels vs %d, %d with an input instead", label, a.n_xnn_ops,
          a.n_own_kernels, b.n_xnn_ops, b.n_own_kernels);
}

/* tokens alone: no graph input, and no step at all. */
static void test_xnn_tokens_alone(void) {
    for (int trial = 0; trial < 4; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 5);
        ecg_graph_set_output(&g, ecg_tokens(&g, "tok", 1 + trial, 5));
        randomize_params(&g, 11 + (uint64_t)trial);
        int batch = trial % 2 ? 3 : 1, threads = 1 + trial / 2;
        char label[64];
        snprintf(label, sizeof label, "xnn tokens alone batch %d threads %d", batch, threads);
        xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)trial);
        ecg_xnn_stats st = plan_stats(&g, batch, threads, label);
        CHECK(st.n_xnn_ops == 0 && st.n_own_kernels == 0, "%s: %d xnn ops, %d own kernels", label, st.n_xnn_ops,
              st.n_own_kernels);
        ecg_graph_free(&g);
    }
}

/* tokens + x (x a graph input of the same shape): the plan is the plan of y + x. */
static void test_xnn_tokens_add(void) {
    ecg_rng r = {77};
    for (int trial = 0; trial < 4; trial++) {
        int l = rand_int(&r, 1, 4), d = 2 * rand_int(&r, 1, 10) + 1;
        int batch = trial % 2 ? 3 : 1, threads = 1 + trial / 2;
        ecg_graph g, ref;
        ecg_graph_init(&g, 5);
        ecg_graph_init(&ref, 5);
        int x = ecg_input(&g, "x", ecg_shape2(l, d));
        ecg_graph_set_output(&g, ecg_binary(&g, ECG_OP_ADD, "add", ecg_tokens(&g, "tok", l, d), x));
        randomize_params(&g, 13 + (uint64_t)trial);
        int rx = ecg_input(&ref, "x", ecg_shape2(l, d)), ry = ecg_input(&ref, "y", ecg_shape2(l, d));
        ecg_graph_set_output(&ref, ecg_binary(&ref, ECG_OP_ADD, "add", ry, rx));
        char label[80];
        snprintf(label, sizeof label, "xnn tokens [%d, %d] + x batch %d threads %d", l, d, batch, threads);
        CHECK(!g.err[0] && !ref.err[0], "%s: build: %s %s", label, g.err, ref.err);
        xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)trial);
        check_same_plan(&g, &ref, batch, threads, label);
        ecg_graph_free(&g);
        ecg_graph_free(&ref);
    }
}

/* concat(tokens [L, D], x [3, D], axis 0) -> linear: the class-token pattern. */
static void test_xnn_tokens_concat_linear(void) {
    ecg_rng r = {79};
    for (int trial = 0; trial < 4; trial++) {
        int l = rand_int(&r, 1, 2), d = 2 * rand_int(&r, 1, 8) + 1, out = rand_int(&r, 1, 6);
        int batch = trial % 2 ? 3 : 1, threads = 1 + trial / 2;
        ecg_graph g, ref;
        ecg_graph_init(&g, 6);
        ecg_graph_init(&ref, 6);
        int xs[2] = {ecg_tokens(&g, "tok", l, d), ecg_input(&g, "x", ecg_shape2(3, d))};
        ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_concat(&g, "cat", xs, 2, 0), out, 1));
        randomize_params(&g, 17 + (uint64_t)trial);
        int rs[2] = {ecg_input(&ref, "y", ecg_shape2(l, d)), ecg_input(&ref, "x", ecg_shape2(3, d))};
        ecg_graph_set_output(&ref, ecg_linear(&ref, "fc", ecg_concat(&ref, "cat", rs, 2, 0), out, 1));
        char label[96];
        snprintf(label, sizeof label, "xnn concat(tokens [%d, %d], x [3, %d]) -> linear %d batch %d threads %d", l, d,
                 d, out, batch, threads);
        CHECK(!g.err[0] && !ref.err[0], "%s: build: %s %s", label, g.err, ref.err);
        xnn_check(label, &g, batch, threads, 0, TOL, (uint64_t)trial);
        check_same_plan(&g, &ref, batch, threads, label);
        ecg_graph_free(&g);
        ecg_graph_free(&ref);
    }
}

int main(void) {
    RUN(test_slice_op_check);
    RUN(test_slice_infer_errors);
    RUN(test_slice_backward_accumulates);
    RUN(test_tokens_op_check);
    RUN(test_tokens_shape_and_params);
    RUN(test_tokens_infer_errors);
    RUN(test_tokens_backward_accumulates);
    RUN(test_xnn_slice);
    RUN(test_xnn_tokens_alone);
    RUN(test_xnn_tokens_add);
    RUN(test_xnn_tokens_concat_linear);
    return test_done();
}
