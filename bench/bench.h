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

/* Google Benchmark's flags among a command's arguments (bench/gbench_cli.c): 1 when arg is one
 * (--benchmark_*, --v=) and was added to pass[*n_pass], 0 when it is not, -1 (printed) when there
 * are more than max. */
int ecg_gbench_take(const char *cmd, char *arg, char **pass, int *n_pass, int max);
/* After ecg_gbench_run: the cases that ran (*ran) and the number that failed, each failure printed
 * as "ecgbench CMD: NAME: error". */
int ecg_gbench_count(const char *cmd, const ecg_gbench_case *cases, const ecg_gbench_result *res, int n, int *ran);

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
/* ecg_csv_close, with its error copied to err on failure. */
int ecg_csv_close_err(ecg_csv *w, char *err, size_t errlen);

/* A whole CSV file read back (bench/csv_in.c): rows[0] is the header; every row has its width;
 * lines[i] is the file line row i starts on (for messages: a quoted field may span lines). */
typedef struct {
    char ***rows;
    int *widths;
    int *lines;
    int n_rows;
} ecg_csv_table;
/* Strict RFC 4180; a UTF-8 byte-order mark is skipped; a row whose field count differs from the
 * header's is an error; errors give the line. 0, or -1 with err. */
int ecg_csv_read(const char *path, ecg_csv_table *t, char *err, size_t errlen);
/* A cell as a number, strictly: a decimal number with nothing around it (no "0x10", no spaces),
 * or the writer's "nan" / "inf" / "-inf". An empty cell is NAN too. 0, or -1 when it is not one. */
int ecg_csv_number(const char *cell, double *out);
void ecg_csv_table_free(ecg_csv_table *t);
int ecg_csv_col(const ecg_csv_table *t, const char *name); /* column index, -1 if absent */

/* mkdir -p. 0 ok (also when it already exists), -1 with err. */
int ecg_mkdir_p(const char *dir, char *err, size_t errlen);

/* The f32 GFLOP/s one core reaches on a loop of independent FMAs in its widest vectors: the best
 * of timings of >= 20 ms of the thread's CPU time (time another job holds the core does not
 * count), taken in rounds of 5 until the best 3 agree within 2% (or 3 s have gone by).
 * bench/peak_flops.c */
typedef struct {
    double gflops;
    double spread_pct;  /* the best 3 timings' spread, % of the best: a few % on a quiet core */
    int rounds;         /* of 5 timings each */
    int stable;         /* the best 3 agreed within 2% before the time ran out */
    const char *isa;    /* the vectors: "avx512", "avx2", "scalar" */
} ecg_peak;
void ecg_peak_measure(ecg_peak *p);

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
/* o[key] as a number (NaN when missing or not a number) or a string (fallback when not a string);
 * o may be NULL. */
double ecg_json_num(const cJSON *o, const char *key);
const char *ecg_json_str(const cJSON *o, const char *key, const char *fallback);
/* Writes j to path atomically (a temporary file, then rename). 0, or -1 with err. */
int ecg_write_json(const char *path, const cJSON *j, char *err, size_t errlen);
/* Same confusion matrix (so every derived figure is the same). */
int ecg_metrics_equal(const ecg_metrics *a, const ecg_metrics *b);

/* ---------------------------------------------------------------- runs on disk (bench/runs.c) */
/* A finished run: DIR/manifest.json (from `ecgbench train` or `ecgbench compress`) and the
 * weights it names. Strings point into the manifest. */
typedef struct {
    char dir[1024];
    char weights[1200];      /* DIR/<manifest "weights"> */
    cJSON *man;
    const char *model, *task;
    const char *variant;     /* the manifest's "variant" (compressed runs), else "f32" */
    const char *data_dir;    /* where it was trained (config.data_dir), may be NULL */
    uint64_t seed;           /* the run's seed: its splits depend on it */
    int model_rank;          /* registry order, for stable tables */
} ecg_run;
int ecg_run_read(const char *dir, ecg_run *r, char *err, size_t errlen);
/* The same from a manifest already in memory (r owns it from here, also on error): weights name a
 * file in dir, or, dir NULL, a path as given. what names the manifest in messages. */
int ecg_run_from(ecg_run *r, const char *dir, cJSON *man, const char *what, char *err, size_t errlen);
void ecg_run_free(ecg_run *r);
/* A run's model, ready to evaluate or run: sized for its task, with its weights loaded (f32, dense
 * or sparse file), or, for an int8 file, its inference graph (batchnorm folded) and int8 nodes. */
typedef struct {
    ecg_graph g;       /* the model (f32 weights when !int8) */
    ecg_graph gi;      /* int8: the inference graph */
    ecg_qmodel q;      /* int8: the int8 nodes */
    int int8;
} ecg_run_model;
int ecg_run_open(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen);
void ecg_run_model_free(ecg_run_model *m);
/* On the XNNPACK path the run deploys with (f32 or int8). */
int ecg_run_evaluate(const ecg_run_model *m, const ecg_dataset *d, int threads, ecg_metrics *out, char *err,
                     size_t errlen);
/* Its executor: int8 on XNNPACK's int8 operators, f32 with the sparse 1x1 kernels when pruned. */
ecg_xnn *ecg_run_executor(const ecg_run_model *m, int batch, int threads, char *err, size_t errlen);
/* Fills the executor's inputs for timing: the ECG N(0, 1) (seeded), patient features 0 (valid
 * embedding indices). */
void ecg_run_fill_inputs(const ecg_run_model *m, ecg_xnn *x, int batch);
/* Executor flags for a run's graph: the sparse 1x1 kernels (each layer timed against XNNPACK's
 * dense op, the faster kept) when at least a tenth of its weights are zero, i.e. it was pruned. */
unsigned ecg_run_xnn_flags(const ecg_graph *g);
/* Every run directly under root (folders without a manifest are skipped), in registry order. */
int ecg_runs_list(const char *root, ecg_run **runs, int *n, char *err, size_t errlen);
void ecg_runs_free(ecg_run *runs, int n);
/* The runs under each of roots, one list; no roots: models/weights and, when it exists,
 * models/compressed. */
int ecg_runs_gather(const char *const *roots, int n_roots, ecg_run **runs, int *n, char *err, size_t errlen);

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
int ecg_cmd_bench_sparse(int argc, char **argv); /* bench/bench_sparse.c: own sparse 1x1 kernel vs dense XNNPACK */
int ecg_cmd_bench_model(int argc, char **argv); /* bench/cmd_bench_model.c: whole-model latency, dense vs channel-pruned */
int ecg_cmd_train(int argc, char **argv);       /* bench/cmd_train.c */
int ecg_cmd_eval(int argc, char **argv);        /* bench/cmd_eval.c */
int ecg_cmd_select(int argc, char **argv);      /* bench/cmd_select.c */
int ecg_cmd_compress(int argc, char **argv);    /* bench/cmd_compress.c: pruning, int8 PTQ -> weights + manifest */
int ecg_cmd_results(int argc, char **argv);     /* bench/cmd_results.c: tables from the manifests */
int ecg_cmd_report(int argc, char **argv);      /* bench/cmd_report.c: evaluate every run, CSVs + tables */
int ecg_cmd_compare(int argc, char **argv);     /* bench/cmd_compare.c: two results.csv side by side */
int ecg_cmd_latency(int argc, char **argv);     /* bench/cmd_latency.c: every run timed, latency_ecgbench.csv */
int ecg_cmd_rss_probe(int argc, char **argv);   /* bench/rss_probe.c: one inference in a fresh process */
/* Peak resident set (KiB) of `ecgbench rss-probe run_dir --batch N` run as a child process (this
 * binary, or $ECGBENCH when set); -1 with err when it could not be measured. */
long ecg_peak_rss_kb(const char *run_dir, int batch, char *err, size_t errlen);
int ecg_cmd_models(int argc, char **argv);      /* bench/cmd_models.c */
int ecg_cmd_info(int argc, char **argv);        /* bench/cmd_models.c: per-layer table of a model */
/* A model config sized for one example of task t (length, leads, classes, features). */
ecg_model_cfg ecg_task_model_cfg(const ecg_task *t);
int ecg_cmd_export_onnx(int argc, char **argv); /* bench/cmd_export_onnx.c: a run as an ONNX model */
int ecg_cmd_predict(int argc, char **argv);     /* bench/cmd_predict.c: logits for examples in a safetensors file */
/* `ecgbench data SUB ...` (bench/cmd_data.c) and its subcommands, one file each. */
int ecg_cmd_data(int argc, char **argv);
int ecg_cmd_data_info(int argc, char **argv);   /* bench/cmd_data_info.c: per-split class counts */
int ecg_cmd_qrs_eval(int argc, char **argv);    /* bench/cmd_qrs_eval.c: QRS detector vs reference */
int ecg_cmd_p_eval(int argc, char **argv);      /* bench/cmd_p_eval.c: P-wave detector by rhythm */
int ecg_cmd_data_export(int argc, char **argv); /* bench/cmd_data_export.c: a split as safetensors */
int ecg_cmd_baseline(int argc, char **argv);    /* bench/cmd_baseline.c: de Chazal 2004 LDA baseline */

#endif
