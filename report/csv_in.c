/* Reading a whole CSV file (RFC 4180, through libcsv's strict parser) into a table of strings,
 * with the line each row starts on; and the strict number parser for its cells. */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "report/csv.h"

typedef struct {
    ecg_csv_table *t;
    char **row;        /* the row being read */
    int n, cap;
    int row_line;      /* line the row being read starts on */
    int line;          /* line being parsed */
    int oom;
} reader;

static void on_field(void *s, size_t len, void *data) {
    reader *r = data;
    if (r->oom) return;
    if (r->n == 0) { /* the row's first field ends on this line, after its own line breaks */
        int breaks = 0;
        for (size_t i = 0; s && i < len; i++)
            breaks += ((const char *)s)[i] == '\n' || (((const char *)s)[i] == '\r' && (i + 1 == len || ((const char *)s)[i + 1] != '\n'));
        r->row_line = r->line - breaks;
    }
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        char **p = realloc(r->row, sizeof *p * (size_t)cap);
        if (!p) {
            r->oom = 1;
            return;
        }
        r->row = p, r->cap = cap;
    }
    char *f = malloc(len + 1);
    if (!f) {
        r->oom = 1;
        return;
    }
    if (len) memcpy(f, s, len);
    f[len] = 0;
    r->row[r->n++] = f;
}

static void on_row(int c, void *data) {
    (void)c;
    reader *r = data;
    ecg_csv_table *t = r->t;
    if (r->oom) return;
    char ***rows = realloc(t->rows, sizeof *rows * (size_t)(t->n_rows + 1));
    if (rows) t->rows = rows;
    int *widths = rows ? realloc(t->widths, sizeof *widths * (size_t)(t->n_rows + 1)) : NULL;
    if (widths) t->widths = widths;
    int *lines = widths ? realloc(t->lines, sizeof *lines * (size_t)(t->n_rows + 1)) : NULL;
    if (!lines) {
        r->oom = 1;
        return;
    }
    t->lines = lines;
    t->rows[t->n_rows] = r->row;
    t->lines[t->n_rows] = r->row_line;
    t->widths[t->n_rows++] = r->n;
    r->row = NULL, r->n = r->cap = 0;
}

void ecg_csv_table_free(ecg_csv_table *t) {
    for (int i = 0; i < t->n_rows; i++) {
        for (int j = 0; j < t->widths[i]; j++) free(t->rows[i][j]);
        free(t->rows[i]);
    }
    free(t->rows);
    free(t->widths);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

/* The whole file (a regular one: a FIFO would block) in *buf; its length in *len. */
static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen) {
    *buf = NULL;
    if (ecg_check_regular_file(path, err, errlen)) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (size_t got; b && (got = fread(b + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *g = realloc(b, cap *= 2);
            if (!g) free(b);
            b = g;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        snprintf(err, errlen, "%s: %s", path, b ? "read failed" : "out of memory");
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

int ecg_csv_read(const char *path, ecg_csv_table *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    char *text;
    size_t len;
    if (slurp(path, &text, &len, err, errlen)) return -1;
    struct csv_parser p;
    reader r = {.t = t, .line = 1, .row_line = 1};
    int rc = -1;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        free(text);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t at = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0; /* a UTF-8 byte-order mark */
    int bad = 0;
    /* One line at a time (LF, CRLF or a lone CR), so a message can give the line. */
    while (at < len && !bad) {
        size_t end = at;
        while (end < len && text[end] != '\n' && text[end] != '\r') end++;
        int breaks = end < len;
        if (end < len) end += text[end] == '\r' && end + 1 < len && text[end + 1] == '\n' ? 2 : 1;
        bad = csv_parse(&p, text + at, end - at, on_field, on_row, &r) != end - at;
        if (!bad) r.line += breaks;
        at = end;
    }
    bad = bad || csv_error(&p) != CSV_SUCCESS || csv_fini(&p, on_field, on_row, &r) != 0;
    if (bad) snprintf(err, errlen, "%s:%d: not valid CSV (%s)", path, r.line, csv_strerror(csv_error(&p)));
    else if (r.oom) snprintf(err, errlen, "%s: out of memory", path);
    else if (t->n_rows == 0) snprintf(err, errlen, "%s: empty (no header line)", path);
    else rc = 0;
    for (int i = 0; i < t->n_rows && rc == 0; i++)
        if (t->widths[i] != t->widths[0]) {
            snprintf(err, errlen, "%s:%d: %d fields, the header (line %d) has %d", path, t->lines[i], t->widths[i],
                     t->lines[0], t->widths[0]);
            rc = -1;
        }
    for (int j = 0; j < r.n; j++) free(r.row[j]);
    free(r.row);
    csv_free(&p);
    free(text);
    if (rc) ecg_csv_table_free(t);
    return rc;
}

int ecg_csv_col(const ecg_csv_table *t, const char *name) {
    for (int j = 0; t->n_rows && j < t->widths[0]; j++)
        if (!strcmp(t->rows[0][j], name)) return j;
    return -1;
}

int ecg_csv_number(const char *cell, double *out) {
    if (!*cell || !strcmp(cell, "nan") || !strcmp(cell, "-nan")) return *out = NAN, 0;
    if (!strcmp(cell, "inf")) return *out = INFINITY, 0;
    if (!strcmp(cell, "-inf")) return *out = -INFINITY, 0;
    int digits = 0;
    for (const char *c = cell; *c; c++) {
        if (!strchr("0123456789+-.eE", *c)) return -1; /* no hex, spaces, "infinity" spellings */
        digits += *c >= '0' && *c <= '9';
    }
    char *end;
    errno = 0;
    double v = strtod(cell, &end);
    if (!digits || *end || end == cell || errno == ERANGE) return -1;
    *out = v;
    return 0;
}
