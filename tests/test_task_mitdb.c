/* mitdb-aami on the real MIT-BIH records: DS1 / DS2 class counts against de Chazal et al. 2004
 * (Table II), the record-wise validation split, the seeded intra split, window alignment and RR
 * features against facts of the database. Each test on the real data is skipped, naming the first
 * file it reads that is absent, when the data is not here: test_data_dir (harness.h) finds it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "datasets/datasets.h"
#include "harness.h"

static char data_dir[1024];

/* Finds the data folder holding the .hea, .dat and .atr of every record of the record sets in
 * `sets` ("ds1", "ds2", space-separated) into data_dir; 0 (and the test skipped) without it. */
static int find_records(const char *sets) {
    static const char *const ext[3] = {"hea", "dat", "atr"};
    char probes[8192] = "", set[8];
    size_t len = 0;
    for (const char *s = sets; *s; s += strspn(s, " ")) {
        size_t k = strcspn(s, " ");
        snprintf(set, sizeof set, "%.*s", (int)k, s);
        s += k;
        const int *rec;
        int n = ecg_mitdb_record_set(set, &rec);
        for (int i = 0; i < n; i++)
            for (int e = 0; e < 3; e++)
                len += (size_t)snprintf(probes + len, sizeof probes - len, "mitdb/%d.%s ", rec[i], ext[e]);
    }
    return test_data_dir(probes, data_dir, sizeof data_dir) != NULL;
}

static int load(const char *split, uint64_t seed, ecg_dataset *d) {
    char err[1024] = "";
    int rc = ecg_task_mitdb_aami_load(data_dir, split, seed, d, err, sizeof err);
    CHECK(rc == 0, "load %s: %s", split, err);
    return rc;
}

#define SKIP_WITHOUT_RECORDS(sets)                                                                             \
    do {                                                                                                       \
        if (!find_records(sets)) return;                                                                       \
    } while (0)

static void count_classes(const ecg_dataset *d, int *c) {
    memset(c, 0, ECG_AAMI_N_CLASSES * sizeof *c);
    for (int i = 0; i < d->n; i++)
        if (d->y[i] >= 0 && d->y[i] < ECG_AAMI_N_CLASSES) c[d->y[i]]++;
}

static int n_ds1_beats, n_ds2_beats;

/* ---------------------------------------------------------------- no data needed */

static void test_bad_inputs(void) {
    ecg_dataset d;
    char err[1024] = "";
    CHECK(ecg_task_mitdb_aami_load(data_dir, "trian", 0, &d, err, sizeof err) == -1, "unknown split accepted");
    CHECK(strstr(err, "trian") && strstr(err, "intra-test"), "message names the split and the known ones: %s", err);
    CHECK(ecg_task_mitdb_aami_load("/nonexistent-ecg-dir", "ds1", 0, &d, err, sizeof err) == -1, "missing dir");
    CHECK(strstr(err, "/nonexistent-ecg-dir/mitdb"), "message names the missing file: %s", err);
}

/* The cross-validation folds partition DS1 (each record in exactly one fold, each fold ascending),
 * and only "cvK-train" / "cvK-val" with K from 1 parse as fold splits. */
static void test_cv_folds(void) {
    const int *ds1, *f;
    int n1 = ecg_mitdb_record_set("ds1", &ds1), seen[1000] = {0}, total = 0;
    for (int k = 1; k <= ECG_MITDB_CV_FOLDS; k++) {
        int n = ecg_mitdb_cv_fold(k, &f);
        CHECK(n >= 4 && n <= 5, "fold %d has %d records", k, n);
        for (int i = 0; i < n; i++) {
            int in_ds1 = 0;
            for (int j = 0; j < n1; j++) in_ds1 |= ds1[j] == f[i];
            CHECK(in_ds1 && !seen[f[i] % 1000] && (i == 0 || f[i] > f[i - 1]),
                  "fold %d: record %d outside DS1, in two folds or out of order", k, f[i]);
            seen[f[i] % 1000] = 1;
        }
        total += n;
    }
    CHECK(total == n1, "the folds hold %d records, DS1 %d", total, n1);
    CHECK(ecg_mitdb_cv_fold(0, &f) == -1 && ecg_mitdb_cv_fold(ECG_MITDB_CV_FOLDS + 1, &f) == -1, "fold out of range");
    static const struct { const char *split; int fold, is_val; } cases[] = {
        {"cv1-train", 1, 0}, {"cv5-val", 5, 1}, {"cv12-val", 12, 1}, {"cv0-val", 0, 0}, {"cv01-val", 0, 0},
        {"cv1-test", 0, 0}, {"cv1-val ", 0, 0}, {"cv-val", 0, 0}, {"val", 0, 0}, {"cv1", 0, 0}, {NULL, 0, 0},
        {"cv99999999999999999999-val", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int is_val = -1, fold = ecg_cv_split(cases[i].split, &is_val);
        CHECK(fold == cases[i].fold && (!fold || is_val == cases[i].is_val), "'%s': fold %d, val %d",
              cases[i].split ? cases[i].split : "(null)", fold, is_val);
    }
}

/* ---------------------------------------------------------------- real data */

/* The P-wave columns: a beat without a P wave has zeros beside p_present 0; one with a P wave has a
 * width and a PR interval in physiological ranges; N beats have one far more often than V beats
 * (a V beat has no P wave of its own). */
static void check_p_features(const ecg_dataset *d, const char *set) {
    int present[ECG_AAMI_N_CLASSES] = {0}, total[ECG_AAMI_N_CLASSES] = {0}, bad = 0;
    for (int i = 0; i < d->n; i++) {
        const float *f = d->features + (size_t)i * (size_t)d->n_features + 12;
        total[d->y[i]]++;
        if (f[0] == 1.0f) {
            present[d->y[i]]++;
            bad += !(f[2] > 0.005f && f[2] < 0.3f && f[3] > 0.0f && f[3] < 0.5f && f[1] != 0.0f);
        } else {
            bad += !(f[0] == 0.0f && f[1] == 0.0f && f[2] == 0.0f && f[3] == 0.0f);
        }
    }
    double n_share = (double)present[ECG_AAMI_N] / total[ECG_AAMI_N], v_share = (double)present[ECG_AAMI_V] / total[ECG_AAMI_V];
    printf("  %s: P wave before %.1f%% of N beats, %.1f%% of V beats\n", set, 100 * n_share, 100 * v_share);
    CHECK(bad == 0, "%s: %d beats with P-wave features out of range or unflagged", set, bad);
    CHECK(n_share > 0.7 && v_share < 0.5 * n_share, "%s: P waves before %.3f of N and %.3f of V beats", set, n_share,
          v_share);
}

static void test_ds1_ds2_counts(void) {
    SKIP_WITHOUT_RECORDS("ds1 ds2");
    /* de Chazal et al. 2004, Table II (N, S, V, F, Q). */
    static const int pub[2][5] = {{45866, 944, 3788, 415, 8}, {44259, 1837, 3221, 388, 7}};
    static const char *sets[2] = {"ds1", "ds2"};
    for (int s = 0; s < 2; s++) {
        ecg_dataset d;
        if (load(sets[s], 0, &d)) return;
        int c[ECG_AAMI_N_CLASSES];
        count_classes(&d, c);
        printf("  %s: N %d S %d V %d F %d Q %d (total %d); de Chazal N %d S %d V %d F %d Q %d\n", sets[s], c[0],
               c[1], c[2], c[3], c[4], d.n, pub[s][0], pub[s][1], pub[s][2], pub[s][3], pub[s][4]);
        for (int k = 0; k < 3; k++)   /* N, S, V within 1 % */
            CHECK(fabs((double)c[k] - pub[s][k]) <= 0.01 * pub[s][k], "%s class %s: %d vs published %d", sets[s],
                  ecg_aami_class_names[k], c[k], pub[s][k]);
        CHECK(d.length == 252 && d.channels == 1 && d.n_classes == 5, "shape %d x %d, %d classes", d.length,
              d.channels, d.n_classes);
        CHECK(d.n_features == 17 && d.feature_names && !strcmp(d.feature_names[8], "age") &&
                  !strcmp(d.feature_names[12], "p_present") && !strcmp(d.feature_names[16], "rr_irregularity"),
              "features");
        int bad_irr = 0;
        for (int i = 0; i < d.n && d.n_features == 17; i++) {
            float v = d.features[(size_t)i * 17 + 16];
            bad_irr += !(v >= 0 && v < 10); /* a median RR difference over the local RR */
        }
        CHECK(bad_irr == 0, "%s: %d beats with an rr_irregularity outside [0, 10)", sets[s], bad_irr);
        check_p_features(&d, sets[s]);
        CHECK(strstr(d.data_version, "mitdb") && strstr(d.data_version, "22 records"), "version '%s'",
              d.data_version);
        const int *list;
        int nl = ecg_mitdb_record_set(sets[s], &list);
        int bad = 0;
        for (int i = 0; i < d.n; i++) {
            int found = 0;
            for (int j = 0; j < nl; j++) found |= d.record[i] == list[j];
            bad += !found;
        }
        CHECK(bad == 0, "%s: %d beats from records outside the set", sets[s], bad);
        if (s == 0) n_ds1_beats = d.n;
        else n_ds2_beats = d.n;
        ecg_dataset_free(&d);
    }
}

/* Record 100 (in DS2): 2273 beats over 30:05 (MIT-BIH tables: 2239 N, 33 A, 1 V), a 69-year-old
 * man; record 103: age not given ("-1"). */
static void test_features_and_windows(void) {
    SKIP_WITHOUT_RECORDS("ds2");
    ecg_dataset d;
    if (load("ds2", 0, &d)) return;
    int n100 = 0, peak_near = 0, n_norm = 0;
    double pre_sum = 0, pre_norm_sum = 0;
    for (int i = 0; i < d.n; i++) {
        const float *f = d.features + (size_t)i * d.n_features;
        if (d.record[i] == 100) {
            n100++;
            pre_sum += f[ECG_RR_PRE];
            pre_norm_sum += f[ECG_RR_PRE_NORM];
            CHECK(fabs(f[8] - 0.69f) < 1e-6 && f[9] == 0 && f[10] == 1 && f[11] == 0, "100: age/sex %g %g %g %g",
                  f[8], f[9], f[10], f[11]);
            /* The annotation marks the R wave: for normal beats the largest |x| is near index 90. */
            if (d.y[i] == ECG_AAMI_N) {
                const float *x = d.x + (size_t)i * d.length;
                int arg = 0;
                for (int j = 1; j < d.length; j++)
                    if (fabsf(x[j]) > fabsf(x[arg])) arg = j;
                n_norm++;
                peak_near += abs(arg - 90) <= 18;   /* 50 ms */
            }
        }
        if (d.record[i] == 103) CHECK(f[9] == 1, "103: age should be flagged unknown");
    }
    CHECK(n100 == 2273, "record 100: %d beats, want 2273", n100);
    if (n100) {
        double mean_rr = pre_sum / n100;   /* about 1805 s / 2272 intervals = 0.794 s */
        CHECK(fabs(mean_rr - 0.794) < 0.01, "record 100 mean pre-RR %.4f s", mean_rr);
        CHECK(fabs(pre_norm_sum / n100 - 1.0) < 0.01, "record 100 mean normalised pre-RR %.4f", pre_norm_sum / n100);
    }
    CHECK(n_norm > 0 && peak_near >= 0.95 * n_norm, "R peak near the window centre in %d of %d normal beats",
          peak_near, n_norm);
    ecg_dataset_free(&d);
}

static void test_train_val_by_record(void) {
    SKIP_WITHOUT_RECORDS("ds1");
    ecg_dataset tr, va;
    if (load("train", 7, &tr)) return;
    if (load("val", 7, &va)) {
        ecg_dataset_free(&tr);
        return;
    }
    int in_tr[1000] = {0}, in_va[1000] = {0};
    for (int i = 0; i < tr.n; i++) in_tr[tr.record[i] % 1000] = 1;
    for (int i = 0; i < va.n; i++) in_va[va.record[i] % 1000] = 1;
    int n_tr = 0, n_va = 0, both = 0;
    for (int r = 0; r < 1000; r++) n_tr += in_tr[r], n_va += in_va[r], both += in_tr[r] && in_va[r];
    CHECK(both == 0, "%d records in both train and val", both);
    CHECK(n_va == 4 && n_tr == 18, "val %d records, train %d; want 4 and 18", n_va, n_tr);
    /* Validation must hold at least 10 % of DS1's S beats (944) and of its V beats (3788). */
    int cv[ECG_AAMI_N_CLASSES];
    count_classes(&va, cv);
    CHECK(cv[ECG_AAMI_S] >= 95 && cv[ECG_AAMI_V] >= 379, "val holds %d S and %d V beats", cv[ECG_AAMI_S],
          cv[ECG_AAMI_V]);
    /* ... and at most half of DS1's S (944), V (3788) and F (415) beats, so training keeps each class. */
    CHECK(cv[ECG_AAMI_S] <= 472 && cv[ECG_AAMI_V] <= 1894 && cv[ECG_AAMI_F] <= 207,
          "val holds %d S, %d V, %d F beats: more than half of DS1's", cv[ECG_AAMI_S], cv[ECG_AAMI_V], cv[ECG_AAMI_F]);
    if (n_ds1_beats) CHECK(tr.n + va.n == n_ds1_beats, "train %d + val %d != ds1 %d", tr.n, va.n, n_ds1_beats);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&va);
}

/* Fold K's validation split is its records' beats; over the five folds every DS1 beat is
 * validated once, and every fold holds S and V beats (at least 100 S and 500 V: DS1 has 944 and
 * 3788). The training side (DS1's other records) is checked on the sample, test_bundled_sample. */
static void test_cv_splits(void) {
    SKIP_WITHOUT_RECORDS("ds1");
    int sum[ECG_AAMI_N_CLASSES] = {0}, beats = 0;
    for (int k = 1; k <= ECG_MITDB_CV_FOLDS; k++) {
        char split[16];
        snprintf(split, sizeof split, "cv%d-val", k);
        ecg_dataset va;
        if (load(split, 3, &va)) return;
        const int *f;
        int nf = ecg_mitdb_cv_fold(k, &f), bad = 0, c[ECG_AAMI_N_CLASSES];
        for (int i = 0; i < va.n; i++) {
            int in_fold = 0;
            for (int j = 0; j < nf; j++) in_fold |= va.record[i] == f[j];
            bad += !in_fold;
        }
        count_classes(&va, c);
        printf("  cv%d-val: N %d S %d V %d F %d Q %d\n", k, c[0], c[1], c[2], c[3], c[4]);
        CHECK(bad == 0 && c[ECG_AAMI_S] >= 100 && c[ECG_AAMI_V] >= 500, "%s: %d beats outside its records, %d S, %d V",
              split, bad, c[ECG_AAMI_S], c[ECG_AAMI_V]);
        for (int j = 0; j < ECG_AAMI_N_CLASSES; j++) sum[j] += c[j];
        beats += va.n;
        ecg_dataset_free(&va);
    }
    const int *pub = ecg_dechazal_counts("ds1");
    if (n_ds1_beats) CHECK(beats == n_ds1_beats, "the folds validate %d beats, DS1 has %d", beats, n_ds1_beats);
    CHECK(sum[ECG_AAMI_S] == pub[ECG_AAMI_S] && sum[ECG_AAMI_V] == pub[ECG_AAMI_V],
          "the folds hold %d S and %d V beats, DS1 %d and %d", sum[ECG_AAMI_S], sum[ECG_AAMI_V], pub[ECG_AAMI_S],
          pub[ECG_AAMI_V]);
}

static void test_intra_split(void) {
    SKIP_WITHOUT_RECORDS("ds1 ds2");
    ecg_dataset a, b, c, t;
    if (load("intra-test", 3, &a)) return;
    if (load("intra-test", 3, &b) || load("intra-test", 4, &c) || load("intra-train", 3, &t)) {
        ecg_dataset_free(&a);
        return;
    }
    int total = t.n + a.n;
    if (n_ds1_beats) CHECK(total == n_ds1_beats + n_ds2_beats, "intra %d beats vs ds1+ds2 %d", total,
                           n_ds1_beats + n_ds2_beats);
    CHECK(a.n == (int)lround(0.2 * total), "intra-test %d of %d", a.n, total);
    CHECK(a.n == b.n && !memcmp(a.y, b.y, (size_t)a.n * sizeof *a.y) &&
              !memcmp(a.record, b.record, (size_t)a.n * sizeof *a.record) &&
              !memcmp(a.x, b.x, (size_t)a.n * a.length * sizeof *a.x),
          "same seed, different intra-test split");
    CHECK(c.n == a.n && (memcmp(c.x, a.x, (size_t)a.n * a.length * sizeof *a.x) != 0), "seeds 3 and 4 agree");
    /* Both parts draw from every record (a random beat split, unlike the inter-patient one). */
    int recs_test = 0, last = -1;
    for (int i = 0; i < a.n; i++)
        if (a.record[i] != last) recs_test++, last = a.record[i];
    CHECK(recs_test == 44, "intra-test spans %d records, want 44", recs_test);
    ecg_dataset_free(&a);
    ecg_dataset_free(&b);
    ecg_dataset_free(&c);
    ecg_dataset_free(&t);
}

/* The bundled sample (marked SAMPLE): DS1 is the records present, 119 and 208, whose 5-minute
 * annotations hold 246 N + 80 V and 278 N + 168 V + 72 F beats (datasets/sample/README.md);
 * the data is labelled as a sample so no report can pass it off as the database. */
static void test_bundled_sample(void) {
    ecg_dataset d;
    char err[512] = "";
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    CHECK(ecg_task_mitdb_aami_load("datasets/sample", "ds1", 0, &d, err, sizeof err) == 0, "%s", err);
    long count[ECG_AAMI_N_CLASSES] = {0};
    int other_record = 0;
    for (int i = 0; i < d.n; i++) {
        count[d.y[i]]++;
        other_record |= d.record[i] != 119 && d.record[i] != 208;
    }
    CHECK(count[ECG_AAMI_N] == 524 && count[ECG_AAMI_S] == 0 && count[ECG_AAMI_V] == 248 && count[ECG_AAMI_F] == 72 &&
              !other_record,
          "sample ds1: N %ld S %ld V %ld F %ld", count[0], count[1], count[2], count[3]);
    CHECK(!strncmp(d.data_version, "SAMPLE", 6), "not labelled a sample: %s", d.data_version);
    ecg_dataset_free(&d);
    ecg_dataset tr, val;
    CHECK(ecg_task_mitdb_aami_load("datasets/sample", "train", 0, &tr, err, sizeof err) == 0 &&
              ecg_task_mitdb_aami_load("datasets/sample", "val", 0, &val, err, sizeof err) == 0,
          "%s", err);
    CHECK(tr.n == 326 && tr.record[0] == 119 && val.n == 518 && val.record[0] == 208, "train %d val %d", tr.n, val.n);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    /* the folds on the sample: 119 is in fold 2, 208 in fold 3; fold 1 holds neither */
    CHECK(ecg_task_mitdb_aami_load("datasets/sample", "cv2-train", 0, &tr, err, sizeof err) == 0 &&
              ecg_task_mitdb_aami_load("datasets/sample", "cv2-val", 0, &val, err, sizeof err) == 0,
          "%s", err);
    CHECK(tr.n == 518 && tr.record[0] == 208 && val.n == 326 && val.record[0] == 119 && !strcmp(val.split, "cv2-val"),
          "cv2: train %d val %d (%s)", tr.n, val.n, val.split);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    CHECK(ecg_task_mitdb_aami_load("datasets/sample", "cv1-val", 0, &val, err, sizeof err) == -1 &&
              strstr(err, "cv1-val") && strstr(err, "none of its records"),
          "an empty fold of the sample: %s", err);
}

/* mitdb-aami-intra on the bundled sample: train and val are a seeded 90/10 partition of
 * mitdb-aami's intra-train (order kept), test is its intra-test, and the task names itself. */
static void test_intra_task(void) {
    const char *dir = "datasets/sample";
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char err[512] = "";
    ecg_dataset tr, va, te, all, ref;
    CHECK(ecg_task_load("mitdb-aami-intra", "train", dir, 5, &tr, err, sizeof err) == 0 &&
              ecg_task_load("mitdb-aami-intra", "val", dir, 5, &va, err, sizeof err) == 0 &&
              ecg_task_load("mitdb-aami-intra", "test", dir, 5, &te, err, sizeof err) == 0 &&
              ecg_task_load("mitdb-aami", "intra-train", dir, 5, &all, err, sizeof err) == 0 &&
              ecg_task_load("mitdb-aami", "intra-test", dir, 5, &ref, err, sizeof err) == 0,
          "%s", err);
    CHECK(!strcmp(tr.task, "mitdb-aami-intra") && !strcmp(va.split, "val"), "named %s/%s", tr.task, va.split);
    CHECK(va.n == (int)lround(0.1 * all.n) && tr.n + va.n == all.n, "train %d + val %d of %d", tr.n, va.n, all.n);
    size_t w = (size_t)all.length * sizeof *all.x;
    int i = 0, j = 0, partition = 1;
    for (int k = 0; k < all.n && partition; k++) {
        if (i < tr.n && !memcmp(all.x + (size_t)k * all.length, tr.x + (size_t)i * tr.length, w) && all.y[k] == tr.y[i])
            i++;
        else if (j < va.n && !memcmp(all.x + (size_t)k * all.length, va.x + (size_t)j * va.length, w) &&
                 all.y[k] == va.y[j])
            j++;
        else
            partition = 0;
    }
    CHECK(partition && i == tr.n && j == va.n, "train and val are not a partition of intra-train");
    CHECK(te.n == ref.n && te.n > 0 && !memcmp(te.x, ref.x, (size_t)te.n * w), "test is intra-test");
    ecg_dataset bad;
    CHECK(ecg_task_load("mitdb-aami-intra", "intra-test", dir, 5, &bad, err, sizeof err) == -1 &&
              strstr(err, "train, val, test"),
          "unknown split: %s", err);
    ecg_dataset *all_sets[] = {&tr, &va, &te, &all, &ref};
    for (int k = 0; k < 5; k++) ecg_dataset_free(all_sets[k]);
}

int main(void) {
    RUN(test_intra_task);
    RUN(test_bundled_sample);
    RUN(test_bad_inputs);
    RUN(test_ds1_ds2_counts);
    RUN(test_features_and_windows);
    RUN(test_train_val_by_record);
    RUN(test_cv_folds);
    RUN(test_cv_splits);
    RUN(test_intra_split);
    return test_done();
}
