/* `ecgbench latency`: inference latency of every committed run through the XNNPACK executor (the
 * path a deployment uses), with Google Benchmark through the C shim, at each batch size and
 * thread count: median, mean, p90, p99, stddev, min, max over repetitions, iterations, achieved
 * GFLOP/s, and the init time (model build + weights + XNNPACK operator creation, median of 5, or
 * of 3 where those took over a second).
 * Writes OUT/latency_ecgbench.csv; `ecgbench report --latency` joins it into the reports. A row whose
 * repetitions scatter or whose thread scaling cannot be right (bench/latency_check.c) says why in
 * its latency_flag column, and a closing "warning:" line counts them. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/latency_check.h"
#include "cli/cli.h"
#include "ops/timing.h"
#include "report/csv.h"
#include "runs/files.h"
#include "runs/runs.h"

#define MAX_LIST 8
#define MAX_PASS 64
#define MAX_ROOTS 8

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench latency [--runs ROOT]... [--batch LIST] [--threads LIST] [--out DIR] [--benchmark_*]\n"
               "  times every run under each ROOT (default models/weights and models/compressed) through the\n"
               "  XNNPACK executor; --batch default 1,32; --threads default 1,0 (0: all cores); writes\n"
               "  DIR/latency_ecgbench.csv (default DIR reports/out). Google Benchmark flags pass through\n"
               "  (--benchmark_filter=efficientecg-s, --benchmark_min_time=0.1, --benchmark_repetitions=N,\n"
               "  default 10, fewer (>= 3) for a case whose calls would take over 2 s: a 30 s record at batch\n"
               "  32). Case names: RUN/bBATCH/tTHREADS. A row whose repetitions scatter (p90/median > 1.5,\n"
               "  p99/median > 3) or whose threads scale impossibly (N threads > 2x slower than 1, or > 1.25 N x\n"
               "  faster) says why in its latency_flag column, and a closing 'warning:' line counts them.\n");
}

static int write_csv(const char *path, const ecg_latency_case *c, const ecg_gbench_result *res, int n, char *err,
                     size_t errlen) {
    static const char *const cols[] = {"run", "model", "task", "variant", "executor", "batch", "threads",
                                       "median_us", "mean_us", "stddev_us", "p90_us", "p99_us", "min_us", "max_us",
                                       "iterations", "repetitions", "init_ms", "flops", "gflops_per_s",
                                       "latency_flag"};
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        const ecg_gbench_result *r = &res[i];
        if (!r->ran || r->failed) continue;
        const char *slash = strrchr(c[i].run->dir, '/');
        ecg_csv_str(&w, slash ? slash + 1 : c[i].run->dir);
        ecg_csv_str(&w, c[i].run->model);
        ecg_csv_str(&w, c[i].run->task);
        ecg_csv_str(&w, c[i].run->variant);
        ecg_csv_str(&w, "ecgbench-xnnpack");
        ecg_csv_int(&w, c[i].batch);
        ecg_csv_int(&w, c[i].threads_used);
        ecg_csv_num(&w, r->median * 1e6);
        ecg_csv_num(&w, r->mean * 1e6);
        ecg_csv_num(&w, r->stddev * 1e6);
        ecg_csv_num(&w, r->p90 * 1e6);
        ecg_csv_num(&w, r->p99 * 1e6);
        ecg_csv_num(&w, r->min * 1e6);
        ecg_csv_num(&w, r->max * 1e6);
        ecg_csv_int(&w, r->iterations);
        ecg_csv_int(&w, r->repetitions);
        ecg_csv_num(&w, c[i].init_ms);
        ecg_csv_num(&w, c[i].flops);
        ecg_csv_num(&w, c[i].flops / r->median / 1e9);
        ecg_csv_str(&w, c[i].flag);
        ecg_csv_end_row(&w);
    }
    return ecg_csv_close_err(&w, err, errlen);
}

typedef struct {
    const char *roots[MAX_ROOTS], *out;
    char *pass[MAX_PASS];
    int n_roots, n_pass, batch[MAX_LIST], n_batch, threads[MAX_LIST], n_threads;
} opts;

/* 0 ok, 1 help, 2 usage error. */
static int parse(int argc, char **argv, opts *o) {
    *o = (opts){.out = "reports/out", .batch = {1, 32}, .n_batch = 2, .threads = {1, 0}, .n_threads = 2};
    static const struct option lo[] = {{"runs", 1, 0, 'r'},    {"out", 1, 0, 'o'}, {"batch", 1, 0, 'b'},
                                       {"threads", 1, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int n = 0, c, rc = 0;
    char **rest = ecg_gbench_split("latency", argc, argv, o->pass, &o->n_pass, MAX_PASS, &n);
    if (!rest) return 2;
    optind = 1;
    while (!rc && (c = getopt_long(n, rest, "", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->n_roots == MAX_ROOTS) rc = (fprintf(stderr, "ecgbench latency: at most %d --runs\n", MAX_ROOTS), 2);
            else o->roots[o->n_roots++] = optarg;
            break;
        case 'o': o->out = optarg; break;
        case 'b': rc = ecg_arg_list("latency", "--batch", optarg, 1, 4096, o->batch, &o->n_batch, MAX_LIST) ? 2 : 0; break;
        case 'j':
            rc = ecg_arg_list("latency", "--threads", optarg, 0, 4096, o->threads, &o->n_threads, MAX_LIST) ? 2 : 0;
            break;
        case 'h': usage(stdout); rc = 1; break;
        default: usage(stderr); rc = 2;
        }
    }
    if (!rc && optind != n) rc = (fprintf(stderr, "ecgbench latency: unexpected argument '%s'\n", rest[optind]), 2);
    free(rest);
    if (rc) return rc;
    return 0;
}

int ecg_cmd_latency(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    char err[1400];
    ecg_run *runs = NULL;
    int total = 0;
    rc = 1;
    ecg_latency_set set = {0};
    ecg_gbench_result *res = NULL;
    if (ecg_backend_init(err, sizeof err) || ecg_runs_gather(o.roots, o.n_roots, &runs, &total, err, sizeof err))
        goto fail;
    ecg_runs_keep_classifiers(runs, &total, "latency");
    if (ecg_latency_cases(runs, total, o.batch, o.n_batch, o.threads, o.n_threads, &set, err, sizeof err))
        goto fail;
    int n_cases = set.n;
    ecg_latency_case *cases = set.cases;
    if (!(res = calloc((size_t)n_cases, sizeof *res))) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    ecg_gbench_opts go = {.repetitions = 10, .max_case_seconds = 2.0};
    int ran, failed;
    if (ecg_gbench_time("latency", o.n_pass, o.pass, set.gc, n_cases, &go, res, &ran, &failed, err, sizeof err)) {
        rc = 2;
        goto fail;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/latency_ecgbench.csv", o.out);
    int first, flagged = ecg_latency_flag_cases(cases, res, n_cases, &first);
    if (ecg_mkdir_p(o.out, err, sizeof err) || write_csv(path, cases, res, n_cases, err, sizeof err)) goto fail;
    printf("latency: %d case(s) -> %s\n", ran, path);
    if (flagged) {
        char what[512];
        snprintf(what, sizeof what, "%s: %s", cases[first].name, cases[first].flag);
        fflush(stdout); /* the warning comes last, also when both go to one file */
        ecg_latency_warn(stderr, flagged, what);
    }
    rc = failed ? 1 : 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench latency: %s\n", err);
done:
    ecg_latency_set_free(&set);
    free(res);
    ecg_runs_free(runs, total);
    return rc;
}
