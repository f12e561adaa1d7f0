/* Timing for the executor's profile, the benchmarks and the machine probes (ops/timing.c). */
#ifndef ECG_TIMING_H
#define ECG_TIMING_H

double ecg_now_s(void);               /* CLOCK_MONOTONIC in seconds */
/* This thread's CPU time in seconds: a timing by it does not count the time another job held the
 * core (the machine probes, bench/peak_flops.c and bench/mem_bandwidth.c). */
double ecg_thread_cpu_s(void);
/* The best of n rates (into *best) and the spread of the best k, in % of the best (n >= 1). */
double ecg_best_spread_pct(const double *rates, int n, int k, double *best);
double ecg_median(double *v, int n);  /* n >= 1; sorts v in place; even n: mean of the middle two */

#endif
