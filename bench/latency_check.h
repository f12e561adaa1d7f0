/* Latency figures that cannot be right (bench/latency_check.c): a row whose repetitions scatter
 * far more than a quiet machine's do, or whose thread scaling is impossible (the usual sign of
 * another job on the cores the threads spin on). `ecgbench latency` and `ecgbench report` flag
 * such rows in their CSVs and tables and warn once at the end; the figures are kept as measured. */
#ifndef ECG_BENCH_LATENCY_CHECK_H
#define ECG_BENCH_LATENCY_CHECK_H

#include <stdio.h>

/* The thresholds (see latency_check.c for how they were chosen). */
#define ECG_LAT_MAX_P90_OVER_MEDIAN 1.5  /* repetitions' p90 / median */
#define ECG_LAT_MAX_P99_OVER_MEDIAN 3.0  /* repetitions' p99 / median */
#define ECG_LAT_MAX_SLOWDOWN 2.0         /* N threads' median / 1 thread's, same run and batch */
#define ECG_LAT_MAX_SPEEDUP_PER_THREAD 1.25 /* 1 thread's median / N threads', over N */

/* One latency row; one_thread_median_us is the 1-thread median of the same run, batch and executor
 * measured in the same run (NaN when there is none, or threads is 1). Returns 1 and writes a short
 * reason ("spread p90/median 3.2", "2 threads 2200x slower than 1") when the row looks disturbed,
 * else 0 and reason "". NaN figures are not judged. */
int ecg_latency_flag(int threads, double median_us, double p90_us, double p99_us, double one_thread_median_us,
                     char *reason, size_t n);

/* The closing line of a command that flagged n > 0 rows, to f: "warning: N latency rows look
 * disturbed (FIRST, ...); re-run on a quiet machine", first being "row: reason" of the first one.
 * Nothing when n is 0. */
void ecg_latency_warn(FILE *f, int n, const char *first);

#endif
