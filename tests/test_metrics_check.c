/* ecg_metrics_check_json: a manifest's stored metrics against the recomputed ones. The stored
 * object is ecg_metrics_json of the same confusion matrix, then edited the ways a hand or a stale
 * file would: accuracy 0.99, one class's F1, a null where a figure is, a missing key, a renamed
 * class, one confusion cell. Each edit is caught and named; the untouched object passes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runs/metrics_check.h"
#include "harness.h"
#include "runs/manifest.h"

static const char *const names[3] = {"N", "S", "V"};

static void metrics_of(ecg_metrics *m) {
    static const int truth[] = {0, 0, 0, 0, 1, 1, 2, 2, 2, 0}, pred[] = {0, 0, 1, 0, 1, 0, 2, 2, 0, 0};
    ecg_metrics_init(m, 3);
    for (int i = 0; i < 10; i++) ecg_metrics_add(m, truth[i], pred[i]);
    ecg_metrics_finish(m);
}

/* The stored object with one edit made by `edit`, checked; returns the message ("" when it passed). */
static const char *check_edited(void (*edit)(cJSON *), char *err, size_t n) {
    ecg_metrics m;
    metrics_of(&m);
    cJSON *o = ecg_metrics_json(&m, names);
    if (edit) edit(o);
    err[0] = 0;
    int rc = ecg_metrics_check_json(o, &m, names, err, n);
    CHECK((rc == 0) == (err[0] == 0), "rc %d with message '%s'", rc, err);
    cJSON_Delete(o);
    return err;
}

static void set_num(cJSON *o, const char *key, double v) { cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateNumber(v)); }
static void accuracy_099(cJSON *o) { set_num(o, "accuracy", 0.99); }
static void f1_of_s(cJSON *o) { set_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "per_class"), 1), "f1", 0.25); }
static void null_macro(cJSON *o) { cJSON_ReplaceItemInObjectCaseSensitive(o, "macro_f1", cJSON_CreateNull()); }
static void no_ppv(cJSON *o) { cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "per_class"), 2), "ppv"); }
static void renamed(cJSON *o) {
    cJSON *k = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "per_class"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(k, "class", cJSON_CreateString("Normal"));
}
static void one_cell(cJSON *o) {
    cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "confusion"), 2);
    cJSON_ReplaceItemInArray(row, 0, cJSON_CreateNumber(2));
}
static void examples(cJSON *o) { set_num(o, "examples", 11); }

static void test_manifest_accuracy_edited_to_099(void) {
    char err[256];
    CHECK(!strcmp(check_edited(NULL, err, sizeof err), ""), "the untouched metrics failed: %s", err);
    const struct {
        void (*edit)(cJSON *);
        const char *want;
    } cases[] = {{accuracy_099, "accuracy: stored 0.99, recomputed 0.7"},
                 {f1_of_s, "S f1: stored 0.25, recomputed 0.5"},
                 {null_macro, "macro_f1: stored null"},
                 {no_ppv, "V ppv: stored nothing"},
                 {renamed, "stored class 'Normal', recomputed 'N'"},
                 {one_cell, "confusion[V][N]: stored 2, recomputed 1"},
                 {examples, "examples: stored 11, recomputed 10"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK(strstr(check_edited(cases[i].edit, err, sizeof err), cases[i].want), "case %zu: '%s' lacks '%s'", i, err,
              cases[i].want);
}

/* The reader behind results and the report (ecg_metrics_from_json) takes a confusion matrix of
 * whole counts: a cell of 1e300 (its cast to long was undefined), two of 9e18 (their sum
 * overflowed), -1 or 2.5 is refused; the untouched matrix reads back exactly. */
static void test_confusion_cell_1e300(void) {
    static const double bad[] = {1e300, 9e18, -1, 2.5, INFINITY};
    ecg_metrics m, back;
    metrics_of(&m);
    cJSON *o = ecg_metrics_json(&m, names);
    CHECK(ecg_metrics_from_json(o, 3, &back) == 0 && ecg_metrics_equal(&m, &back), "the untouched matrix");
    cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "confusion"), 1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON_ReplaceItemInArray(row, 0, cJSON_CreateNumber(bad[i]));
        cJSON_ReplaceItemInArray(row, 1, cJSON_CreateNumber(bad[i] == 9e18 ? 9e18 : 1));
        CHECK(ecg_metrics_from_json(o, 3, &back) == -1, "a confusion cell of %g was taken", bad[i]);
    }
    cJSON_Delete(o);
}

int main(void) {
    RUN(test_manifest_accuracy_edited_to_099);
    RUN(test_confusion_cell_1e300);
    return test_done();
}
