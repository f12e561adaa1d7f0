/* ecg_fold_pool_load (runs/fold_pool.h): a recipe's held-out validation logits, pooled. */
#include "runs/fold_pool.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/rng.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/run_guard.h"

#define MAX_FOLDS ECG_OFFSETS_MAX_FOLDS
/* One run's validation split is cut into this many folds by record (fewer when it has fewer). */
#define RUN_FOLDS 5

static int append(ecg_fold_pool *p, const float *z, const int *y, const int *fold, long n, int classes) {
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
 * (p->n_folds gets how many). The first run loaded is kept in p->first; each later one must be its
 * recipe. */
static int load_val(ecg_fold_pool *p, const char *dir, int id, const char *data, int threads, char *err, size_t errlen) {
    ecg_run r = {0};
    ecg_run_model m = {0};
    ecg_dataset d = {0};
    float *z = NULL;
    int *fold = NULL, rc = -1, hit;
    if (ecg_run_read(dir, &r, err, errlen)) return -1;
    const char *split = ecg_json_str(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.man, "splits"), "val"),
                                     "split", "val");
    if (id && ecg_fold_run_check(r.man, id, dir, err, errlen)) goto done;
    if (p->first.man && ecg_same_recipe_check(r.man, dir, p->first.man, p->first.dir, err, errlen)) goto done;
    if (p->first.man && r.seed != p->first.seed) {
        snprintf(err, errlen, "%s is seed %llu, %s seed %llu: one pool holds one seed's fold runs", dir,
                 (unsigned long long)r.seed, p->first.dir, (unsigned long long)p->first.seed);
        goto done;
    }
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
    if (!id && (p->n_folds = folds_by_record(&d, fold)) < 2) {
        snprintf(err, errlen, "%s: its %s split holds %d record(s); cutting it into folds by record needs 2", dir, split,
                 p->n_folds);
        goto done;
    }
    if (append(p, z, d.y, fold, d.n, d.n_classes)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    cJSON *f = cJSON_CreateObject();
    if (id) cJSON_AddNumberToObject(f, "fold", id);
    else cJSON_AddNumberToObject(f, "folds_by_record", p->n_folds);
    cJSON_AddStringToObject(f, "run", dir);
    cJSON_AddStringToObject(f, "split", split);
    cJSON_AddNumberToObject(f, "examples", d.n);
    cJSON_AddStringToObject(f, "data_version", d.data_version);
    cJSON_AddItemToArray(p->folds, f);
    rc = 0;
done:
    free(z), free(fold);
    ecg_dataset_free(&d);
    ecg_run_model_free(&m);
    if (!rc && !p->first.man) p->first = r; /* the strings point into its manifest, which moves with it */
    else ecg_run_free(&r);
    return rc;
}

int ecg_fold_pool_load(ecg_fold_pool *p, const char *from, int allow_run, const char *data, int threads, FILE *log,
                       char *err, size_t errlen) {
    p->folds = cJSON_CreateArray();
    if (!p->folds) return snprintf(err, errlen, "out of memory"), -1;
    for (int id = 1; id <= MAX_FOLDS; id++) {
        char sub[1200], path[1300];
        snprintf(sub, sizeof sub, "%s/fold%d", from, id);
        snprintf(path, sizeof path, "%s/manifest.json", sub);
        if (access(path, F_OK) != 0) continue;
        long before = p->n;
        if (load_val(p, sub, id, data, threads, err, errlen)) return -1;
        p->n_folds++;
        if (log) fprintf(log, "fold %d: %s, %ld validation examples\n", id, sub, p->n - before);
    }
    char path[1300];
    snprintf(path, sizeof path, "%s/manifest.json", from);
    if (!p->n_folds && allow_run && access(path, F_OK) == 0) { /* one trained run: its validation split, by record */
        if (load_val(p, from, 0, data, threads, err, errlen)) return -1;
        p->by_record = 1;
        if (log) fprintf(log, "%s: %ld validation examples in %d folds by record\n", from, p->n, p->n_folds);
    } else if (p->n_folds < 2) {
        snprintf(err, errlen, "%s holds %d cross-validation fold run(s) (foldK/ from `train --fold K`)%s: at least 2 "
                              "folds of held-out predictions are needed", from, p->n_folds, allow_run ? " and is not a run" : "");
        return -1;
    }
    return 0;
}

void ecg_fold_pool_free(ecg_fold_pool *p) {
    free(p->z), free(p->y), free(p->fold);
    ecg_run_free(&p->first);
    cJSON_Delete(p->folds);
    memset(p, 0, sizeof *p);
}
