/* Seed ensembles (runs/seed_ensemble.c): the combined logits are the log of the members' mean
 * softmax probability (against a naive double loop), stay finite for logits far beyond exp's
 * range, and let one confident member outweigh two lukewarm ones, as averaging probabilities
 * (not a vote) does. An ensemble run whose manifest is wrong (members missing, replaced, nested,
 * too few) is refused with a message naming what, never opened. ecg_ensemble_cv and ensemble
 * --make are exercised on trained runs by tests/select_script.sh (ENSEMBLE). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runs/files.h"
#include "runs/pipelines.h"
#include "runs/runs.h"

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

/* Writes DIR/manifest.json: an ensemble of lstm on mitdb-aami whose members are runs (paths relative
 * to DIR) with the SHA-256 shas (NULL: the committed run's own). */
static void write_ensemble(const char *dir, const char *const *runs, const char *const *shas, int n, const char *own) {
    char cmd[1300], path[1300], err[256];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    cJSON *man = cJSON_CreateObject(), *ens = cJSON_AddObjectToObject(man, "ensemble"),
          *members = cJSON_AddArrayToObject(ens, "members");
    cJSON_AddStringToObject(man, "model", "lstm");
    cJSON_AddStringToObject(man, "task", "mitdb-aami");
    cJSON_AddStringToObject(man, "variant", "ensemble");
    cJSON_AddNumberToObject(man, "seed", 1);
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "run", runs[i]);
        cJSON_AddStringToObject(e, "weights_sha256", shas && shas[i] ? shas[i] : own);
        cJSON_AddItemToArray(members, e);
    }
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    CHECK(ecg_write_json(path, man, err, sizeof err) == 0, "%s", err);
    cJSON_Delete(man);
}

/* Opening the ensemble in dir fails, err holding want. */
static void check_refused(const char *dir, const char *want, const char *why) {
    ecg_run r;
    ecg_run_model m;
    char err[1300] = "";
    int rc = ecg_run_read(dir, &r, err, sizeof err);
    CHECK(rc == 0, "%s: its manifest should read: %s", why, err);
    if (rc) return;
    rc = ecg_run_open_any(&r, &m, err, sizeof err);
    CHECK(rc != 0 && strstr(err, want), "%s: rc %d, '%s' (wanted '%s')", why, rc, err, want);
    if (!rc) ecg_run_model_free(&m);
    ecg_run_free(&r);
}

static void test_bad_ensemble_manifests(void) {
    const char *member = "models/weights/lstm-mitdb-aami";
    if (!test_need_file("models/weights/lstm-mitdb-aami/manifest.json")) return;
    char dir[] = "/tmp/ecgbench_ensemble_XXXXXX", ens[1200], cmd[1400], err[1300], own[65];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cmd, sizeof cmd, "cp -r %s %s/a && cp -r %s %s/b", member, dir, member, dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    ecg_run a;
    int64_t bytes;
    snprintf(ens, sizeof ens, "%s/a", dir);
    CHECK(ecg_run_read(ens, &a, err, sizeof err) == 0 && ecg_run_weights_digest(&a, own, &bytes, err, sizeof err) == 0,
          "%s", err);
    ecg_run_free(&a);
    snprintf(ens, sizeof ens, "%s/e", dir);
    const char *two[] = {"../a", "../b"}, *gone[] = {"../a", "../missing"}, *nested[] = {"../a", "../e2"};
    const char *other[] = {NULL, "0000000000000000000000000000000000000000000000000000000000000000"};

    write_ensemble(ens, two, NULL, 2, own); /* a sound one opens, and predicts through both members */
    ecg_run r;
    ecg_run_model m;
    CHECK(ecg_run_read(ens, &r, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_run_open_any(&r, &m, err, sizeof err) == 0 && m.n_members == 2, "a sound ensemble: %s", err);
    ecg_run_model_free(&m);
    CHECK(ecg_run_open(&r, &m, err, sizeof err) != 0 && strstr(err, "is a seed ensemble"),
          "what needs one model must refuse an ensemble: '%s'", err);
    ecg_run_free(&r);

    write_ensemble(ens, two, other, 2, own);
    check_refused(ens, "holds other weights", "a member replaced since");
    write_ensemble(ens, gone, NULL, 2, own);
    check_refused(ens, "missing", "a member not there");
    write_ensemble(ens, two, NULL, 1, own);
    check_refused(ens, "names 1 members", "one member");
    snprintf(cmd, sizeof cmd, "%s/e2", dir);
    write_ensemble(cmd, two, NULL, 2, own);
    write_ensemble(ens, nested, NULL, 2, own);
    check_refused(ens, "is not a lstm run", "an ensemble as a member");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "%s", cmd);
}

int main(void) {
    RUN(test_logits_are_mean_probability);
    RUN(test_extreme_logits_stay_finite);
    RUN(test_probabilities_not_votes);
    RUN(test_bad_ensemble_manifests);
    return test_done();
}
