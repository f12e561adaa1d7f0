/* C face of the Google Benchmark shim (bench/gbench_shim.cc).
 *
 * The C side describes its cases; ecg_gbench_run hands argc/argv to benchmark::Initialize (so every
 * --benchmark_* flag works), registers each case with repetitions, real time and the extra
 * statistics p90/p99/min/max, runs them with Google Benchmark's usual console output, and returns
 * per-case statistics in seconds per iteration. Cases with a setup hook run one at a time, each
 * set up just before and torn down just after its run, so only one case's memory (an executor for
 * 32 whole cinc2017 records is hundreds of MB) is live at once; the others run together, first.
 * --benchmark_filter selects cases by their name as given here (a POSIX extended regex searched
 * in it; a leading '-' negates it, as Google Benchmark's). */
#ifndef ECG_GBENCH_SHIM_H
#define ECG_GBENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ECG_GBENCH_ERR_LEN 256

typedef struct {
    const char *name;           /* benchmark name; --benchmark_filter matches it */
    /* One timed call. Returns 0, or non-zero to stop the case with an error. */
    int (*fn)(void *ctx);
    void *ctx;
    double items_per_iteration; /* e.g. FLOPs per call, shown as items_per_second; 0: none */
    /* Optional: called just before the case's first call (0 ok; else the case fails with err) and
     * after its last, so what a case needs exists only while it runs. Not called when filtered out. */
    int (*setup)(void *ctx, char *err, size_t errlen);
    void (*teardown)(void *ctx);
} ecg_gbench_case;

typedef struct {
    int ran;                    /* 1 when statistics were captured (0: filtered out, listed or failed) */
    int failed;                 /* the case reported an error (cold call or timed loop) */
    char error[ECG_GBENCH_ERR_LEN];
    int64_t iterations;         /* iterations per repetition */
    int repetitions;            /* repetitions measured */
    /* Seconds per iteration, over the repetitions (stddev is the sample stddev, n - 1). */
    double median, mean, stddev, p90, p99, min, max;
} ecg_gbench_result;

typedef struct {
    int repetitions;            /* used unless argv has --benchmark_repetitions; <= 0: 10 */
    int quiet;                  /* no console output (tests) */
    /* > 0: a case whose cold call says its repetitions would take longer than this many seconds
     * gets fewer of them, never below 3 (res.repetitions tells how many). Not with a user's
     * --benchmark_repetitions. */
    double max_case_seconds;
} ecg_gbench_opts;

/* argv holds only Google Benchmark flags (argv[0] is not a program name: pass argc = 0 for none).
 * Each case's fn runs once untimed first (the cold call). Fills res[0..n-1]. Returns 0 when the run
 * happened (individual cases may still have failed: see res[i].failed), -1 with err on bad flags.
 * Google Benchmark's flags are process-global: a flag given once stays set for later calls. */
int ecg_gbench_run(int argc, char **argv, const ecg_gbench_case *cases, int n, const ecg_gbench_opts *o,
                   ecg_gbench_result *res, char *err, size_t errlen);

/* Linear-interpolated percentile (q in [0, 100]) of v[0..n-1] (n >= 1); v is sorted in place. */
double ecg_gbench_percentile(double *v, size_t n, double q);

#ifdef __cplusplus
}
#endif

#endif
