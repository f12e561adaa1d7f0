/* Flags latency rows that a quiet machine would not produce.
 *
 * Each figure is over Google Benchmark's repetitions, and each repetition is already a mean of
 * many calls, so on a quiet machine the repetitions agree closely: p90 sits within a few percent of
 * the median, p99 (the slowest repetition or two) within some tens of percent. Another job
 * taking the core for part of a repetition, or a thread of a multi-threaded run descheduled while
 * the others spin at a barrier, pushes p90/p99 up or makes N threads slower than one - the issue
 * that prompted this saw 254 us on one thread and 560,000 us on two while another job held the
 * second core.
 *
 * Thresholds (bench/latency_check.h). A 1-thread row's repetitions agree within ~30% (p90) and
 * ~50% (p99, about the slowest repetition) even on the busy machine below; the p90 of 10
 * repetitions puts a tenth of its weight on the slowest, so one repetition 6x slower than the rest
 * already lifts p90/median past 1.5.
 * With a thread per core, a small model at batch 1 loses some time to XNNPACK's per-operator
 * hand-off between threads, but never half: 2 threads at twice one thread's time means a thread
 * waited for a core. Three quick `ecgbench latency` runs of every committed run (batch 1, threads
 * 1 and 2, 5 repetitions of >= 0.05 s) on the 2-core EPYC VM, with a nice-19 training job on one
 * core and builds running (load 7-10, so not quiet): 1-thread rows at p90/median 1.0-1.72 (the
 * second run 1.0-1.32, p99/median <= 1.49), 2-thread rows at 0.13-4177x the 1-thread time;
 * flagged 26, 25 and 26 of 52 rows, of them 2, 0 and 1 1-thread rows. No quiet 2-core machine
 * was at hand to confirm that nothing fires there.
 *   p90/median > 1.5 or p99/median > 3.0         -> "spread p90/median 3.2"
 *   N threads' median > 2 x 1 thread's            -> "2 threads 2200x slower than 1"
 *   1 thread's median > 1.25 x N x N threads'     -> "2 threads 3.1x faster than 1" (more than N
 *                                                     cores' worth: the 1-thread row was disturbed)
 */
#include <stdio.h>
#include <string.h>

#include "bench/latency_check.h"

/* 2200 for big ratios, 3.2 for small ones */
static void ratio_str(char *buf, size_t n, double r) { snprintf(buf, n, r >= 10 ? "%.0f" : "%.1f", r); }

static void add_reason(char *reason, size_t n, const char *text) {
    size_t l = strlen(reason);
    snprintf(reason + l, n - l, "%s%s", l ? "; " : "", text);
}

int ecg_latency_flag(int threads, double median_us, double p90_us, double p99_us, double one_thread_median_us,
                     char *reason, size_t n) {
    if (!n) return 0;
    reason[0] = 0;
    if (!(median_us > 0)) return 0;
    char r[32], text[96];
    double p90 = p90_us / median_us, p99 = p99_us / median_us;
    if (p90 > ECG_LAT_MAX_P90_OVER_MEDIAN) {
        ratio_str(r, sizeof r, p90);
        snprintf(text, sizeof text, "spread p90/median %s", r);
        add_reason(reason, n, text);
    } else if (p99 > ECG_LAT_MAX_P99_OVER_MEDIAN) { /* p90 said it already when both are high */
        ratio_str(r, sizeof r, p99);
        snprintf(text, sizeof text, "spread p99/median %s", r);
        add_reason(reason, n, text);
    }
    if (threads > 1 && one_thread_median_us > 0) {
        double slower = median_us / one_thread_median_us, faster = one_thread_median_us / median_us;
        if (slower > ECG_LAT_MAX_SLOWDOWN) {
            ratio_str(r, sizeof r, slower);
            snprintf(text, sizeof text, "%d threads %sx slower than 1", threads, r);
            add_reason(reason, n, text);
        } else if (faster > ECG_LAT_MAX_SPEEDUP_PER_THREAD * threads) {
            ratio_str(r, sizeof r, faster);
            snprintf(text, sizeof text, "%d threads %sx faster than 1", threads, r);
            add_reason(reason, n, text);
        }
    }
    return reason[0] != 0;
}

void ecg_latency_warn(FILE *f, int n, const char *first) {
    if (n <= 0) return;
    fprintf(f, "warning: %d latency row%s disturbed (%s%s); re-run on a quiet machine\n", n,
            n == 1 ? " looks" : "s look", first, n > 1 ? ", ..." : "");
}
