/* Lowers a 1x1 conv1d (stride 1, no padding, groups 1) or a linear onto our sparse kernel
 * (ops/sparse_gemm.c) instead of XNNPACK's dense operator, per layer, only where it is faster.
 *
 * The choice is made by timing, not by a density threshold: with ECG_XNN_SPARSE the executor
 * runs both candidates on the layer's real shape, buffers, batch and threadpool at create time and
 * keeps the faster (median of several samples, candidates alternated so load on the machine hits
 * both alike). ECG_XNN_SPARSE_ALWAYS skips the timing (deterministic, for tests and benchmarks). */
#include <stdlib.h>
#include <string.h>

#include "xnn_lower.h"

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
        if (ecg_lower_time_pair(dense, sparse_kernel, a, l->tp, &td, &ts))
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
