/* The pieces ecgbench's timers share: the clocks, the median of samples, the best of rates. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timing.h"

double ecg_now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ecg_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double ecg_thread_cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double ecg_best_spread_pct(const double *rates, int n, int k, double *best) {
    double *s = malloc(sizeof *s * (size_t)n);
    if (!s) return *best = rates[0], 100.0;
    memcpy(s, rates, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, by_value); /* ascending: the best last */
    *best = s[n - 1];
    double spread = 100.0 * (s[n - 1] - s[(k < n ? n - k : 0)]) / s[n - 1];
    free(s);
    return spread;
}
