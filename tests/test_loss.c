/* Softmax cross-entropy: loss vs a naive double loop (PyTorch's weighted mean), dlogits vs
 * central differences of that loop, stability at large logits, and the NaN rule. */
#include <math.h>
#include <stdlib.h>

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

int main(void) {
    RUN(test_xent_unweighted);
    RUN(test_xent_weighted);
    RUN(test_xent_known_values);
    RUN(test_xent_large_logits);
    RUN(test_xent_invalid);
    return test_done();
}
