/* linear: forward vs a naive double loop, backward vs central differences on rank-1 and rank-2
 * inputs with and without bias; FLOPs and parameter counts; shape-inference errors. */
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

static void naive_linear(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                         const double *const *w, double *out, const ecg_shape *out_shape) {
    int fin = (int)in_shape[0].d[in_shape[0].rank - 1], fout = (int)out_shape->d[out_shape->rank - 1];
    int rows = batch * (in_shape[0].rank == 2 ? (int)in_shape[0].d[0] : 1);
    for (int r = 0; r < rows; r++)
        for (int o = 0; o < fout; o++) {
            double acc = n->a.has_bias ? w[1][o] : 0;
            for (int i = 0; i < fin; i++) acc += w[0][o * fin + i] * in[0][r * fin + i];
            out[r * fout + o] = acc;
        }
}

static void check_linear(int rank, int rows, int fin, int fout, int bias, int batch, uint64_t seed) {
    ecg_graph g;
    ecg_graph_init(&g, seed);
    int x = ecg_input(&g, "x", rank == 1 ? ecg_shape1(fin) : ecg_shape2(rows, fin));
    int y = ecg_linear(&g, "fc", x, fout, bias);
    char label[128];
    snprintf(label, sizeof label, "linear rank%d b%d rows%d %d->%d bias%d", rank, batch, rows, fin, fout, bias);
    if (y >= 0) {
        ecg_shape want = rank == 1 ? ecg_shape1(fout) : ecg_shape2(rows, fout);
        CHECK(ecg_shape_eq(&g.values[y].shape, &want), "%s: wrong output shape", label);
    }
    op_check_opts o = {.batch = batch, .seed = seed};
    op_check(label, &g, naive_linear, &o);
    ecg_graph_free(&g);
}

static void test_linear_rank1(void) {
    ecg_rng r = {31};
    for (int trial = 0; trial < 8; trial++)
        check_linear(1, 1, rand_int(&r, 1, 24), rand_int(&r, 1, 12), trial % 2, rand_int(&r, 1, 4), 40 + (uint64_t)trial);
}

static void test_linear_rank2(void) {
    ecg_rng r = {32};
    for (int trial = 0; trial < 8; trial++)
        check_linear(2, rand_int(&r, 1, 17), rand_int(&r, 1, 16), rand_int(&r, 1, 10), trial % 2, rand_int(&r, 1, 4),
                     60 + (uint64_t)trial);
}

static void test_linear_edges(void) {
    check_linear(1, 1, 1, 1, 1, 1, 80);   /* 1 -> 1 */
    check_linear(2, 1, 7, 3, 0, 3, 81);   /* one row */
    check_linear(2, 13, 33, 2, 1, 4, 82); /* odd rows, long dot */
}

/* [10, 16] -> 8 with bias: 2*10*16*8 + 10*8 = 2640 FLOPs, 16*8 + 8 = 136 params;
 * [16] -> 8 without bias: 2*16*8 = 256 FLOPs, 128 params. */
static void test_linear_flops_params(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape2(10, 16)), 8, 1);
    CHECK(!g.err[0], "build: %s", g.err);
    CHECK(ecg_graph_flops(&g) == 2640, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 136, "params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(16)), 8, 0);
    CHECK(!g.err[0], "build: %s", g.err);
    CHECK(ecg_graph_flops(&g) == 256, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 128, "params %lld", (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
}

static void expect_error(ecg_shape in, int fout, const char *want) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int y = ecg_linear(&g, "head.fc", ecg_input(&g, "x", in), fout, 1);
    CHECK(y == -1 && g.n_nodes == 0, "accepted (want error '%s')", want);
    CHECK(strstr(g.err, want) && strstr(g.err, "head.fc"), "message '%s' lacks '%s'", g.err, want);
    ecg_graph_free(&g);
}

static void test_linear_infer_errors(void) {
    expect_error(ecg_shape3(2, 3, 4), 5, "rank 3");
    expect_error(ecg_shape2(3, 4), 0, "out features 0 must be >= 1");
}

int main(void) {
    RUN(test_linear_rank1);
    RUN(test_linear_rank2);
    RUN(test_linear_edges);
    RUN(test_linear_flops_params);
    RUN(test_linear_infer_errors);
    return test_done();
}
