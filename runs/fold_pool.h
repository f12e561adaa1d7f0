/* Held-out predictions of one recipe (runs/fold_pool.c): the validation logits of its
 * cross-validation fold runs (from/foldK/, `train --fold K`), each predicting records it never
 * trained on, pooled so that every training record is judged once; or, for one trained run, its
 * validation split cut into folds by record. What decision offsets (runs/fold_offsets.c) and seed
 * ensembles (runs/seed_ensemble.c) are fitted and judged on. No test split is read. */
#ifndef ECG_RUNS_FOLD_POOL_H
#define ECG_RUNS_FOLD_POOL_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "runs/runs.h"

typedef struct {
    float *z;      /* n x classes logits */
    int *y;        /* n labels */
    int *fold;     /* n fold ids, 1.. */
    long n, cap;
    int classes;
    char names[ECG_MAX_CLASSES][32]; /* the classes, from the first fold's data */
    int n_folds;
    int by_record; /* one run's validation split, cut into folds by record */
    ecg_run first; /* the first run loaded: model, task, config (every later one is its recipe) */
    cJSON *folds;  /* [{fold | folds_by_record, run, split, examples, data_version}] */
} ecg_fold_pool;

/* Fills p (zeroed by the caller) from from/fold1.. (at least 2 fold runs, one recipe) or, when
 * allow_run and from holds no fold run but is a run itself, from its validation split by record.
 * Each prediction is checked against its manifest's validation confusion (data NULL: the run's data
 * folder). 0, or -1 with err (free p either way). log (may be NULL) gets a line per fold. */
int ecg_fold_pool_load(ecg_fold_pool *p, const char *from, int allow_run, const char *data, int threads, FILE *log,
                       char *err, size_t errlen);
void ecg_fold_pool_free(ecg_fold_pool *p);

#endif
