/* Lowers a 1x1 conv1d (stride 1, no padding, groups 1) or a linear onto our sparse kernel
 * (ops/sparse_gemm.c) instead of XNNPACK's dense operator, per layer, only where it is faster.
 *
 * The choice is made by timing, not by a density threshold: with ECG_XNN_SPARSE the executor
 * runs both candidates on the layer's real shape, buffers, batch and threadpool at create time and
 * keeps the faster (median of several samples, candidates alternated so load on the machine hits
 * both alike). ECG_XNN_SPARSE_ALWAYS skips the timing (deterministic, for tests and benchmarks). */
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "sparse_gemm.h"
#include "timing.h"
#include "xnn_lower.h"

#define WARMUP 2
#define SAMPLES 9
#define CALLS_PER_SAMPLE 4

typedef struct {
    const ecg_sparse_w *s;
    const float *x;
    float *y, *scratch;
    size_t rows, in, out, n_scratch;
    ecg_isa isa;
} sparse_arg;

static void sparse_kernel(void *p, pthreadpool_t tp) {
    const sparse_arg *a = p;
    char err[8];
    /* Shapes and scratch were checked when the step was planned; nothing can fail here. */
    (void)ecg_sparse_gemm(a->s, a->x, a->rows, a->in, a->y, a->out, a->scratch, a->n_scratch, tp, a->isa, err,
                          sizeof err);
}

/* Median seconds per call of each candidate, alternating. 0 ok, -1 if XNNPACK failed. */
static int time_both(xnn_operator_t dense, sparse_arg *a, pthreadpool_t tp, double *t_dense, double *t_sparse) {
    double td[SAMPLES], ts[SAMPLES];
    for (int i = 0; i < WARMUP; i++) {
        if (xnn_run_operator(dense, tp) != xnn_status_success) return -1;
        sparse_kernel(a, tp);
    }
    for (int i = 0; i < SAMPLES; i++) {
        double t0 = ecg_now_s();
        for (int k = 0; k < CALLS_PER_SAMPLE; k++)
            if (xnn_run_operator(dense, tp) != xnn_status_success) return -1;
        double t1 = ecg_now_s();
        for (int k = 0; k < CALLS_PER_SAMPLE; k++) sparse_kernel(a, tp);
        double t2 = ecg_now_s();
        td[i] = t1 - t0;
        ts[i] = t2 - t1;
    }
    *t_dense = ecg_median(td, SAMPLES) / CALLS_PER_SAMPLE;
    *t_sparse = ecg_median(ts, SAMPLES) / CALLS_PER_SAMPLE;
    return 0;
}

/* Packs w into executor memory and fills the kernel's argument. NULL with the error set. */
static sparse_arg *plan(ecg_lower *l, const float *w, const float *bias, int out, int in, size_t rows) {
    char msg[256] = "";
    sparse_arg *a = ecg_lower_alloc(l, sizeof *a);
    size_t bytes = ecg_sparse_w_bytes(w, out, in);
    void *mem = a ? ecg_lower_alloc(l, bytes) : NULL;
    if (!mem) return NULL;
    if (!(a->s = ecg_sparse_w_pack(mem, bytes, w, bias, out, in, msg, sizeof msg))) {
        ecg_lower_fail(l, "%s", msg);
        return NULL;
    }
    a->n_scratch = ecg_sparse_scratch_floats(a->s, rows);
    if (!(a->scratch = ecg_lower_alloc(l, a->n_scratch * sizeof(float)))) return NULL;
    a->x = l->in[0];
    a->y = l->out;
    a->rows = rows;
    a->in = (size_t)in;
    a->out = (size_t)out;
    a->isa = ecg_isa_best();
    return a;
}

int ecg_lower_sparse_maybe(ecg_lower *l, xnn_operator_t dense, const float *w, const float *bias, int out, int in,
                           size_t rows) {
    unsigned f = ecg_xnn_flags(l->x);
    if (!(f & (ECG_XNN_SPARSE | ECG_XNN_SPARSE_ALWAYS))) return 0;
    sparse_arg *a = plan(l, w, bias, out, in, rows);
    if (!a) return -1;
    if (!(f & ECG_XNN_SPARSE_ALWAYS)) {
        double td, ts;
        if (time_both(dense, a, l->tp, &td, &ts))
            return ecg_lower_fail(l, "xnn_run_operator failed while timing the dense candidate");
        l->stats->n_sparse_timed++;
        /* The losing candidate's packed weights stay in executor memory until it is freed:
         * a few KB per layer, once, rather than packing twice. */
        if (ts >= td) return 0;
    }
    if (ecg_lower_fn(l, sparse_kernel, a)) return -1;
    l->stats->n_sparse++;
    return 1;
}
