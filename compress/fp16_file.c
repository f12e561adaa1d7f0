/* fp16 weights files: every tensor of a model stored as IEEE 754 binary16, a size-only variant
 * (half the bytes of f32; inference still runs f32 on the values read back). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "ops/safetensors.h"

#define FORMAT "fp16-v1"

uint16_t ecg_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, abs = x & 0x7fffffffu;
    if (abs >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0)); /* inf, nan */
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504: inf */
    if (abs < 0x38800000u) { /* a half subnormal (or zero): units of 2^-24, rounded to nearest even */
        float a;
        memcpy(&a, &abs, 4);
        return (uint16_t)(sign | (uint32_t)lrintf(a * 16777216.0f)); /* exact: a * 2^24 < 1024 */
    }
    /* normal: drop 13 mantissa bits, round to nearest even (a carry into the exponent is right) */
    uint32_t h = ((abs - 0x38000000u) >> 13), rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float ecg_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) { /* zero or subnormal: m * 2^-24 */
        float v = (float)m / 16777216.0f;
        memcpy(&x, &v, 4);
        x |= sign;
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e + 112) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

int ecg_fp16_save(const ecg_graph *g, const char *path, const char *const *meta_kv, int n_meta, char *err,
                  size_t errlen) {
    int n = g->n_params, rc = -1;
    ecg_st_tensor *t = calloc((size_t)n + 1, sizeof *t);
    uint16_t **bufs = calloc((size_t)n + 1, sizeof *bufs);
    const char **meta = calloc((size_t)(n_meta + 1) * 2, sizeof *meta);
    if (!t || !bufs || !meta) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (int k = 0; k < 2 * n_meta; k++) meta[k] = meta_kv[k];
    meta[2 * n_meta] = "ecgbench_format", meta[2 * n_meta + 1] = FORMAT;
    for (int i = 0; i < n; i++) {
        const ecg_param *p = &g->params[i];
        int64_t m = ecg_shape_numel(&p->shape);
        if (!(bufs[i] = malloc(sizeof(uint16_t) * (size_t)m + 1))) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }
        for (int64_t k = 0; k < m; k++) {
            bufs[i][k] = ecg_f32_to_f16(p->data[k]);
            if (isfinite(p->data[k]) && (bufs[i][k] & 0x7c00u) == 0x7c00u) {
                snprintf(err, errlen, "%s: %s[%lld] = %g is beyond fp16's range (65504)", path, p->name, (long long)k,
                         p->data[k]);
                goto done;
            }
        }
        snprintf(t[i].name, sizeof t[i].name, "%s", p->name);
        t[i].dtype = ECG_DT_F16, t[i].rank = p->shape.rank, t[i].data = (const uint8_t *)bufs[i];
        for (int d = 0; d < p->shape.rank; d++) t[i].shape[d] = p->shape.d[d];
        t[i].nbytes = sizeof(uint16_t) * (size_t)m;
    }
    rc = ecg_st_write(path, t, n, meta, n_meta + 1, err, errlen);
done:
    for (int i = 0; bufs && i < n; i++) free(bufs[i]);
    free(bufs);
    free(meta);
    free(t);
    return rc;
}

int ecg_fp16_load_parsed(ecg_graph *g, const ecg_st_file *f, const char *path, char *err, size_t errlen) {
    ecg_st_tensor *t = calloc((size_t)f->n + 1, sizeof *t);
    float **bufs = calloc((size_t)f->n + 1, sizeof *bufs);
    int rc = -1;
    if (!t || !bufs) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    /* A view of the file with every F16 tensor widened, checked and copied by the dense loader
     * (which then names the shape or dtype that does not fit the model). */
    for (int i = 0; i < f->n; i++) {
        t[i] = f->t[i];
        if (f->t[i].dtype != ECG_DT_F16) continue;
        size_t m = f->t[i].nbytes / 2;
        if (!(bufs[i] = malloc(sizeof(float) * m + 1))) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto done;
        }
        for (size_t k = 0; k < m; k++) /* little-endian in the file */
            bufs[i][k] = ecg_f16_to_f32((uint16_t)(f->t[i].data[2 * k] | f->t[i].data[2 * k + 1] << 8));
        t[i].dtype = ECG_DT_F32, t[i].data = (const uint8_t *)bufs[i], t[i].nbytes = sizeof(float) * m;
    }
    ecg_st_file view = {.t = t, .n = f->n}; /* same names, so still sorted */
    rc = ecg_st_to_graph(g, &view, path, 0, err, errlen);
done:
    for (int i = 0; bufs && i < f->n; i++) free(bufs[i]);
    free(bufs);
    free(t);
    return rc;
}
