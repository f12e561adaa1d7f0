/* `ecgbench latency`: inference latency of every committed run through the XNNPACK executor (the
 * path a deployment uses), with Google Benchmark through the C shim, at each batch size and
 * thread count: median, mean, p90, p99, stddev, min, max over repetitions, iterations, achieved
 * GFLOP/s, and the init time (model build + weights + XNNPACK operator creation, median of 5, or
 * of 3 where those took over a second).
 * Writes OUT/latency_ecgbench.csv; `ecgbench report --latency` joins it into the reports. A row whose
 * repetitions scatter or whose thread scaling cannot be right (bench/latency_check.c) says why in
 * its latency_flag column, and a closing "warning:" line counts them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/latency_check.h"
#include "cli/cli.h"
#include "ops/timing.h"
#include "report/csv.h"
#include "runs/files.h"
#include "runs/runs.h"

#define MAX_LIST 8
#define MAX_PASS 64
#define MAX_ROOTS 8
#define INIT_RUNS 5

typedef struct {
    const ecg_run *run;
    ecg_run_model m;
    ecg_xnn *x;
    int batch, threads, threads_used; /* asked for; the executor's (recorded before teardown) */
    double init_ms, flops; /* flops per call (whole batch) */
    char name[320];
    char flag[96];         /* ecg_latency_flag's reason, "" when the row looks plausible */
} lat_case;

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

static int run_case(void *p) { return ecg_xnn_run(((lat_case *)p)->x); }

static void free_case(void *p) {
    lat_case *c = p;
    ecg_xnn_free(c->x);
    c->x = NULL;
    ecg_run_model_free(&c->m);
}

/* The shim's setup: builds the run's model with its weights and the executor (up to INIT_RUNS times) and
 * keeps the last until teardown. */
static int make_case(void *p, char *err, size_t errlen) {
    lat_case *c = p;
    double t[INIT_RUNS], spent = 0;
    int k = 0;
    for (; k < INIT_RUNS && !(k >= 3 && spent > 1e3); k++) {
        if (c->x) ecg_xnn_free(c->x), c->x = NULL;
        ecg_run_model_free(&c->m);
        double t0 = ecg_now_s();
        if (ecg_run_open(c->run, &c->m, err, errlen) || !(c->x = ecg_run_executor(&c->m, c->batch, c->threads, err, errlen))) {
            free_case(c);
            return -1;
        }
        t[k] = 1e3 * (ecg_now_s() - t0);
        spent += t[k];
    }
    c->init_ms = ecg_median(t, k);
    c->threads_used = ecg_xnn_threads(c->x);
    ecg_run_fill_inputs(&c->m, c->x, c->batch);
    return 0;
}

/* Flags each timed case (the 1-thread case of the same run and batch is its scaling reference);
 * returns how many were flagged and the first in *first. */
static int flag_cases(lat_case *c, const ecg_gbench_result *res, int n, int *first) {
    int flagged = 0;
    *first = -1;
    for (int i = 0; i < n; i++) {
        c[i].flag[0] = 0;
        if (!res[i].ran || res[i].failed) continue;
        double one = NAN;
        for (int j = 0; j < n; j++)
            if (c[j].run == c[i].run && c[j].batch == c[i].batch && c[j].threads_used == 1 && res[j].ran &&
                !res[j].failed)
                one = res[j].median * 1e6;
        if (ecg_latency_flag(c[i].threads_used, res[i].median * 1e6, res[i].p90 * 1e6, res[i].p99 * 1e6, one,
                             c[i].flag, sizeof c[i].flag)) {
            if (*first < 0) *first = i;
            flagged++;
        }
    }
    return flagged;
}

static int write_csv(const char *path, const lat_case *c, const ecg_gbench_result *res, int n, char *err,
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

int ecg_cmd_latency(int argc, char **argv) {
    const char *roots[MAX_ROOTS], *out = "reports/out";
    char *pass[MAX_PASS];
    int n_roots = 0, n_pass = 0, batch[MAX_LIST] = {1, 32}, n_batch = 2, threads[MAX_LIST] = {1, 0}, n_threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        int gb = ecg_gbench_take("latency", argv[i], pass, &n_pass, MAX_PASS);
        if (gb) {
            if (gb < 0) return 2;
            continue;
        }
        if (!strcmp(a, "--runs") && val && n_roots < MAX_ROOTS) {
            roots[n_roots++] = argv[++i];
        } else if (!strcmp(a, "--out") && val) {
            out = argv[++i];
        } else if (!strcmp(a, "--batch") && val) {
            if (ecg_arg_list("latency", "--batch", argv[++i], 1, 4096, batch, &n_batch, MAX_LIST)) return 2;
        } else if (!strcmp(a, "--threads") && val) {
            if (ecg_arg_list("latency", "--threads", argv[++i], 0, 4096, threads, &n_threads, MAX_LIST)) return 2;
        } else {
            fprintf(stderr, "ecgbench latency: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    char err[1400];
    ecg_run *runs = NULL;
    int total = 0, n_cases = 0, max_cases = 0, rc = 1;
    lat_case *cases = NULL;
    ecg_gbench_case *gc = NULL;
    ecg_gbench_result *res = NULL;
    if (ecg_backend_init(err, sizeof err)) goto fail;
    if (ecg_runs_gather(roots, n_roots, &runs, &total, err, sizeof err)) goto fail;
    max_cases = total * n_batch * n_threads;
    if (!max_cases) {
        snprintf(err, sizeof err, "no finished runs to time");
        goto fail;
    }
    cases = calloc((size_t)max_cases, sizeof *cases);
    gc = calloc((size_t)max_cases, sizeof *gc);
    res = calloc((size_t)max_cases, sizeof *res);
    if (!cases || !gc || !res) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    for (int k = 0; k < total; k++) {
        ecg_run_model m;
        if (ecg_run_open(&runs[k], &m, err, sizeof err)) goto fail;
        double flops = (double)ecg_graph_flops(&m.g);
        ecg_run_model_free(&m);
        for (int b = 0; b < n_batch; b++)
            for (int t = 0; t < n_threads; t++) {
                lat_case *c = &cases[n_cases];
                c->run = &runs[k], c->batch = batch[b], c->threads = ecg_threads_for(threads[t]);
                /* 1 and "all" are the same count on a 1-core machine: time it once */
                int dup = 0;
                for (int j = 0; j < n_cases; j++)
                    dup |= cases[j].run == c->run && cases[j].batch == c->batch && cases[j].threads == c->threads;
                if (dup) continue;
                const char *slash = strrchr(c->run->dir, '/');
                snprintf(c->name, sizeof c->name, "%s/b%d/t%d", slash ? slash + 1 : c->run->dir, c->batch, c->threads);
                c->flops = flops * c->batch;
                gc[n_cases] = (ecg_gbench_case){c->name, run_case, c, c->flops, make_case, free_case};
                n_cases++;
            }
    }
    ecg_gbench_opts go = {.repetitions = 10, .max_case_seconds = 2.0};
    if (ecg_gbench_run(n_pass, pass, gc, n_cases, &go, res, err, sizeof err)) {
        rc = 2;
        goto fail;
    }
    int ran, failed = ecg_gbench_count("latency", gc, res, n_cases, &ran);
    char path[1200];
    snprintf(path, sizeof path, "%s/latency_ecgbench.csv", out);
    int first, flagged = flag_cases(cases, res, n_cases, &first);
    if (ecg_mkdir_p(out, err, sizeof err) || write_csv(path, cases, res, n_cases, err, sizeof err)) goto fail;
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
    free(cases);
    free(gc);
    free(res);
    ecg_runs_free(runs, total);
    return rc;
}
