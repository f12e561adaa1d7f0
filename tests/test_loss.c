/* Softmax cross-entropy: loss vs a naive double loop (PyTorch's weighted mean), dlogits vs
 * central differences of that loop, stability at large logits, and the NaN rule. Mean squared
 * error: loss vs a naive loop, dpred vs central differences, and clear errors (NaN, infinite,
 * shape mismatch, empty). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/loss.h"
#include "ops/rng.h"

/* sum_i w[y_i] * (log sum_j exp z_ij - z_iy) / sum_i w[y_i], written directly (no max shift:
 * the test logits are small enough for exp in double). */
static double naive_xent(const double *z, const int *y, const float *cw, int batch, int classes) {
    double num = 0, den = 0;
    for (int i = 0; i < batch; i++) {
        double s = 0;
        for (int j = 0; j < classes; j++) s += exp(z[i * classes + j]);
        double w = cw ? cw[y[i]] : 1.0;
        num += w * (log(s) - z[i * classes + y[i]]);
        den += w;
    }
    return num / den;
}

static void check_case(int batch, int classes, int weighted, uint64_t seed) {
    ecg_rng r = {seed};
    size_t n = (size_t)batch * (size_t)classes;
    float *z = malloc(n * sizeof(float)), *dz = malloc(n * sizeof(float)), cw[16];
    double *zd = malloc(n * sizeof(double)), *num = malloc(n * sizeof(double)), *ana = malloc(n * sizeof(double));
    int y[16];
    fill_normal(z, n, &r, 2.0f);
    for (size_t i = 0; i < n; i++) zd[i] = z[i];
    for (int i = 0; i < batch; i++) y[i] = rand_int(&r, 0, classes - 1);
    for (int j = 0; j < classes; j++) cw[j] = 0.2f + 2.0f * ecg_rng_uniform(&r);
    const float *w = weighted ? cw : NULL;

    double got = ecg_softmax_xent(z, y, w, batch, classes, dz), want = naive_xent(zd, y, w, batch, classes);
    CHECK(fabs(got - want) <= 1e-5 * fmax(1.0, fabs(want)), "batch %d classes %d weighted %d: loss %.9g want %.9g",
          batch, classes, weighted, got, want);
    CHECK(ecg_softmax_xent(z, y, w, batch, classes, NULL) == got, "loss differs without dlogits");
    for (size_t i = 0; i < n; i++) {
        double h = 1e-6, z0 = zd[i];
        zd[i] = z0 + h;
        double lp = naive_xent(zd, y, w, batch, classes);
        zd[i] = z0 - h;
        double lm = naive_xent(zd, y, w, batch, classes);
        zd[i] = z0;
        num[i] = (lp - lm) / (2 * h);
        ana[i] = dz[i];
    }
    double e = rel_err_d(ana, num, n);
    CHECK(e <= 1e-3, "batch %d classes %d weighted %d: dlogits rel err %.3g", batch, classes, weighted, e);
    free(z);
    free(dz);
    free(zd);
    free(num);
    free(ana);
}

static void test_xent_unweighted(void) {
    check_case(1, 5, 0, 1);
    check_case(5, 3, 0, 2);
    check_case(5, 9, 0, 3);
}

static void test_xent_weighted(void) {
    check_case(1, 5, 1, 4);
    check_case(5, 3, 1, 5);
    check_case(5, 9, 1, 6);
}

/* A case worked by hand: two equal logits give log 2; weights only reweight the mean. */
static void test_xent_known_values(void) {
    const float z[4] = {0, 0, 3, 1};
    const int y[2] = {0, 1};
    const float cw[2] = {1, 3};
    double l1 = log(2.0), l2 = log(exp(3.0) + exp(1.0)) - 1.0;
    double got = ecg_softmax_xent(z, y, NULL, 2, 2, NULL);
    CHECK(fabs(got - (l1 + l2) / 2) < 1e-6, "unweighted %.9g", got);
    got = ecg_softmax_xent(z, y, cw, 2, 2, NULL);
    CHECK(fabs(got - (l1 + 3 * l2) / 4) < 1e-6, "weighted %.9g", got);
}

/* Logits of 1e4 overflow exp in float and double: the max shift must keep everything finite. */
static void test_xent_large_logits(void) {
    const float z[6] = {10000, 9999, 9990, -10000, 0, 10000};
    const int y[2] = {1, 2};
    float dz[6];
    double got = ecg_softmax_xent(z, y, NULL, 2, 3, dz);
    double want = ((log(1 + exp(-1.0) + exp(-10.0)) + 1.0) + (log(1 + exp(-10000.0) + exp(-10000.0)))) / 2;
    CHECK(isfinite(got) && fabs(got - want) < 1e-5, "loss %.9g want %.9g", got, want);
    for (int i = 0; i < 6; i++) CHECK(isfinite(dz[i]), "dlogits[%d] = %g", i, (double)dz[i]);
    /* each row's gradient sums to 0 (softmax minus one-hot), scaled by 1/batch */
    double p1 = exp(-1.0) / (1 + exp(-1.0) + exp(-10.0));
    CHECK(fabs(dz[0] + dz[1] + dz[2]) < 1e-6 && fabs(dz[1] - (p1 - 1) / 2) < 1e-6, "row sum %g, dz[1] %g want %g",
          (double)(dz[0] + dz[1] + dz[2]), (double)dz[1], (p1 - 1) / 2);
}

static void expect_nan(const float *z, const int *y, int batch, int classes, const char *what) {
    float dz[12];
    for (int i = 0; i < batch * classes; i++) dz[i] = 0;
    double got = ecg_softmax_xent(z, y, NULL, batch, classes, dz);
    CHECK(isnan(got), "%s: loss %g, want NaN", what, got);
    for (int i = 0; i < batch * classes; i++) CHECK(isnan(dz[i]), "%s: dlogits[%d] = %g, want NaN", what, i, (double)dz[i]);
    CHECK(isnan(ecg_softmax_xent(z, y, NULL, batch, classes, NULL)), "%s: NaN also without dlogits", what);
}

static void test_xent_invalid(void) {
    const float z[6] = {0.5f, -1, 2, 1, 0, 0};
    expect_nan(z, (const int[]){0, 3}, 2, 3, "label == classes");
    expect_nan(z, (const int[]){-1, 0}, 2, 3, "negative label");
    const float zn[6] = {0.5f, -1, 2, 1, NAN, 0};
    expect_nan(zn, (const int[]){0, 1}, 2, 3, "NaN logit");
    CHECK(isnan(ecg_softmax_xent(z, (const int[]){0}, NULL, 0, 3, NULL)), "batch 0");
}

/* ---- mean squared error */

/* sum (p - t)^2 / n, written directly. */
static double naive_mse(const double *p, const float *t, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (p[i] - t[i]) * (p[i] - t[i]);
    return s / (double)n;
}

static void check_mse_case(int batch, ecg_shape shape, uint64_t seed) {
    ecg_rng r = {seed};
    size_t n = (size_t)batch * (size_t)ecg_shape_numel(&shape);
    float *p = malloc(n * sizeof(float)), *t = malloc(n * sizeof(float)), *dp = malloc(n * sizeof(float));
    double *pd = malloc(n * sizeof(double)), *num = malloc(n * sizeof(double)), *ana = malloc(n * sizeof(double));
    fill_normal(p, n, &r, 1.0f);
    fill_normal(t, n, &r, 1.0f);
    for (size_t i = 0; i < n; i++) pd[i] = p[i];
    char err[256] = "";
    double got = ecg_mse(p, &shape, t, &shape, batch, dp, err, sizeof err), want = naive_mse(pd, t, n);
    CHECK(fabs(got - want) <= 1e-9 * fmax(1.0, want), "batch %d, %zu values: mse %.12g want %.12g (%s)", batch, n, got,
          want, err);
    CHECK(ecg_mse(p, &shape, t, &shape, batch, NULL, err, sizeof err) == got, "mse differs without dpred");
    for (size_t i = 0; i < n; i++) {
        double h = 1e-6, p0 = pd[i];
        pd[i] = p0 + h;
        double lp = naive_mse(pd, t, n);
        pd[i] = p0 - h;
        double lm = naive_mse(pd, t, n);
        pd[i] = p0;
        num[i] = (lp - lm) / (2 * h);
        ana[i] = dp[i];
    }
    double e = rel_err_d(ana, num, n);
    CHECK(e <= 1e-4, "batch %d, %zu values: dpred rel err %.3g", batch, n, e);
    free(p);
    free(t);
    free(dp);
    free(pd);
    free(num);
    free(ana);
}

static void test_mse_against_naive(void) {
    check_mse_case(1, ecg_shape1(7), 11);
    check_mse_case(3, ecg_shape2(21, 12), 12);
    check_mse_case(4, ecg_shape2(252, 2), 13);
}

/* Worked by hand: errors 1, -2, 0, 3 give (1 + 4 + 0 + 9) / 4; d = 2 e / 4. Equal tensors give 0. */
static void test_mse_known_values(void) {
    const float p[4] = {1, 0, 5, 3}, t[4] = {0, 2, 5, 0};
    ecg_shape s = ecg_shape2(2, 1);
    float dp[4];
    char err[256] = "";
    double got = ecg_mse(p, &s, t, &s, 2, dp, err, sizeof err);
    CHECK(fabs(got - 3.5) < 1e-12, "mse %.12g want 3.5", got);
    CHECK(dp[0] == 0.5f && dp[1] == -1.0f && dp[2] == 0.0f && dp[3] == 1.5f, "dpred %g %g %g %g", (double)dp[0],
          (double)dp[1], (double)dp[2], (double)dp[3]);
    CHECK(ecg_mse(p, &s, p, &s, 2, dp, err, sizeof err) == 0.0, "mse of a tensor with itself is not 0");
}

/* A refused input: NaN loss, every gradient NaN, and err saying why (contains `why`). */
static void expect_mse_error(const float *p, ecg_shape ps, const float *t, ecg_shape ts, int batch, const char *why) {
    float dp[8];
    for (int i = 0; i < 8; i++) dp[i] = 0;
    char err[256] = "";
    double got = ecg_mse(p, &ps, t, &ts, batch, dp, err, sizeof err);
    CHECK(isnan(got), "%s: mse %g, want NaN", why, got);
    CHECK(strstr(err, why) != NULL, "error '%s' does not say '%s'", err, why);
    int64_t n = batch > 0 ? batch * ecg_shape_numel(&ps) : 0;
    for (int64_t i = 0; i < n && i < 8; i++)
        CHECK(isnan(dp[i]), "%s: dpred[%lld] = %g, want NaN", why, (long long)i, (double)dp[i]);
}

static void test_mse_invalid(void) {
    const float p[6] = {0.5f, -1, 2, 1, 0, 0}, t[6] = {0, 0, 0, 0, 0, 0};
    const float pn[6] = {0.5f, -1, 2, NAN, 0, 0}, ti[6] = {0, 0, 0, 0, 0, INFINITY};
    expect_mse_error(pn, ecg_shape1(3), t, ecg_shape1(3), 2, "prediction element 3 (example 1) is nan");
    expect_mse_error(p, ecg_shape1(3), ti, ecg_shape1(3), 2, "target element 5 (example 1) is inf");
    expect_mse_error(p, ecg_shape2(2, 3), t, ecg_shape2(3, 2), 1,
                     "prediction [2, 3] and target [3, 2] differ in shape");
    expect_mse_error(p, ecg_shape1(6), t, ecg_shape1(5), 1, "differ in shape");
    expect_mse_error(p, ecg_shape1(3), t, ecg_shape1(3), 0, "empty batch");
    char err[256] = "";
    ecg_shape s = ecg_shape1(3);
    CHECK(isnan(ecg_mse(NULL, &s, t, &s, 1, NULL, err, sizeof err)) && strstr(err, "no prediction"), "NULL: '%s'", err);
}

int main(void) {
    RUN(test_xent_unweighted);
    RUN(test_xent_weighted);
    RUN(test_xent_known_values);
    RUN(test_xent_large_logits);
    RUN(test_xent_invalid);
    RUN(test_mse_against_naive);
    RUN(test_mse_known_values);
    RUN(test_mse_invalid);
    return test_done();
}
