/* safetensors: a hostile-input-safe reader and an atomic writer.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON (padded with spaces), then
 * the data buffer. Every number in the header is checked before it is used, and the tensors
 * must tile the data buffer exactly (sorted, no overlap, no gap, ending at the end of the
 * file) as the specification requires, which also rules out aliased and polyglot files. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "atomic_file.h"
#include "rng.h"
#include "safetensors.h"

/* The reference implementation's limit; real headers are at most a few MB. */
#define ST_MAX_HEADER 100000000ull
#define ST_MAX_RANK 8
/* Largest integer a JSON number (a double in cJSON) holds exactly. */
#define ST_MAX_INT (1ull << 53)
#define ST_N_DTYPES 10
#define NBT_SUFFIX ".num_batches_tracked"

static const char *const dtype_names[ST_N_DTYPES] = {"F32", "F16", "BF16", "F64", "I64",
                                                     "I32", "I16", "I8",   "U8",  "BOOL"};
static const unsigned char dtype_sizes[ST_N_DTYPES] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};

size_t ecg_dtype_size(ecg_dtype t) { return (unsigned)t < ST_N_DTYPES ? dtype_sizes[t] : 0; }
const char *ecg_dtype_name(ecg_dtype t) { return (unsigned)t < ST_N_DTYPES ? dtype_names[t] : "?"; }

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "[2, 3]" for a file tensor (rank up to 8, unlike ecg_shape). */
static const char *dims_str(const int64_t *d, int rank, char *buf, size_t n) {
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)d[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

/* ------------------------------------------------------------------------------ parsing */

/* Offset of the first byte that is not well-formed UTF-8 or is a raw control character (JSON
 * allows those only as whitespace), or n when the whole text is clean. A NUL would silently cut
 * a name short in C while another parser sees the full name. */
static size_t bad_text_at(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        else return i;
        if (n - i < len) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

/* A JSON number that is an integer in [0, 2^53]. */
static int json_uint(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return -1;
    double v = j->valuedouble;
    if (!isfinite(v) || v < 0 || v > (double)ST_MAX_INT || v != floor(v)) return -1;
    *out = (uint64_t)v;
    return 0;
}

/* The member `key` of obj; -1 when it appears more than once (cJSON keeps duplicates, and
 * another reader might take the other one). *out is NULL when absent. */
static int member(const cJSON *obj, const char *key, const cJSON **out) {
    *out = NULL;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!c->string || strcmp(c->string, key)) continue;
        if (*out) return -1;
        *out = c;
    }
    return 0;
}

static int dtype_from(const char *s, ecg_dtype *out) {
    for (int i = 0; i < ST_N_DTYPES; i++)
        if (!strcmp(s, dtype_names[i])) {
            *out = (ecg_dtype)i;
            return 0;
        }
    return -1;
}

/* Checks one tensor entry; data_len is the size of the data buffer at data. */
static int parse_tensor(const cJSON *it, ecg_st_tensor *t, const uint8_t *data, uint64_t data_len,
                        const char *what, char *err, size_t errlen) {
    const char *name = it->string ? it->string : "";
    size_t nl = strlen(name);
    if (nl >= ECG_NAME_LEN)
        return fail(err, errlen, "%s: tensor name '%.48s...' is %zu bytes long (the limit is %d)", what, name, nl,
                    ECG_NAME_LEN - 1);
    memcpy(t->name, name, nl + 1);
    if (!cJSON_IsObject(it)) return fail(err, errlen, "%s: tensor '%s' is not a JSON object", what, name);

    const cJSON *jd, *js, *jo;
    if (member(it, "dtype", &jd) || member(it, "shape", &js) || member(it, "data_offsets", &jo))
        return fail(err, errlen, "%s: tensor '%s' has a repeated key", what, name);
    if (!cJSON_IsString(jd) || !jd->valuestring)
        return fail(err, errlen, "%s: tensor '%s' has no string \"dtype\"", what, name);
    if (dtype_from(jd->valuestring, &t->dtype))
        return fail(err, errlen, "%s: tensor '%s' has unknown dtype '%.32s'", what, name, jd->valuestring);

    if (!cJSON_IsArray(js)) return fail(err, errlen, "%s: tensor '%s' has no \"shape\" array", what, name);
    int rank = cJSON_GetArraySize(js);
    if (rank > ST_MAX_RANK)
        return fail(err, errlen, "%s: tensor '%s' has rank %d (the limit is %d)", what, name, rank, ST_MAX_RANK);
    t->rank = rank;
    uint64_t numel = 1;
    int i = 0;
    for (const cJSON *d = js->child; d; d = d->next, i++) {
        uint64_t v;
        if (json_uint(d, &v))
            return fail(err, errlen, "%s: tensor '%s': shape dimension %d is not an integer in [0, 2^53]", what,
                        name, i);
        t->shape[i] = (int64_t)v;
        if (__builtin_mul_overflow(numel, v, &numel))
            return fail(err, errlen, "%s: tensor '%s': the shape's element count overflows 64 bits", what, name);
    }

    uint64_t off[2];
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || json_uint(jo->child, &off[0]) ||
        json_uint(jo->child->next, &off[1]))
        return fail(err, errlen, "%s: tensor '%s': \"data_offsets\" must be two integers in [0, 2^53]", what, name);
    if (off[0] > off[1])
        return fail(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu] begin after they end", what, name,
                    (unsigned long long)off[0], (unsigned long long)off[1]);
    if (off[1] > data_len)
        return fail(err, errlen, "%s: tensor '%s': data_offsets end %llu is past the end of the data (%llu bytes)",
                    what, name, (unsigned long long)off[1], (unsigned long long)data_len);
    uint64_t need;
    char sb[160], nb[32];
    int over = __builtin_mul_overflow(numel, (uint64_t)ecg_dtype_size(t->dtype), &need);
    if (over || need != off[1] - off[0])
        return fail(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but %s %s needs %s",
                    what, name, (unsigned long long)off[0], (unsigned long long)off[1],
                    (unsigned long long)(off[1] - off[0]), ecg_dtype_name(t->dtype),
                    dims_str(t->shape, t->rank, sb, sizeof sb),
                    over ? "more than 2^64" : (snprintf(nb, sizeof nb, "%llu", (unsigned long long)need), nb));
    t->data = data + off[0];
    t->nbytes = (size_t)(off[1] - off[0]);
    return 0;
}

static int parse_meta(ecg_st_file *f, const cJSON *m, const char *what, char *err, size_t errlen) {
    if (!cJSON_IsObject(m)) return fail(err, errlen, "%s: \"__metadata__\" is not a JSON object", what);
    int n = cJSON_GetArraySize(m);
    f->meta_kv = calloc((size_t)n * 2 + 1, sizeof(char *));
    if (!f->meta_kv) return fail(err, errlen, "%s: out of memory reading the metadata", what);
    for (const cJSON *c = m->child; c; c = c->next) {
        const char *key = c->string ? c->string : "";
        if (!cJSON_IsString(c) || !c->valuestring)
            return fail(err, errlen, "%s: metadata value of '%.64s' is not a string", what, key);
        for (int k = 0; k < f->n_meta; k++)
            if (!strcmp(f->meta_kv[2 * k], key))
                return fail(err, errlen, "%s: metadata key '%.64s' appears twice", what, key);
        /* n_meta counts a pair only once both strings are owned, so ecg_st_free sees whole pairs. */
        char *k = strdup(key), *v = strdup(c->valuestring);
        if (!k || !v) {
            free(k);
            free(v);
            return fail(err, errlen, "%s: out of memory reading the metadata", what);
        }
        f->meta_kv[2 * f->n_meta] = k;
        f->meta_kv[2 * f->n_meta + 1] = v;
        f->n_meta++;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const ecg_st_tensor *)a)->name, ((const ecg_st_tensor *)b)->name);
}

/* Orders by data position, then size, so zero-size tensors come before a tensor at their offset. */
static int cmp_pos(const void *a, const void *b) {
    const ecg_st_tensor *x = *(const ecg_st_tensor *const *)a, *y = *(const ecg_st_tensor *const *)b;
    if (x->data != y->data) return x->data < y->data ? -1 : 1;
    return (x->nbytes > y->nbytes) - (x->nbytes < y->nbytes);
}

/* Sorts by name (for ecg_st_find) and checks the names are unique and the tensors tile the data. */
static int check_layout(ecg_st_file *f, const uint8_t *data, size_t data_len, const char *what, char *err,
                        size_t errlen) {
    if (f->n > 1) qsort(f->t, (size_t)f->n, sizeof *f->t, cmp_name);
    for (int i = 1; i < f->n; i++)
        if (!strcmp(f->t[i - 1].name, f->t[i].name))
            return fail(err, errlen, "%s: tensor '%s' appears twice in the header", what, f->t[i].name);
    const ecg_st_tensor **by_pos = malloc((size_t)(f->n ? f->n : 1) * sizeof *by_pos);
    if (!by_pos) return fail(err, errlen, "%s: out of memory", what);
    for (int i = 0; i < f->n; i++) by_pos[i] = &f->t[i];
    if (f->n > 1) qsort(by_pos, (size_t)f->n, sizeof *by_pos, cmp_pos);
    size_t cursor = 0;
    const ecg_st_tensor *prev = NULL;
    int rc = 0;
    for (int i = 0; i < f->n && !rc; i++) {
        const ecg_st_tensor *t = by_pos[i];
        size_t begin = (size_t)(t->data - data);
        if (begin < cursor)
            rc = fail(err, errlen, "%s: tensors '%s' and '%s' overlap (data bytes [%zu, %zu) and [%zu, %zu))", what,
                      prev->name, t->name, (size_t)(prev->data - data), cursor, begin, begin + t->nbytes);
        else if (begin > cursor)
            rc = fail(err, errlen, "%s: data bytes [%zu, %zu) before tensor '%s' belong to no tensor", what, cursor,
                      begin, t->name);
        cursor = begin + t->nbytes;
        prev = t;
    }
    free(by_pos);
    if (!rc && cursor != data_len)
        rc = fail(err, errlen, "%s: data bytes [%zu, %zu) after the last tensor belong to no tensor", what, cursor,
                  data_len);
    return rc;
}

int ecg_st_parse(ecg_st_file *f, uint8_t *buf, size_t len, const char *what, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (!what) what = "safetensors";
    if (!buf) return fail(err, errlen, "%s: no data", what);
    f->buf = buf;
    f->len = len;
    cJSON *root = NULL;
    int rc = -1;
    if (len < 8) {
        fail(err, errlen, "%s: file is %zu bytes, too short for the 8-byte header length", what, len);
        goto done;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)buf[i] << (8 * i);
    if (n == 0) {
        fail(err, errlen, "%s: header length is 0", what);
        goto done;
    }
    if (n > len - 8) {
        fail(err, errlen, "%s: header length %llu is past the end of the file (%zu bytes)", what,
             (unsigned long long)n, len);
        goto done;
    }
    if (n > ST_MAX_HEADER) {
        fail(err, errlen, "%s: header length %llu is over the limit of %llu bytes", what, (unsigned long long)n,
             ST_MAX_HEADER);
        goto done;
    }
    const uint8_t *hdr = buf + 8;
    if (hdr[0] != '{') {
        fail(err, errlen, "%s: header does not start with '{' (not a safetensors file?)", what);
        goto done;
    }
    size_t bad = bad_text_at(hdr, (size_t)n);
    if (bad < n) {
        fail(err, errlen, "%s: header byte %zu (0x%02x) is not valid UTF-8 JSON text", what, bad, hdr[bad]);
        goto done;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts((const char *)hdr, (size_t)n, &end, 0);
    if (!root) {
        size_t at = end && end >= (const char *)hdr ? (size_t)(end - (const char *)hdr) : 0;
        fail(err, errlen, "%s: header is not valid JSON (near byte %zu of %llu)", what, at, (unsigned long long)n);
        goto done;
    }
    for (const char *p = end; p < (const char *)hdr + n; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            fail(err, errlen, "%s: unexpected bytes after the JSON header (at byte %zu)", what,
                 (size_t)(p - (const char *)hdr));
            goto done;
        }
    if (!cJSON_IsObject(root)) {
        fail(err, errlen, "%s: header is not a JSON object", what);
        goto done;
    }
    const uint8_t *data = hdr + n;
    size_t data_len = len - 8 - (size_t)n;
    int count = cJSON_GetArraySize(root);
    f->t = calloc((size_t)(count ? count : 1), sizeof *f->t);
    if (!f->t) {
        fail(err, errlen, "%s: out of memory for %d tensors", what, count);
        goto done;
    }
    int seen_meta = 0;
    for (const cJSON *it = root->child; it; it = it->next) {
        if (it->string && !strcmp(it->string, "__metadata__")) {
            if (seen_meta++) {
                fail(err, errlen, "%s: \"__metadata__\" appears twice", what);
                goto done;
            }
            if (parse_meta(f, it, what, err, errlen)) goto done;
            continue;
        }
        if (parse_tensor(it, &f->t[f->n], data, data_len, what, err, errlen)) goto done;
        f->n++;
    }
    if (check_layout(f, data, data_len, what, err, errlen)) goto done;
    rc = 0;
done:
    cJSON_Delete(root);
    if (rc) ecg_st_free(f);
    return rc;
}

int ecg_st_read(ecg_st_file *f, const char *path, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (!path) return fail(err, errlen, "safetensors: no path given");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return fail(err, errlen, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return fail(err, errlen, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return fail(err, errlen, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0) break; /* the file shrank: parse what is there */
        got += (size_t)r;
    }
    close(fd);
    return ecg_st_parse(f, buf, got, path, err, errlen);
}

void ecg_st_free(ecg_st_file *f) {
    if (!f) return;
    free(f->buf);
    free(f->t);
    for (int i = 0; i < 2 * f->n_meta; i++) free(f->meta_kv[i]);
    free(f->meta_kv);
    memset(f, 0, sizeof *f);
}

const ecg_st_tensor *ecg_st_find(const ecg_st_file *f, const char *name) {
    if (!f || !name || !f->n || strlen(name) >= ECG_NAME_LEN) return NULL;
    ecg_st_tensor key;
    snprintf(key.name, sizeof key.name, "%s", name);
    return bsearch(&key, f->t, (size_t)f->n, sizeof *f->t, cmp_name);
}

/* ------------------------------------------------------------------------------ loading */

static int is_nbt(const char *name) {
    size_t n = strlen(name), s = strlen(NBT_SUFFIX);
    return n > s && !strcmp(name + n - s, NBT_SUFFIX);
}

/* Little-endian file bytes to host floats (memcpy: file data need not be aligned). */
void ecg_st_copy_f32(float *dst, const uint8_t *src, size_t n) {
    memcpy(dst, src, n * sizeof(float));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &dst[i], 4);
        u = __builtin_bswap32(u);
        memcpy(&dst[i], &u, 4);
    }
#endif
}

int ecg_st_to_graph(ecg_graph *g, const ecg_st_file *f, const char *what, int allow_extra, char *err,
                    size_t errlen) {
    if (!what) what = "safetensors";
    /* Everything is checked before anything is copied, so a failed load leaves g unchanged. */
    for (int i = 0; i < g->n_params; i++) {
        const ecg_param *p = &g->params[i];
        const ecg_st_tensor *t = ecg_st_find(f, p->name);
        if (!t) return fail(err, errlen, "%s: tensor '%s' is missing", what, p->name);
        if (t->dtype != ECG_DT_F32)
            return fail(err, errlen, "%s: tensor '%s' has dtype %s, expected F32", what, p->name,
                        ecg_dtype_name(t->dtype));
        int same = t->rank == p->shape.rank;
        for (int k = 0; same && k < t->rank; k++) same = t->shape[k] == p->shape.d[k];
        char a[160], b[160];
        if (!same)
            return fail(err, errlen, "%s: tensor '%s' has shape %s, the model expects %s", what, p->name,
                        dims_str(t->shape, t->rank, a, sizeof a), ecg_shape_str(&p->shape, b, sizeof b));
        /* Guaranteed by ecg_st_parse; checked again for a hand-made ecg_st_file. */
        if (t->nbytes != (size_t)ecg_shape_numel(&p->shape) * sizeof(float) || (t->nbytes && !t->data))
            return fail(err, errlen, "%s: tensor '%s' holds %zu bytes, expected %zu", what, p->name, t->nbytes,
                        (size_t)ecg_shape_numel(&p->shape) * sizeof(float));
    }
    if (!allow_extra)
        for (int i = 0; i < f->n; i++)
            if (ecg_param_find(g, f->t[i].name) < 0 && !is_nbt(f->t[i].name))
                return fail(err, errlen, "%s: unexpected tensor '%s' (not a parameter of this model)", what,
                            f->t[i].name);
    for (int i = 0; i < g->n_params; i++) {
        const ecg_st_tensor *t = ecg_st_find(f, g->params[i].name);
        ecg_st_copy_f32(g->params[i].data, t->data, t->nbytes / sizeof(float));
    }
    return 0;
}

int ecg_safetensors_load(ecg_graph *g, const char *path, int allow_extra, char *err, size_t errlen) {
    ecg_st_file f;
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    int rc = ecg_st_to_graph(g, &f, path, allow_extra, err, errlen);
    ecg_st_free(&f);
    return rc;
}

/* ------------------------------------------------------------------------------ saving */

/* Appends name -> {dtype, shape, data_offsets}; integers as raw JSON text so they are exact. */
static int add_entry(cJSON *root, const char *name, const char *dtype, const int64_t *d, int rank,
                     uint64_t begin, uint64_t end) {
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToObject(root, name, e)) {
        cJSON_Delete(e);
        return -1;
    }
    cJSON *shape = cJSON_CreateArray(), *off = cJSON_CreateArray();
    if (!cJSON_AddStringToObject(e, "dtype", dtype) || !shape || !cJSON_AddItemToObject(e, "shape", shape)) {
        cJSON_Delete(shape);
        cJSON_Delete(off);
        return -1;
    }
    if (!off || !cJSON_AddItemToObject(e, "data_offsets", off)) {
        cJSON_Delete(off);
        return -1;
    }
    char num[32];
    for (int i = 0; i < rank + 2; i++) {
        unsigned long long v = i < rank ? (unsigned long long)d[i] : i == rank ? begin : end;
        snprintf(num, sizeof num, "%llu", v);
        cJSON *j = cJSON_CreateRaw(num);
        if (!j || !cJSON_AddItemToArray(i < rank ? shape : off, j)) {
            cJSON_Delete(j);
            return -1;
        }
    }
    return 0;
}

/* n bytes of elements of `size` bytes, host order, written little-endian. */
static int write_le(FILE *fp, const uint8_t *x, size_t n, size_t size) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n; i += size)
        for (size_t k = size; k-- > 0;)
            if (fputc(x[i + k], fp) == EOF) return -1;
    return 0;
#else
    (void)size;
    return n && fwrite(x, 1, n, fp) != n ? -1 : 0;
#endif
}

/* "<bn node>.num_batches_tracked" for BN node i, or "" when it is not written (not a BN node,
 * or a param already has that name). -1 when the name is too long. */
static int nbt_name(const ecg_graph *g, int i, char *name, size_t n) {
    name[0] = 0;
    if (g->nodes[i].kind != ECG_OP_BATCHNORM) return 0;
    snprintf(name, n, "%s%s", g->nodes[i].name, NBT_SUFFIX);
    if (strlen(name) >= ECG_NAME_LEN) return -1;
    if (ecg_param_find(g, name) >= 0) name[0] = 0;
    return 0;
}

/* Checks the tensors and metadata and builds the JSON header (tensors in the given order, data
 * laid out in that order). Returns malloc'd text or NULL with err. */
static char *build_header(const ecg_st_tensor *t, int n, const char *const *meta_kv, int n_meta, const char *path,
                          char *err, size_t errlen) {
    if (n < 0 || (n > 0 && !t)) return fail(err, errlen, "%s: bad tensor list", path), NULL;
    if (n_meta < 0 || (n_meta > 0 && !meta_kv)) return fail(err, errlen, "%s: bad metadata arguments", path), NULL;
    for (int i = 0; i < n_meta; i++) {
        if (!meta_kv[2 * i] || !meta_kv[2 * i + 1])
            return fail(err, errlen, "%s: metadata pair %d has a NULL string", path, i), NULL;
        for (int k = 0; k < i; k++)
            if (!strcmp(meta_kv[2 * k], meta_kv[2 * i]))
                return fail(err, errlen, "%s: metadata key '%s' given twice", path, meta_kv[2 * i]), NULL;
    }
    for (int i = 0; i < n; i++) {
        const ecg_st_tensor *e = &t[i];
        uint64_t numel = 1;
        int ok = e->rank >= 0 && e->rank <= ST_MAX_RANK && ecg_dtype_size(e->dtype) > 0;
        for (int k = 0; ok && k < e->rank; k++) {
            ok = e->shape[k] >= 0 && (uint64_t)e->shape[k] < ST_MAX_INT;
            numel *= ok ? (uint64_t)e->shape[k] : 1;
        }
        if (!e->name[0] || !strcmp(e->name, "__metadata__"))
            return fail(err, errlen, "%s: a tensor may not be named '%s'", path, e->name), NULL;
        if (!ok || numel * ecg_dtype_size(e->dtype) != e->nbytes || (e->nbytes && !e->data))
            return fail(err, errlen, "%s: tensor '%s' has a bad dtype, shape or size", path, e->name), NULL;
        for (int k = 0; k < i; k++)
            if (!strcmp(t[k].name, e->name)) return fail(err, errlen, "%s: tensor '%s' given twice", path, e->name), NULL;
    }
    cJSON *root = cJSON_CreateObject();
    char *text = NULL;
    if (!root) goto oom;
    if (n_meta > 0) {
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddItemToObject(root, "__metadata__", m)) {
            cJSON_Delete(m);
            goto oom;
        }
        for (int i = 0; i < n_meta; i++)
            if (!cJSON_AddStringToObject(m, meta_kv[2 * i], meta_kv[2 * i + 1])) goto oom;
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        if (add_entry(root, t[i].name, ecg_dtype_name(t[i].dtype), t[i].shape, t[i].rank, off, off + t[i].nbytes))
            goto oom;
        off += t[i].nbytes;
    }
    text = cJSON_PrintUnformatted(root);
    if (!text) goto oom;
    goto out;
oom:
    fail(err, errlen, "%s: out of memory building the header", path);
out:
    cJSON_Delete(root);
    return text;
}

int ecg_st_write(const char *path, const ecg_st_tensor *t, int n, const char *const *meta_kv, int n_meta, char *err,
                 size_t errlen) {
    if (!path || !path[0]) return fail(err, errlen, "safetensors save: empty path");
    char *json = build_header(t, n, meta_kv, n_meta, path, err, errlen);
    if (!json) return -1;
    /* Spaces pad the header so the data starts 8-byte aligned (8 + hlen is a multiple of 8). */
    size_t len = strlen(json), hlen = (len + 7) & ~(size_t)7;
    uint8_t lenbuf[8];
    for (int i = 0; i < 8; i++) lenbuf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));

    ecg_atomic_file a;
    if (ecg_atomic_open(&a, path, err, errlen)) {
        free(json);
        return -1;
    }
    FILE *fp = a.f;
    int ok = fwrite(lenbuf, 1, 8, fp) == 8 && fwrite(json, 1, len, fp) == len;
    for (size_t i = len; ok && i < hlen; i++) ok = fputc(' ', fp) != EOF;
    for (int i = 0; ok && i < n; i++) ok = !write_le(fp, t[i].data, t[i].nbytes, ecg_dtype_size(t[i].dtype));
    /* a failed write is remembered by the stream: commit reports it with its reason */
    int rc = ecg_atomic_commit(&a, err, errlen);
    free(json);
    return rc;
}

/* The params in graph order, after an I64 scalar num_batches_tracked per BN node so PyTorch's
 * load_state_dict(strict=True) accepts the file. The I64 data goes first so every tensor is
 * aligned to its element size. */
int ecg_safetensors_save(const ecg_graph *g, const char *path, const char *const *meta_kv, int n_meta, char *err,
                         size_t errlen) {
    if (!path || !path[0]) return fail(err, errlen, "safetensors save: empty path");
    static const uint8_t zero8[8];
    char name[ECG_NAME_LEN + sizeof NBT_SUFFIX];
    int n = 0;
    ecg_st_tensor *t = calloc((size_t)(g->n_nodes + g->n_params + 1), sizeof *t);
    if (!t) return fail(err, errlen, "%s: out of memory", path);
    for (int i = 0; i < g->n_nodes; i++) {
        if (nbt_name(g, i, name, sizeof name)) {
            free(t);
            return fail(err, errlen, "%s: tensor name '%s' is longer than %d bytes", path, name, ECG_NAME_LEN - 1);
        }
        if (!name[0]) continue;
        snprintf(t[n].name, sizeof t[n].name, "%s", name);
        t[n].dtype = ECG_DT_I64;
        t[n].data = zero8;
        t[n++].nbytes = 8;
    }
    for (int i = 0; i < g->n_params; i++) {
        const ecg_param *p = &g->params[i];
        ecg_st_tensor *e = &t[n++];
        snprintf(e->name, sizeof e->name, "%s", p->name);
        e->dtype = ECG_DT_F32;
        e->rank = p->shape.rank;
        for (int k = 0; k < p->shape.rank; k++) e->shape[k] = p->shape.d[k];
        e->data = (const uint8_t *)p->data;
        e->nbytes = (size_t)ecg_shape_numel(&p->shape) * sizeof(float);
    }
    int rc = ecg_st_write(path, t, n, meta_kv, n_meta, err, errlen);
    free(t);
    return rc;
}
