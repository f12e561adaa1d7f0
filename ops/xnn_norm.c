/* XNNPACK-executor lowering of a batchnorm that could not be folded into a conv/linear:
 * one own per-channel affine pass (y = x * scale + shift), scale/shift precomputed once. */
#include <math.h>

#include "xnn_lower.h"

typedef struct {
    const float *x;
    float *y;
    const float *scale, *shift;
    size_t rows, channels;
} affine_arg;

#define AFFINE_ROWS 64

static void affine_block(void *p, size_t b) {
    const affine_arg *a = p;
    size_t lo = b * AFFINE_ROWS, hi = lo + AFFINE_ROWS < a->rows ? lo + AFFINE_ROWS : a->rows;
    for (size_t r = lo; r < hi; r++) {
        const float *x = a->x + r * a->channels;
        float *y = a->y + r * a->channels;
        for (size_t c = 0; c < a->channels; c++) y[c] = x[c] * a->scale[c] + a->shift[c];
    }
}

static void affine_kernel(void *p, pthreadpool_t tp) {
    const affine_arg *a = p;
    pthreadpool_parallelize_1d(tp, affine_block, p, (a->rows + AFFINE_ROWS - 1) / AFFINE_ROWS, 0);
}

int ecg_lower_batchnorm(ecg_lower *l) {
    size_t c = ecg_lower_channels(&l->in_shape[0]);
    affine_arg *a = ecg_lower_alloc(l, sizeof *a);
    float *scale = ecg_lower_alloc(l, c * sizeof(float)), *shift = ecg_lower_alloc(l, c * sizeof(float));
    if (!a || !scale || !shift) return -1;
    const float *gamma = l->w[0], *beta = l->w[1], *mean = l->w[2], *var = l->w[3];
    for (size_t i = 0; i < c; i++) {
        scale[i] = gamma[i] / sqrtf(var[i] + l->n->a.eps);
        shift[i] = beta[i] - mean[i] * scale[i];
    }
    *a = (affine_arg){l->in[0], l->out, scale, shift, ecg_lower_rows(l, &l->in_shape[0]), c};
    return ecg_lower_fn(l, affine_kernel, a);
}
