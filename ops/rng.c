/* Small deterministic RNG: splitmix64. State lives in the caller's struct (no globals). */
#include <math.h>

#include "rng.h"

uint64_t ecg_rng_next(ecg_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float ecg_rng_uniform(ecg_rng *r) { return (float)(ecg_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

float ecg_rng_normal(ecg_rng *r) {
    /* Box-Muller; u1 in (0, 1] so log is finite. */
    double u1 = ((double)(ecg_rng_next(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(ecg_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t ecg_hash64(uint64_t a, uint64_t b) {
    ecg_rng r = {a ^ (b * 0xD6E8FEB86659FD93ull)};
    ecg_rng_next(&r);
    return ecg_rng_next(&r);
}
