/* BatchNorm: training (batch statistics, finite differences through them) and eval (running
 * statistics) against naive loops; running-stat update against a hand formula; bad attrs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

static int64_t channels(const ecg_shape *s) { return s->d[s->rank - 1]; }

/* y = (x - mean) / sqrt(var + eps) * gamma + beta with the given per-channel mean and var. */
static void naive_affine(const ecg_node *n, size_t rows, int64_t c, const double *x, const double *const *w,
                         const double *mean, const double *var, double *out) {
    for (size_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < c; j++)
            out[r * (size_t)c + (size_t)j] =
                (x[r * (size_t)c + (size_t)j] - mean[j]) / sqrt(var[j] + n->a.eps) * w[0][j] + w[1][j];
}

static size_t rows_of(int batch, const ecg_shape *s) {
    return (size_t)batch * (size_t)(ecg_shape_numel(s) / channels(s));
}

/* Batch mean and biased variance per channel, the textbook way (one channel at a time). */
static void naive_stats(const double *x, size_t rows, int64_t c, double *mean, double *var) {
    for (int64_t j = 0; j < c; j++) {
        double s = 0, q = 0;
        for (size_t r = 0; r < rows; r++) s += x[r * (size_t)c + (size_t)j];
        mean[j] = s / (double)rows;
        for (size_t r = 0; r < rows; r++) {
            double d = x[r * (size_t)c + (size_t)j] - mean[j];
            q += d * d;
        }
        var[j] = q / (double)rows;
    }
}

static void naive_bn_train(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                           const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)out_shape;
    int64_t c = channels(&in_shape[0]);
    size_t rows = rows_of(batch, &in_shape[0]);
    double *mean = malloc(sizeof(double) * (size_t)c), *var = malloc(sizeof(double) * (size_t)c);
    naive_stats(in[0], rows, c, mean, var);
    naive_affine(n, rows, c, in[0], w, mean, var, out);
    free(mean);
    free(var);
}

static void naive_bn_eval(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                          const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)out_shape;
    naive_affine(n, rows_of(batch, &in_shape[0]), channels(&in_shape[0]), in[0], w, w[2], w[3], out);
}

/* Random gamma/beta (so their gradients are exercised) and running stats with var > 0. */
static void randomize_params(ecg_graph *g, ecg_rng *r) {
    const ecg_node *n = &g->nodes[0];
    int64_t c = ecg_shape_numel(&g->params[n->param[0]].shape);
    for (int64_t j = 0; j < c; j++) {
        g->params[n->param[0]].data[j] = 1.0f + 0.5f * ecg_rng_normal(r);
        g->params[n->param[1]].data[j] = 0.5f * ecg_rng_normal(r);
        g->params[n->param[2]].data[j] = 0.5f * ecg_rng_normal(r);
        g->params[n->param[3]].data[j] = 0.2f + 2.0f * ecg_rng_uniform(r);
    }
}

/* A random [T, C] (odd T) or [C] input; batch chosen so there are at least 2 rows. */
static ecg_shape random_shape(ecg_rng *r, int trial, int *batch) {
    int c = rand_int(r, 1, 9);
    *batch = rand_int(r, 1, 4);
    if (trial % 2) return ecg_shape2(2 * rand_int(r, 1, 12) + 1, c);
    if (*batch == 1) *batch = 2;
    return ecg_shape1(c);
}

static void check_mode(int training) {
    ecg_rng r = {training ? 301u : 302u};
    for (int trial = 0; trial < 6; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, (uint64_t)trial);
        int batch;
        int x = ecg_input(&g, "x", random_shape(&r, trial, &batch));
        ecg_batchnorm(&g, "bn", x, trial % 3 ? 1e-5f : 1e-3f, 0.1f);
        randomize_params(&g, &r);
        op_check_opts o = {.batch = batch, .training = training, .seed = 40 + (uint64_t)trial};
        op_check(training ? "bn train" : "bn eval", &g, training ? naive_bn_train : naive_bn_eval, &o);
        ecg_graph_free(&g);
    }
}

static void test_bn_train(void) { check_mode(1); }
static void test_bn_eval(void) { check_mode(0); }

/* Runs one training forward of a single BN node on x; returns the node's output value. */
static const float *train_forward(ecg_graph *g, int batch, const float *x, ecg_ref **ref) {
    char err[256];
    *ref = ecg_ref_create(g, batch, err, sizeof err);
    CHECK(*ref != NULL, "%s", err);
    if (!*ref) return NULL;
    const float *inputs[1] = {x};
    ecg_ref_forward(*ref, inputs, 1, 7);
    return ecg_ref_output(*ref);
}

/* After one training step: running = 0.9 * running + 0.1 * stat, variance unbiased (n / (n - 1)). */
static void test_bn_running_update(void) {
    ecg_rng r = {77};
    const int batch = 3, t = 7, c = 5;
    const float m = 0.25f;
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(t, c));
    ecg_graph_set_output(&g, ecg_batchnorm(&g, "bn", x, 1e-5f, m));
    randomize_params(&g, &r);
    float *rm = g.params[g.nodes[0].param[2]].data, *rv = g.params[g.nodes[0].param[3]].data;
    float rm0[5], rv0[5], in[3 * 7 * 5];
    memcpy(rm0, rm, sizeof rm0);
    memcpy(rv0, rv, sizeof rv0);
    fill_normal(in, sizeof in / sizeof in[0], &r, 2.0f);
    for (int j = 0; j < c; j++) in[j] += 3.0f; /* a channel mean far from 0 */
    ecg_ref *ref;
    train_forward(&g, batch, in, &ref);
    const int n = batch * t;
    for (int j = 0; j < c; j++) {
        double s = 0, q = 0;
        for (int i = 0; i < n; i++) s += in[i * c + j];
        double mean = s / n;
        for (int i = 0; i < n; i++) q += (in[i * c + j] - mean) * (in[i * c + j] - mean);
        double want_m = (1 - m) * rm0[j] + m * mean, want_v = (1 - m) * rv0[j] + m * q / (n - 1);
        CHECK(fabs(rm[j] - want_m) <= 1e-5 * fmax(1, fabs(want_m)), "running_mean[%d] %g want %g", j, rm[j], want_m);
        CHECK(fabs(rv[j] - want_v) <= 1e-5 * fmax(1, fabs(want_v)), "running_var[%d] %g want %g", j, rv[j], want_v);
    }
    /* eval never touches the running statistics */
    memcpy(rm0, rm, sizeof rm0);
    const float *inputs[1] = {in};
    ecg_ref_forward(ref, inputs, 0, 7);
    CHECK(!memcmp(rm0, rm, sizeof rm0), "eval forward changed running_mean");
    ecg_ref_free(ref);
    ecg_graph_free(&g);
}

/* One row per channel (batch 1, [C]): variance is 0, no n/(n-1) division; output = beta. */
static void test_bn_single_row(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape1(3));
    ecg_graph_set_output(&g, ecg_batchnorm(&g, "bn", x, 1e-5f, 0.1f));
    const float in[3] = {1.5f, -2.0f, 4.0f};
    ecg_ref *ref;
    const float *y = train_forward(&g, 1, in, &ref);
    const float *rm = g.params[g.nodes[0].param[2]].data, *rv = g.params[g.nodes[0].param[3]].data;
    for (int j = 0; j < 3 && y; j++) {
        CHECK(y[j] == 0.0f, "y[%d] = %g, want beta 0", j, y[j]);
        CHECK(fabsf(rm[j] - 0.1f * in[j]) < 1e-6f, "running_mean[%d] %g", j, rm[j]);
        CHECK(isfinite(rv[j]) && fabsf(rv[j] - 0.9f) < 1e-6f, "running_var[%d] %g, want 0.9", j, rv[j]);
    }
    ecg_ref_free(ref);
    ecg_graph_free(&g);
}

static void expect_reject(ecg_shape s, float eps, float momentum, const char *word) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", s);
    int y = ecg_batchnorm(&g, "bn", x, eps, momentum);
    CHECK(y < 0 && strstr(g.err, "bn") && strstr(g.err, word), "want rejection naming '%s', got %d '%s'", word, y,
          g.err);
    ecg_graph_free(&g);
}

static void test_bn_rejects(void) {
    expect_reject(ecg_shape3(4, 5, 6), 1e-5f, 0.1f, "rank 3");
    expect_reject(ecg_shape2(4, 5), -1e-5f, 0.1f, "eps");
    expect_reject(ecg_shape2(4, 5), NAN, 0.1f, "eps");
    expect_reject(ecg_shape2(4, 5), 1e-5f, 1.5f, "momentum");
    expect_reject(ecg_shape2(4, 5), 1e-5f, NAN, "momentum");
}

static void test_bn_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(51, 8));
    ecg_batchnorm(&g, "bn", x, 1e-5f, 0.1f);
    CHECK(ecg_graph_flops(&g) == 2 * 51 * 8, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 16, "params %lld (running stats are buffers)",
          (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
}

/* A BN with no conv before it runs as XNNPACK's own affine step; it must match eval mode. */
static void test_bn_xnn_unfolded(void) {
    ecg_rng r = {5};
    for (int rank = 1; rank <= 2; rank++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", rank == 1 ? ecg_shape1(12) : ecg_shape2(37, 12));
        ecg_graph_set_output(&g, ecg_batchnorm(&g, "bn", x, 1e-5f, 0.1f));
        randomize_params(&g, &r);
        xnn_check(rank == 1 ? "bn [C]" : "bn [T,C]", &g, 3, 2, 0, 1e-5, 3);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_bn_train);
    RUN(test_bn_eval);
    RUN(test_bn_running_update);
    RUN(test_bn_single_row);
    RUN(test_bn_rejects);
    RUN(test_bn_flops);
    RUN(test_bn_xnn_unfolded);
    return test_done();
}
