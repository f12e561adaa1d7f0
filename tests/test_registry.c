/* Task registry: names, lookup, and the errors for an unknown task or split (which must list the
 * known ones). The mitdb-aami loader is never called here (it needs the real records). */
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "harness.h"

static void test_lookup(void) {
    int n = 0;
    while (ecg_task_at(n)) n++;
    CHECK(n == 8, "8 tasks registered, got %d", n);
    CHECK(ecg_task_at(-1) == NULL, "negative index is NULL");
    const char *names[] = {"mitdb-aami",       "mitdb-aami-2lead", "mitdb-aami-2lead-v1", "mitdb-aami-template",
                           "mitdb-aami-2lead-template", "mitdb-aami-intra", "cinc2017", "synthetic"};
    for (int i = 0; i < 8; i++) {
        const ecg_task *t = ecg_task_find(names[i]);
        CHECK(t && !strcmp(t->name, names[i]), "find %s", names[i]);
        CHECK(t && t->load && t->description && t->n_splits > 0, "%s has a loader, description, splits", names[i]);
    }
    CHECK(ecg_task_find("MITDB-AAMI") == NULL && ecg_task_find("") == NULL && ecg_task_find(NULL) == NULL,
          "lookup is exact");
    const ecg_task *m = ecg_task_find("mitdb-aami");
    CHECK(m && m->n_splits == 7, "mitdb-aami has 7 splits");
    CHECK(m && m->load == ecg_task_mitdb_aami_load, "mitdb-aami's loader is ecg_task_mitdb_aami_load");
    const ecg_task *s = ecg_task_find("synthetic");
    CHECK(s && strstr(s->description, "tests only"), "synthetic says it is for tests only");
}

static void test_unknown_task(void) {
    char err[512] = "";
    ecg_dataset d;
    memset(&d, 0x5a, sizeof d); /* the error path must leave a freeable (zeroed) struct */
    CHECK(ecg_task_load("ptbxl", "train", ".", 1, &d, err, sizeof err) == -1, "unknown task fails");
    CHECK(strstr(err, "unknown task 'ptbxl'"), "names the task: %s", err);
    CHECK(strstr(err, "mitdb-aami") && strstr(err, "cinc2017") && strstr(err, "synthetic"), "lists tasks: %s", err);
    CHECK(d.x == NULL && d.n == 0, "dataset zeroed");
    ecg_dataset_free(&d);
}

static void test_unknown_split(void) {
    char err[512] = "";
    ecg_dataset d;
    CHECK(ecg_task_load("synthetic", "val", ".", 1, &d, err, sizeof err) == -1, "unknown split fails");
    CHECK(strstr(err, "unknown split 'val'") && strstr(err, "synthetic"), "names split and task: %s", err);
    CHECK(strstr(err, "train, test"), "lists synthetic's splits: %s", err);
    /* Rejected before the loader runs, so this works without MIT-BIH data. */
    CHECK(ecg_task_load("mitdb-aami", "DS1", ".", 1, &d, err, sizeof err) == -1, "splits are case-sensitive");
    CHECK(strstr(err, "ds1, ds2, train, val, test, intra-train, intra-test"), "lists mitdb splits: %s", err);
    CHECK(ecg_task_load("cinc2017", "validation", ".", 1, &d, err, sizeof err) == -1, "cinc unknown split");
    CHECK(strstr(err, "train, val, test"), "lists cinc splits: %s", err);
    /* cross-validation folds: mitdb-aami's 5, none for cinc2017 */
    CHECK(ecg_task_load("mitdb-aami", "cv6-val", ".", 1, &d, err, sizeof err) == -1 &&
              strstr(err, "cvK-train, cvK-val for K = 1..5"), "mitdb-aami has 5 folds: %s", err);
    CHECK(ecg_task_load("cinc2017", "cv1-val", ".", 1, &d, err, sizeof err) == -1 && !strstr(err, "cvK"),
          "cinc2017 has no folds: %s", err);
    CHECK(ecg_task_find("mitdb-aami-template")->cv_folds == 5 && ecg_task_find("mitdb-aami-intra")->cv_folds == 0,
          "the inter-patient tasks have folds, the intra-patient one none");
    /* A tiny buffer still ends up NUL-terminated. */
    char small[16];
    CHECK(ecg_task_load("nope", "x", ".", 1, &d, small, sizeof small) == -1 && strlen(small) < sizeof small,
          "truncated message");
}

static void test_load_and_free(void) {
    char err[512] = "";
    ecg_dataset d;
    CHECK(ecg_task_load("synthetic", "test", NULL, 3, &d, err, sizeof err) == 0, "synthetic loads: %s", err);
    CHECK(d.n == 5 * ECG_SYNTH_TEST_PER_CLASS && !strcmp(d.task, "synthetic") && !strcmp(d.split, "test"),
          "n %d task %s split %s", d.n, d.task, d.split);
    ecg_dataset_free(&d);
    CHECK(d.x == NULL && d.y == NULL && d.n == 0, "free zeroes");
    ecg_dataset_free(&d); /* twice is harmless */
    ecg_dataset_free(NULL);
}

int main(void) {
    RUN(test_lookup);
    RUN(test_unknown_task);
    RUN(test_unknown_split);
    RUN(test_load_and_free);
    return test_done();
}
