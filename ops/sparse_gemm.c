/* Own sparse kernel for 1x1 convolutions and linears: Y[rows, out] = X[rows, in] W^T + bias,
 * W [out, in] pruned (unstructured). XNNPACK's sparse path never applies to our 1D nets on x86.
 *
 * Why this shape of kernel. Activations are channels last, so one output channel needs a strided
 * gather over rows. Instead each tile of MR rows of X is transposed once into scratch [in][MR];
 * then every nonzero W[o, i] is one broadcast FMA over MR rows (Xt[i] is MR contiguous floats),
 * as in XNNPACK's own CHW SpMM. The accumulators (8 output channels x MR rows) are transposed back
 * in registers and stored as MR rows of 8 contiguous outputs.
 *
 * Why this format (sliced ELLPACK for the common part, CSR for the rest). Outputs go in groups of
 * 8. The first m nonzeros of every output of a group, m = the shortest list in the group, are
 * stored interleaved (entry k of all 8 outputs together): one loop step is 8 independent FMA
 * chains. The rest of each output's list (its tail) is a plain CSR list. Measured on this
 * project's 2-core AVX-512 machine, 1 thread (rows 8, 96->576 and 576->96; rows 16, 240->40;
 * rows 32, 24->144; 70-95% sparsity): per-output CSR alone is up to 2x slower where lists are long
 * (576->96: one dependent chain per output), padding every list to the group's longest (plain
 * SELL-8) pads 15-150% zeros and was up to 40% slower than CSR where lists are short; this mix
 * pads nothing, matches SELL-8 on long lists and is 0-15% behind CSR on the shortest. Row-wise
 * 1xK blocks would not help: unstructured pruning rarely zeroes a whole block. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pthreadpool.h>

#include "isa.h"
#include "sparse_gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ECG_X86 1
#endif

#define G 8 /* output channels per slice group */

struct ecg_sparse_w {
    int out, in, groups;
    size_t nnz;           /* true nonzeros */
    size_t slices;        /* interleaved entries / G */
    size_t tail;          /* tail entries */
    const uint32_t *gptr; /* [groups + 1]: first slice of each group */
    const uint32_t *idx;  /* [slices * G]: input channel of entry j of slice k at k*G + j */
    const float *val;     /* [slices * G]: weight (0 only for the missing outputs of a last, partial group) */
    const uint32_t *tptr; /* [groups * G + 1]: tail entries of output o are tptr[o] .. tptr[o + 1] - 1 */
    const uint32_t *tidx; /* [tail] */
    const float *tval;    /* [tail] */
    const float *bias;    /* [groups * G], zeros past out */
};

static size_t align64(size_t n) { return (n + 63) / 64 * 64; }

static size_t row_nnz(const float *w, int in, int o) {
    size_t n = 0;
    for (int i = 0; i < in; i++) n += w[(size_t)o * (size_t)in + (size_t)i] != 0.0f;
    return n;
}

/* Shortest nonzero list among the outputs of group g: the interleaved part. */
static size_t group_common(const float *w, int out, int in, int g) {
    size_t best = SIZE_MAX;
    for (int o = g * G; o < out && o < (g + 1) * G; o++) {
        size_t n = row_nnz(w, in, o);
        if (n < best) best = n;
    }
    return best;
}

static size_t count_slices(const float *w, int out, int in) {
    size_t s = 0;
    for (int g = 0; g < (out + G - 1) / G; g++) s += group_common(w, out, in, g);
    return s;
}

static size_t count_nnz(const float *w, int out, int in) {
    size_t n = 0;
    for (int o = 0; o < out; o++) n += row_nnz(w, in, o);
    return n;
}

static size_t layout_bytes(int groups, size_t slices, size_t tail) {
    return align64(sizeof(ecg_sparse_w)) + align64((size_t)(groups + 1) * sizeof(uint32_t)) +
           2 * align64(slices * G * sizeof(float)) + align64(((size_t)groups * G + 1) * sizeof(uint32_t)) +
           2 * align64(tail * sizeof(float)) + align64((size_t)groups * G * sizeof(float));
}

size_t ecg_sparse_w_bytes(const float *w, int out, int in) {
    if (!w || out < 1 || in < 1) return 0;
    size_t slices = count_slices(w, out, in), nnz = count_nnz(w, out, in);
    /* a partial last group holds G - (out % G) missing outputs in its slices */
    size_t missing = (size_t)((G - out % G) % G) * group_common(w, out, in, (out - 1) / G);
    return layout_bytes((out + G - 1) / G, slices, nnz + missing - slices * G);
}

ecg_sparse_w *ecg_sparse_w_pack(void *mem, size_t bytes, const float *w, const float *bias, int out, int in,
                                char *err, size_t errlen) {
    if (!mem || !w || out < 1 || in < 1) {
        snprintf(err, errlen, "sparse weights: need weights and out, in >= 1 (got out %d, in %d)", out, in);
        return NULL;
    }
    if ((uintptr_t)mem % _Alignof(ecg_sparse_w)) {
        snprintf(err, errlen, "sparse weights: memory not aligned for the header");
        return NULL;
    }
    int groups = (out + G - 1) / G;
    size_t slices = count_slices(w, out, in), nnz = count_nnz(w, out, in);
    size_t missing = (size_t)((G - out % G) % G) * group_common(w, out, in, groups - 1);
    size_t tail = nnz + missing - slices * G, need = layout_bytes(groups, slices, tail);
    if (slices > UINT32_MAX / G || nnz > UINT32_MAX || (size_t)in > UINT32_MAX) {
        snprintf(err, errlen, "sparse weights: %d x %d is too large", out, in);
        return NULL;
    }
    if (bytes < need) {
        snprintf(err, errlen, "sparse weights: %zu bytes given, %zu needed (ecg_sparse_w_bytes)", bytes, need);
        return NULL;
    }
    memset(mem, 0, need);
    char *p = mem;
    ecg_sparse_w *s = mem;
    p += align64(sizeof *s);
    uint32_t *gptr = (uint32_t *)p;
    p += align64((size_t)(groups + 1) * sizeof(uint32_t));
    uint32_t *idx = (uint32_t *)p;
    p += align64(slices * G * sizeof(float));
    float *val = (float *)p;
    p += align64(slices * G * sizeof(float));
    uint32_t *tptr = (uint32_t *)p;
    p += align64(((size_t)groups * G + 1) * sizeof(uint32_t));
    uint32_t *tidx = (uint32_t *)p;
    p += align64(tail * sizeof(float));
    float *tval = (float *)p;
    p += align64(tail * sizeof(float));
    float *b = (float *)p;
    *s = (ecg_sparse_w){.out = out, .in = in, .groups = groups, .nnz = nnz, .slices = slices, .tail = tail,
                        .gptr = gptr, .idx = idx, .val = val, .tptr = tptr, .tidx = tidx, .tval = tval, .bias = b};
    size_t k0 = 0, t = 0;
    for (int g = 0; g < groups; g++) {
        size_t common = group_common(w, out, in, g);
        gptr[g] = (uint32_t)k0;
        for (int j = 0; j < G; j++) {
            int o = g * G + j;
            tptr[o] = (uint32_t)t;
            if (o >= out) continue; /* slice entries stay idx 0, weight 0 (memset) */
            size_t k = 0;
            for (int i = 0; i < in; i++) {
                float v = w[(size_t)o * (size_t)in + (size_t)i];
                if (v == 0.0f) continue;
                if (k < common) {
                    idx[(k0 + k) * G + (size_t)j] = (uint32_t)i;
                    val[(k0 + k) * G + (size_t)j] = v;
                } else {
                    tidx[t] = (uint32_t)i;
                    tval[t++] = v;
                }
                k++;
            }
            if (bias) b[o] = bias[o];
        }
        k0 += common;
    }
    gptr[groups] = (uint32_t)k0;
    tptr[groups * G] = (uint32_t)t;
    return s;
}

int ecg_sparse_w_out(const ecg_sparse_w *s) { return s->out; }
int ecg_sparse_w_in(const ecg_sparse_w *s) { return s->in; }
size_t ecg_sparse_w_nnz(const ecg_sparse_w *s) { return s->nnz; }
size_t ecg_sparse_w_padded(const ecg_sparse_w *s) { return s->slices * G + s->tail; }

/* The largest row tile of any path: scratch is sized for it. */
#define MR_MAX 16

size_t ecg_sparse_scratch_floats(const ecg_sparse_w *s, size_t rows) {
    return (rows + MR_MAX - 1) / MR_MAX * MR_MAX * (size_t)s->in;
}

/* ---------------------------------------------------------------- portable path, 8-row tiles */
static void pack_scalar(const float *x, size_t in, size_t nr, float *xt) {
    for (size_t i = 0; i < in; i++)
        for (size_t r = 0; r < 8; r++) xt[i * 8 + r] = r < nr ? x[r * in + i] : 0.0f;
}

/* Output groups [g0, g1) of one row tile, from its packed xt. */
static void tile_scalar(const ecg_sparse_w *s, const float *xt, size_t nr, float *y, int g0, int g1) {
    size_t out = (size_t)s->out;
    for (int g = g0; g < g1; g++) {
        float acc[G][8];
        for (int j = 0; j < G; j++)
            for (int r = 0; r < 8; r++) acc[j][r] = s->bias[g * G + j];
        for (uint32_t k = s->gptr[g]; k < s->gptr[g + 1]; k++)
            for (int j = 0; j < G; j++) {
                float v = s->val[(size_t)k * G + (size_t)j];
                const float *xi = xt + (size_t)s->idx[(size_t)k * G + (size_t)j] * 8;
                for (int r = 0; r < 8; r++) acc[j][r] += v * xi[r];
            }
        for (int j = 0; j < G; j++)
            for (uint32_t k = s->tptr[g * G + j]; k < s->tptr[g * G + j + 1]; k++) {
                const float *xi = xt + (size_t)s->tidx[k] * 8;
                for (int r = 0; r < 8; r++) acc[j][r] += s->tval[k] * xi[r];
            }
        size_t o0 = (size_t)g * G, no = out - o0 < G ? out - o0 : G;
        for (size_t r = 0; r < nr; r++)
            for (size_t j = 0; j < no; j++) y[r * out + o0 + j] = acc[j][r];
    }
}

#ifdef ECG_X86
/* ---------------------------------------------------------------- AVX2 + FMA, 8-row tiles */
#define AVX2_FN __attribute__((target("avx2,fma")))

AVX2_FN static inline void transpose8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Transposes nr <= 8 rows of x (row stride in) into xt[i * ld + r], zeros for rows >= nr. */
AVX2_FN static void pack8(const float *x, size_t in, size_t nr, float *xt, size_t ld) {
    size_t i = 0;
    for (; i + 8 <= in; i += 8) {
        __m256 r[8];
        for (size_t k = 0; k < 8; k++) r[k] = k < nr ? _mm256_loadu_ps(x + k * in + i) : _mm256_setzero_ps();
        transpose8(r);
        for (size_t k = 0; k < 8; k++) _mm256_storeu_ps(xt + (i + k) * ld, r[k]);
    }
    for (; i < in; i++)
        for (size_t k = 0; k < 8; k++) xt[i * ld + k] = k < nr ? x[k * in + i] : 0.0f;
}

/* Stores 8 transposed accumulators (outputs o0..o0+7 x rows) as nr rows of no outputs. */
AVX2_FN static void store8(__m256 *a, float *y, size_t out, size_t o0, size_t nr) {
    transpose8(a);
    size_t no = out - o0 < G ? out - o0 : G;
    if (no == G) {
        for (size_t r = 0; r < nr; r++) _mm256_storeu_ps(y + r * out + o0, a[r]);
    } else {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)no), lane);
        for (size_t r = 0; r < nr; r++) _mm256_maskstore_ps(y + r * out + o0, m, a[r]);
    }
}

#define FMA_STEP(FMA, SET1, LOAD, MR, j) \
    a[j] = FMA(SET1(v[j]), LOAD(xt + (size_t)id[j] * (MR)), a[j])

AVX2_FN static void tile_avx2(const ecg_sparse_w *s, const float *xt, size_t nr, float *y, int g0, int g1) {
    size_t out = (size_t)s->out;
    const uint32_t *tptr = s->tptr, *tidx = s->tidx;
    const float *tval = s->tval;
    for (int g = g0; g < g1; g++) {
        __m256 a[G];
        for (int j = 0; j < G; j++) a[j] = _mm256_set1_ps(s->bias[g * G + j]);
        for (uint32_t k = s->gptr[g]; k < s->gptr[g + 1]; k++) {
            const uint32_t *id = s->idx + (size_t)k * G;
            const float *v = s->val + (size_t)k * G;
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 0);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 1);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 2);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 3);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 4);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 5);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 6);
            FMA_STEP(_mm256_fmadd_ps, _mm256_set1_ps, _mm256_loadu_ps, 8, 7);
        }
        /* The rest of each output's list: short dependent chains, one output after another (the
         * out-of-order core overlaps them); kept in a local so the chain stays in a register. */
        for (int j = 0; j < G; j++) {
            __m256 acc = a[j];
            for (uint32_t k = tptr[g * G + j], e = tptr[g * G + j + 1]; k < e; k++)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(tval[k]), _mm256_loadu_ps(xt + (size_t)tidx[k] * 8), acc);
            a[j] = acc;
        }
        store8(a, y, out, (size_t)g * G, nr);
    }
}

/* ---------------------------------------------------------------- AVX-512, 16-row tiles */
#define AVX512_FN __attribute__((target("avx512f,avx2,fma")))

/* Tiles of 16 rows; a last tile of <= 8 rows is packed and run as an AVX2 tile (a half-empty zmm
 * tile would do the full work for half the rows). */
AVX512_FN static void pack_avx512(const float *x, size_t in, size_t nr, float *xt) {
    if (nr <= 8) {
        pack8(x, in, nr, xt, 8);
    } else {
        pack8(x, in, 8, xt, 16);
        pack8(x + 8 * in, in, nr - 8, xt + 8, 16);
    }
}

AVX512_FN static void tile_avx512(const ecg_sparse_w *s, const float *xt, size_t nr, float *y, int g0, int g1) {
    size_t out = (size_t)s->out;
    if (nr <= 8) {
        tile_avx2(s, xt, nr, y, g0, g1);
        return;
    }
    const uint32_t *tptr = s->tptr, *tidx = s->tidx;
    const float *tval = s->tval;
    for (int g = g0; g < g1; g++) {
        __m512 a[G];
        for (int j = 0; j < G; j++) a[j] = _mm512_set1_ps(s->bias[g * G + j]);
        for (uint32_t k = s->gptr[g]; k < s->gptr[g + 1]; k++) {
            const uint32_t *id = s->idx + (size_t)k * G;
            const float *v = s->val + (size_t)k * G;
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 0);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 1);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 2);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 3);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 4);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 5);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 6);
            FMA_STEP(_mm512_fmadd_ps, _mm512_set1_ps, _mm512_loadu_ps, 16, 7);
        }
        __m256 lo[G], hi[G];
        for (int j = 0; j < G; j++) {
            __m512 acc = a[j];
            for (uint32_t k = tptr[g * G + j], e = tptr[g * G + j + 1]; k < e; k++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(tval[k]), _mm512_loadu_ps(xt + (size_t)tidx[k] * 16), acc);
            lo[j] = _mm512_castps512_ps256(acc);
            hi[j] = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1));
        }
        store8(lo, y, out, (size_t)g * G, 8);
        store8(hi, y + 8 * out, out, (size_t)g * G, nr - 8);
    }
}
#endif

/* ---------------------------------------------------------------- driver */
typedef struct {
    const ecg_sparse_w *s;
    const float *x;
    float *y, *scratch;
    size_t rows, mr;
    ecg_isa isa;
} gemm_ctx;

static void pack_tile(const gemm_ctx *c, size_t t) {
    size_t r0 = t * c->mr, nr = c->rows - r0 < c->mr ? c->rows - r0 : c->mr, in = (size_t)c->s->in;
    const float *x = c->x + r0 * in;
    float *xt = c->scratch + r0 * in; /* each tile its own slice of the scratch */
    switch (c->isa) {
#ifdef ECG_X86
    case ECG_ISA_AVX512: pack_avx512(x, in, nr, xt); break;
    case ECG_ISA_AVX2: pack8(x, in, nr, xt, 8); break;
#endif
    default: pack_scalar(x, in, nr, xt); break;
    }
}

static void compute_tile(const gemm_ctx *c, size_t t, int g0, int g1) {
    size_t r0 = t * c->mr, nr = c->rows - r0 < c->mr ? c->rows - r0 : c->mr;
    const float *xt = c->scratch + r0 * (size_t)c->s->in;
    float *y = c->y + r0 * (size_t)c->s->out;
    switch (c->isa) {
#ifdef ECG_X86
    case ECG_ISA_AVX512: tile_avx512(c->s, xt, nr, y, g0, g1); break;
    case ECG_ISA_AVX2: tile_avx2(c->s, xt, nr, y, g0, g1); break;
#endif
    default: tile_scalar(c->s, xt, nr, y, g0, g1); break;
    }
}

/* pthreadpool tasks. Enough row tiles: one task per tile, packed and computed while in cache. */
static void task_tile(void *p, size_t t) {
    const gemm_ctx *c = p;
    pack_tile(c, t);
    compute_tile(c, t, 0, c->s->groups);
}
/* Fewer tiles than threads (batch 1, short T): pack all tiles, then split output groups too. */
static void task_pack(void *p, size_t t) { pack_tile(p, t); }
static void task_groups(void *p, size_t t, size_t g0, size_t ng) {
    compute_tile(p, t, (int)g0, (int)(g0 + ng));
}

int ecg_sparse_gemm(const ecg_sparse_w *s, const float *x, size_t rows, size_t in, float *y, size_t out,
                    float *scratch, size_t scratch_floats, struct pthreadpool *tp, ecg_isa isa, char *err,
                    size_t errlen) {
    if (!s || !x || !y || !scratch) {
        snprintf(err, errlen, "sparse gemm: NULL argument");
        return -1;
    }
    if (in != (size_t)s->in || out != (size_t)s->out) {
        snprintf(err, errlen, "sparse gemm: shape mismatch: X has %zu channels and Y %zu, weights are [%d, %d]", in,
                 out, s->out, s->in);
        return -1;
    }
    if (scratch_floats < ecg_sparse_scratch_floats(s, rows)) {
        snprintf(err, errlen, "sparse gemm: scratch of %zu floats, %zu needed", scratch_floats,
                 ecg_sparse_scratch_floats(s, rows));
        return -1;
    }
    if (!ecg_isa_supported(isa)) {
        snprintf(err, errlen, "sparse gemm: this CPU has no %s", ecg_isa_name(isa));
        return -1;
    }
    if (!rows) return 0;
    gemm_ctx c = {.s = s, .x = x, .y = y, .scratch = scratch, .rows = rows, .mr = isa == ECG_ISA_AVX512 ? 16 : 8,
                  .isa = isa};
    size_t tiles = (rows + c.mr - 1) / c.mr, threads = tp ? pthreadpool_get_threads_count(tp) : 1;
    if (threads <= 1 || tiles >= 2 * threads) {
        pthreadpool_parallelize_1d(tp, task_tile, &c, tiles, 0);
    } else {
        /* about 4 tasks per thread, so a slow thread does not hold up the rest */
        size_t per_tile = (4 * threads + tiles - 1) / tiles, groups = (size_t)s->groups;
        size_t chunk = (groups + per_tile - 1) / per_tile;
        pthreadpool_parallelize_1d(tp, task_pack, &c, tiles, 0);
        pthreadpool_parallelize_2d_tile_1d(tp, task_groups, &c, tiles, groups, chunk ? chunk : 1, 0);
    }
    return 0;
}
