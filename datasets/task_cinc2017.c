/* cinc2017: PhysioNet/CinC Challenge 2017 training set (single lead, 300 Hz, 9-61 s records).
 *
 * Layout: <data_dir>/cinc2017/training2017/REFERENCE.csv ("A00001,N" lines, optionally after a
 * header line "data_source,class") and A00001.mat (MATLAB v4, variable `val`, int16 1 x n).
 * Each record gives one example of ECG_CINC_LENGTH samples (30 s): the whole record is z-scored
 * (mean 0, population standard deviation 1; a flat record is an error naming it: none of the
 * 8528 is flat, the smallest sd is 32 adu), then a record longer than 30 s is
 * cropped around its centre (start = (n - 9000) / 2, rounded down) and a shorter one is zero-padded
 * at the end (0 is the record's mean after the z-score). Splits: per class, the records sorted by
 * name are shuffled with the seed; the first round(10%) go to test, the next round(10%) to val,
 * the rest to train, so every class keeps its proportion within one record. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <matio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/datasets.h"

enum { CINC_CLASSES = ECG_CINC_N_CLASSES, CINC_NAME = 32 };
static const char *const cinc_class_names[CINC_CLASSES] = {"Normal", "AF", "Other", "Noisy"};
static const char cinc_labels[CINC_CLASSES] = {'N', 'A', 'O', '~'};

typedef struct {
    char name[CINC_NAME];
    int label;
    int line;
} cinc_entry;

/* ---------------------------------------------------------------- REFERENCE.csv */

static char *read_text(const char *path, size_t *len, char *err, size_t errlen) {
    struct stat st;
    if (!stat(path, &st) && ecg_check_regular_file(path, err, errlen)) return NULL; /* a FIFO would hang fopen */
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s (run `make data`, or use the bundled datasets/sample)", path,
                 strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, fp)) > 0;) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        snprintf(err, errlen, "%s: read failed", path);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const cinc_entry *)a)->name, ((const cinc_entry *)b)->name);
}

/* Parses REFERENCE.csv text into entries sorted by name. A first line "data_source,class" is a
 * header; any other line must be "<record>,<N|A|O|~>" (blank lines are ignored). Lines end in LF,
 * CRLF or a lone CR (an old Mac editor's). */
static int parse_reference(const char *text, size_t len, const char *what, cinc_entry **out, int *n_out, char *err,
                           size_t errlen) {
    int cap = 1024, n = 0;
    cinc_entry *e = malloc(sizeof *e * (size_t)cap);
    if (!e) goto oom;
    int line = 0;
    for (size_t at = 0; at < len;) {
        const char *s = text + at;
        size_t ll = 0;
        while (at + ll < len && s[ll] != '\n' && s[ll] != '\r') ll++;
        at += ll + 1 + (at + ll + 1 < len && s[ll] == '\r' && s[ll + 1] == '\n');
        line++;
        while (ll && (s[ll - 1] == '\r' || s[ll - 1] == ' ' || s[ll - 1] == '\t')) ll--;
        if (!ll) continue;
        const char *comma = memchr(s, ',', ll);
        if (line == 1 && comma && (size_t)(s + ll - comma - 1) == 5 && !strncmp(comma + 1, "class", 5)) continue;
        size_t nlen = comma ? (size_t)(comma - s) : 0;
        int ok_name = comma && nlen > 0 && nlen < CINC_NAME;
        for (size_t i = 0; ok_name && i < nlen; i++) ok_name = isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-';
        if (!ok_name) {
            char shown[96];
            snprintf(err, errlen, "%s:%d: expected \"<record>,<label>\" with a record name of 1-%d letters/digits, got \"%s\"",
                     what, line, CINC_NAME - 1, ecg_printable(s, ll, shown, sizeof shown));
            goto fail;
        }
        size_t llen = (size_t)(s + ll - comma - 1);
        int label = -1;
        for (int c = 0; llen == 1 && c < CINC_CLASSES; c++)
            if (comma[1] == cinc_labels[c]) label = c;
        if (label < 0) {
            char shown[40];
            snprintf(err, errlen, "%s:%d: label \"%s\" of record %.*s is not one of N, A, O, ~", what, line,
                     ecg_printable(comma + 1, llen, shown, sizeof shown), (int)nlen, s);
            goto fail;
        }
        if (n == cap) {
            cinc_entry *b = realloc(e, sizeof *e * (size_t)(cap *= 2));
            if (!b) goto oom;
            e = b;
        }
        memcpy(e[n].name, s, nlen);
        e[n].name[nlen] = 0;
        e[n].label = label;
        e[n].line = line;
        n++;
    }
    if (!n) {
        snprintf(err, errlen, "%s: no records listed", what);
        goto fail;
    }
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    for (int i = 1; i < n; i++)
        if (!strcmp(e[i].name, e[i - 1].name)) {
            snprintf(err, errlen, "%s:%d: record %s listed again (first on line %d)", what,
                     e[i].line > e[i - 1].line ? e[i].line : e[i - 1].line, e[i].name,
                     e[i].line > e[i - 1].line ? e[i - 1].line : e[i].line);
            goto fail;
        }
    *out = e;
    *n_out = n;
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", what);
fail:
    free(e);
    return -1;
}

/* ---------------------------------------------------------------- .mat records */

static uint32_t mat_u32(const uint8_t *b, int swap) {
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return swap ? (v >> 24) | (v >> 8 & 0xFF00u) | (v << 8 & 0xFF0000u) | v << 24 : v;
}

/* A MATLAB v4 type code MOPT: machine 0-4, O 0, precision 0-5, matrix type 0-2. */
static int mat_v4_type_ok(uint32_t t) { return t < 5000 && t / 100 % 10 == 0 && t / 10 % 10 <= 5 && t % 10 <= 2; }

/* MATLAB v4 files (the CinC records) carry no size of their own: each variable's 20-byte header
 * declares rows x cols of a type, and libmatio allocates that much before it reads. Walks the
 * variables and checks every declared size against the bytes the file holds, so a corrupt
 * header is a clear error and not a 32 GiB allocation. A v5 / v7.3 file (its 116-byte text header
 * starts "MATLAB") is left to libmatio. */
static int check_mat_v4(const char *path, char *err, size_t errlen) {
    if (ecg_check_regular_file(path, err, errlen)) return -1;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    uint64_t size = 0, off = 0;
    if (fseek(fp, 0, SEEK_END) == 0) size = (uint64_t)ftell(fp);
    uint8_t hd[20];
    int rc = 0, var = 0;
    if (size == 0) {
        snprintf(err, errlen, "%s: empty file (0 bytes), not a MATLAB record", path);
        rc = -1;
    }
    while (rc == 0 && off < size) {
        var++;
        if (size - off < 20 || fseek(fp, (long)off, SEEK_SET) || fread(hd, 1, 20, fp) != 20) {
            if (var == 1 && size >= 6 && !fseek(fp, 0, SEEK_SET) && fread(hd, 1, 6, fp) == 6 && !memcmp(hd, "MATLAB", 6))
                break; /* v5 or v7.3: sizes are libmatio's to check */
            snprintf(err, errlen, "%s: truncated MATLAB v4 file: %llu bytes left at byte %llu, a variable header "
                                  "takes 20", path, (unsigned long long)(size - off), (unsigned long long)off);
            rc = -1;
            break;
        }
        if (var == 1 && !memcmp(hd, "MATLAB", 6)) break;
        int swap = !mat_v4_type_ok(mat_u32(hd, 0));
        uint32_t type = mat_u32(hd, swap), rows = mat_u32(hd + 4, swap), cols = mat_u32(hd + 8, swap);
        uint32_t imag = mat_u32(hd + 12, swap), namlen = mat_u32(hd + 16, swap);
        if (!mat_v4_type_ok(type) || imag > 1 || rows > INT32_MAX || cols > INT32_MAX || namlen < 1 ||
            namlen > 4096) {
            snprintf(err, errlen, "%s: not a MATLAB v4 file (variable %d at byte %llu has type %u, imaginary flag %u, "
                                  "name length %u)", path, var, (unsigned long long)off, type, imag, namlen);
            rc = -1;
            break;
        }
        char name[64] = "?", raw[4097];
        size_t got = namlen <= size - off - 20 ? fread(raw, 1, namlen, fp) : 0;
        if (got) ecg_printable(raw, got, name, sizeof name);
        static const unsigned elsize[6] = {8, 4, 4, 2, 2, 1};
        static const char *const elname[6] = {"double", "single", "int32", "int16", "uint16", "uint8"};
        uint64_t per = (uint64_t)elsize[type / 10 % 10] * (imag + 1), cells = (uint64_t)rows * cols;
        uint64_t left = size - off - 20 - (namlen <= size - off - 20 ? namlen : size - off - 20);
        if (got != namlen || cells > left / per) {
            snprintf(err, errlen, "%s: truncated or corrupt MATLAB v4 file: variable '%s' declares %u x %u %s (%.0f "
                                  "bytes) but %llu bytes follow its header", path, name, rows, cols,
                     elname[type / 10 % 10], (double)cells * (double)per, (unsigned long long)left);
            rc = -1;
            break;
        }
        off += 20 + namlen + cells * per;
    }
    fclose(fp);
    return rc;
}

int ecg_cinc_read_mat(const char *path, int16_t **val, long *n, char *err, size_t errlen) {
    *val = NULL;
    *n = 0;
    if (check_mat_v4(path, err, errlen)) return -1;
    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat) {
        snprintf(err, errlen, "%s: not a readable MATLAB file", path);
        return -1;
    }
    matvar_t *v = Mat_VarRead(mat, "val");
    int rc = -1;
    if (!v) {
        snprintf(err, errlen, "%s: no variable 'val'", path);
    } else if (v->rank != 2 || v->dims[0] != 1 || v->dims[1] < 1 || v->isComplex || !v->data ||
               (v->class_type != MAT_C_INT16 && v->class_type != MAT_C_DOUBLE)) {
        snprintf(err, errlen, "%s: 'val' is not a real 1 x n int16 row (rank %d, class %d)", path, v->rank,
                 (int)v->class_type);
    } else {
        size_t len = v->dims[1];
        int16_t *out = malloc(len * sizeof *out);
        if (!out) {
            snprintf(err, errlen, "%s: out of memory", path);
        } else if (v->class_type == MAT_C_INT16) {
            memcpy(out, v->data, len * sizeof *out);
            rc = 0;
        } else { /* a double copy must still hold int16 values: anything else is not this data set */
            const double *dv = v->data;
            rc = 0;
            for (size_t i = 0; i < len && !rc; i++) {
                if (dv[i] != floor(dv[i]) || dv[i] < -32768 || dv[i] > 32767) {
                    snprintf(err, errlen, "%s: 'val' element %zu (%g) is not an int16 value", path, i, dv[i]);
                    rc = -1;
                } else {
                    out[i] = (int16_t)dv[i]; /* only in range: the cast of 3e38 would be undefined */
                }
            }
        }
        if (rc) {
            free(out);
        } else {
            *val = out;
            *n = (long)len;
        }
    }
    Mat_VarFree(v);
    Mat_Close(mat);
    return rc;
}

/* Z-scores the whole record (preprocess.c's ecg_zscore: a flat record is an error), then
 * centre-crops or zero-pads it into out[ECG_CINC_LENGTH]. */
static int cinc_example(const int16_t *v, long n, const char *path, float *out, char *err, size_t errlen) {
    float *f = malloc(sizeof *f * (size_t)n);
    if (!f) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (long i = 0; i < n; i++) f[i] = v[i];
    char why[256];
    if (ecg_zscore(f, n, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        free(f);
        return -1;
    }
    ecg_crop_pad(f, n, 1, ecg_crop_start(n, ECG_CINC_LENGTH, ECG_CROP_CENTER), ECG_CINC_LENGTH, out);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- split */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Marks which[i] = 0 train, 1 val, 2 test for the sorted entries. */
static void stratified_split(const cinc_entry *e, int n, uint64_t seed, int *which, int *idx) {
    for (int c = 0; c < CINC_CLASSES; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (e[i].label == c) idx[m++] = i;
        uint64_t state = seed ^ (0x5ca1ab1e00000000ULL + (uint64_t)c);
        for (int i = m - 1; i > 0; i--) {
            int j = (int)(splitmix64(&state) % (uint64_t)(i + 1));
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int n_test = (m + 5) / 10, n_val = (m + 5) / 10;
        for (int k = 0; k < m; k++) which[idx[k]] = k < n_test ? 2 : k < n_test + n_val ? 1 : 0;
    }
}

/* Record number from its name: the digits after the letters ("A00123" -> 123), -1 if none. */
static int record_number(const char *name) {
    while (*name && !isdigit((unsigned char)*name)) name++;
    return *name ? (int)strtol(name, NULL, 10) : -1;
}

/* ---------------------------------------------------------------- loader */

int ecg_task_cinc2017_load(const char *data_dir, const char *split, uint64_t seed, ecg_dataset *d, char *err,
                           size_t errlen) {
    memset(d, 0, sizeof *d);
    int want = !strcmp(split, "train") ? 0 : !strcmp(split, "val") ? 1 : !strcmp(split, "test") ? 2 : -1;
    if (want < 0) {
        snprintf(err, errlen, "cinc2017: unknown split '%s' (splits: train, val, test)", split);
        return -1;
    }
    char dir[900], path[1024];
    snprintf(dir, sizeof dir, "%s/cinc2017/training2017", data_dir ? data_dir : "data");
    snprintf(path, sizeof path, "%s/REFERENCE.csv", dir);
    size_t len;
    char *text = read_text(path, &len, err, errlen);
    if (!text) return -1;
    cinc_entry *e = NULL;
    int n = 0, rc = -1;
    int *which = NULL, *idx = NULL;
    if (parse_reference(text, len, path, &e, &n, err, errlen)) goto done;
    which = malloc(sizeof *which * (size_t)n);
    idx = malloc(sizeof *idx * (size_t)n);
    if (!which || !idx) goto oom;
    stratified_split(e, n, seed, which, idx);
    int m = 0;
    for (int i = 0; i < n; i++) m += which[i] == want;
    snprintf(d->task, sizeof d->task, "cinc2017");
    snprintf(d->split, sizeof d->split, "%s", split);
    d->n = m;
    d->length = ECG_CINC_LENGTH;
    d->channels = 1;
    d->n_classes = CINC_CLASSES;
    d->class_names = cinc_class_names;
    snprintf(d->data_version, sizeof d->data_version, "cinc2017 training2017 (%d records, REFERENCE.csv fnv1a %016llx)",
             n, (unsigned long long)ecg_hash_bytes(ECG_HASH_INIT, text, len));
    d->x = malloc(sizeof *d->x * (size_t)(m ? m : 1) * ECG_CINC_LENGTH);
    d->y = malloc(sizeof *d->y * (size_t)(m ? m : 1));
    d->record = malloc(sizeof *d->record * (size_t)(m ? m : 1));
    if (!d->x || !d->y || !d->record) goto oom;
    for (int i = 0, k = 0; i < n; i++) {
        if (which[i] != want) continue;
        int16_t *v;
        long nv;
        snprintf(path, sizeof path, "%s/%s.mat", dir, e[i].name);
        if (ecg_cinc_read_mat(path, &v, &nv, err, errlen)) goto done;
        int bad = cinc_example(v, nv, path, d->x + (size_t)k * ECG_CINC_LENGTH, err, errlen);
        free(v);
        if (bad) goto done;
        d->y[k] = e[i].label;
        d->record[k] = record_number(e[i].name);
        k++;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "cinc2017: out of memory for %d records", n);
done:
    free(text);
    free(e);
    free(which);
    free(idx);
    if (rc) ecg_dataset_free(d);
    return rc;
}
