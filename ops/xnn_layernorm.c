/* XNNPACK-executor lowering of layernorm: XNNPACK (2022) has no layer norm, so an own kernel,
 * rows of C values split over the threadpool in blocks (each row's statistics are independent). */
#include <math.h>

#include "xnn_lower.h"

typedef struct {
    const float *x;
    float *y;
    const float *weight, *bias;
    size_t rows, channels;
    float eps;
} layernorm_arg;

#define LAYERNORM_ROWS 32

/* Two passes (mean, then squared deviations) keep the variance accurate when |mean| >> std. */
static void layernorm_row(const layernorm_arg *a, const float *x, float *y) {
    size_t c = a->channels;
    float sum = 0, sq = 0;
    for (size_t i = 0; i < c; i++) sum += x[i];
    float mean = sum / (float)c;
    for (size_t i = 0; i < c; i++) sq += (x[i] - mean) * (x[i] - mean);
    float rstd = 1.0f / sqrtf(sq / (float)c + a->eps);
    for (size_t i = 0; i < c; i++) y[i] = (x[i] - mean) * rstd * a->weight[i] + a->bias[i];
}

static void layernorm_block(void *p, size_t b) {
    const layernorm_arg *a = p;
    size_t lo = b * LAYERNORM_ROWS, hi = lo + LAYERNORM_ROWS < a->rows ? lo + LAYERNORM_ROWS : a->rows;
    for (size_t r = lo; r < hi; r++) layernorm_row(a, a->x + r * a->channels, a->y + r * a->channels);
}

static void layernorm_kernel(void *p, pthreadpool_t tp) {
    const layernorm_arg *a = p;
    pthreadpool_parallelize_1d(tp, layernorm_block, p, (a->rows + LAYERNORM_ROWS - 1) / LAYERNORM_ROWS, 0);
}

int ecg_lower_layernorm(ecg_lower *l) {
    layernorm_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return -1;
    *a = (layernorm_arg){l->in[0], l->out, l->w[0], l->w[1], ecg_lower_rows(l, &l->in_shape[0]),
                         ecg_lower_channels(&l->in_shape[0]), l->n->a.eps};
    return ecg_lower_fn(l, layernorm_kernel, a);
}
