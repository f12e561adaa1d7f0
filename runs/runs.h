/* The run store: a finished run on disk (DIR/manifest.json from `ecgbench train` or `ecgbench
 * compress`, and the weights it names), its model ready to evaluate or time, and the runs under a
 * folder. runs/runs.c */
#ifndef ECG_RUNS_H
#define ECG_RUNS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "compress/compress.h"
#include "datasets/datasets.h"
#include "train/train.h"

/* A finished run. Strings point into the manifest. A seed ensemble (variant "ensemble", `ecgbench
 * ensemble --make`) holds no weights of its own: its manifest names its member runs (folders
 * relative to its own) and their weights' SHA-256, and its model is theirs averaged. */
typedef struct {
    char dir[1024];
    char weights[1200];      /* DIR/<manifest "weights">; "" for an ensemble */
    cJSON *man;
    const char *model, *task;
    const char *variant;     /* the manifest's "variant" (compressed runs), else "f32" */
    const char *data_dir;    /* where it was trained (config.data_dir), may be NULL */
    uint64_t seed;           /* the run's seed: its splits depend on it */
    int model_rank;          /* registry order, for stable tables */
} ecg_run;
/* Reads DIR/manifest.json and checks the files it vouches for (runs/files.h): a folder whose files
 * do not match its manifest (an interrupted or overwritten run) is refused, naming the file. */
int ecg_run_read(const char *dir, ecg_run *r, char *err, size_t errlen);
/* Set (ecgbench -v): a manifest without "files" (older than them) is announced on stderr. */
extern int ecg_runs_verbose;
/* The same from a manifest already in memory (r owns it from here, also on error): weights name a
 * file in dir, or, dir NULL, a path as given. what names the manifest in messages. */
int ecg_run_from(ecg_run *r, const char *dir, cJSON *man, const char *what, char *err, size_t errlen);
void ecg_run_free(ecg_run *r);
/* A run's model, ready to evaluate or run: sized for its task, with its weights loaded (f32, dense
 * or sparse file), or, for an int8 file, its inference graph (batchnorm folded) and int8 nodes; for
 * an ensemble, its members opened (each checked against the SHA-256 the ensemble recorded) and no
 * graph of its own: it predicts (the members' softmax averaged) but has no single executor. */
typedef struct ecg_run_model {
    ecg_graph g;       /* the model (f32 weights when !int8) */
    ecg_graph gi;      /* int8: the inference graph */
    ecg_qmodel q;      /* int8: the int8 nodes */
    int int8;
    struct ecg_run_model *members; /* an ensemble's members (n_members > 0), else NULL */
    int n_members;
} ecg_run_model;
/* The single models a run executes, one after another: its own, or an ensemble's members (at most
 * ECG_RUN_MAX_MEMBERS). What latency and peak memory are measured on. */
#define ECG_RUN_MAX_MEMBERS 16
int ecg_run_model_parts(const ecg_run_model *m);
const ecg_run_model *ecg_run_model_part(const ecg_run_model *m, int i);
/* 0 when r[m] is r[0]'s recipe (ecg_same_recipe_check) with a seed none of r[0..m) has: another
 * member of a seed ensemble; else -1, err naming the setting or the seed. */
int ecg_seed_member_check(const ecg_run *r, int m, char *err, size_t errlen);
/* 1 when r is a seed ensemble (variant "ensemble"). */
int ecg_run_is_ensemble(const ecg_run *r);
/* An ensemble's members as its manifest lists them ([{run, seed, weights_sha256, weights_bytes}],
 * run relative to r's folder); NULL for any other run. */
const cJSON *ecg_run_members(const ecg_run *r);
/* The SHA-256 (hex) and size of r's weights: what r's manifest records for them (ecg_run_read has
 * checked the file against it where the file is here), else the file's own, hashed. 0, or -1 with
 * err when neither. */
int ecg_run_weights_digest(const ecg_run *r, char hex[65], int64_t *bytes, char *err, size_t errlen);
int ecg_run_open(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen);
/* ecg_run_open refuses an ensemble (what needs one graph: export, compress, a frozen part, held-out
 * fits); this opens one too, for what predicts or measures a whole run (eval, report, latency). */
int ecg_run_open_any(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen);
void ecg_run_model_free(ecg_run_model *m);
/* On the XNNPACK path the run deploys with (f32 or int8). */
int ecg_run_evaluate(const ecg_run_model *m, const ecg_dataset *d, int threads, ecg_metrics *out, char *err,
                     size_t errlen);
/* The same in batches of batch examples, also keeping every example's logits (n x classes) when
 * logits is not NULL. */
int ecg_run_predict(const ecg_run_model *m, const ecg_dataset *d, int batch, int threads, ecg_metrics *out,
                    float *logits, char *err, size_t errlen);
/* An autoencoder's output for every example of d on that path (ecg_reconstruct): n x length x
 * channels floats into out. */
int ecg_run_reconstruct(const ecg_run_model *m, const ecg_dataset *d, int batch, int threads, float *out, char *err,
                        size_t errlen);
/* Its executor: int8 on XNNPACK's int8 operators, f32 with the sparse 1x1 kernels when pruned; an
 * ensemble has none (NULL, err saying so: its members are timed one by one). */
ecg_xnn *ecg_run_executor(const ecg_run_model *m, int batch, int threads, char *err, size_t errlen);
/* Fills the executor's inputs for timing: the ECG N(0, 1) (seeded), patient features 0 (valid
 * embedding indices). */
void ecg_run_fill_inputs(const ecg_run_model *m, ecg_xnn *x, int batch);
/* Executor flags for a run's graph: the sparse 1x1 kernels (each layer timed against XNNPACK's
 * dense op, the faster kept) when at least a tenth of its weights are zero, i.e. it was pruned. */
unsigned ecg_run_xnn_flags(const ecg_graph *g);
/* Every run directly under root (folders without a manifest are skipped; one whose files do not
 * match its manifest is skipped with a warning on stderr naming the file), in registry order. */
int ecg_runs_list(const char *root, ecg_run **runs, int *n, char *err, size_t errlen);
void ecg_runs_free(ecg_run *runs, int n);
/* Leaves out (frees, keeping the order of the rest) the runs of models that are not classifiers
 * (autoencoders: no classes, so no accuracy, per-class or latency-vs-accuracy rows), each said on
 * stderr after "who: ". */
void ecg_runs_keep_classifiers(ecg_run *runs, int *n, const char *who);
/* The runs under each of roots, one list; no roots: models/weights and, when it exists,
 * models/compressed. */
int ecg_runs_gather(const char *const *roots, int n_roots, ecg_run **runs, int *n, char *err, size_t errlen);

#endif
