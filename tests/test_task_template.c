/* mitdb-aami-template: channel 0 is mitdb-aami's MLII window bit for bit (same beats, labels,
 * features and records), channel 1 channel 0 minus the record's median beat: every sample checked
 * against a median found here by counting (no sort); the median beat it implies is the same for
 * every beat of a record and differs between records. mitdb-aami-2lead-template is
 * mitdb-aami-2lead's two channels followed by this channel 1, bit for bit. On the bundled sample (3
 * records) and, when present, the full data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"

#define SAMPLE "datasets/sample"

static int load(const char *task, const char *dir, const char *split, ecg_dataset *d) {
    char err[1024] = "";
    int rc = ecg_task_load(task, split, dir, 1, d, err, sizeof err);
    CHECK(rc == 0, "%s/%s from %s: %s", task, split, dir, err);
    return rc;
}

/* The k-th smallest (0-based) of v[0 .. n), found by counting: the value with fewer than k+1
 * values below it and at least k+1 at or below it. O(n^2), independent of the loader's sort. */
static float kth_by_counting(const float *v, int n, int k) {
    for (int i = 0; i < n; i++) {
        int below = 0, at_or_below = 0;
        for (int j = 0; j < n; j++) below += v[j] < v[i], at_or_below += v[j] <= v[i];
        if (below <= k && k < at_or_below) return v[i];
    }
    return NAN;
}

static float median_by_counting(const float *v, int n) {
    if (n % 2) return kth_by_counting(v, n, n / 2);
    return 0.5f * (kth_by_counting(v, n, n / 2 - 1) + kth_by_counting(v, n, n / 2));
}

/* Checks one split: channel 0 and everything else equal to mitdb-aami's, channel 1 channel 0 minus
 * the median of channel 0 over the record's beats. Full-data medians are checked on every 9th sample (the
 * counting median is quadratic in a record's ~2,000 beats). */
static void check_split(const char *dir, const char *split, int stride) {
    ecg_dataset one, two;
    if (load("mitdb-aami", dir, split, &one)) return;
    if (load("mitdb-aami-template", dir, split, &two)) {
        ecg_dataset_free(&one);
        return;
    }
    CHECK(two.channels == 2 && two.length == one.length && one.channels == 1, "x [%d, %d]", two.length, two.channels);
    CHECK(two.n == one.n && two.n > 0, "%s: %d beats, mitdb-aami %d", split, two.n, one.n);
    CHECK(!strcmp(two.task, "mitdb-aami-template"), "task named %s", two.task);
    CHECK(strstr(two.data_version, "median beat") != NULL, "data version says so: %s", two.data_version);
    int same = two.n == one.n && two.n_features == one.n_features;
    for (int i = 0; same && i < one.n; i++) {
        same = one.y[i] == two.y[i] && one.record[i] == two.record[i] &&
               !memcmp(one.features + (size_t)i * one.n_features, two.features + (size_t)i * two.n_features,
                       (size_t)one.n_features * sizeof(float));
        for (int t = 0; same && t < one.length; t++)
            same = one.x[(size_t)i * one.length + t] == two.x[((size_t)i * two.length + t) * 2];
    }
    CHECK(same, "%s: beats, labels, features, records and channel 0 are mitdb-aami's", split);

    float *col = malloc((size_t)(two.n ? two.n : 1) * sizeof *col);
    int checked = 0, bad = 0, records = 0, distinct = 0;
    float prev_t = NAN;
    for (int start = 0; col && start < two.n;) {
        int end = start;
        while (end < two.n && two.record[end] == two.record[start]) end++;
        records++;
        for (int t = 0; t < two.length; t += stride) {
            int n = 0;
            for (int i = start; i < end; i++) col[n++] = two.x[((size_t)i * two.length + t) * 2];
            float want = median_by_counting(col, n);
            for (int i = start; i < end; i++) {
                const float *at = two.x + ((size_t)i * two.length + t) * 2;
                bad += fabsf(at[1] - (at[0] - want)) > 1e-6f * (1.0f + fabsf(want));
                checked++;
            }
        }
        const float *r = two.x + ((size_t)start * two.length + 90) * 2;
        float t0 = r[0] - r[1]; /* the median beat at the R peak */
        distinct += start == 0 || t0 != prev_t;
        prev_t = t0;
        start = end;
    }
    CHECK(col && bad == 0 && checked > 0, "%s: %d of %d samples differ from the beat minus the counted median", split,
          bad, checked);
    CHECK(distinct == records, "%s: %d records, %d distinct median beats at the R peak", split, records, distinct);
    free(col);
    ecg_dataset_free(&one);
    ecg_dataset_free(&two);
}

/* mitdb-aami-2lead-template: channels 0 and 1 mitdb-aami-2lead's, channel 2 mitdb-aami-template's
 * channel 1; labels, features and records the same. */
static void check_two_leads(const char *dir, const char *split) {
    ecg_dataset two = {0}, tpl = {0}, three = {0};
    if (load("mitdb-aami-2lead", dir, split, &two) || load("mitdb-aami-template", dir, split, &tpl) ||
        load("mitdb-aami-2lead-template", dir, split, &three))
        goto out;
    CHECK(three.channels == 3 && three.length == two.length && three.n == two.n && three.n == tpl.n && three.n > 0,
          "%s: x [%d, %d], %d beats (2lead %d, template %d)", split, three.length, three.channels, three.n, two.n,
          tpl.n);
    CHECK(!strcmp(three.task, "mitdb-aami-2lead-template") && strstr(three.data_version, "the other + MLII minus"),
          "named %s, data version %s", three.task, three.data_version);
    int same = three.channels == 3 && three.n == two.n && three.n == tpl.n && three.n_features == two.n_features;
    for (int i = 0; same && i < three.n; i++) {
        same = three.y[i] == two.y[i] && three.record[i] == two.record[i] &&
               !memcmp(three.features + (size_t)i * three.n_features, two.features + (size_t)i * two.n_features,
                       (size_t)two.n_features * sizeof(float));
        for (int t = 0; same && t < three.length; t++) {
            const float *x3 = three.x + ((size_t)i * three.length + t) * 3;
            const float *x2 = two.x + ((size_t)i * two.length + t) * 2, *xt = tpl.x + ((size_t)i * tpl.length + t) * 2;
            same = x3[0] == x2[0] && x3[1] == x2[1] && x3[2] == xt[1];
        }
    }
    CHECK(same, "%s: beats, labels, features, records; channels 0-1 mitdb-aami-2lead's, 2 the template's", split);
out:
    ecg_dataset_free(&two);
    ecg_dataset_free(&tpl);
    ecg_dataset_free(&three);
}

static void test_sample(void) {
    static const char *const splits[] = {"ds1", "ds2", "train", "val", "test"};
    for (int s = 0; s < 5; s++) check_split(SAMPLE, splits[s], 1);
    for (int s = 0; s < 5; s++) check_two_leads(SAMPLE, splits[s]);
}

static void test_full(void) {
    if (!test_need_file("data/mitdb/SHA256SUMS")) return;
    check_split("data", "ds2", 9);
    check_two_leads("data", "ds1");
}

static void test_registry(void) {
    const ecg_task *t = ecg_task_find("mitdb-aami-template");
    CHECK(t && t->channels == 2 && t->length == ECG_MITDB_WINDOW && t->n_features == ECG_MITDB_N_FEATURES,
          "registered with x [252, 2] and mitdb-aami's features");
    t = ecg_task_find("mitdb-aami-2lead-template");
    CHECK(t && t->channels == 3 && t->length == ECG_MITDB_WINDOW && t->cv_folds == ECG_MITDB_CV_FOLDS,
          "mitdb-aami-2lead-template registered with x [252, 3] and the CV folds");
}

int main(void) {
    RUN(test_registry);
    RUN(test_sample);
    RUN(test_full);
    return test_done();
}
