/* ecgbench measurement and reporting: the Google Benchmark shim, CSV output, run metadata, and
 * the CLI commands (one file per command; bench/main.c only dispatches). */
#ifndef ECG_BENCH_H
#define ECG_BENCH_H

#include <stdio.h>

#include "bench/gbench_shim.h"
#include "compress/compress.h"
#include "datasets/datasets.h"
#include "models/models.h"
#include "train/train.h"

/* ---------------------------------------------------------------- CSV (bench/csv_out.c) */
/* RFC 4180 output through libcsv: fields that need it (comma, quote, CR/LF, edge spaces) are
 * quoted by csv_fwrite; numbers and plain words stay bare so gnuplot and spreadsheets read them
 * as they are. Every row must have as many cells as the header. */
typedef struct {
    FILE *f;
    int n_cols;   /* from the header */
    int col;      /* cells written in the current row */
    int failed;   /* sticky: set on the first error, message in err */
    char err[512];
} ecg_csv;

/* Creates the parent directories of path as needed. 0 ok, -1 with w->err. */
int ecg_csv_open(ecg_csv *w, const char *path);
int ecg_csv_header(ecg_csv *w, const char *const *names, int n);
int ecg_csv_str(ecg_csv *w, const char *s);
int ecg_csv_int(ecg_csv *w, long long v);
int ecg_csv_num(ecg_csv *w, double v);   /* %.6g; NaN/inf written as "nan"/"inf" */
int ecg_csv_end_row(ecg_csv *w);         /* -1 when the row has the wrong number of cells */
/* Closes the file (always). Returns -1 if any earlier call or the close failed. */
int ecg_csv_close(ecg_csv *w);

/* mkdir -p. 0 ok (also when it already exists), -1 with err. */
int ecg_mkdir_p(const char *dir, char *err, size_t errlen);

/* ---------------------------------------------------------------- run metadata (bench/run_info.c) */
typedef struct {
    char git_commit[64];
    char compiler[256];
    char cflags[256];
    char cpu_model[256];
    int avx2, fma, avx512f, avx512_vnni;   /* from /proc/cpuinfo flags */
    int cores;                             /* online logical CPUs */
    char os[256];                          /* uname: sysname release machine */
    char xnnpack_version[128];             /* Debian package version of libxnnpack0, or "unknown" */
    int threads;                           /* threads the run used */
    char date_utc[32];                     /* ISO 8601, e.g. 2024-05-01T12:00:00Z */
    char command[1024];                    /* the command line */
} ecg_run_info;

/* Fills everything; argv (may be NULL) is recorded as the command line. */
void ecg_run_info_collect(ecg_run_info *ri, int threads, int argc, char **argv);
/* ri as a cJSON object (for embedding in manifests); NULL when out of memory. */
typedef struct cJSON cJSON;
cJSON *ecg_run_info_json(const ecg_run_info *ri);
/* Writes ri as JSON (creating parent directories). 0 ok, -1 with err. */
int ecg_run_info_write(const ecg_run_info *ri, const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- metrics (bench/metrics_report.c) */
void ecg_metrics_print(FILE *f, const ecg_metrics *m, const char *const *class_names);
/* {examples, accuracy, macro_f1, per_class: [{class, support, sensitivity, ppv, specificity, f1}],
 * confusion: [[..]]}; undefined metrics are null. NULL when out of memory. */
cJSON *ecg_metrics_json(const ecg_metrics *m, const char *const *class_names);
/* Rebuilds metrics from the "confusion" of such an object. 0 ok, -1 malformed. */
int ecg_metrics_from_json(const cJSON *o, int classes, ecg_metrics *m);
/* A whole JSON file (manifests); NULL with err when unreadable or not JSON. */
cJSON *ecg_read_json(const char *path, char *err, size_t errlen);
/* Writes j to path atomically (a temporary file, then rename). 0, or -1 with err. */
int ecg_write_json(const char *path, const cJSON *j, char *err, size_t errlen);
/* Same confusion matrix (so every derived figure is the same). */
int ecg_metrics_equal(const ecg_metrics *a, const ecg_metrics *b);

/* ---------------------------------------------------------------- arguments (bench/args.c) */
/* A whole number / a number in [lo, hi]; otherwise prints "ecgbench CMD: WHAT must be ..." and
 * returns -1. */
int ecg_arg_int(const char *cmd, const char *what, const char *s, long long lo, long long hi, long long *out);
int ecg_arg_num(const char *cmd, const char *what, const char *s, double lo, double hi, double *out);

/* ---------------------------------------------------------------- channel pruning of runs (bench/compress_channels.c) */
/* --channel-rank l1|bn or --channel-scope local|all (flag) into cfg; prints "ecgbench CMD: ..." and
 * returns -1 on another value. */
int ecg_channel_opt(const char *cmd, const char *flag, const char *value, ecg_channel_cfg *cfg);
/* Channel-prunes g (ecg_channel_prune) and returns the pass record for a manifest's "passes":
 * {pass: "channel_prune", ratio, rank, scope, params/flops before and after, groups: [{name,
 * residual, before, after}]}. NULL with err (g unchanged). */
cJSON *ecg_channel_pass(ecg_graph *g, const ecg_channel_cfg *cfg, char *err, size_t errlen);
/* Builds `model` as a run's manifest describes it: the registry's graph, then every channel_prune
 * pass in man's "passes" re-applied from its counts, so the run's weights file loads over it (man
 * may be NULL: the plain model). 0, or -1 with err (g freed). */
int ecg_manifest_model_build(const cJSON *man, const char *model, const ecg_model_cfg *mc, ecg_graph *g, char *err,
                             size_t errlen);

/* ---------------------------------------------------------------- commands */
/* argv[0] is the command name ("bench-op"). Returns the process exit code
 * (0 ok, 1 failure, 2 usage error). */
int ecg_cmd_bench_op(int argc, char **argv);
int ecg_cmd_bench_model(int argc, char **argv); /* bench/cmd_bench_model.c: whole-model latency, dense vs channel-pruned */
int ecg_cmd_train(int argc, char **argv);       /* bench/cmd_train.c */
int ecg_cmd_eval(int argc, char **argv);        /* bench/cmd_eval.c */
int ecg_cmd_compress(int argc, char **argv);    /* bench/cmd_compress.c: pruning (int8 to come) */
int ecg_cmd_results(int argc, char **argv);     /* bench/cmd_results.c: tables from the manifests */
int ecg_cmd_models(int argc, char **argv);      /* bench/cmd_models.c */
int ecg_cmd_info(int argc, char **argv);        /* bench/cmd_models.c: per-layer table of a model */
/* A model config sized for one example of task t (length, leads, classes, features). */
ecg_model_cfg ecg_task_model_cfg(const ecg_task *t);
int ecg_cmd_predict(int argc, char **argv);     /* bench/cmd_predict.c: logits for examples in a safetensors file */
/* `ecgbench data SUB ...` (bench/cmd_data.c) and its subcommands, one file each. */
int ecg_cmd_data(int argc, char **argv);
int ecg_cmd_data_info(int argc, char **argv);   /* bench/cmd_data_info.c: per-split class counts */
int ecg_cmd_qrs_eval(int argc, char **argv);    /* bench/cmd_qrs_eval.c: QRS detector vs reference */
int ecg_cmd_data_export(int argc, char **argv); /* bench/cmd_data_export.c: a split as safetensors */

#endif
