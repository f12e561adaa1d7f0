/* Shared inner loop of the reference kernels (internal to ops/). */
#ifndef ECG_REF_DOT_H
#define ECG_REF_DOT_H

#include <stddef.h>

/* Dot product with eight partial sums: independent chains the compiler keeps in one vector
 * register (a single accumulator would serialise on the add latency). */
static inline float ecg_dot(const float *a, const float *b, size_t n) {
    float acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
    float s = 0;
    for (; i < n; i++) s += a[i] * b[i];
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

#endif
