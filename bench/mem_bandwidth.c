/* The rate one core reads main memory at: a buffer far larger than any cache, summed word by word
 * (the sum keeps the loads), timed by this thread's CPU time like the FMA peak (bench/peak_flops.c).
 * The report sets each layer's FLOPs per byte against it: a layer that moves many bytes per FLOP
 * (a wide convolution over a few time steps at batch 1 streams its whole weight matrix for a few
 * rows) is bound by this rate, not by the core's FMA peak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench/bench.h"
#include "ops/timing.h"

#define BUFFER_BYTES ((size_t)256 << 20) /* past the last-level cache of any server CPU today */
#define ROUND_TIMINGS 3
#define STABLE_BEST 3
#define STABLE_PCT 3.0
#define CAP_S 1.0
#define MAX_TIMINGS 64

/* One pass over the buffer; four sums, so the loop is bound by the loads, not by one add chain. */
static uint64_t read_pass(const uint64_t *w, size_t n) {
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) a += w[i], b += w[i + 1], c += w[i + 2], d += w[i + 3];
    return a ^ b ^ c ^ d;
}

int ecg_bandwidth_measure(ecg_bandwidth *b) {
    memset(b, 0, sizeof *b);
    /* mapped, not malloc'ed: a sanitizer's allocator would poison and quarantine 256 MiB */
    uint64_t *w = mmap(NULL, BUFFER_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (w == MAP_FAILED) return -1;
    size_t n = BUFFER_BYTES / sizeof *w;
    memset(w, 1, BUFFER_BYTES); /* backed pages (MAP_POPULATE; untouched ones would read as one zero page) */
    volatile uint64_t sink = read_pass(w, n);
    double rates[MAX_TIMINGS], start = ecg_now_s();
    int k = 0;
    do {
        for (int r = 0; r < ROUND_TIMINGS && k < MAX_TIMINGS; r++) {
            double t0 = ecg_thread_cpu_s();
            sink ^= read_pass(w, n);
            rates[k++] = (double)BUFFER_BYTES / (ecg_thread_cpu_s() - t0) / 1e9;
        }
        b->rounds++;
        b->spread_pct = ecg_best_spread_pct(rates, k, STABLE_BEST, &b->gbps);
        b->stable = b->spread_pct <= STABLE_PCT;
    } while (!b->stable && ecg_now_s() - start < CAP_S && k < MAX_TIMINGS);
    (void)sink;
    b->bytes = BUFFER_BYTES;
    munmap(w, BUFFER_BYTES);
    return 0;
}
