/* Lowers a 1x1 conv1d (stride 1, no padding, groups 1) or a linear over few rows onto our dense
 * small-row kernel (ops/small_gemm.c) instead of XNNPACK's operator, per layer, where it is
 * faster on this machine: both are timed at create time. Only offered on AVX-512 (the kernel's
 * fast path) and up to SMALL_MAX_ROWS rows (batch x T), past which XNNPACK's extra pass over the
 * weights costs little. The kernel adds in the same order as XNNPACK's (bias, then each input
 * channel by FMA), so the choice does not change results: a test checks they are bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xnn_lower.h"

#define SMALL_MAX_ROWS 32

typedef struct {
    const float *wp, *x;
    float *y;
    size_t rows;
    int out, in;
    float lo;
    ecg_isa isa;
} small_arg;

static void small_kernel(void *p, pthreadpool_t tp) {
    const small_arg *a = p;
    /* arguments were checked when the step was planned; nothing can fail here */
    (void)ecg_small_gemm(a->wp, a->out, a->in, a->x, a->rows, a->y, a->lo, tp, a->isa);
}

int ecg_lower_small_maybe(ecg_lower *l, xnn_operator_t dense, const float *w, const float *bias, int out, int in,
                          size_t rows) {
    unsigned f = ecg_xnn_flags(l->x);
    int forced = (f & ECG_XNN_SMALL_ALWAYS) != 0;
    if ((f & ECG_XNN_NO_SMALL) || (!forced && (rows > SMALL_MAX_ROWS || ecg_isa_best() != ECG_ISA_AVX512)))
        return 0;
    size_t bytes = ecg_small_w_floats(out, in) * sizeof(float);
    /* packed outside the executor until it wins, so a losing layer holds no second copy of W */
    float *packed = malloc(bytes ? bytes : 1);
    small_arg *a = packed ? ecg_lower_alloc(l, sizeof *a) : NULL;
    if (!a) {
        free(packed);
        return packed ? -1 : ecg_lower_fail(l, "out of memory packing %d x %d weights", out, in);
    }
    ecg_small_w_pack(packed, w, bias, out, in);
    *a = (small_arg){packed, l->in[0], l->out, rows, out, in, l->n->a.fused_relu ? 0.0f : -INFINITY, ecg_isa_best()};
    if (!forced) {
        double t_dense, t_small;
        if (ecg_lower_time_pair(dense, small_kernel, a, l->tp, &t_dense, &t_small)) {
            free(packed);
            return ecg_lower_fail(l, "xnn_run_operator failed while timing the dense candidate");
        }
        l->stats->n_small_timed++;
        if (t_small >= t_dense) {
            free(packed);
            return 0;
        }
    }
    float *kept = ecg_lower_alloc(l, bytes);
    if (kept) memcpy(kept, packed, bytes);
    free(packed);
    if (!kept) return -1;
    a->wp = kept;
    if (ecg_lower_fn(l, small_kernel, a)) return -1;
    l->stats->n_small++;
    return 1;
}
