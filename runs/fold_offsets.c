/* ecg_fit_offsets (runs/pipelines.h): decision offsets fitted on held-out predictions. From a recipe
 * candidate's cross-validation folds: each fold run (`train --fold K`) predicts its own validation
 * records, which it never trained on; the pooled out-of-fold logits are every training record
 * judged once. Or from one trained run: its validation split, cut into folds by record. The offsets
 * (train/offsets.c) are fitted on the pooled logits; a second fit per fold, on the other folds
 * alone and scored on that fold, says what they are worth on records they were not fitted on: that
 * figure, not the in-sample one, decides which classes get one and whether they apply. No test
 * split is loaded. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/file_sha256.h"
#include "ops/rng.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"
#include "runs/runs.h"

#define MAX_FOLDS ECG_OFFSETS_MAX_FOLDS
/* One run's validation split is cut into this many folds by record (fewer when it has fewer). */
#define RUN_FOLDS 5
/* A class with fewer held-out examples keeps offset 0 (DS1 holds 8 Q beats; cinc2017's validation
 * splits about 28 Noisy and 74 AF records). */
#define MIN_SUPPORT 20

typedef struct {
    float *z;   /* n x classes logits */
    int *y;     /* n labels */
    int *fold;  /* n fold ids */
    long n, cap;
    int classes;
    char names[ECG_MAX_CLASSES][32]; /* the classes, from the first fold's data */
} pooled;

static int append(pooled *p, const float *z, const int *y, const int *fold, long n, int classes) {
    if (p->n + n > p->cap) {
        long cap = (p->n + n) * 2;
        float *nz = realloc(p->z, sizeof *nz * (size_t)cap * (size_t)classes);
        if (nz) p->z = nz;
        int *ny = realloc(p->y, sizeof *ny * (size_t)cap), *nf = ny ? realloc(p->fold, sizeof *nf * (size_t)cap) : NULL;
        if (ny) p->y = ny;
        if (nf) p->fold = nf;
        if (!nz || !ny || !nf) return -1;
        p->cap = cap;
    }
    memcpy(p->z + p->n * classes, z, sizeof *z * (size_t)n * (size_t)classes);
    memcpy(p->y + p->n, y, sizeof *y * (size_t)n);
    memcpy(p->fold + p->n, fold, sizeof *fold * (size_t)n);
    p->n += n;
    return 0;
}

/* The fold of each example of d when one run's validation split is cut by record: its distinct
 * records in a seeded shuffle, dealt round-robin into min(RUN_FOLDS, records) folds 1..K. Returns K. */
static int folds_by_record(const ecg_dataset *d, int *fold) {
    int *rec = malloc(sizeof *rec * (size_t)d->n), n = 0, k;
    if (!rec) return -1;
    for (long i = 0; i < d->n; i++) {
        int j = 0;
        while (j < n && rec[j] != d->record[i]) j++;
        if (j == n) rec[n++] = d->record[i];
    }
    ecg_rng r = {0x6f666673ULL}; /* "offs" */
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(ecg_rng_next(&r) % (uint64_t)(i + 1)), t = rec[i];
        rec[i] = rec[j], rec[j] = t;
    }
    k = n < RUN_FOLDS ? n : RUN_FOLDS;
    for (long i = 0; i < d->n; i++) {
        int j = 0;
        while (rec[j] != d->record[i]) j++;
        fold[i] = j % k + 1;
    }
    free(rec);
    return k;
}

/* A run's validation split predicted again, checked against its manifest, appended: fold id's run
 * (id > 0: a `train --fold id` run), or (id 0) one trained run, its split cut into folds by record
 * (*n_folds gets how many). The first run loaded is kept in *first (first->man NULL until then);
 * each later one must be its recipe. */
static int load_val(pooled *p, const char *dir, int id, const char *data, int threads, ecg_run *first,
                    cJSON *folds, int *n_folds, char *err, size_t errlen) {
    ecg_run r = {0};
    ecg_run_model m = {0};
    ecg_dataset d = {0};
    float *z = NULL;
    int *fold = NULL, rc = -1, hit;
    if (ecg_run_read(dir, &r, err, errlen)) return -1;
    const char *split = ecg_json_str(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.man, "splits"), "val"),
                                     "split", "val");
    if (id && ecg_fold_run_check(r.man, id, dir, err, errlen)) goto done;
    if (first->man && ecg_same_recipe_check(r.man, dir, first->man, first->dir, err, errlen)) goto done;
    if (ecg_task_load_cached(r.task, split, data ? data : r.data_dir ? r.data_dir : ecg_default_data_dir(), r.seed,
                             NULL, &d, &hit, err, errlen) ||
        ecg_run_open(&r, &m, err, errlen))
        goto done;
    ecg_metrics got, stored;
    z = malloc(sizeof *z * (size_t)d.n * (size_t)d.n_classes);
    fold = malloc(sizeof *fold * (size_t)d.n);
    if (!z || !fold) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (ecg_run_predict(&m, &d, 256, threads, &got, z, err, errlen)) goto done;
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.man, "metrics"), "val");
    if (ecg_metrics_from_json(val, d.n_classes, &stored) ||
        !ecg_metrics_equal(&got, &stored)) {
        snprintf(err, errlen, "%s: its %s split does not give the validation confusion its manifest holds (other data, "
                              "or other weights?)", dir, split);
        goto done;
    }
    if (p->n && d.n_classes != p->classes) {
        snprintf(err, errlen, "%s: %d classes, the folds before it %d", dir, d.n_classes, p->classes);
        goto done;
    }
    p->classes = d.n_classes;
    for (int c = 0; c < d.n_classes && c < ECG_MAX_CLASSES; c++) snprintf(p->names[c], sizeof p->names[c], "%s", d.class_names[c]);
    for (long i = 0; i < d.n; i++) fold[i] = id;
    if (!id && (*n_folds = folds_by_record(&d, fold)) < 2) {
        snprintf(err, errlen, "%s: its %s split holds %d record(s); cutting it into folds by record needs 2", dir, split,
                 *n_folds);
        goto done;
    }
    if (append(p, z, d.y, fold, d.n, d.n_classes)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    cJSON *f = cJSON_CreateObject();
    if (id) cJSON_AddNumberToObject(f, "fold", id);
    else cJSON_AddNumberToObject(f, "folds_by_record", *n_folds);
    cJSON_AddStringToObject(f, "run", dir);
    cJSON_AddStringToObject(f, "split", split);
    cJSON_AddNumberToObject(f, "examples", d.n);
    cJSON_AddStringToObject(f, "data_version", d.data_version);
    cJSON_AddItemToArray(folds, f);
    rc = 0;
done:
    free(z), free(fold);
    ecg_dataset_free(&d);
    ecg_run_model_free(&m);
    if (!rc && !first->man) *first = r; /* the strings point into its manifest, which moves with it */
    else ecg_run_free(&r);
    return rc;
}

static cJSON *offsets_json(const double *off, int classes) {
    cJSON *a = cJSON_CreateArray();
    for (int c = 0; c < classes; c++) cJSON_AddItemToArray(a, cJSON_CreateNumber(off[c]));
    return a;
}

cJSON *ecg_fit_offsets(const char *from, const char *data, int threads, FILE *log, char *err, size_t errlen) {
    pooled p = {0};
    ecg_run first = {0};
    cJSON *doc = cJSON_CreateObject(), *folds = cJSON_AddArrayToObject(doc, "folds");
    int n_folds = 0, by_record = 0, ok = 0;
    for (int id = 1; id <= MAX_FOLDS; id++) {
        char sub[1200], path[1300];
        snprintf(sub, sizeof sub, "%s/fold%d", from, id);
        snprintf(path, sizeof path, "%s/manifest.json", sub);
        if (access(path, F_OK) != 0) continue;
        if (load_val(&p, sub, id, data, threads, &first, folds, NULL, err, errlen)) goto done;
        n_folds++;
        if (log) fprintf(log, "fold %d: %s, %ld validation examples\n", id, sub, p.n);
    }
    char path[1300], sha[65];
    int64_t bytes;
    snprintf(path, sizeof path, "%s/manifest.json", from);
    if (!n_folds && access(path, F_OK) == 0) { /* one trained run: its validation split, by record */
        if (load_val(&p, from, 0, data, threads, &first, folds, &n_folds, err, errlen) ||
            ecg_file_sha256(first.weights, sha, &bytes, err, errlen))
            goto done;
        by_record = 1;
        /* its validation records are its own: another seed's may be this one's test records */
        cJSON_AddStringToObject(doc, "weights_sha256", sha);
        if (log) fprintf(log, "%s: %ld validation examples in %d folds by record\n", from, p.n, n_folds);
    } else if (n_folds < 2) {
        snprintf(err, errlen, "%s holds %d cross-validation fold run(s) (foldK/ from `train --fold K`) and is not a run: "
                              "the offsets need held-out predictions in at least 2 folds", from, n_folds);
        goto done;
    }
    cJSON_AddStringToObject(doc, "fitted_on", by_record ? "validation split" : "cross-validation folds");
    const ecg_task *task = ecg_task_find(first.task);
    int classes = p.classes, sc = task->score_name ? task->score_classes : 0;
    ecg_offsets_cv cv;
    if (ecg_offsets_fit_cv(p.z, p.y, p.fold, p.n, classes, sc, MIN_SUPPORT, &cv)) {
        snprintf(err, errlen, "fitting the offsets: out of memory");
        goto done;
    }
    double s0 = ecg_offsets_score(&cv.without, sc), s1 = ecg_offsets_score(&cv.in_sample, sc),
           s2 = ecg_offsets_score(&cv.held_out, sc);
    const char *names[ECG_MAX_CLASSES];
    for (int c = 0; c < classes; c++) names[c] = p.names[c];
    cJSON *cn = cJSON_CreateArray();
    for (int c = 0; c < classes; c++) cJSON_AddItemToArray(cn, cJSON_CreateString(names[c]));
    cJSON_AddStringToObject(doc, "model", first.model);
    cJSON_AddStringToObject(doc, "task", first.task);
    cJSON_AddStringToObject(doc, "from", from);
    /* the recipe (fold aside): compress applies the offsets only to a run of it */
    cJSON_AddItemToObject(doc, "config", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(first.man, "config"), 1));
    cJSON_AddItemToObject(doc, "classes", cn);
    cJSON_AddStringToObject(doc, "criterion", task->score_name ? task->score_name : "macro-F1");
    cJSON_AddStringToObject(doc, "fit", "coordinate ascent of the criterion over offsets[1..] on a 0.05 grid in "
                                        "[-8, 8], offsets[0] = 0, on the folds' validation logits pooled, of the classes kept by backward "
                                        "elimination on the leave-one-fold-out score");
    cJSON_AddNumberToObject(doc, "min_support", MIN_SUPPORT); /* fewer examples of a class: its offset stays 0 */
    cJSON *fitted = cJSON_AddArrayToObject(doc, "classes_fitted");
    for (int c = 0; c < classes; c++)
        if (cv.fitted[c]) cJSON_AddItemToArray(fitted, cJSON_CreateString(names[c]));
    cJSON *steps = cJSON_AddArrayToObject(doc, "elimination");
    for (int k = 0; k < cv.n_dropped; k++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "left_at_zero", names[cv.dropped[k]]);
        cJSON_AddNumberToObject(st, "score_leave_one_fold_out", cv.dropped_score[k]);
        cJSON_AddItemToArray(steps, st);
    }
    cJSON_AddItemToObject(doc, "offsets", offsets_json(cv.off, classes));
    cJSON_AddNumberToObject(doc, "score_without", s0);
    cJSON_AddNumberToObject(doc, "score_in_sample", s1);
    cJSON_AddNumberToObject(doc, "score_leave_one_fold_out", s2);
    /* the offsets apply only if, fitted without a fold, they beat no offsets on it */
    cJSON_AddBoolToObject(doc, "applies", s2 > s0);
    cJSON_AddItemToObject(doc, "without", ecg_metrics_json(&cv.without, names));
    cJSON_AddItemToObject(doc, "in_sample", ecg_metrics_json(&cv.in_sample, names));
    cJSON_AddItemToObject(doc, "leave_one_fold_out", ecg_metrics_json(&cv.held_out, names));
    if (log) {
        fprintf(log, "%s on %s, %d folds, %ld examples; %s of the validation confusions summed:\n", first.model, first.task,
                n_folds, p.n, task->score_name ? task->score_name : "macro-F1");
        fprintf(log, "  without offsets %.4f; with them %.4f (fitted on all folds), %.4f (each fold scored with "
                     "offsets fitted on the others)\n  offsets:", s0, s1, s2);
        for (int c = 0; c < classes; c++) fprintf(log, " %s %+.2f", names[c], cv.off[c]);
        const cJSON *st;
        cJSON_ArrayForEach(st, steps)
            fprintf(log, "\n  %s left at 0: held out, the others' offsets score %.4f without it", ecg_json_str(st, "left_at_zero", "?"),
                    ecg_json_num(st, "score_leave_one_fold_out"));
        fprintf(log, "\noffsets help: %s\n", s2 > s0 ? "yes" : "no");
    }
    ok = 1;
done:
    free(p.z), free(p.y), free(p.fold);
    ecg_run_free(&first);
    if (!ok) cJSON_Delete(doc), doc = NULL;
    return doc;
}
