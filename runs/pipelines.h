/* The two pipelines that make runs, as library calls (the commands `ecgbench train` and
 * `ecgbench compress` only parse their arguments and call these): each loads the task's splits,
 * runs its passes in their fixed order, writes the weights and OUT/manifest.json, and, given a
 * log, prints the summary the commands show. */
#ifndef ECG_RUNS_PIPELINES_H
#define ECG_RUNS_PIPELINES_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "compress/compress.h"
#include "train/train.h"

/* The manifest's "run" object (the machine, the command line, the date: bench/run_info.c, which
 * sits above this layer), asked for when the manifest is written; fn NULL: no "run". */
typedef struct {
    cJSON *(*fn)(void *ctx, int threads);
    void *ctx;
} ecg_run_record;

/* ---------------------------------------------------------------- training (runs/train_run.c) */
typedef struct {
    const char *model, *task; /* a registry model and a task */
    const char *data;         /* the data folder */
    const char *out;          /* the run's folder, created when missing */
    ecg_train_cfg cfg;        /* out_dir and crop_graph are the run's to set */
    int no_test;              /* neither load nor score the test split (recipe candidates) */
    int fold;                 /* K > 0: train on the task's "cvK-train", validate on "cvK-val" (a
                               * cross-validation fold of a recipe candidate; implies no_test) */
    ecg_run_record run_info;  /* the manifest's "run" */
    FILE *log;                /* the summary (splits, best epoch, metrics, files); NULL: silent */
    int force;                /* start over in a folder that holds a run (finished or not) */
    const char *init_from;    /* a finished run of the model's part model (runs/model_part.h), or NULL */
    float ecg_drop;           /* a fusion model's modality dropout of its ECG tokens (0: none) */
} ecg_train_job;
/* Trains job->model on the train split, keeps the epoch with the best validation macro-F1,
 * evaluates it on val (and test), writes OUT/weights.safetensors and OUT/manifest.json (config,
 * seed, data version, splits with their records, run, metrics, the task's score, and last the files
 * it vouches for). 0, or -1 with err. OUT/config.json records the configuration when training
 * starts. A folder that holds a run (manifest.json, epochs.csv or a checkpoint) is refused unless
 * job->force or cfg.resume; a resume is refused when a key of config.json differs from the job's
 * (epochs included: the learning-rate schedule spans them), the key named. */
int ecg_train_run(ecg_train_job *job, char *err, size_t errlen);

/* ---------------------------------------------------------------- compression (runs/compress_run.c) */
typedef struct {
    const char *src;           /* a run's folder, or (task set) a registry model */
    const char *task, *weights; /* the MODEL form: its task and f32 weights file */
    long long seed;            /* the MODEL form's seed (its splits) */
    const char *out;           /* the compressed run's folder, created when missing */
    const char *data;          /* NULL: the source's data folder */
    int do_channels;           /* channel pruning by ch, fine-tuned unless magnitude pruning follows */
    ecg_channel_cfg ch;
    int do_prune, gradual;     /* magnitude pruning by prune, one-shot or on the cubic schedule */
    ecg_prune_cfg prune;
    int finetune_epochs;
    float lr;
    int fp16;                  /* weights stored as fp16 (size only) */
    const char *offsets;       /* an `ecgbench offsets` file: its decision offsets folded into the
                                * classifier's bias (alone: no other pass) */
    int int8, calib;           /* post-training int8 on calib train examples */
    const char *calib_method;  /* minmax | percentile | auto (the better validation macro-F1) */
    double percentile;
    int threads, batch;        /* batch 0: the source's */
    int quiet;                 /* no progress bar while fine-tuning */
    ecg_run_record run_info;   /* as ecg_train_job's */
    FILE *log;
    int force;                 /* overwrite a finished run in out (its manifest.json) */
    int no_test;               /* the test split neither loaded nor scored (a candidate compared on
                                * validation data; `eval --record` scores the chosen one once) */
} ecg_compress_job;
/* The defaults of `ecgbench compress` (2 fine-tuning epochs at 1e-4, 512 calibration examples,
 * auto method, percentile 99.99, global scope). */
ecg_compress_job ecg_compress_defaults(void);
/* The passes in their order: channel pruning, magnitude pruning (+ fine-tuning), fp16, batchnorm
 * folding + int8 (or decision offsets, alone: refused unless the file says they apply and was
 * fitted on folds of the run's own model, task and recipe); then OUT's weights files and manifest.json (the source's fields, its passes
 * and these, the variant name, sizes, val and test metrics of the result on its XNNPACK path).
 * 0, or -1 with err. */
int ecg_compress_run(ecg_compress_job *job, char *err, size_t errlen);

/* ---------------------------------------------------------------- decision offsets (runs/fold_offsets.c) */
/* Decision offsets (train/offsets.c) fitted on held-out predictions: from the cross-validation fold
 * runs in from/foldK/ (`train --fold K`, one recipe, at least 2 folds), each predicting its own
 * validation records; or, from being one trained run, its validation split cut into folds by
 * record (the file then names the run's weights, and compress applies it to that run alone). Each
 * prediction is checked against its manifest's validation confusion (data NULL: the run's data
 * folder); classes whose offset does not raise the leave-one-fold-out score (each fold scored with
 * offsets fitted on the others) stay at 0. Returns the document `ecgbench offsets` writes: model,
 * task, classes, criterion, offsets, the criterion without them, with them in-sample and
 * leave-one-fold-out, "applies" (the latter beats no offsets), those three confusions, the
 * elimination steps and the runs used. No test split is read. NULL with err. log (may be NULL)
 * gets a summary. */
cJSON *ecg_fit_offsets(const char *from, const char *data, int threads, FILE *log, char *err, size_t errlen);

/* ---------------------------------------------------------------- seed ensembles (runs/seed_ensemble.c) */
/* out (n x classes) = log of the mean over members of softmax(z[m]) (each n x classes): an
 * ensemble's logits, whose arg-max is the class of highest mean probability. */
void ecg_ensemble_logits(const float *const *z, int members, long n, int classes, float *out);
/* An ensemble of one recipe's seeds judged on DS1-side evidence alone: from[0..n) each hold one
 * seed's cross-validation fold runs (foldK/, the same folds), every fold's validation records
 * predicted by each member (checked against its manifest) and combined by ecg_ensemble_logits. The
 * criterion is the task's score (else macro-F1), or with classes ("N,S,V", NULL: none) the mean F1
 * of the classes named. The document: model, task, config, criterion, each member's pooled score
 * and confusion, their mean, the ensemble's, fold by fold both, and "helps" (the ensemble beats the
 * members' mean). Members must be the same recipe, other seeds, and validate on the same examples
 * (checked on each member's first fold before any is predicted). NULL with err. */
cJSON *ecg_ensemble_cv(const char *const *from, int n, const char *classes, const char *data, int threads, FILE *log,
                       char *err, size_t errlen);
/* An ensemble of trained runs from[0..n) as a run folder dir (runs/ensemble_run.c; written once): the
 * members must be one recipe's trained classifiers (no fold runs), other seeds, with the same test
 * examples (on a task whose test split moves with the seed they are refused). judged (may be NULL):
 * the `ecgbench ensemble --out` document that judged averaging this recipe's seeds on held-out
 * folds; it must say it helps, and is kept beside the manifest. Its test split is then scored by
 * `ecgbench eval dir --record`. 0, or -1 with err. */
int ecg_ensemble_make(const char *dir, const char *const *from, int n, const char *judged, const char *data,
                      ecg_run_record run_info, char *err, size_t errlen);

#endif
