/* WFDB header (.hea) parser: record line, signal lines, comments, MIT-BIH age/sex.
 * Format as PhysioNet's header(5) describes it. Every field is range-checked; a message names
 * the file and the line. Multi-segment records are rejected. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

/* Bounds that no real record reaches but that keep later size arithmetic far from overflow. */
#define MAX_SAMPLES (1L << 40)
#define MAX_SPF 1024
#define MAX_COMMENTS 4096

typedef struct {
    const char *what;
    int line;
    char *err;
    size_t errlen;
} ctx;

static int fail(const ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const ctx *c, const char *fmt, ...) {
    char msg[384], shown[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ecg_printable(msg, sizeof msg, shown, sizeof shown); /* file bytes quoted in msg: no raw binary */
    /* line 0: about the whole header, no line to cite */
    if (c->err && c->errlen && c->line > 0) snprintf(c->err, c->errlen, "%s:%d: %s", c->what, c->line, shown);
    else if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s: %s", c->what, shown);
    return -1;
}

/* Integer in [lo, hi] from s[0..end); the whole span must be the number. */
static int parse_long(const char *s, const char *end, long lo, long hi, long *out) {
    char buf[32];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    long v = strtol(buf, &e, 10);
    if (errno || *e || e == buf || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* Finite decimal number from s[0..end) (no hex, inf or nan spellings). */
static int parse_double(const char *s, const char *end, double *out) {
    char buf[64];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789+-.eE", buf[i])) return -1;
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (errno || *e || e == buf || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Splits a line into whitespace-separated tokens (in place); returns the count. */
static int tokenize(char *line, char **tok, int max) {
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (n == max) return max + 1;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = 0;
    }
    return n;
}

/* "fs[/counter[(base)]]" */
static int parse_fs(const ctx *c, const char *t, double *fs) {
    const char *end = t + strcspn(t, "/(");
    if (parse_double(t, end, fs) || !(*fs > 0) || *fs > 1e9)
        return fail(c, "sampling frequency '%s' is not a number in (0, 1e9]", t);
    if (*end == '/') {
        const char *p = end + 1, *q = p + strcspn(p, "(");
        double counter;
        if (parse_double(p, q, &counter) || counter < 0) return fail(c, "counter frequency in '%s' is not valid", t);
        end = q;
    }
    if (*end == '(') {
        const char *p = end + 1, *q = strchr(p, ')');
        double base;
        if (!q || q[1] || parse_double(p, q, &base)) return fail(c, "base counter value in '%s' is not valid", t);
        end = q + 1;
    }
    if (*end) return fail(c, "sampling frequency field '%s' has trailing characters", t);
    return 0;
}

static int parse_record_line(const ctx *c, char *line, ecg_wfdb_header *h) {
    char *tok[8];
    int n = tokenize(line, tok, 6);
    if (n < 2) return fail(c, "record line needs a name and a signal count");
    if (n > 6) return fail(c, "record line has more than 6 fields");
    if (strchr(tok[0], '/'))
        return fail(c, "multi-segment record '%s' is not supported (only single-segment records)", tok[0]);
    if (strlen(tok[0]) >= sizeof h->record) return fail(c, "record name '%.40s...' is too long", tok[0]);
    for (const char *p = tok[0]; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return fail(c, "record name '%s' has a character other than letters, digits, '_', '-' and '.'", tok[0]);
    strcpy(h->record, tok[0]);
    long v;
    if (parse_long(tok[1], tok[1] + strlen(tok[1]), 0, ECG_WFDB_MAX_SIG, &v))
        return fail(c, "signal count '%s' is not an integer in [0, %d]", tok[1], ECG_WFDB_MAX_SIG);
    h->n_sig = (int)v;
    if (n > 2 && parse_fs(c, tok[2], &h->fs)) return -1;
    if (n > 3) {
        if (parse_long(tok[3], tok[3] + strlen(tok[3]), 0, MAX_SAMPLES, &h->n_samples))
            return fail(c, "sample count '%s' is not an integer in [0, %ld]", tok[3], MAX_SAMPLES);
    }
    /* tok[4], tok[5]: base time and date; not used. */
    return 0;
}

/* "format[xspf][:skew][+offset]" */
static int parse_format(const ctx *c, const char *t, ecg_wfdb_signal *s) {
    const char *p = t, *q = p + strcspn(p, "x:+");
    long v;
    if (parse_long(p, q, 0, 100000, &v)) return fail(c, "signal format '%s' is not an integer", t);
    if (v != 212 && v != 16 && v != 80)
        return fail(c, "signal format %ld is not supported (only 212, 16 and 80)", v);
    s->format = (int)v;
    if (*q == 'x') {
        p = q + 1;
        q = p + strcspn(p, ":+");
        if (parse_long(p, q, 1, MAX_SPF, &v)) return fail(c, "samples per frame in '%s' not in [1, %d]", t, MAX_SPF);
        s->samples_per_frame = (int)v;
    }
    if (*q == ':') {
        p = q + 1;
        q = p + strcspn(p, "+");
        if (parse_long(p, q, 0, 1000000, &v)) return fail(c, "skew in '%s' not in [0, 1000000]", t);
        s->skew = (int)v;
    }
    if (*q == '+') {
        p = q + 1;
        q = p + strlen(p);
        if (parse_long(p, q, 0, 1L << 40, &s->byte_offset)) return fail(c, "byte offset in '%s' is not valid", t);
    }
    if (*q) return fail(c, "signal format field '%s' is malformed", t);
    return 0;
}

/* "gain[(baseline)][/units]" */
static int parse_gain(const ctx *c, const char *t, ecg_wfdb_signal *s, int *has_baseline) {
    const char *end = t + strcspn(t, "(/");
    if (parse_double(t, end, &s->gain) || fabs(s->gain) > 1e12)
        return fail(c, "gain '%s' is not a finite number", t);
    if (s->gain == 0) s->gain = 200; /* WFDB: 0 means uncalibrated, 200 adu/mV is used */
    if (*end == '(') {
        const char *p = end + 1, *q = strchr(p, ')');
        long v;
        if (!q || parse_long(p, q, INT_MIN / 2, INT_MAX / 2, &v)) return fail(c, "baseline in '%s' is not valid", t);
        s->baseline = (int)v;
        *has_baseline = 1;
        end = q + 1;
    }
    if (*end == '/') {
        const char *u = end + 1;
        if (!*u || strlen(u) >= sizeof s->units) return fail(c, "units in '%s' are empty or too long", t);
        strcpy(s->units, u);
        end = u + strlen(u);
    }
    if (*end) return fail(c, "gain field '%s' is malformed", t);
    return 0;
}

static int default_resolution(int format) { return format == 16 ? 16 : format == 80 ? 8 : 12; }

static int parse_signal_line(const ctx *c, char *line, ecg_wfdb_signal *s) {
    memset(s, 0, sizeof *s);
    s->samples_per_frame = 1;
    strcpy(s->units, "mV");
    s->gain = 200;
    char *tok[8];
    /* Fields 1-8 are single tokens; the description is the rest of the line and may hold spaces. */
    int n = 0;
    char *p = line, *desc = NULL;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (n == 8) {
            desc = p;
            break;
        }
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = 0;
    }
    if (n < 2) return fail(c, "signal line needs at least a file name and a format");
    if (strlen(tok[0]) >= sizeof s->file) return fail(c, "signal file name is too long");
    if (!strcmp(tok[0], "-") || strchr(tok[0], '/') || !strcmp(tok[0], "..") || !strcmp(tok[0], "."))
        return fail(c, "signal file '%s' must be a plain file name in the header's folder", tok[0]);
    strcpy(s->file, tok[0]);
    if (parse_format(c, tok[1], s)) return -1;
    int has_baseline = 0, has_init = 0;
    long v;
    if (n > 2 && parse_gain(c, tok[2], s, &has_baseline)) return -1;
    if (n > 3) {
        if (parse_long(tok[3], tok[3] + strlen(tok[3]), 0, 32, &v))
            return fail(c, "ADC resolution '%s' not in [0, 32]", tok[3]);
        s->adc_resolution = (int)v;
    }
    if (!s->adc_resolution) s->adc_resolution = default_resolution(s->format);
    if (n > 4) {
        if (parse_long(tok[4], tok[4] + strlen(tok[4]), INT_MIN / 2, INT_MAX / 2, &v))
            return fail(c, "ADC zero '%s' is not a valid integer", tok[4]);
        s->adc_zero = (int)v;
    }
    if (n > 5) {
        if (parse_long(tok[5], tok[5] + strlen(tok[5]), INT_MIN / 2, INT_MAX / 2, &v))
            return fail(c, "initial value '%s' is not a valid integer", tok[5]);
        s->init_value = (int)v;
        has_init = 1;
    }
    if (n > 6) {
        if (parse_long(tok[6], tok[6] + strlen(tok[6]), -32768, 65535, &v))
            return fail(c, "checksum '%s' not in [-32768, 65535]", tok[6]);
        s->checksum = (int)(int16_t)(uint16_t)v;
        s->has_checksum = 1;
    }
    if (n > 7) {
        if (parse_long(tok[7], tok[7] + strlen(tok[7]), 0, INT_MAX, &v))
            return fail(c, "block size '%s' is not a non-negative integer", tok[7]);
        s->block_size = (int)v;
    }
    if (desc) {
        size_t len = strlen(desc);
        while (len && (desc[len - 1] == ' ' || desc[len - 1] == '\t')) len--;
        if (len >= sizeof s->description)
            return fail(c, "signal description is longer than %zu bytes", sizeof s->description - 1);
        memcpy(s->description, desc, len);
        s->description[len] = 0;
    }
    if (!has_baseline) s->baseline = s->adc_zero;
    if (!has_init) s->init_value = s->adc_zero;
    return 0;
}

/* MIT-BIH style "<age> <sex> ...": age -1 or '?' means unknown. */
static void parse_age_sex(const char *comment, ecg_wfdb_header *h) {
    char a[16], s[8];
    if (sscanf(comment, "%15s %7s", a, s) != 2) return;
    long age;
    int age_ok = 0;
    if (!strcmp(a, "?") || !strcmp(a, "-1")) {
        age = -1;
        age_ok = 1;
    } else if (!parse_long(a, a + strlen(a), 0, 150, &age)) {
        age_ok = 1;
    }
    char sex = !strcmp(s, "M") ? 'M' : !strcmp(s, "F") ? 'F' : !strcmp(s, "?") ? '?' : 0;
    if (age_ok && sex) {
        h->age = (int)age;
        h->sex = sex;
    }
}

static int add_comment(const ctx *c, ecg_wfdb_header *h, const char *text) {
    if (h->n_comments >= MAX_COMMENTS) return fail(c, "more than %d comment lines", MAX_COMMENTS);
    char **grown = realloc(h->comments, (size_t)(h->n_comments + 1) * sizeof *grown);
    if (!grown) return fail(c, "out of memory");
    h->comments = grown;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t')) n--;
    char *copy = malloc(n + 1);
    if (!copy) return fail(c, "out of memory");
    memcpy(copy, text, n);
    copy[n] = 0;
    h->comments[h->n_comments++] = copy;
    return 0;
}

/* Signals sharing a file must be adjacent and agree on format and byte offset (they form one
 * interleaved group); the decoder relies on it. A message cites signal i's line, sig_line[i]. */
static int check_groups(const ctx *c0, const ecg_wfdb_header *h, const int *sig_line) {
    for (int i = 1; i < h->n_sig; i++) {
        const ecg_wfdb_signal *a = &h->sig[i - 1], *b = &h->sig[i];
        ctx cl = *c0, *c = &cl;
        cl.line = sig_line[i];
        if (strcmp(a->file, b->file)) {
            for (int k = 0; k < i - 1; k++)
                if (!strcmp(h->sig[k].file, b->file))
                    return fail(c, "signal %d's file '%s' is shared with signal %d but they are not adjacent", i,
                                b->file, k);
            continue;
        }
        if (a->format != b->format || a->byte_offset != b->byte_offset)
            return fail(c, "signals %d and %d share file '%s' but differ in format or byte offset", i - 1, i, b->file);
    }
    return 0;
}

void ecg_wfdb_header_free(ecg_wfdb_header *h) {
    if (!h) return;
    for (int i = 0; i < h->n_comments; i++) free(h->comments[i]);
    free(h->comments);
    h->comments = NULL;
    h->n_comments = 0;
}

int ecg_wfdb_parse_header(const char *text, size_t len, const char *what, ecg_wfdb_header *h, char *err,
                          size_t errlen) {
    memset(h, 0, sizeof *h);
    h->fs = 250;
    h->n_samples = -1;
    h->age = -1;
    h->sex = '?';
    ctx c = {what ? what : "header", 0, err, errlen};
    if (!text) {
        if (len) return fail(&c, "no text");
        text = "";
    }
    const char *nul = memchr(text, 0, len);
    if (nul) {
        for (const char *q = text; q <= nul; q++) c.line += q == text || q[-1] == '\n';
        return fail(&c, "header holds a NUL byte at offset %zu", (size_t)(nul - text));
    }
    char *buf = malloc(len + 1);
    if (!buf) return fail(&c, "out of memory");
    memcpy(buf, text, len);
    buf[len] = 0;
    int seen_record = 0, n_signal_lines = 0, first_comment = 1, rc = 0, record_line = 0, last_line = 0;
    int sig_line[ECG_WFDB_MAX_SIG] = {0};
    char *line = buf;
    while (line && rc == 0) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        c.line++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') line[--n] = 0;
        if (nl || n) last_line = c.line; /* the text's last line (not the empty rest after a final newline) */
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#') {
            p++;
            while (*p == ' ' || *p == '\t') p++;
            rc = add_comment(&c, h, p);
            if (rc == 0 && first_comment && seen_record) parse_age_sex(p, h);
            if (seen_record) first_comment = 0;
        } else if (*p) {
            if (!seen_record) {
                rc = parse_record_line(&c, p, h);
                seen_record = 1;
                record_line = c.line;
            } else if (n_signal_lines < h->n_sig) {
                sig_line[n_signal_lines] = c.line;
                rc = parse_signal_line(&c, p, &h->sig[n_signal_lines]);
                n_signal_lines++;
            } else {
                rc = fail(&c, "unexpected line after the %d signal line(s): '%.40s'", h->n_sig, p);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    c.line = 0;
    if (rc == 0 && !seen_record)
        rc = fail(&c, "no record line (%d line(s), %s)", last_line, len ? "comments or blank lines only" : "empty file");
    c.line = record_line;
    if (rc == 0 && n_signal_lines < h->n_sig)
        rc = fail(&c, "record line declares %d signals but the header has %d signal line(s)", h->n_sig,
                  n_signal_lines);
    if (rc == 0) rc = check_groups(&c, h, sig_line);
    if (rc) {
        ecg_wfdb_header_free(h);
        return -1;
    }
    return 0;
}

int ecg_wfdb_read_header(const char *path, ecg_wfdb_header *h, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    memset(h, 0, sizeof *h);
    if (ecg_wfdb_read_bytes(path, 1 << 20, &buf, &len, err, errlen)) return -1;
    int rc = ecg_wfdb_parse_header((const char *)buf, len, path, h, err, errlen);
    free(buf);
    return rc;
}
