/* gap and maxpool: forward vs naive loops, backward vs finite differences, ties, bad attrs. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

static void naive_gap(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                      const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)n;
    (void)w;
    (void)out_shape;
    int64_t t_len = in_shape[0].d[0], c = in_shape[0].d[1];
    for (int64_t b = 0; b < batch; b++)
        for (int64_t j = 0; j < c; j++) {
            double s = 0;
            for (int64_t t = 0; t < t_len; t++) s += in[0][(b * t_len + t) * c + j];
            out[b * c + j] = s / (double)t_len;
        }
}

/* Max over the padded sequence, padding = -inf. */
static void naive_maxpool(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                          const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    int64_t t_len = in_shape[0].d[0], c = in_shape[0].d[1], t_out = out_shape->d[0];
    for (int64_t b = 0; b < batch; b++)
        for (int64_t o = 0; o < t_out; o++)
            for (int64_t j = 0; j < c; j++) {
                double m = -INFINITY;
                for (int i = 0; i < n->a.kernel; i++) {
                    int64_t t = o * n->a.stride + i - n->a.pad_left;
                    double v = t >= 0 && t < t_len ? in[0][(b * t_len + t) * c + j] : -INFINITY;
                    m = fmax(m, v);
                }
                out[(b * t_out + o) * c + j] = m;
            }
}

/* Maxpool node with possibly asymmetric padding (the builder pads symmetrically). */
static int maxpool_node(ecg_graph *g, int x, int kernel, int stride, int pl, int pr) {
    ecg_attrs a = ecg_attrs_default();
    a.kernel = kernel;
    a.stride = stride;
    a.pad_left = pl;
    a.pad_right = pr;
    return ecg_node_add(g, ECG_OP_MAXPOOL, "pool", &x, 1, NULL, 0, &a);
}

static void test_gap_random(void) {
    ecg_rng r = {11};
    for (int trial = 0; trial < 6; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(2 * rand_int(&r, 0, 20) + 1, rand_int(&r, 1, 9)));
        ecg_gap(&g, "gap", x);
        op_check_opts o = {.batch = rand_int(&r, 1, 4), .seed = 3 + (uint64_t)trial};
        op_check("gap", &g, naive_gap, &o);
        ecg_graph_free(&g);
    }
}

static void test_maxpool_random(void) {
    ecg_rng r = {12};
    for (int trial = 0; trial < 16; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int k = 2 + trial % 2, s = 1 + (trial / 2) % 2; /* kernel 2 and 3, stride 1 and 2 */
        int pl = rand_int(&r, 0, k / 2), pr = trial % 4 == 3 ? rand_int(&r, 0, k / 2) : pl;
        int t = 2 * rand_int(&r, 1, 15) + 1, c = rand_int(&r, 1, 7);
        int x = ecg_input(&g, "x", ecg_shape2(t, c));
        maxpool_node(&g, x, k, s, pl, pr);
        char label[64];
        snprintf(label, sizeof label, "maxpool t%d k%d s%d p%d,%d", t, k, s, pl, pr);
        op_check_opts o = {.batch = rand_int(&r, 1, 4), .seed = 20 + (uint64_t)trial};
        op_check(label, &g, naive_maxpool, &o);
        ecg_graph_free(&g);
    }
}

/* Output lengths follow PyTorch's floor((T + pl + pr - k) / s) + 1. */
static void test_maxpool_out_len(void) {
    const int cases[][6] = {/* T, k, s, pl, pr, Tout */
                            {9, 3, 2, 1, 1, 5}, {9, 2, 2, 0, 0, 4}, {9, 2, 2, 1, 1, 5}, {7, 3, 1, 0, 0, 5},
                            {1, 2, 1, 1, 0, 1}, {2, 3, 2, 1, 1, 1}, {10, 3, 3, 1, 0, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(c[0], 4));
        int y = maxpool_node(&g, x, c[1], c[2], c[3], c[4]);
        CHECK(y >= 0 && g.values[y].shape.d[0] == c[5] && g.values[y].shape.d[1] == 4, "case %zu: %s Tout %lld", i,
              g.err, y >= 0 ? (long long)g.values[y].shape.d[0] : -1LL);
        ecg_graph_free(&g);
    }
}

/* Constant input: every window ties; the gradient must go to the first real row of each window. */
static void check_ties(int t_len, int k, int s, int pad) {
    const int c = 3, batch = 2;
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(t_len, c));
    int y = ecg_maxpool(&g, "pool", x, k, s, pad);
    ecg_graph_set_output(&g, y);
    char err[256];
    ecg_ref *ref = ecg_ref_create(&g, batch, err, sizeof err);
    CHECK(ref != NULL, "%s", err);
    if (!ref) return;
    int t_out = (int)g.values[y].shape.d[0];
    float in[2 * 64 * 3], dy[2 * 64 * 3], want[2 * 64 * 3] = {0};
    for (int i = 0; i < batch * t_len * c; i++) in[i] = 0.5f;
    for (int i = 0; i < batch * t_out * c; i++) dy[i] = (float)(i + 1);
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < t_out; o++) {
            int first = o * s - pad < 0 ? 0 : o * s - pad;
            for (int j = 0; j < c; j++) want[(b * t_len + first) * c + j] += dy[(b * t_out + o) * c + j];
        }
    const float *inputs[1] = {in};
    ecg_ref_forward(ref, inputs, 1, 7);
    ecg_ref_backward(ref, dy);
    const float *dx = ecg_ref_grad(ref, x);
    for (int i = 0; i < batch * t_len * c; i++)
        CHECK(dx[i] == want[i], "ties T%d k%d s%d p%d: dx[%d] = %g, want %g", t_len, k, s, pad, i, dx[i], want[i]);
    ecg_ref_free(ref);
    ecg_graph_free(&g);
}

static void test_maxpool_ties(void) {
    check_ties(9, 3, 2, 1);
    check_ties(9, 3, 1, 1);
    check_ties(11, 2, 2, 0);
    check_ties(7, 2, 1, 1);
}

static void expect_reject(ecg_shape s, int kernel, int stride, int pl, int pr, const char *word) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", s);
    int y = maxpool_node(&g, x, kernel, stride, pl, pr);
    CHECK(y < 0 && strstr(g.err, "pool") && strstr(g.err, word), "k%d s%d p%d,%d: want '%s', got %d '%s'", kernel,
          stride, pl, pr, word, y, g.err);
    ecg_graph_free(&g);
}

static void test_pool_rejects(void) {
    expect_reject(ecg_shape2(9, 4), 0, 1, 0, 0, "kernel");
    expect_reject(ecg_shape2(9, 4), 3, 0, 0, 0, "stride");
    expect_reject(ecg_shape2(9, 4), 1, 1, 0, 0, "kernel 1");
    expect_reject(ecg_shape2(9, 4), 3, 1, -1, 0, "negative padding");
    expect_reject(ecg_shape2(9, 4), 3, 1, 2, 2, "half the kernel");
    expect_reject(ecg_shape2(9, 4), 2, 1, 0, 2, "half the kernel");
    expect_reject(ecg_shape2(2, 4), 5, 1, 1, 1, "longer than");
    expect_reject(ecg_shape1(4), 2, 2, 0, 0, "[T, C]");
    expect_reject(ecg_shape3(9, 4, 2), 2, 2, 0, 0, "[T, C]");
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape1(4));
    CHECK(ecg_gap(&g, "gap", x) < 0 && strstr(g.err, "gap") && strstr(g.err, "[T, C]"), "gap of [C]: %s", g.err);
    ecg_graph_free(&g);
}

static void test_pool_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(51, 8));
    int y = ecg_maxpool(&g, "pool", x, 3, 2, 1); /* Tout = (51 + 2 - 3) / 2 + 1 = 26 */
    CHECK(ecg_graph_flops(&g) == 26 * 8 * 2, "maxpool flops %lld", (long long)ecg_graph_flops(&g));
    ecg_gap(&g, "gap", y);
    CHECK(ecg_graph_flops(&g) == 26 * 8 * 2 + 26 * 8, "+gap flops %lld", (long long)ecg_graph_flops(&g));
    ecg_graph_free(&g);
}

/* The XNNPACK lowering agrees on asymmetric padding and odd lengths too. */
static void test_pool_xnn(void) {
    const int cases[][5] = {{33, 3, 2, 1, 0}, {33, 2, 2, 0, 1}, {17, 3, 1, 1, 1}, {8, 3, 3, 0, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *c = cases[i];
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(c[0], 6));
        ecg_graph_set_output(&g, maxpool_node(&g, x, c[1], c[2], c[3], c[4]));
        char label[64];
        snprintf(label, sizeof label, "xnn maxpool t%d k%d s%d p%d,%d", c[0], c[1], c[2], c[3], c[4]);
        xnn_check(label, &g, 3, 2, 0, 1e-6, i);
        ecg_graph_free(&g);
    }
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(41, 5));
    ecg_graph_set_output(&g, ecg_gap(&g, "gap", x));
    xnn_check("xnn gap", &g, 3, 2, 0, 1e-5, 9);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_gap_random);
    RUN(test_maxpool_random);
    RUN(test_maxpool_out_len);
    RUN(test_maxpool_ties);
    RUN(test_pool_rejects);
    RUN(test_pool_flops);
    RUN(test_pool_xnn);
    return test_done();
}
