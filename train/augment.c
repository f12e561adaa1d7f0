/* Training-time augmentation of one example, drawn from its own seed (so it does not depend on
 * thread count or order). */
#include <string.h>

#include "ops/rng.h"
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

void ecg_augment_warp(float *dst, const float *src, int length, int channels, float warp, uint64_t seed) {
    ecg_rng r = {seed};
    double factor = 1.0 + (double)warp * (2.0 * ecg_rng_uniform(&r) - 1.0), centre = 0.5 * (length - 1);
    for (int t = 0; t < length; t++) {
        double pos = centre + (t - centre) / factor;
        pos = pos < 0 ? 0 : pos > length - 1 ? length - 1 : pos;
        int i = (int)pos, j = i + 1 < length ? i + 1 : i; /* at the last sample frac is 0 */
        double frac = pos - i;
        const float *a = src + (size_t)i * (size_t)channels, *b = src + (size_t)j * (size_t)channels;
        for (int c = 0; c < channels; c++)
            dst[(size_t)t * (size_t)channels + c] = (float)((1.0 - frac) * a[c] + frac * b[c]);
    }
}

static int all_zero(const float *row, int channels) {
    for (int c = 0; c < channels; c++)
        if (row[c] != 0.0f) return 0;
    return 1;
}

/* A record shorter than the example is zero-padded at its end (cinc2017): the window starts where
 * it still holds `crop` samples of signal (or at 0 when the signal is shorter), so no window is
 * all padding. Exact zeros at the very end count as padding; a z-scored signal cannot tell them
 * from a few zero samples anyway. */
int ecg_train_crop_start(const float *x, int length, int channels, int crop, int random, uint64_t seed) {
    int signal = length;
    while (signal > 0 && all_zero(x + (size_t)(signal - 1) * (size_t)channels, channels)) signal--;
    if (!random) return (int)ecg_crop_start(signal, crop, ECG_CROP_CENTER);
    int last = signal > crop ? signal - crop : 0; /* the largest start */
    ecg_rng r = {seed};
    return (int)(ecg_rng_next(&r) % (uint64_t)(last + 1));
}
