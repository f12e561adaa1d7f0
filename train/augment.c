/* Training-time augmentation of one example, drawn from its own seed (so it does not depend on
 * thread count or order). */
#include <string.h>

#include "train/internal.h"

void ecg_augment(float *x, int length, int channels, uint64_t seed) {
    ecg_rng r = {seed};
    float scale = 0.8f + 0.4f * ecg_rng_uniform(&r);
    float shift = -0.1f + 0.2f * ecg_rng_uniform(&r);
    int max_lag = length / 20;
    int lag = max_lag ? (int)(ecg_rng_next(&r) % (uint64_t)(2 * max_lag + 1)) - max_lag : 0;
    size_t n = (size_t)length * (size_t)channels, off = (size_t)(lag < 0 ? -lag : lag) * (size_t)channels;
    if (lag > 0) { /* later in time: move right, zeros in front */
        memmove(x + off, x, (n - off) * sizeof(float));
        memset(x, 0, off * sizeof(float));
    } else if (lag < 0) {
        memmove(x, x + off, (n - off) * sizeof(float));
        memset(x + n - off, 0, off * sizeof(float));
    }
    for (size_t i = 0; i < n; i++) x[i] = x[i] * scale + shift + 0.02f * ecg_rng_normal(&r);
}
