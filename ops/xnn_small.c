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
#include <string.h>

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
    int gemv; /* one row on AVX-512: the one-row path and its own packing */
} small_arg;

static void small_kernel(void *p, pthreadpool_t tp) {
    const small_arg *a = p;
    /* arguments were checked when the step was planned; nothing can fail here */
    if (a->gemv) (void)ecg_small_gemv(a->wp, a->out, a->in, a->x, a->y, a->lo, tp);
    else (void)ecg_small_gemm(a->wp, a->out, a->in, a->x, a->rows, a->y, a->lo, tp, a->isa);
}

static size_t passes(size_t rows, size_t per_pass) { return (rows + per_pass - 1) / per_pass; }

/* One row (batch 1 linears): the kernel's one-row path runs 8 chains of FMAs where XNNPACK runs
 * one, measured 1.26-1.41x faster from 64 inputs and 3 panels of outputs up (1152 -> 48,
 * 128 -> 512, 320 -> 1280) and 0.6-0.8x below (48 -> 1152, 28 -> 672, 672 -> 28, 1280 -> 5). */
#define GEMV_MIN_IN 64
#define GEMV_MIN_OUT 48

/* The rule (or the flags) that picks the kernel for a layer of `rows` rows, `in` inputs, `out` outputs. */
static int small_wanted(const ecg_lower *l, size_t rows, int in, int out) {
    unsigned f = ecg_xnn_flags(l->x);
    int fewer = passes(rows, ECG_SMALL_ROWS_PER_PASS) < passes(rows, XNN_ROWS_PER_PASS);
    int gemv = rows == 1 && in >= GEMV_MIN_IN && out >= GEMV_MIN_OUT;
    return !(f & ECG_XNN_NO_SMALL) && ((f & ECG_XNN_SMALL_ALWAYS) || ((gemv || (rows <= SMALL_MAX_ROWS && fewer)) &&
                                                                      ecg_isa_best() == ECG_ISA_AVX512));
}

/* The kernel's arguments with W packed, reading x; NULL when out of memory. */
static small_arg *small_setup(ecg_lower *l, const float *w, const float *bias, int out, int in, const float *x,
                              size_t rows) {
    int gemv = rows == 1 && ecg_isa_best() == ECG_ISA_AVX512;
    small_arg *a = ecg_lower_alloc(l, sizeof *a);
    size_t floats = gemv ? ecg_small_gemv_w_floats(out, in) : ecg_small_w_floats(out, in);
    float *packed = a ? ecg_lower_alloc(l, floats * sizeof(float)) : NULL;
    if (!packed) return NULL;
    if (gemv) ecg_small_gemv_w_pack(packed, w, bias, out, in);
    else ecg_small_w_pack(packed, w, bias, out, in);
    *a = (small_arg){packed, x, l->out, rows, out, in, ecg_lower_out_min(l), ecg_isa_best(), gemv};
    return a;
}

int ecg_lower_small_maybe(ecg_lower *l, const float *w, const float *bias, int out, int in, size_t rows) {
    if (!small_wanted(l, rows, in, out)) return 0;
    small_arg *a = small_setup(l, w, bias, out, in, l->in[0], rows);
    if (!a || ecg_lower_fn(l, small_kernel, a)) return -1;
    l->stats->n_small++;
    return 1;
}

/* A conv with taps > 1 (any stride, dilation, padding; groups 1) over few output rows: the rows'
 * input windows laid out one after another (im2col: row r = (sample, t) holds x[t * stride +
 * j * dilation - pad_left] for taps j, channels inner, zeros outside the signal), then the same
 * kernel over in = taps * channels. XNNPACK's convolution adds tap by tap, channel by channel,
 * from the bias, reading zeros for the padding: the same order, so the same bits. */
typedef struct {
    small_arg gemm;
    const float *x;    /* [batch, t_in, cin] */
    float *cols;       /* [rows, taps * cin] */
    int batch, t_in, t_out, cin, taps, stride, dilation, pad_left;
} small_conv_arg;

static void small_conv_kernel(void *p, pthreadpool_t tp) {
    const small_conv_arg *a = p;
    size_t width = (size_t)a->taps * (size_t)a->cin;
    for (int b = 0; b < a->batch; b++)
        for (int t = 0; t < a->t_out; t++) {
            float *row = a->cols + ((size_t)b * (size_t)a->t_out + (size_t)t) * width;
            for (int j = 0; j < a->taps; j++) {
                int at = t * a->stride + j * a->dilation - a->pad_left;
                float *dst = row + (size_t)j * (size_t)a->cin;
                if (at < 0 || at >= a->t_in) memset(dst, 0, (size_t)a->cin * sizeof(float));
                else memcpy(dst, a->x + ((size_t)b * (size_t)a->t_in + (size_t)at) * (size_t)a->cin,
                            (size_t)a->cin * sizeof(float));
            }
        }
    small_kernel((void *)&a->gemm, tp);
}

int ecg_lower_small_conv_maybe(ecg_lower *l, const float *w, const float *bias, int out, int taps, int cin) {
    const ecg_attrs *at = &l->n->a;
    int t_out = (int)l->out_shape.d[0];
    size_t rows = (size_t)l->batch * (size_t)t_out, in = (size_t)taps * (size_t)cin;
    if (!small_wanted(l, rows, (int)in, out)) return 0;
    small_conv_arg *a = ecg_lower_alloc(l, sizeof *a);
    float *cols = a ? ecg_lower_alloc(l, rows * in * sizeof(float)) : NULL;
    small_arg *g = cols ? small_setup(l, w, bias, out, (int)in, cols, rows) : NULL;
    if (!g) return -1;
    *a = (small_conv_arg){*g, l->in[0], cols, l->batch, (int)l->in_shape[0].d[0], t_out, cin, taps,
                          at->stride, at->dilation, at->pad_left};
    if (ecg_lower_fn(l, small_conv_kernel, a)) return -1;
    l->stats->n_small++;
    return 1;
}
