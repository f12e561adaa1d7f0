/* Lowers a 1x1 conv1d (stride 1, no padding, groups 1) or a linear over few rows onto our dense
 * small-row kernel (ops/small_gemm.c) instead of XNNPACK's operator, where the kernel reads the
 * weights fewer times. XNNPACK (the Feb 2022 snapshot Debian ships) computes 7 rows per pass over
 * the weights on AVX-512 (its 7x16 f32 GEMM), ours 8: at 8 rows that is one pass against two.
 * Measured on the 2-core EPYC, 1 thread (320 -> 1280, 1152 -> 192, 192 -> 1152, 112 -> 672): the
 * kernel is 1.1-1.9x faster at 8, 16, 24 and 32 rows and 0.5-0.9x at 1, 7 and 14, where the passes
 * are equal; past 32 rows an extra pass matters less. A rule, not a timing at create time: timing
 * on a busy machine picked differently from run to run, and b0's latency moved 18% with it.
 * The kernel adds in the same order as XNNPACK's (bias, then each input channel by FMA), so the
 * choice does not change results: a test checks they are the same bits. */
#include "isa.h"
#include "small_gemm.h"
#include "xnn_lower.h"

#define SMALL_MAX_ROWS 32
#define XNN_ROWS_PER_PASS 7

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

static size_t passes(size_t rows, size_t per_pass) { return (rows + per_pass - 1) / per_pass; }

int ecg_lower_small_maybe(ecg_lower *l, const float *w, const float *bias, int out, int in, size_t rows) {
    unsigned f = ecg_xnn_flags(l->x);
    int fewer = passes(rows, ECG_SMALL_ROWS_PER_PASS) < passes(rows, XNN_ROWS_PER_PASS);
    if ((f & ECG_XNN_NO_SMALL) ||
        (!(f & ECG_XNN_SMALL_ALWAYS) && (rows > SMALL_MAX_ROWS || !fewer || ecg_isa_best() != ECG_ISA_AVX512)))
        return 0;
    small_arg *a = ecg_lower_alloc(l, sizeof *a);
    float *packed = a ? ecg_lower_alloc(l, ecg_small_w_floats(out, in) * sizeof(float)) : NULL;
    if (!packed) return -1;
    ecg_small_w_pack(packed, w, bias, out, in);
    *a = (small_arg){packed, l->in[0], l->out, rows, out, in, ecg_lower_out_min(l), ecg_isa_best()};
    if (ecg_lower_fn(l, small_kernel, a)) return -1;
    l->stats->n_small++;
    return 1;
}
