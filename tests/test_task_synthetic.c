/* synthetic task: same seed gives the same bytes, balanced classes, shapes, and beats whose
 * morphology and RR features follow the class descriptions (P wave in N not V, wider QRS in V,
 * a pacing spike in Q, premature V). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"

static int load(const char *split, uint64_t seed, ecg_dataset *d) {
    char err[256] = "";
    int rc = ecg_task_synthetic_load(NULL, split, seed, d, err, sizeof err);
    CHECK(rc == 0, "load %s: %s", split, err);
    return rc;
}

static void test_determinism(void) {
    ecg_dataset a, b, c, t;
    if (load("train", 11, &a) || load("train", 11, &b) || load("train", 12, &c) || load("test", 11, &t)) return;
    size_t nx = (size_t)a.n * ECG_SYNTH_LENGTH;
    CHECK(!memcmp(a.x, b.x, nx * sizeof(float)) && !memcmp(a.y, b.y, (size_t)a.n * sizeof(int)) &&
              !memcmp(a.features, b.features, (size_t)a.n * 3 * sizeof(float)),
          "same seed, same bytes");
    CHECK(memcmp(a.x, c.x, nx * sizeof(float)) != 0, "another seed, other beats");
    CHECK(memcmp(a.x, t.x, (size_t)t.n * ECG_SYNTH_LENGTH * sizeof(float)) != 0, "train and test differ");
    ecg_dataset_free(&a);
    ecg_dataset_free(&b);
    ecg_dataset_free(&c);
    ecg_dataset_free(&t);
}

static void test_shapes_and_balance(void) {
    const char *splits[] = {"train", "test"};
    const int per[] = {ECG_SYNTH_TRAIN_PER_CLASS, ECG_SYNTH_TEST_PER_CLASS};
    for (int s = 0; s < 2; s++) {
        ecg_dataset d;
        if (load(splits[s], 5, &d)) return;
        CHECK(d.n == 5 * per[s] && d.length == 252 && d.channels == 1 && d.n_classes == 5 && d.n_features == 3,
              "%s: n %d length %d channels %d classes %d features %d", splits[s], d.n, d.length, d.channels,
              d.n_classes, d.n_features);
        const char *names[] = {"N", "S", "V", "F", "Q"};
        for (int k = 0; k < 5; k++) CHECK(!strcmp(d.class_names[k], names[k]), "class %d is %s", k, names[k]);
        int count[5] = {0}, finite = 1, runs = 0;
        for (int i = 0; i < d.n; i++) {
            if (d.y[i] >= 0 && d.y[i] < 5) count[d.y[i]]++;
            runs += i > 0 && d.y[i] == d.y[i - 1];
        }
        for (size_t i = 0; i < (size_t)d.n * 252; i++) finite &= isfinite(d.x[i]) && fabsf(d.x[i]) < 4.0f;
        for (int k = 0; k < 5; k++) CHECK(count[k] == per[s], "%s class %d: %d", splits[s], k, count[k]);
        CHECK(finite, "%s: finite values within +-4 mV", splits[s]);
        /* Shuffled: equal neighbours about 1 in 5, not 0 (round robin) or n (sorted). */
        CHECK(runs > d.n / 10 && runs < d.n / 3, "%s: order shuffled (%d equal neighbours)", splits[s], runs);
        CHECK(strstr(d.data_version, "synthetic"), "data_version says synthetic");
        ecg_dataset_free(&d);
    }
    ecg_dataset d;
    char err[256] = "";
    CHECK(ecg_task_synthetic_load(NULL, "val", 1, &d, err, sizeof err) == -1 && strstr(err, "val"), "bad split");
}

/* Class-mean beat and mean features. */
static void class_means(const ecg_dataset *d, int cls, double *beat, double *feat) {
    int m = 0;
    memset(beat, 0, sizeof(double) * 252);
    memset(feat, 0, sizeof(double) * 3);
    for (int i = 0; i < d->n; i++) {
        if (d->y[i] != cls) continue;
        m++;
        for (int t = 0; t < 252; t++) beat[t] += d->x[(size_t)i * 252 + t];
        for (int f = 0; f < 3; f++) feat[f] += d->features[i * 3 + f];
    }
    for (int t = 0; t < 252; t++) beat[t] /= m;
    for (int f = 0; f < 3; f++) feat[f] /= m;
}

/* Samples where the mean beat is above half its peak, walking out from the R peak (sample 90). */
static int qrs_width(const double *b) {
    double half = b[90] / 2;
    int lo = 90, hi = 90;
    while (lo > 0 && b[lo - 1] > half) lo--;
    while (hi < 251 && b[hi + 1] > half) hi++;
    return hi - lo + 1;
}

static void test_morphology(void) {
    ecg_dataset d;
    if (load("train", 2, &d)) return;
    double beat[5][252], feat[5][3];
    for (int c = 0; c < 5; c++) class_means(&d, c, beat[c], feat[c]);
    /* P wave 0.2 s before R = 72 samples before sample 90. */
    CHECK(beat[0][18] > 0.08, "N has an upright P wave (%.3f mV)", beat[0][18]);
    CHECK(fabs(beat[2][18]) < 0.05, "V has no P wave (%.3f mV)", beat[2][18]);
    CHECK(beat[1][90 - 50] < -0.04, "S has an inverted early P (%.3f mV)", beat[1][90 - 50]);
    int wn = qrs_width(beat[0]), wv = qrs_width(beat[2]);
    CHECK(wv >= 2 * wn, "V's QRS (%d samples) is at least twice as wide as N's (%d)", wv, wn);
    /* Q's pacing spike: the largest one-sample jump dwarfs N's. */
    double jump_q = 0, jump_n = 0;
    for (int t = 1; t < 252; t++) {
        jump_q = fmax(jump_q, fabs(beat[4][t] - beat[4][t - 1]));
        jump_n = fmax(jump_n, fabs(beat[0][t] - beat[0][t - 1]));
    }
    CHECK(jump_q > 1.5 * jump_n, "Q has a pacing spike (max step %.3f vs N %.3f)", jump_q, jump_n);
    CHECK(feat[2][0] < 0.8 * feat[2][2] && feat[2][1] > 1.2 * feat[2][2], "V premature + compensatory pause");
    CHECK(fabs(feat[0][0] / feat[0][2] - 1) < 0.05, "N's pre-RR is its rhythm");
    CHECK(feat[1][0] < 0.8 * feat[1][2], "S premature");
    ecg_dataset_free(&d);
}

int main(void) {
    RUN(test_determinism);
    RUN(test_shapes_and_balance);
    RUN(test_morphology);
    return test_done();
}
