/* Dense stride-1 conv1d over many rows by Winograd F(m, r) (ops/winograd.h): each tile of m
 * outputs takes n = 8 multiplications per input channel and output channel instead of m * r,
 * 2.25x fewer for 3 taps (m = 6), 2.5x for 5 (m = 4), 2.2x for 7 (below). Per pass over a chunk
 * of tiles:
 *   V[xi] = BT d          input transform, n matrices [chunk, cin]   (our loop)
 *   M[xi] = V[xi] U[xi]^T  n GEMMs, U[xi] = G w transformed once      (XNNPACK fully-connected)
 *   y     = AT M + bias   output transform, ReLU clamp                (our loop)
 * Why. The ResNets' dense convs already run at 67-70% of the core's peak on XNNPACK's GEMM, close
 * to the 77-79% of ONNX Runtime's, so fewer multiplications are the only way to be clearly faster.
 * Filters of 7 or more taps are cut into P parts of r taps (7 and 8 taps: 2 of 4, m = 5), whose
 * tiles share the output positions: the parts' inputs sit side by side in V (P * cin columns,
 * part p read r * p samples later), so one GEMM per point sums them: 3.2 products per output
 * instead of 8 for 8 taps, and instead of F(2, 7)'s 4 for 7.
 * Chunks keep V and M in the L2 cache between the three steps. Few rows stay on the direct
 * convolution: there the layer is bound by reading its weights, and U is n/r times W's size.
 * The result differs from a direct convolution's by rounding only: about 1e-6 of the output's
 * scale at n = 8 (tests/test_winograd.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "winograd.h"
#include "xnn_lower.h"

#define N ECG_WINOGRAD_N
/* Where it pays, measured on the 2-core EPYC at 1 thread (cin = cout, against XNNPACK's direct
 * convolution or our small-row kernel, whichever the executor would take): 1.3-1.8x at 128 and more
 * channels; at 64 channels 1.0-1.16x for 3 and 5 taps (0.93-1.04x for 7 when it was one part,
 * F(2, 7)); 0.25-0.56x at 16 and 32. Over 8 tiles the small-row kernel is 1.1x faster (512 and
 * 256 channels, 7 taps, 16 rows), over 12 Winograd is 1.26x. */
#define MIN_CHANNELS 64
#define MIN_TILES 12
/* V and M of one chunk together fit in this many bytes (a 1 MB L2), unless that is fewer than
 * MIN_CHUNK tiles: each pass reads all of U, parts * n / r times W's size (16 MB for resnet1d-18's
 * 512-channel layers), so passes must not be short: 112 tiles rather than 56 took those layers
 * from 5.0-5.2 to 4.3-4.4 ms on a 30 s record. */
#define CHUNK_BYTES (1024u * 1024u)
#define XNN_GEMM_ROWS 7 /* XNNPACK's f32 GEMM tile on AVX-512: chunks are multiples of it */
#define MIN_CHUNK (16 * XNN_GEMM_ROWS)

typedef struct {
    const float *x, *bias;
    float *y, *v, *mo;
    xnn_operator_t gemm[N];
    float at[N * N], bt[N * N]; /* at [m, n], bt [n, n] */
    int m, r, parts, t_in, t_out, cin, cout, pad_left; /* r taps in each of `parts` parts */
    size_t tiles_per_sample, tiles, chunk, chunk0; /* chunk0: first tile of the pass being run */
    float lo;
} wino_arg;

/* V[xi][row][part] = sum_i BT[xi][i] d_i for the tile `row` of the chunk, d read r * part samples
 * later for each part; inputs outside the signal (padding) are zeros and skipped. */
static void input_tile(void *p, size_t row) {
    const wino_arg *a = p;
    size_t q = a->chunk0 + row, cin = (size_t)a->cin, kin = (size_t)a->parts * cin;
    if (q >= a->tiles) return; /* the last chunk's spare rows: computed, never stored */
    size_t b = q / a->tiles_per_sample;
    int t0 = (int)(q % a->tiles_per_sample) * a->m - a->pad_left;
    for (int part = 0; part < a->parts; part++, t0 += a->r) {
        const float *d[N];
        for (int i = 0; i < N; i++) {
            int at = t0 + i;
            d[i] = at >= 0 && at < a->t_in ? a->x + (b * (size_t)a->t_in + (size_t)at) * cin : NULL;
        }
        for (int xi = 0; xi < N; xi++) {
            float *restrict dst = a->v + ((size_t)xi * a->chunk + row) * kin + (size_t)part * cin;
            memset(dst, 0, cin * sizeof *dst);
            for (int i = 0; i < N; i++) {
                float c = a->bt[xi * N + i];
                if (c == 0 || !d[i]) continue;
                const float *restrict src = d[i];
                for (size_t k = 0; k < cin; k++) dst[k] += c * src[k];
            }
        }
    }
}

/* y rows of tile `row` = bias + sum_xi AT[j][xi] M[xi][row], clamped at lo (a folded ReLU). */
static void output_tile(void *p, size_t row) {
    const wino_arg *a = p;
    size_t q = a->chunk0 + row, cout = (size_t)a->cout;
    if (q >= a->tiles) return;
    size_t b = q / a->tiles_per_sample;
    int t0 = (int)(q % a->tiles_per_sample) * a->m;
    for (int j = 0; j < a->m && t0 + j < a->t_out; j++) {
        float *restrict dst = a->y + (b * (size_t)a->t_out + (size_t)(t0 + j)) * cout;
        if (a->bias) memcpy(dst, a->bias, cout * sizeof *dst);
        else memset(dst, 0, cout * sizeof *dst);
        for (int xi = 0; xi < N; xi++) {
            float c = a->at[j * N + xi];
            if (c == 0) continue;
            const float *restrict src = a->mo + ((size_t)xi * a->chunk + row) * cout;
            for (size_t k = 0; k < cout; k++) dst[k] += c * src[k];
        }
        /* max(NaN, lo) would be lo: clamp only where a ReLU asked for it */
        if (a->lo > -INFINITY)
            for (size_t k = 0; k < cout; k++) dst[k] = dst[k] > a->lo ? dst[k] : a->lo;
    }
}

static void wino_kernel(void *p, pthreadpool_t tp) {
    wino_arg *a = p;
    for (a->chunk0 = 0; a->chunk0 < a->tiles; a->chunk0 += a->chunk) {
        pthreadpool_parallelize_1d(tp, input_tile, a, a->chunk, 0);
        /* set up at plan time on fixed buffers; nothing can fail here */
        for (int xi = 0; xi < N; xi++) (void)xnn_run_operator(a->gemm[xi], tp);
        pthreadpool_parallelize_1d(tp, output_tile, a, a->chunk, 0);
    }
}

/* Tiles per pass: V and M within CHUNK_BYTES, a multiple of XNNPACK's GEMM tile, and the passes
 * as even as possible so the last one does not run mostly spare rows. */
static size_t chunk_tiles(size_t tiles, int cin, int cout) {
    size_t fit = CHUNK_BYTES / ((size_t)N * (size_t)(cin + cout) * sizeof(float));
    fit = fit < MIN_CHUNK ? MIN_CHUNK : fit / XNN_GEMM_ROWS * XNN_GEMM_ROWS;
    size_t passes = (tiles + fit - 1) / fit, per = (tiles + passes - 1) / passes;
    return (per + XNN_GEMM_ROWS - 1) / XNN_GEMM_ROWS * XNN_GEMM_ROWS;
}

/* U[xi] [cout, parts * cin]: column part * cin + c is sum_t G[xi][t] w[:, c, part * r + t] for w in
 * PyTorch's layout [cout, cin, k]; taps past k (the last part's padding) are zeros. */
static void transform_weights(float *u, const float *w, const double *g, const wino_arg *a, int k) {
    size_t cin = (size_t)a->cin, kin = (size_t)a->parts * cin;
    for (int xi = 0; xi < N; xi++)
        for (size_t o = 0; o < (size_t)a->cout; o++)
            for (int part = 0; part < a->parts; part++)
                for (size_t c = 0; c < cin; c++) {
                    double s = 0;
                    for (int t = 0; t < a->r && part * a->r + t < k; t++)
                        s += g[xi * a->r + t] * w[(o * cin + c) * (size_t)k + (size_t)(part * a->r + t)];
                    u[((size_t)xi * (size_t)a->cout + o) * kin + (size_t)part * cin + c] = (float)s;
                }
}

int ecg_lower_winograd_maybe(ecg_lower *l, const float *w, const float *bias) {
    const ecg_attrs *at = &l->n->a;
    int cin = (int)l->in_shape[0].d[1], cout = at->out_features, k = at->kernel;
    int parts = ecg_winograd_parts(k), r = parts ? (k + parts - 1) / parts : 0, m = ecg_winograd_tile(r);
    int t_out = (int)l->out_shape.d[0];
    size_t tiles_per_sample = m ? ((size_t)t_out + (size_t)m - 1) / (size_t)m : 0;
    size_t tiles = (size_t)l->batch * tiles_per_sample;
    if ((ecg_xnn_flags(l->x) & ECG_XNN_NO_WINOGRAD) || !m || at->groups != 1 || at->stride != 1 ||
        at->dilation != 1 || cin < MIN_CHANNELS || cout < MIN_CHANNELS || tiles < MIN_TILES)
        return 0;
    double atd[N * N], g[N * N], btd[N * N];
    if (ecg_winograd_matrices(m, r, atd, g, btd)) return ecg_lower_fail(l, "no Winograd transform for %d taps", r);
    wino_arg *a = ecg_lower_alloc(l, sizeof *a);
    if (!a) return ecg_lower_fail(l, "out of memory");
    size_t kin = (size_t)parts * (size_t)cin, chunk = chunk_tiles(tiles, (int)kin, cout);
    *a = (wino_arg){.x = l->in[0], .bias = bias, .y = l->out, .m = m, .r = r, .parts = parts,
                    .t_in = (int)l->in_shape[0].d[0], .t_out = t_out, .cin = cin, .cout = cout,
                    .pad_left = at->pad_left, .tiles_per_sample = tiles_per_sample, .tiles = tiles, .chunk = chunk,
                    .lo = ecg_lower_out_min(l)};
    for (int i = 0; i < m * N; i++) a->at[i] = (float)atd[i];
    for (int i = 0; i < N * N; i++) a->bt[i] = (float)btd[i];
    a->v = ecg_lower_alloc(l, (size_t)N * chunk * kin * sizeof(float));
    a->mo = ecg_lower_alloc(l, (size_t)N * chunk * (size_t)cout * sizeof(float));
    float *u = malloc((size_t)N * (size_t)cout * kin * sizeof(float));
    if (!a->v || !a->mo || !u) {
        free(u);
        return ecg_lower_fail(l, "out of memory");
    }
    transform_weights(u, w, g, a, k);
    for (int xi = 0; xi < N; xi++) /* XNNPACK packs U at create time: u is free to go after the loop */
        if (ecg_lower_create_fc(l, kin, (size_t)cout, u + (size_t)xi * (size_t)cout * kin, NULL, -INFINITY, chunk,
                                a->v + (size_t)xi * chunk * kin, a->mo + (size_t)xi * chunk * (size_t)cout,
                                &a->gemm[xi]) ||
            ecg_lower_hold_op(l, a->gemm[xi])) {
            free(u);
            return -1;
        }
    free(u);
    if (ecg_lower_fn(l, wino_kernel, a)) return -1;
    l->stats->n_winograd++;
    return 1;
}
