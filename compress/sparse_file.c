/* Sparse weights files: safetensors in which a mostly-zero tensor W is stored as a bitmap of its
 * nonzeros, "W.nz_mask" (U8, bit k%8 of byte k/8 = element k is nonzero, row-major), and the
 * nonzero values in order, "W.nz_values" (F32), its dense shape in the metadata ("W.shape").
 * Other tensors are stored as they are. The byte size of this file is a pruned model's size on
 * disk; it loads back to exactly the dense weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "ops/safetensors.h"

#define FORMAT "sparse-bitmap-v1"
static const char mask_suffix[] = ".nz_mask", values_suffix[] = ".nz_values";

static int fail(char *err, size_t errlen, const char *msg, const char *path, const char *name) {
    snprintf(err, errlen, "%s: %s%s%s", path, name ? "tensor '" : "", name ? name : "", msg);
    return -1;
}

/* The bitmap pays off when nnz < n - n/32 (4 bytes saved per zero, n/8 bytes of mask). */
static int store_sparse(int64_t n, int64_t nnz) { return 4 * (n - nnz) > (n + 7) / 8; }

int ecg_sparse_save(const ecg_graph *g, const char *path, const char *const *meta_kv, int n_meta, char *err,
                    size_t errlen) {
    int n = g->n_params, nt = 0, nm = 0, rc = -1;
    ecg_st_tensor *t = calloc((size_t)n * 2 + 1, sizeof *t);
    const char **meta = calloc((size_t)(n_meta + n + 1) * 2, sizeof *meta);
    char *names = calloc((size_t)n + 1, 2 * ECG_NAME_LEN + 32); /* shape strings live here */
    void **bufs = calloc((size_t)n * 2 + 1, sizeof *bufs);
    if (!t || !meta || !names || !bufs) goto oom;
    for (int k = 0; k < 2 * n_meta; k++) meta[k] = meta_kv[k];
    meta[2 * n_meta] = "ecgbench_format", meta[2 * n_meta + 1] = FORMAT;
    nm = n_meta + 1;
    /* F32 tensors first, bitmaps after them: every tensor stays 4-byte aligned in the file. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const ecg_param *p = &g->params[i];
            int64_t m = ecg_shape_numel(&p->shape), nnz = 0;
            for (int64_t k = 0; k < m; k++) nnz += p->data[k] != 0.0f;
            int sparse = store_sparse(m, nnz);
            ecg_st_tensor *o = &t[nt];
            if (!sparse && pass == 0) { /* dense, as ecg_safetensors_save writes it */
                snprintf(o->name, sizeof o->name, "%s", p->name);
                o->dtype = ECG_DT_F32, o->rank = p->shape.rank, o->data = (const uint8_t *)p->data;
                for (int d = 0; d < p->shape.rank; d++) o->shape[d] = p->shape.d[d];
                o->nbytes = (size_t)m * sizeof(float);
                nt++;
            } else if (sparse && pass == 0) { /* the values */
                float *v = bufs[nt] = malloc((size_t)nnz * sizeof(float) + 1);
                if (!v) goto oom;
                for (int64_t k = 0, j = 0; k < m; k++)
                    if (p->data[k] != 0.0f) v[j++] = p->data[k];
                if (snprintf(o->name, sizeof o->name, "%s%s", p->name, values_suffix) >= (int)sizeof o->name) goto long_name;
                o->dtype = ECG_DT_F32, o->rank = 1, o->shape[0] = nnz, o->data = (const uint8_t *)v;
                o->nbytes = (size_t)nnz * sizeof(float);
                nt++;
                char *key = names + (size_t)i * (2 * ECG_NAME_LEN + 32), *val = key + ECG_NAME_LEN + 8;
                if (snprintf(key, ECG_NAME_LEN + 8, "%s.shape", p->name) >= ECG_NAME_LEN + 8) goto long_name;
                ecg_shape_str(&p->shape, val, ECG_NAME_LEN + 24);
                meta[2 * nm] = key, meta[2 * nm + 1] = val;
                nm++;
            } else if (sparse) { /* pass 1: the bitmap */
                uint8_t *bits = bufs[nt] = calloc((size_t)(m + 7) / 8 + 1, 1);
                if (!bits) goto oom;
                for (int64_t k = 0; k < m; k++)
                    if (p->data[k] != 0.0f) bits[k / 8] |= (uint8_t)(1u << (k % 8));
                if (snprintf(o->name, sizeof o->name, "%s%s", p->name, mask_suffix) >= (int)sizeof o->name) goto long_name;
                o->dtype = ECG_DT_U8, o->rank = 1, o->shape[0] = (m + 7) / 8, o->data = bits;
                o->nbytes = (size_t)(m + 7) / 8;
                nt++;
            }
        }
    rc = ecg_st_write(path, t, nt, meta, nm, err, errlen);
    goto done;
long_name:
    fail(err, errlen, "' has too long a name for the sparse encoding", path, t[nt].name);
    goto done;
oom:
    fail(err, errlen, "out of memory writing the sparse weights", path, NULL);
done:
    for (int i = 0; bufs && i < 2 * n; i++) free(bufs[i]);
    free(bufs);
    free(names);
    free(meta);
    free(t);
    return rc;
}

static const char *meta_value(const ecg_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_kv[2 * i], key)) return f->meta_kv[2 * i + 1];
    return NULL;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const ecg_st_tensor *)a)->name, ((const ecg_st_tensor *)b)->name);
}

/* Turns the pair W.nz_values / W.nz_mask of f into a dense F32 tensor W (data allocated in *buf). */
static int expand(const ecg_st_file *f, const ecg_st_tensor *mask, ecg_st_tensor *out, float **buf, const char *path,
                  char *err, size_t errlen) {
    char base[ECG_NAME_LEN], key[ECG_NAME_LEN + 8], vname[ECG_NAME_LEN + 16];
    size_t bl = strlen(mask->name) - strlen(mask_suffix);
    snprintf(base, sizeof base, "%.*s", (int)bl, mask->name);
    snprintf(key, sizeof key, "%s.shape", base);
    snprintf(vname, sizeof vname, "%s%s", base, values_suffix);
    const ecg_st_tensor *vals = ecg_st_find(f, vname);
    const char *shape = meta_value(f, key);
    if (!vals || vals->dtype != ECG_DT_F32 || vals->rank != 1)
        return fail(err, errlen, "' has no F32 vector of values beside it", path, mask->name);
    if (mask->dtype != ECG_DT_U8 || mask->rank != 1) return fail(err, errlen, "' is not a U8 vector", path, mask->name);
    if (!shape) return fail(err, errlen, "' has no shape in the metadata", path, mask->name);
    *out = (ecg_st_tensor){.dtype = ECG_DT_F32};
    snprintf(out->name, sizeof out->name, "%s", base);
    const char *s = shape;
    int64_t numel = 1;
    while (*s == '[' || *s == ' ' || *s == ',') {
        char *end;
        s++;
        while (*s == ' ') s++;
        if (*s == ']') break;
        long long d = strtoll(s, &end, 10);
        if (end == s || d < 0 || out->rank == 8 || d > (INT64_MAX / (numel ? numel : 1)))
            return fail(err, errlen, "' has an unreadable shape in the metadata", path, mask->name);
        out->shape[out->rank++] = d;
        numel *= d;
        s = end;
    }
    if (*s != ']' || s[1]) return fail(err, errlen, "' has an unreadable shape in the metadata", path, mask->name);
    if (mask->shape[0] != numel / 8 + (numel % 8 != 0)) /* (numel + 7) / 8 would overflow near INT64_MAX */
        return fail(err, errlen, "'s bitmap does not match the shape in the metadata", path, mask->name);
    int64_t nnz = 0;
    for (int64_t k = 0; k < numel; k++) nnz += mask->data[k / 8] >> (k % 8) & 1;
    for (int64_t k = numel; k < mask->shape[0] * 8; k++)
        if (mask->data[k / 8] >> (k % 8) & 1) return fail(err, errlen, "' has bits set past the tensor's end", path, mask->name);
    if (nnz != vals->shape[0]) return fail(err, errlen, "': the bitmap's nonzeros and the values disagree", path, mask->name);
    float *d = *buf = calloc((size_t)numel + 1, sizeof(float)), *v = malloc((size_t)nnz * sizeof(float) + 1);
    if (!d || !v) {
        free(v);
        return fail(err, errlen, "': out of memory", path, mask->name);
    }
    ecg_st_copy_f32(v, vals->data, (size_t)nnz);
    for (int64_t k = 0, j = 0; k < numel; k++)
        if (mask->data[k / 8] >> (k % 8) & 1) d[k] = v[j++];
    free(v);
    out->data = (const uint8_t *)d, out->nbytes = (size_t)numel * sizeof(float);
    return 0;
}

static int is_sparse(const ecg_st_file *f) {
    const char *fmt = meta_value(f, "ecgbench_format");
    return fmt && !strcmp(fmt, FORMAT);
}

/* Loads a parsed sparse file f into g. */
static int load_sparse(ecg_graph *g, const ecg_st_file *fp, const char *path, char *err, size_t errlen) {
    const ecg_st_file f = *fp;
    ecg_st_tensor *t = calloc((size_t)f.n + 1, sizeof *t);
    float **bufs = calloc((size_t)f.n + 1, sizeof *bufs);
    int nt = 0, rc = -1;
    if (!t || !bufs) {
        fail(err, errlen, "out of memory", path, NULL);
        goto done;
    }
    /* A view of the file with every sparse pair expanded, checked and copied by the dense loader. */
    for (int i = 0; i < f.n; i++) {
        size_t l = strlen(f.t[i].name), ls = strlen(mask_suffix), lv = strlen(values_suffix);
        if (l > lv && !strcmp(f.t[i].name + l - lv, values_suffix)) continue; /* read with its mask */
        if (l > ls && !strcmp(f.t[i].name + l - ls, mask_suffix)) {
            if (expand(&f, &f.t[i], &t[nt], &bufs[nt], path, err, errlen)) goto done;
        } else {
            t[nt] = f.t[i];
        }
        nt++;
    }
    for (int i = 0; i < f.n; i++) { /* values without their mask would be silently dropped */
        size_t l = strlen(f.t[i].name), lv = strlen(values_suffix);
        char m[ECG_NAME_LEN + 16];
        snprintf(m, sizeof m, "%.*s%s", (int)(l - lv), f.t[i].name, mask_suffix);
        if (l > lv && !strcmp(f.t[i].name + l - lv, values_suffix) && !ecg_st_find(&f, m)) {
            fail(err, errlen, "' has no bitmap beside it", path, f.t[i].name);
            goto done;
        }
    }
    qsort(t, (size_t)nt, sizeof *t, by_name);
    ecg_st_file view = {.t = t, .n = nt};
    rc = ecg_st_to_graph(g, &view, path, 0, err, errlen);
done:
    for (int i = 0; bufs && i < f.n; i++) free(bufs[i]);
    free(bufs);
    free(t);
    return rc;
}

int ecg_sparse_load(ecg_graph *g, const char *path, char *err, size_t errlen) {
    ecg_st_file f;
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    int rc = is_sparse(&f) ? load_sparse(g, &f, path, err, errlen)
                           : fail(err, errlen, "is not an ecgbench sparse weights file (metadata ecgbench_format " FORMAT ")",
                                  path, NULL);
    ecg_st_free(&f);
    return rc;
}

int ecg_weights_load(ecg_graph *g, const char *path, char *err, size_t errlen) {
    ecg_st_file f;
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    const char *fmt = meta_value(&f, "ecgbench_format");
    int rc = is_sparse(&f)                    ? load_sparse(g, &f, path, err, errlen)
             : fmt && !strcmp(fmt, "fp16-v1") ? ecg_fp16_load_parsed(g, &f, path, err, errlen)
                                              : ecg_st_to_graph(g, &f, path, 0, err, errlen);
    ecg_st_free(&f);
    return rc;
}
