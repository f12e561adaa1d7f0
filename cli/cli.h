/* The ecgbench command line (cli/, not part of libecgbench): the commands, one file each
 * (cli/main.c only dispatches), and the argument parsing they share (cli/args.c). */
#ifndef ECG_CLI_H
#define ECG_CLI_H

#include "bench/gbench_shim.h"
#include "compress/compress.h"
#include "runs/pipelines.h"

/* ---------------------------------------------------------------- arguments (cli/args.c) */
/* A whole number / a number in [lo, hi]; otherwise prints "ecgbench CMD: WHAT must be ..." and
 * returns -1. */
int ecg_arg_int(const char *cmd, const char *what, const char *s, long long lo, long long hi, long long *out);
int ecg_arg_num(const char *cmd, const char *what, const char *s, double lo, double hi, double *out);
/* The options of the commands that read held-out predictions and write one JSON file (offsets,
 * ensemble): --out FILE, --data DIR, --threads N, --help (usage to stdout), and --classes LIST where
 * classes is not NULL (a command that takes no --classes passes NULL). Returns -1 to go on (optind
 * at the first operand), else the command's exit code. */
int ecg_args_held_out(const char *cmd, int argc, char **argv, void (*usage)(FILE *), const char **out,
                      const char **data, long long *threads, const char **classes);
/* Their ending: doc (NULL: err says why) written to out, "wrote OUT" said, or the error on stderr
 * after "ecgbench CMD: "; frees doc. Returns the exit code (0, or 1). */
int ecg_held_out_write(const char *cmd, const char *out, cJSON *doc, char *err, size_t errlen);
/* "a,b,c": integers in [lo, hi], at most max of them, into out[*n]; otherwise prints "ecgbench CMD:
 * bad WHAT ..." and returns -1. The one list parser of the commands. */
int ecg_arg_list(const char *cmd, const char *what, const char *s, int lo, int hi, int *out, int *n, int max);

/* --channel-rank l1|bn or --channel-scope local|all (flag) into cfg; prints "ecgbench CMD: ..." and
 * returns -1 on another value. */
int ecg_channel_opt(const char *cmd, const char *flag, const char *value, ecg_channel_cfg *cfg);

/* Google Benchmark's flags among a command's arguments (cli/gbench_cli.c): 1 when arg is one
 * (--benchmark_*, --v=) and was added to pass[*n_pass], 0 when it is not, -1 (printed) when there
 * are more than max. */
int ecg_gbench_take(const char *cmd, char *arg, char **pass, int *n_pass, int max);
/* argv without Google Benchmark's flags (those go to pass[*n_pass], at most max), as a new
 * NULL-terminated array of *n_rest arguments (argv[0] first) for getopt_long; the caller frees
 * it. NULL (printed) on too many flags or no memory. */
char **ecg_gbench_split(const char *cmd, int argc, char **argv, char **pass, int *n_pass, int max, int *n_rest);
/* ecg_gbench_run (-1 when the harness itself fails, err set), then the cases that ran (*ran) and
 * failed (*failed), each failure printed as "ecgbench CMD: NAME: error". */
int ecg_gbench_time(const char *cmd, int n_pass, char **pass, const ecg_gbench_case *cases, int n,
                    const ecg_gbench_opts *o, ecg_gbench_result *res, int *ran, int *failed, char *err, size_t errlen);


/* The manifest's "run" record of a command that writes a run (cli/run_record.c): this machine and
 * the command line args, collected when the manifest is written. args must outlive the job. */
typedef struct {
    int argc;
    char **argv;
} ecg_cli_args;
ecg_run_record ecg_cli_run_record(ecg_cli_args *args);

/* ---------------------------------------------------------------- commands */
/* argv[0] is the command name ("bench-op"). Returns the process exit code
 * (0 ok, 1 failure, 2 usage error). */
int ecg_cmd_bench_op(int argc, char **argv);
int ecg_cmd_bench_sparse(int argc, char **argv); /* cli/cmd_bench_sparse.c: own sparse 1x1 kernel vs dense XNNPACK */
int ecg_cmd_bench_model(int argc, char **argv); /* cli/cmd_bench_model.c: whole-model latency, dense vs channel-pruned */
int ecg_cmd_train(int argc, char **argv);       /* cli/cmd_train.c */
/* Set by ecgbench-mpi's main (cli/mpi_main.c) before it runs `train`: this process is one rank of
 * a data-parallel run. NULL in ecgbench. */
extern const ecg_train_comm *ecg_cli_train_comm;
int ecg_cmd_eval(int argc, char **argv);        /* cli/cmd_eval.c */
int ecg_cmd_select(int argc, char **argv);      /* cli/cmd_select.c */
int ecg_cmd_offsets(int argc, char **argv);     /* cli/cmd_offsets.c */
int ecg_cmd_ensemble(int argc, char **argv);    /* cli/cmd_ensemble.c */
int ecg_cmd_compress(int argc, char **argv);    /* cli/cmd_compress.c: pruning, int8 PTQ -> weights + manifest */
int ecg_cmd_results(int argc, char **argv);     /* cli/cmd_results.c: tables from the manifests */
int ecg_cmd_report(int argc, char **argv);      /* cli/cmd_report.c: evaluate every run, CSVs + tables */
int ecg_cmd_compare(int argc, char **argv);     /* cli/cmd_compare.c: two results.csv side by side */
int ecg_cmd_latency(int argc, char **argv);     /* cli/cmd_latency.c: every run timed, latency_ecgbench.csv */
int ecg_cmd_rss_probe(int argc, char **argv);   /* bench/rss_probe.c: one inference in a fresh process */
int ecg_cmd_models(int argc, char **argv);      /* cli/cmd_models.c */
int ecg_cmd_info(int argc, char **argv);        /* cli/cmd_models.c: per-layer table of a model */
int ecg_cmd_export_onnx(int argc, char **argv); /* cli/cmd_export_onnx.c: a run as an ONNX model */
int ecg_cmd_reconstruct(int argc, char **argv); /* cli/cmd_reconstruct.c: an autoencoder's beats and reconstructions */
int ecg_cmd_predict(int argc, char **argv);     /* cli/cmd_predict.c: logits for examples in a safetensors file */
/* `ecgbench data SUB ...` (cli/cmd_data.c) and its subcommands, one file each. */
int ecg_cmd_data(int argc, char **argv);
int ecg_cmd_data_info(int argc, char **argv);   /* cli/cmd_data_info.c: per-split class counts */
int ecg_cmd_qrs_eval(int argc, char **argv);    /* cli/cmd_qrs_eval.c: QRS detector vs reference */
int ecg_cmd_p_eval(int argc, char **argv);      /* cli/cmd_p_eval.c: P-wave detector by rhythm */
int ecg_cmd_data_export(int argc, char **argv); /* cli/cmd_data_export.c: a split as safetensors */
int ecg_cmd_baseline(int argc, char **argv);    /* cli/cmd_baseline.c: de Chazal 2004 LDA baseline */

#endif
