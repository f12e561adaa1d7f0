/* Wall-clock timing for the executor's profile and the benchmarks (ops/timing.c). */
#ifndef ECG_TIMING_H
#define ECG_TIMING_H

double ecg_now_s(void);               /* CLOCK_MONOTONIC in seconds */
double ecg_median(double *v, int n);  /* n >= 1; sorts v in place; even n: mean of the middle two */

#endif
