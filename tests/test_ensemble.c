/* Seed ensembles (runs/seed_ensemble.c): the combined logits are the log of the members' mean
 * softmax probability (against a naive double loop), stay finite for logits far beyond exp's
 * range, and let one confident member outweigh two lukewarm ones, as averaging probabilities
 * (not a vote) does. ecg_ensemble_cv itself is exercised on trained fold runs by
 * tests/select_script.sh (ENSEMBLE). */
#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "runs/pipelines.h"

static void test_logits_are_mean_probability(void) {
    enum { M = 3, N = 200, K = 5 };
    float *z[M], out[N * K];
    ecg_rng r = {17};
    for (int m = 0; m < M; m++) {
        z[m] = malloc(sizeof *z[m] * N * K);
        for (int i = 0; i < N * K; i++) z[m][i] = 3.0f * ecg_rng_normal(&r);
    }
    ecg_ensemble_logits((const float *const *)z, M, N, K, out);
    double worst = 0, worst_sum = 0;
    for (int i = 0; i < N; i++) {
        double mean[K] = {0}, sum = 0;
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int c = 0; c < K; c++) s += exp(z[m][i * K + c]);
            for (int c = 0; c < K; c++) mean[c] += exp(z[m][i * K + c]) / s / M;
        }
        for (int c = 0; c < K; c++) {
            worst = fmax(worst, fabs(out[i * K + c] - log(mean[c])));
            sum += exp(out[i * K + c]);
        }
        worst_sum = fmax(worst_sum, fabs(sum - 1));
    }
    CHECK(worst < 1e-5, "log of the mean probability off by %g", worst);
    CHECK(worst_sum < 1e-5, "the ensemble's probabilities sum to 1 +- %g", worst_sum);
    for (int m = 0; m < M; m++) free(z[m]);
}

static void test_extreme_logits_stay_finite(void) {
    float a[] = {1e4f, -1e4f, 0}, b[] = {-3e38f, 3e38f, 0}, out[3];
    const float *z[] = {a, b};
    ecg_ensemble_logits(z, 2, 1, 3, out);
    CHECK(isfinite(out[0]) && isfinite(out[1]) && isfinite(out[2]), "not finite: %g %g %g", out[0], out[1], out[2]);
    CHECK(fabs(exp(out[0]) - 0.5) < 1e-6 && fabs(exp(out[1]) - 0.5) < 1e-6, "two certain members who disagree: %g %g",
          exp(out[0]), exp(out[1]));
    CHECK(out[2] < -600, "a class no member gives any probability (exp underflows): %g", out[2]);
}

static void test_probabilities_not_votes(void) {
    /* member 1: class 1 at 0.99; members 2 and 3: class 0 at 0.6. A vote says 0; the mean
     * probability says 1 (0.597 against 0.403) */
    float a[] = {0, logf(99)}, b[] = {logf(0.6f), logf(0.4f)}, out[2];
    const float *z[] = {a, b, b};
    ecg_ensemble_logits(z, 3, 1, 2, out);
    CHECK(ecg_argmax(out, 2) == 1, "the confident member should carry it: %g %g", exp(out[0]), exp(out[1]));
    CHECK(fabs(exp(out[1]) - (0.99 + 0.4 + 0.4) / 3) < 1e-6, "mean probability of class 1: %g", exp(out[1]));
}

int main(void) {
    RUN(test_logits_are_mean_probability);
    RUN(test_extreme_logits_stay_finite);
    RUN(test_probabilities_not_votes);
    return test_done();
}
