/* layernorm, embedding, concat: forward vs naive double loops, backward vs central differences,
 * on random shapes; the embedding bad-index rule; infer rejections; FLOP counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Overwrites every parameter with N(0, 1) so weight and bias are really exercised. */
static void randomize_params(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++)
        fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 1.0f);
}

/* ---------------------------------------------------------------- layernorm */

static void naive_layernorm(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                            const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)out_shape;
    size_t c = (size_t)in_shape[0].d[in_shape[0].rank - 1];
    size_t rows = (size_t)batch * (size_t)ecg_shape_numel(&in_shape[0]) / c;
    for (size_t r = 0; r < rows; r++) {
        const double *x = in[0] + r * c;
        double mean = 0, var = 0;
        for (size_t i = 0; i < c; i++) mean += x[i] / (double)c;
        for (size_t i = 0; i < c; i++) var += (x[i] - mean) * (x[i] - mean) / (double)c;
        for (size_t i = 0; i < c; i++) out[r * c + i] = (x[i] - mean) / sqrt(var + n->a.eps) * w[0][i] + w[1][i];
    }
}

static void test_layernorm_random(void) {
    ecg_rng r = {71};
    for (int trial = 0; trial < 10; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int t = 2 * rand_int(&r, 0, 12) + 1, c = rand_int(&r, 2, 17);
        int x = ecg_input(&g, "x", trial % 2 ? ecg_shape2(t, c) : ecg_shape1(c));
        ecg_layernorm(&g, "ln", x, trial % 3 ? 1e-5f : 0.1f);
        randomize_params(&g, 100 + (uint64_t)trial);
        op_check_opts o = {.batch = 1 + trial % 4, .seed = 9 + (uint64_t)trial};
        op_check(trial % 2 ? "layernorm [T, C]" : "layernorm [C]", &g, naive_layernorm, &o);
        ecg_graph_free(&g);
    }
}

/* A single channel normalises to 0: the output is the bias and the input gradient is 0. */
static void test_layernorm_one_channel(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int x = ecg_input(&g, "x", ecg_shape2(5, 1));
    ecg_layernorm(&g, "ln", x, 1e-5f);
    randomize_params(&g, 4);
    op_check_opts o = {.batch = 3, .seed = 2};
    op_check("layernorm C=1", &g, naive_layernorm, &o);
    ecg_graph_free(&g);
}

static void expect_build_error(ecg_graph *g, const char *needle, const char *what) {
    CHECK(g->err[0] && strstr(g->err, needle), "%s: expected an error naming '%s', got '%s'", what, needle, g->err);
}

static void test_layernorm_rejects(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    ecg_layernorm(&g, "ln", ecg_input(&g, "x", ecg_shape3(2, 3, 4)), 1e-5f);
    expect_build_error(&g, "rank 1 or 2", "rank 3");
    CHECK(strstr(g.err, "[2, 3, 4]") != NULL, "message lacks the shape: %s", g.err);
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    ecg_layernorm(&g, "ln", ecg_input(&g, "x", ecg_shape1(4)), -1.0f);
    expect_build_error(&g, "eps", "negative eps");
    ecg_graph_free(&g);
}

/* ---------------------------------------------------------------- embedding */

static void naive_embedding(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                            const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)out_shape;
    size_t dim = (size_t)n->a.dim, count = (size_t)batch * (size_t)in_shape[0].d[0];
    for (size_t i = 0; i < count; i++) {
        double v = in[0][i];
        int ok = v >= 0 && v < n->a.num_embeddings && v == floor(v);
        for (size_t j = 0; j < dim; j++) out[i * dim + j] = ok ? w[0][(size_t)v * dim + j] : NAN;
    }
}

/* Valid indices only, drawn from a small range so rows repeat (their gradients must sum). */
static void test_embedding_random(void) {
    ecg_rng r = {5};
    for (int trial = 0; trial < 6; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int len = 2 * rand_int(&r, 1, 10) + 1, num = rand_int(&r, 1, 6), dim = rand_int(&r, 1, 9);
        int batch = 1 + trial % 4;
        ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(len)), num, dim);
        float *idx = malloc((size_t)(batch * len) * sizeof(float));
        for (int i = 0; i < batch * len; i++) idx[i] = (float)rand_int(&r, 0, num - 1);
        idx[batch * len - 1] = idx[0]; /* at least one repeat even when num is large */
        op_check_opts o = {.batch = batch, .no_input_grad = 1, .input_values = {idx}, .seed = 3 + (uint64_t)trial};
        op_check("embedding", &g, naive_embedding, &o);
        free(idx);
        ecg_graph_free(&g);
    }
}

/* NaN, fractional, negative and too-large indices give NaN rows and no weight gradient;
 * the valid rows around them are exact, and repeated indices sum their gradients. */
static void test_embedding_invalid_index(void) {
    ecg_graph g;
    ecg_graph_init(&g, 8);
    const int num = 4, dim = 3, len = 7;
    int out = ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(len)), num, dim);
    ecg_graph_set_output(&g, out);
    ecg_graph_alloc_grads(&g);
    const float idx[7] = {2, NAN, 1.5f, -1, 4, 2, 0};
    const int valid[7] = {1, 0, 0, 0, 0, 1, 1};
    char err[256];
    ecg_ref *ref = ecg_ref_create(&g, 1, err, sizeof err);
    CHECK(ref != NULL, "%s", err);
    if (!ref) {
        ecg_graph_free(&g);
        return;
    }
    const float *in[1] = {idx};
    ecg_ref_forward(ref, in, 1, 0);
    const float *y = ecg_ref_output(ref), *w = g.params[0].data;
    for (int i = 0; i < len; i++)
        for (int j = 0; j < dim; j++) {
            float v = y[i * dim + j];
            if (valid[i]) CHECK(v == w[(int)idx[i] * dim + j], "row %d col %d: %g", i, j, (double)v);
            else CHECK(isnan(v), "row %d (index %g) col %d should be NaN, is %g", i, (double)idx[i], j, (double)v);
        }
    float dy[7 * 3];
    for (int i = 0; i < len * dim; i++) dy[i] = 1.0f;
    ecg_graph_zero_grads(&g);
    ecg_ref_backward(ref, dy);
    const float expect_rows[4] = {1, 0, 2, 0}; /* index 0 once, index 2 twice */
    for (int r = 0; r < num; r++)
        for (int j = 0; j < dim; j++)
            CHECK(g.params[0].grad[r * dim + j] == expect_rows[r], "dweight[%d][%d] = %g, want %g", r, j,
                  (double)g.params[0].grad[r * dim + j], (double)expect_rows[r]);
    ecg_ref_free(ref);
    ecg_graph_free(&g);
}

static void test_embedding_rejects(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape2(3, 2)), 4, 2);
    expect_build_error(&g, "rank 1", "rank 2 indices");
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(3)), 0, 2);
    expect_build_error(&g, "num_embeddings 0", "no embeddings");
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    ecg_embedding(&g, "emb", ecg_input(&g, "idx", ecg_shape1(3)), 5, 0);
    expect_build_error(&g, "dim 0", "dim 0");
    ecg_graph_free(&g);
}

/* ---------------------------------------------------------------- concat */

static void naive_concat(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                         const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    (void)out_shape;
    int axis = n->a.axis, rank = in_shape[0].rank;
    /* walk the output coordinates: (b, i0, .., i_{rank-1}); find which input owns i_axis */
    size_t at = 0;
    int64_t before = 1, after = 1;
    for (int i = 0; i < axis; i++) before *= in_shape[0].d[i];
    for (int i = axis + 1; i < rank; i++) after *= in_shape[0].d[i];
    for (int b = 0; b < batch; b++)
        for (int64_t o = 0; o < before; o++)
            for (int j = 0; j < n->n_in; j++) {
                int64_t len = in_shape[j].d[axis];
                for (int64_t a = 0; a < len; a++)
                    for (int64_t t = 0; t < after; t++)
                        out[at++] = in[j][((b * before + o) * len + a) * after + t];
            }
}

static void test_concat_random(void) {
    ecg_rng r = {13};
    for (int trial = 0; trial < 12; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int n_in = 2 + trial % 2, rank = 1 + (trial / 2) % 2, axis = trial / 4 % 2 ? rank - 1 : 0;
        int t = 2 * rand_int(&r, 0, 8) + 1, c = rand_int(&r, 1, 7);
        int xs[3];
        for (int j = 0; j < n_in; j++) {
            ecg_shape s = rank == 1 ? ecg_shape1(c) : ecg_shape2(t, c);
            s.d[axis] = rand_int(&r, 1, 9); /* sizes on the axis differ between inputs */
            char name[8] = {'x', (char)('0' + j), 0};
            xs[j] = ecg_input(&g, name, s);
        }
        ecg_concat(&g, "cat", xs, n_in, axis);
        char label[64];
        snprintf(label, sizeof label, "concat %d inputs rank %d axis %d", n_in, rank, axis);
        op_check_opts o = {.batch = 1 + trial % 4, .seed = 21 + (uint64_t)trial};
        op_check(label, &g, naive_concat, &o);
        ecg_graph_free(&g);
    }
}

static int has_node(const ecg_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return 1;
    return 0;
}

/* More inputs than an op takes (9, then 5): joined in steps named NAME.first, NAME.next1, ..., NAME,
 * none with more than ECG_MAX_IN inputs; the output holds every piece in order, on the XNNPACK
 * executor and the reference. */
static void test_concat_many(void) {
    for (int n = 9; n >= 5; n -= 4) {
        ecg_graph g;
        ecg_graph_init(&g, 3);
        int x = ecg_input(&g, "x", ecg_shape2(3, 4)), xs[9], width = 0;
        for (int j = 0; j < n; j++) {
            char name[16];
            snprintf(name, sizeof name, "p%d", j);
            xs[j] = ecg_linear(&g, name, x, 1 + j, 1);
            width += 1 + j;
        }
        int y = ecg_concat(&g, "cat", xs, n, 1);
        CHECK(y >= 0 && g.values[y].shape.d[1] == width, "n %d: output %d wide", n, y >= 0 ? (int)g.values[y].shape.d[1] : -1);
        if (y < 0) {
            ecg_graph_free(&g);
            continue;
        }
        ecg_graph_set_output(&g, y);
        int steps = 0;
        for (int i = 0; i < g.n_nodes; i++) {
            if (g.nodes[i].kind != ECG_OP_CONCAT) continue;
            steps++;
            CHECK(g.nodes[i].n_in <= ECG_MAX_IN, "%s: %d inputs", g.nodes[i].name, g.nodes[i].n_in);
        }
        CHECK(steps == (n == 9 ? 3 : 2), "n %d: %d concat nodes", n, steps);
        CHECK(has_node(&g, "cat.first") && has_node(&g, "cat") && has_node(&g, "cat.next1") == (n == 9),
              "n %d: step names", n);
        char err[256];
        ecg_xnn *xe = ecg_xnn_create(&g, 2, 1, ECG_XNN_KEEP_VALUES, err, sizeof err);
        CHECK(xe != NULL, "create: %s", err);
        if (xe) {
            ecg_rng r = {5};
            fill_normal(ecg_xnn_input(xe, 0), 2 * 12, &r, 1.0f);
            CHECK(ecg_xnn_run(xe) == 0, "run");
            const float *out = ecg_xnn_output(xe);
            int mismatched = 0;
            for (int row = 0; row < 2 * 3; row++)
                for (int j = 0, col = 0; j < n; col += 1 + j, j++)
                    for (int k = 0; k <= j; k++)
                        mismatched += out[row * width + col + k] != ecg_xnn_value(xe, xs[j])[row * (1 + j) + k];
            CHECK(!mismatched, "n %d: %d values not their piece's", n, mismatched);
        }
        ecg_xnn_free(xe);
        xnn_check("concat of many", &g, 2, 1, 0, 1e-6, 9);
        ecg_graph_free(&g);
    }
}

/* Output shape: sum on the axis, the rest unchanged. */
static void test_concat_shape(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int xs[3] = {ecg_input(&g, "a", ecg_shape2(5, 3)), ecg_input(&g, "b", ecg_shape2(5, 4)),
                 ecg_input(&g, "c", ecg_shape2(5, 1))};
    int y = ecg_concat(&g, "cat", xs, 3, 1);
    CHECK(y >= 0 && g.values[y].shape.rank == 2 && g.values[y].shape.d[0] == 5 && g.values[y].shape.d[1] == 8,
          "shape of cat: %s", g.err);
    ecg_graph_free(&g);
}

static void test_concat_rejects(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int xs[2] = {ecg_input(&g, "a", ecg_shape2(5, 3)), ecg_input(&g, "b", ecg_shape2(6, 3))};
    ecg_concat(&g, "cat", xs, 2, 1);
    expect_build_error(&g, "[5, 3]", "mismatch off the axis");
    CHECK(strstr(g.err, "[6, 3]") != NULL, "message lacks the second shape: %s", g.err);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    xs[0] = ecg_input(&g, "a", ecg_shape2(5, 3));
    xs[1] = ecg_input(&g, "b", ecg_shape1(3));
    ecg_concat(&g, "cat", xs, 2, 0);
    expect_build_error(&g, "[3]", "rank mismatch");
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    xs[0] = ecg_input(&g, "a", ecg_shape2(5, 3));
    xs[1] = ecg_input(&g, "b", ecg_shape2(5, 3));
    ecg_concat(&g, "cat", xs, 2, 2);
    expect_build_error(&g, "axis 2", "axis out of range");
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    xs[0] = ecg_input(&g, "a", ecg_shape2(5, 3));
    ecg_concat(&g, "cat", xs, 1, 0);
    expect_build_error(&g, "2..", "single input");
    ecg_graph_free(&g);
}

/* ---------------------------------------------------------------- counts */

static void test_flops_and_params(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(50, 8));
    ecg_graph_set_output(&g, ecg_layernorm(&g, "ln", x, 1e-5f));
    CHECK(ecg_graph_flops(&g) == 5 * 50 * 8, "layernorm flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 16, "layernorm params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    int idx = ecg_input(&g, "idx", ecg_shape1(12));
    int e = ecg_embedding(&g, "emb", idx, 10, 4);
    int xs[2] = {e, ecg_input(&g, "z", ecg_shape2(12, 3))};
    ecg_graph_set_output(&g, ecg_concat(&g, "cat", xs, 2, 1));
    CHECK(!g.err[0], "%s", g.err);
    CHECK(ecg_graph_flops(&g) == 0, "embedding + concat flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 40, "embedding params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_layernorm_random);
    RUN(test_layernorm_one_channel);
    RUN(test_layernorm_rejects);
    RUN(test_embedding_random);
    RUN(test_embedding_invalid_index);
    RUN(test_embedding_rejects);
    RUN(test_concat_random);
    RUN(test_concat_many);
    RUN(test_concat_shape);
    RUN(test_concat_rejects);
    RUN(test_flops_and_params);
    return test_done();
}
