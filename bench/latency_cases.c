/* The cases `ecgbench latency` times (bench/bench.h): one per run, batch size and thread count,
 * each building its run's model and XNNPACK executor in the shim's setup (the init time: median
 * of INIT_RUNS, or of 3 where those took over a second) and running one call per iteration. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/latency_check.h"
#include "ops/timing.h"

#define INIT_RUNS 5

/* One call: every model of the run (an ensemble: each member) in turn. */
static int run_case(void *p) {
    ecg_latency_case *c = p;
    for (int i = 0; i < c->n_x; i++)
        if (ecg_xnn_run(c->x[i])) return -1;
    return 0;
}

static void free_case(void *p) {
    ecg_latency_case *c = p;
    for (int i = 0; i < c->n_x; i++) ecg_xnn_free(c->x[i]), c->x[i] = NULL;
    c->n_x = 0;
    ecg_run_model_free(&c->m);
}

/* The shim's setup: builds the run's model with its weights and the executor (up to INIT_RUNS times) and
 * keeps the last until teardown. */
static int make_case(void *p, char *err, size_t errlen) {
    ecg_latency_case *c = p;
    double t[INIT_RUNS], spent = 0;
    int k = 0;
    for (; k < INIT_RUNS && !(k >= 3 && spent > 1e3); k++) {
        free_case(c);
        double t0 = ecg_now_s();
        if (ecg_run_open_any(c->run, &c->m, err, errlen)) return free_case(c), -1;
        for (; c->n_x < ecg_run_model_parts(&c->m); c->n_x++)
            if (!(c->x[c->n_x] = ecg_run_executor(ecg_run_model_part(&c->m, c->n_x), c->batch, c->threads, err, errlen)))
                return free_case(c), -1;
        t[k] = 1e3 * (ecg_now_s() - t0);
        spent += t[k];
    }
    c->init_ms = ecg_median(t, k);
    c->threads_used = ecg_xnn_threads(c->x[0]);
    for (int i = 0; i < c->n_x; i++) ecg_run_fill_inputs(ecg_run_model_part(&c->m, i), c->x[i], c->batch);
    return 0;
}

/* Flags each timed case (the 1-thread case of the same run and batch is its scaling reference);
 * returns how many were flagged and the first in *first. */
int ecg_latency_flag_cases(ecg_latency_case *c, const ecg_gbench_result *res, int n, int *first) {
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

int ecg_latency_cases(const ecg_run *runs, int n_runs, const int *batch, int n_batch, const int *threads, int n_threads,
                      ecg_latency_set *s, char *err, size_t errlen) {
    int max_cases = n_runs * n_batch * n_threads;
    *s = (ecg_latency_set){0};
    if (!max_cases) return snprintf(err, errlen, "no finished runs to time"), -1;
    s->cases = calloc((size_t)max_cases, sizeof *s->cases);
    s->gc = calloc((size_t)max_cases, sizeof *s->gc);
    if (!s->cases || !s->gc) return ecg_latency_set_free(s), snprintf(err, errlen, "out of memory"), -1;
    for (int k = 0; k < n_runs; k++) {
        ecg_run_model m;
        if (ecg_run_open_any(&runs[k], &m, err, errlen)) return ecg_latency_set_free(s), -1;
        double flops = 0;
        for (int i = 0; i < ecg_run_model_parts(&m); i++) flops += (double)ecg_graph_flops(&ecg_run_model_part(&m, i)->g);
        ecg_run_model_free(&m);
        for (int b = 0; b < n_batch; b++)
            for (int t = 0; t < n_threads; t++) {
                ecg_latency_case *c = &s->cases[s->n];
                c->run = &runs[k], c->batch = batch[b], c->threads = ecg_threads_for(threads[t]);
                /* 1 and "all" are the same count on a 1-core machine: time it once */
                int dup = 0;
                for (int j = 0; j < s->n; j++)
                    dup |= s->cases[j].run == c->run && s->cases[j].batch == c->batch && s->cases[j].threads == c->threads;
                if (dup) continue;
                const char *slash = strrchr(c->run->dir, '/');
                snprintf(c->name, sizeof c->name, "%s/b%d/t%d", slash ? slash + 1 : c->run->dir, c->batch, c->threads);
                c->flops = flops * c->batch;
                s->gc[s->n] = (ecg_gbench_case){c->name, run_case, c, c->flops, make_case, free_case};
                s->n++;
            }
    }
    return 0;
}

void ecg_latency_set_free(ecg_latency_set *s) {
    free(s->cases);
    free(s->gc);
    *s = (ecg_latency_set){0};
}
