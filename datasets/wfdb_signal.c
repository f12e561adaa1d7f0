/* WFDB signal files (.dat): formats 212 (two 12-bit samples in 3 bytes), 16 (little-endian
 * int16) and 80 (8-bit offset binary), several samples per frame, byte offsets. Sizes are checked
 * against the bytes at hand before any sample is read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"

int ecg_wfdb_read_bytes(const char *path, size_t max_bytes, uint8_t **buf, size_t *len, char *err, size_t errlen) {
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it (and a folder,
     * whose ftell "size" is LONG_MAX) before anything is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return ecg_check_regular_file(path, err, errlen) ? -1
               : (snprintf(err, errlen, "%s: is not a regular file", path), -1);
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    long size = (long)st.st_size;
    if ((unsigned long)size > max_bytes) {
        snprintf(err, errlen, "%s: %ld bytes, more than the %zu this reader accepts", path, size, max_bytes);
        fclose(fp);
        return -1;
    }
    uint8_t *b = malloc((size_t)size + 1);
    if (!b) {
        snprintf(err, errlen, "%s: out of memory for %ld bytes", path, size);
        fclose(fp);
        return -1;
    }
    size_t got = fread(b, 1, (size_t)size, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || got != (size_t)size) {
        snprintf(err, errlen, "%s: read %zu of %ld bytes", path, got, size);
        free(b);
        return -1;
    }
    b[got] = 0;
    *buf = b;
    *len = got;
    return 0;
}

int ecg_wfdb_frame_width(const ecg_wfdb_header *h, int first, int count) {
    if (!h || first < 0 || count < 1 || first > h->n_sig - count) return -1;
    int w = 0;
    for (int j = first; j < first + count; j++) w += h->sig[j].samples_per_frame;
    return w;
}

/* Bytes that `values` samples occupy in a format. */
static uint64_t format_bytes(int format, uint64_t values) {
    switch (format) {
    case 212: return values / 2 * 3 + (values % 2 ? 2 : 0); /* an odd last sample takes 2 bytes */
    case 16: return values * 2;
    default: return values; /* 80 */
    }
}

static void decode_212(const uint8_t *p, uint64_t values, int32_t *out) {
    uint64_t i = 0;
    for (; i + 1 < values; i += 2, p += 3) {
        int32_t a = p[0] | ((p[1] & 0x0F) << 8);
        int32_t b = p[2] | ((p[1] & 0xF0) << 4);
        out[i] = a >= 2048 ? a - 4096 : a;
        out[i + 1] = b >= 2048 ? b - 4096 : b;
    }
    if (i < values) {
        int32_t a = p[0] | ((p[1] & 0x0F) << 8);
        out[i] = a >= 2048 ? a - 4096 : a;
    }
}

static void decode_16(const uint8_t *p, uint64_t values, int32_t *out) {
    for (uint64_t i = 0; i < values; i++, p += 2) out[i] = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
}

static void decode_80(const uint8_t *p, uint64_t values, int32_t *out) {
    for (uint64_t i = 0; i < values; i++) out[i] = (int32_t)p[i] - 128;
}

/* Checks that the signals form one group the decoder handles and that the file holds every
 * value the header promises; *values gets the count to decode. */
static int check_group(const ecg_wfdb_header *h, int first, int count, size_t len, const char *what,
                       uint64_t *values, char *err, size_t errlen) {
    int w = ecg_wfdb_frame_width(h, first, count);
    if (w < 1) {
        snprintf(err, errlen, "%s: signals %d..%d are not in the header's %d", what, first, first + count - 1,
                 h ? h->n_sig : 0);
        return -1;
    }
    const ecg_wfdb_signal *s0 = &h->sig[first];
    for (int j = first; j < first + count; j++) {
        const ecg_wfdb_signal *s = &h->sig[j];
        if (strcmp(s->file, s0->file) || s->format != s0->format || s->byte_offset != s0->byte_offset) {
            snprintf(err, errlen, "%s: signals %d and %d do not share one file, format and byte offset", what, first,
                     j);
            return -1;
        }
        if (s->skew) {
            snprintf(err, errlen, "%s: signal %d has skew %d; skewed signals are not supported", what, j, s->skew);
            return -1;
        }
    }
    if (s0->format != 212 && s0->format != 16 && s0->format != 80) {
        snprintf(err, errlen, "%s: format %d is not supported (only 212, 16 and 80)", what, s0->format);
        return -1;
    }
    if (h->n_samples < 0 || h->n_samples > (1L << 40)) {
        snprintf(err, errlen, "%s: the header gives no valid sample count", what);
        return -1;
    }
    *values = (uint64_t)h->n_samples * (uint64_t)w; /* < 2^40 * 2^16: no overflow */
    uint64_t need = format_bytes(s0->format, *values);
    uint64_t off = (uint64_t)s0->byte_offset;
    if (off > len || need > len - off) {
        snprintf(err, errlen,
                 "%s: %zu bytes, but the header promises %ld samples x %d values in format %d = %llu bytes from "
                 "byte offset %llu (expected the file to end at byte %llu, it ends at byte %zu)",
                 what, len, h->n_samples, w, s0->format, (unsigned long long)need, (unsigned long long)off,
                 (unsigned long long)(off + need), len);
        return -1;
    }
    return 0;
}

int ecg_wfdb_decode(const ecg_wfdb_header *h, int first, int count, const uint8_t *buf, size_t len,
                    const char *what, int32_t *adc, char *err, size_t errlen) {
    if (!what) what = "signal file";
    uint64_t values;
    if (check_group(h, first, count, len, what, &values, err, errlen)) return -1;
    const ecg_wfdb_signal *s0 = &h->sig[first];
    const uint8_t *p = buf + s0->byte_offset;
    if (s0->format == 212) decode_212(p, values, adc);
    else if (s0->format == 16) decode_16(p, values, adc);
    else decode_80(p, values, adc);
    return 0;
}

float ecg_wfdb_physical(const ecg_wfdb_signal *s, int32_t adc) {
    return (float)(((double)adc - (double)s->baseline) / s->gain);
}

static int32_t invalid_marker(int format) { return format == 212 ? -2048 : format == 16 ? -32768 : -128; }

/* Frames a signal file holds after its byte offset (for headers without a sample count). */
static long frames_in(const ecg_wfdb_signal *s0, int w, size_t len) {
    uint64_t avail = len > (uint64_t)s0->byte_offset ? len - (uint64_t)s0->byte_offset : 0;
    uint64_t values = s0->format == 212 ? avail / 3 * 2 + (avail % 3 >= 2 ? 1 : 0)
                      : s0->format == 16 ? avail / 2
                                         : avail;
    return (long)(values / (uint64_t)w);
}

/* The header's per-signal checksums (the 16-bit sum of every sample of the signal) against the
 * decoded group: a random or mismatched signal file of the right size is an error, not data. */
static int verify_checksums(const ecg_wfdb_header *h, int first, int count, const int32_t *group, const char *record,
                            const char *path, char *err, size_t errlen) {
    int w = ecg_wfdb_frame_width(h, first, count), at = 0;
    for (int j = first; j < first + count; j++) {
        const ecg_wfdb_signal *s = &h->sig[j];
        uint32_t sum = 0;
        for (long t = 0; s->has_checksum && t < h->n_samples; t++)
            for (int k = 0; k < s->samples_per_frame; k++) sum += (uint32_t)group[(size_t)t * (size_t)w + (size_t)(at + k)];
        at += s->samples_per_frame;
        int got = (int16_t)(uint16_t)(sum & 0xFFFFu);
        if (s->has_checksum && got != s->checksum) {
            snprintf(err, errlen, "record %s signal %d%s%s%s: the samples read from %s sum to checksum %d, the header "
                                  "says %d (corrupt or mismatched signal file)", record, j, s->description[0] ? " (" : "",
                     s->description, s->description[0] ? ")" : "", path, got, s->checksum);
            return -1;
        }
    }
    return 0;
}

int ecg_wfdb_read_record(const char *dir, const char *record, ecg_wfdb_header *h, int32_t **adc, long *n_invalid,
                         char *err, size_t errlen) {
    *adc = NULL;
    if (n_invalid) *n_invalid = 0;
    char path[1024];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.hea", dir, record) >= sizeof path) {
        snprintf(err, errlen, "%s/%s.hea: path too long", dir, record);
        return -1;
    }
    if (ecg_wfdb_read_header(path, h, err, errlen)) return -1;
    int total_w = h->n_sig ? ecg_wfdb_frame_width(h, 0, h->n_sig) : 0;
    int32_t *all = NULL, *group = NULL;
    long invalid = 0;
    int col = 0;
    for (int first = 0; first < h->n_sig;) {
        int count = 1;
        while (first + count < h->n_sig && !strcmp(h->sig[first + count].file, h->sig[first].file)) count++;
        const ecg_wfdb_signal *s0 = &h->sig[first];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, s0->file) >= sizeof path) {
            snprintf(err, errlen, "%s/%s: path too long", dir, s0->file);
            goto fail;
        }
        uint8_t *bytes;
        size_t len;
        if (ecg_wfdb_read_bytes(path, (size_t)1 << 34, &bytes, &len, err, errlen)) goto fail;
        int w = ecg_wfdb_frame_width(h, first, count);
        if (h->n_samples < 0) h->n_samples = frames_in(s0, w, len);
        uint64_t values;
        if (check_group(h, first, count, len, path, &values, err, errlen)) {
            free(bytes);
            goto fail;
        }
        if (!all) {
            size_t n_all = (size_t)h->n_samples * (size_t)total_w;
            all = malloc((n_all ? n_all : 1) * sizeof *all);
            group = malloc(((size_t)h->n_samples * (size_t)w + 1) * sizeof *group);
        } else {
            int32_t *g = realloc(group, ((size_t)h->n_samples * (size_t)w + 1) * sizeof *group);
            if (g) group = g;
            else {
                free(group);
                group = NULL;
            }
        }
        if (!all || !group) {
            snprintf(err, errlen, "%s: out of memory for %ld frames", path, h->n_samples);
            free(bytes);
            goto fail;
        }
        int rc = ecg_wfdb_decode(h, first, count, bytes, len, path, group, err, errlen);
        free(bytes);
        if (rc || verify_checksums(h, first, count, group, record, path, err, errlen)) goto fail;
        /* Place the group's values at their columns of the record's frames. */
        int32_t bad = invalid_marker(s0->format);
        for (long t = 0; t < h->n_samples; t++) {
            const int32_t *src = group + (size_t)t * (size_t)w;
            int32_t *dst = all + (size_t)t * (size_t)total_w + col;
            for (int k = 0; k < w; k++) {
                dst[k] = src[k];
                invalid += src[k] == bad;
            }
        }
        first += count;
        col += w;
    }
    free(group);
    if (h->n_samples < 0) h->n_samples = 0; /* no signals and no count: none, not -1 */
    if (!all) all = malloc(sizeof *all); /* no signals: an empty, freeable array */
    if (!all) {
        snprintf(err, errlen, "%s: out of memory", record);
        ecg_wfdb_header_free(h);
        return -1;
    }
    *adc = all;
    if (n_invalid) *n_invalid = invalid;
    return 0;
fail:
    free(all);
    free(group);
    ecg_wfdb_header_free(h);
    return -1;
}
