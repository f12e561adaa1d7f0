/* Own dense kernel for 1x1 convolutions and linears over few rows (batch 1, short T):
 * Y[rows, out] = max(X[rows, in] W^T + bias, lo), W [out, in].
 *
 * Why. XNNPACK's f32 GEMM (Feb 2022) works in tiles of 7 rows on AVX-512 and reads all of W once
 * per tile, so 8 rows cost two full passes over the weights, the second for one row: on the
 * 2-core EPYC a 320 -> 1280 layer takes 28 us for 1 to 7 rows and 56 us for 8 to 14. At batch 1
 * the late EfficientECG-B0 stages run at T = 8 and 16 with MBs of weights, so those layers are
 * bound by reading W. Here W is packed once into panels of 16 outputs, [panel][in][16], and each
 * panel is read once per 8 rows: 8 broadcast FMAs per 16 weights loaded. The executor uses it
 * where that means fewer passes over the weights than XNNPACK's (ops/xnn_small.c). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <pthreadpool.h>

#include "isa.h"
#include "small_gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ECG_X86 1
#endif

#define NR 16 /* outputs per panel */
#define MR ECG_SMALL_ROWS_PER_PASS /* rows per pass over a panel */
#define PREFETCH_FLOATS 4096
#define GEMV_PANELS 8 /* panels side by side in the one-row path */
#define GEMV_GROUP (GEMV_PANELS * NR)

static size_t panels(int out) { return ((size_t)out + NR - 1) / NR; }

size_t ecg_small_w_floats(int out, int in) {
    return out < 1 || in < 1 ? 0 : panels(out) * NR * ((size_t)in + 1);
}

void ecg_small_w_pack(float *dst, const float *w, const float *bias, int out, int in) {
    size_t np = panels(out), n = ecg_small_w_floats(out, in);
    memset(dst, 0, n * sizeof *dst);
    for (size_t p = 0; p < np; p++) {
        float *panel = dst + p * NR * ((size_t)in + 1); /* bias row first, then in rows of NR */
        for (size_t j = 0; j < NR && p * NR + j < (size_t)out; j++) {
            size_t o = p * NR + j;
            panel[j] = bias ? bias[o] : 0.0f;
            for (size_t i = 0; i < (size_t)in; i++) panel[NR + i * NR + j] = w[o * (size_t)in + i];
        }
    }
}

typedef struct {
    const float *wp, *x;
    float *y;
    size_t rows, in, out, chunks;
    float lo;
    ecg_isa isa;
} small_ctx;

typedef struct {
    const float *wp, *x;
    float *y;
    int in, out;
    float lo;
} gemv_ctx;

/* ---------------------------------------------------------------- portable path */
static void panel_scalar(const small_ctx *c, const float *panel, size_t r0, size_t nr, size_t o0, size_t no) {
    for (size_t r = r0; r < r0 + nr; r++)
        for (size_t j = 0; j < no; j++) {
            float acc = panel[j];
            for (size_t i = 0; i < c->in; i++) acc += c->x[r * c->in + i] * panel[NR + i * NR + j];
            c->y[r * c->out + o0 + j] = c->lo > -INFINITY && !(acc > c->lo) ? c->lo : acc;
        }
}

#ifdef ECG_X86
/* ---------------------------------------------------------------- AVX-512: one zmm per row */
#define AVX512_FN __attribute__((target("avx512f,avx2,fma")))
AVX512_FN static void panel_avx512(const small_ctx *c, const float *panel, size_t r0, size_t nr, size_t o0,
                                   size_t no) {
    const float *xr[MR];
    __m512 acc[MR];
    for (size_t r = 0; r < MR; r++) {
        /* rows past the last repeat it: wasted FMAs, no extra weight traffic, nothing stored */
        xr[r] = c->x + (r0 + (r < nr ? r : nr - 1)) * c->in;
        acc[r] = _mm512_loadu_ps(panel);
    }
    const float *w = panel + NR;
    for (size_t i = 0; i < c->in; i++, w += NR) {
        __m512 wv = _mm512_loadu_ps(w);
        /* One weight line per step and nothing else: the hardware prefetcher alone leaves a
         * single core far below memory bandwidth on W streamed from DRAM. 16 KB ahead (past the
         * panel's end that is the next panel, where the next task reads; past the buffer a
         * prefetch is harmless, and the address is formed as an integer so C allows it) took
         * ResNet1D-18 on beats from 2.2-2.4 to 1.30-1.36 ms and EfficientECG-B0 from 0.86-0.91
         * to 0.66-0.69 ms (1 thread; 4 and 8 KB ahead less, 32 and 64 KB or into L2 only less). */
        _mm_prefetch((const char *)((uintptr_t)w + PREFETCH_FLOATS * sizeof(float)), _MM_HINT_T0);
#pragma GCC unroll 8
        for (size_t r = 0; r < MR; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(xr[r][i]), wv, acc[r]);
    }
    __mmask16 mask = no >= NR ? (__mmask16)0xffff : (__mmask16)((1u << no) - 1);
    __m512 lo = _mm512_set1_ps(c->lo);
    for (size_t r = 0; r < nr; r++) {
        /* max(NaN, lo) would be lo: clamp only where a ReLU asked for it, as XNNPACK's bound does */
        __m512 v = c->lo > -INFINITY ? _mm512_max_ps(acc[r], lo) : acc[r];
        _mm512_mask_storeu_ps(c->y + (r0 + r) * c->out + o0, mask, v);
    }
}

/* One row (a GEMV: the LSTM's recurrent product, a linear at batch 1). One panel at a time would be
 * a single chain of dependent FMAs, bound by their latency (XNNPACK's one-row kernel: 2.7 us for
 * 128 -> 512 on the EPYC, 24 GFLOP/s), so 8 panels run side by side, each still summed from its
 * bias in input order (the same bits). Their weights are interleaved, [group][in + 1][8 x 16],
 * so the 8 chains read one contiguous stream: 1.6 us there, against 1.9 with 8 separate panels. */
AVX512_FN static void gemv_group(const gemv_ctx *c, size_t g) {
    const float *w = c->wp + g * GEMV_GROUP * ((size_t)c->in + 1);
    __m512 acc[GEMV_PANELS];
    for (size_t j = 0; j < GEMV_PANELS; j++) acc[j] = _mm512_loadu_ps(w + j * NR);
    w += GEMV_GROUP;
    for (size_t i = 0; i < (size_t)c->in; i++, w += GEMV_GROUP) {
        __m512 xv = _mm512_set1_ps(c->x[i]);
#pragma GCC unroll 8
        for (size_t j = 0; j < GEMV_PANELS; j++) acc[j] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(w + j * NR), acc[j]);
    }
    __m512 lo = _mm512_set1_ps(c->lo);
    for (size_t j = 0; j < GEMV_PANELS; j++) {
        size_t o0 = g * GEMV_GROUP + j * NR;
        if (o0 >= (size_t)c->out) break;
        size_t no = (size_t)c->out - o0 < NR ? (size_t)c->out - o0 : NR;
        __mmask16 mask = no >= NR ? (__mmask16)0xffff : (__mmask16)((1u << no) - 1);
        /* max(NaN, lo) would be lo: clamp only where a ReLU asked for it */
        _mm512_mask_storeu_ps(c->y + o0, mask, c->lo > -INFINITY ? _mm512_max_ps(acc[j], lo) : acc[j]);
    }
}

static void gemv_task(void *p, size_t g) { gemv_group(p, g); }
#endif

/* Task t: panel t / chunks over rows chunk t % chunks. */
static void task(void *p, size_t t) {
    const small_ctx *c = p;
    size_t pi = t / c->chunks, r0 = (t % c->chunks) * MR, o0 = pi * NR;
    size_t nr = c->rows - r0 < MR ? c->rows - r0 : MR, no = c->out - o0 < NR ? c->out - o0 : NR;
    const float *panel = c->wp + pi * NR * (c->in + 1);
#ifdef ECG_X86
    if (c->isa == ECG_ISA_AVX512) {
        panel_avx512(c, panel, r0, nr, o0, no);
        return;
    }
#endif
    panel_scalar(c, panel, r0, nr, o0, no);
}

int ecg_small_gemm(const float *wp, int out, int in, const float *x, size_t rows, float *y, float lo,
                   struct pthreadpool *tp, ecg_isa isa) {
    if (!wp || !x || !y || out < 1 || in < 1 || !ecg_isa_supported(isa)) return -1;
    if (!rows) return 0;
    small_ctx c = {.wp = wp, .x = x, .y = y, .rows = rows, .in = (size_t)in, .out = (size_t)out,
                   .chunks = (rows + MR - 1) / MR, .lo = lo, .isa = isa};
    pthreadpool_parallelize_1d(tp, task, &c, panels(out) * c.chunks, 0);
    return 0;
}

size_t ecg_small_gemv_w_floats(int out, int in) {
    return out < 1 || in < 1 ? 0 : ((size_t)out + GEMV_GROUP - 1) / GEMV_GROUP * GEMV_GROUP * ((size_t)in + 1);
}

void ecg_small_gemv_w_pack(float *dst, const float *w, const float *bias, int out, int in) {
    memset(dst, 0, ecg_small_gemv_w_floats(out, in) * sizeof *dst);
    for (size_t o = 0; o < (size_t)out; o++) {
        float *group = dst + o / GEMV_GROUP * GEMV_GROUP * ((size_t)in + 1); /* bias row first */
        size_t col = o % GEMV_GROUP;
        group[col] = bias ? bias[o] : 0.0f;
        for (size_t i = 0; i < (size_t)in; i++) group[(i + 1) * GEMV_GROUP + col] = w[o * (size_t)in + i];
    }
}

int ecg_small_gemv(const float *wp, int out, int in, const float *x, float *y, float lo, struct pthreadpool *tp) {
    if (!wp || !x || !y || out < 1 || in < 1 || !ecg_isa_supported(ECG_ISA_AVX512)) return -1;
#ifdef ECG_X86
    gemv_ctx c = {.wp = wp, .x = x, .y = y, .in = in, .out = out, .lo = lo};
    pthreadpool_parallelize_1d(tp, gemv_task, &c, ((size_t)out + GEMV_GROUP - 1) / GEMV_GROUP, 0);
    return 0;
#else
    (void)tp, (void)lo;
    return -1;
#endif
}
