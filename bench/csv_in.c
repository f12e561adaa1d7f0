/* Reading a whole CSV file (RFC 4180, through libcsv's strict parser) into a table of strings. */
#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

typedef struct {
    ecg_csv_table *t;
    char **row;        /* the row being read */
    int n, cap;
    int oom;
} reader;

static void on_field(void *s, size_t len, void *data) {
    reader *r = data;
    if (r->oom) return;
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
    memcpy(f, s, len);
    f[len] = 0;
    r->row[r->n++] = f;
}

static void on_row(int c, void *data) {
    (void)c;
    reader *r = data;
    ecg_csv_table *t = r->t;
    if (r->oom) return;
    char ***rows = realloc(t->rows, sizeof *rows * (size_t)(t->n_rows + 1));
    if (!rows) {
        r->oom = 1;
        return;
    }
    t->rows = rows;
    int *widths = realloc(t->widths, sizeof *widths * (size_t)(t->n_rows + 1));
    if (!widths) {
        r->oom = 1;
        return;
    }
    t->widths = widths;
    t->rows[t->n_rows] = r->row;
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
    memset(t, 0, sizeof *t);
}

int ecg_csv_read(const char *path, ecg_csv_table *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser p;
    reader r = {.t = t};
    int rc = -1;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, got, on_field, on_row, &r) != got) break;
    int bad = ferror(f) || csv_error(&p) != CSV_SUCCESS || csv_fini(&p, on_field, on_row, &r) != 0;
    if (bad) snprintf(err, errlen, "%s: not valid CSV (%s)", path, csv_strerror(csv_error(&p)));
    else if (r.oom) snprintf(err, errlen, "%s: out of memory", path);
    else if (t->n_rows == 0) snprintf(err, errlen, "%s: empty (no header line)", path);
    else rc = 0;
    for (int i = 0; i < t->n_rows && rc == 0; i++)
        if (t->widths[i] != t->widths[0]) {
            snprintf(err, errlen, "%s: line %d has %d fields, the header %d", path, i + 1, t->widths[i], t->widths[0]);
            rc = -1;
        }
    for (int j = 0; j < r.n; j++) free(r.row[j]);
    free(r.row);
    csv_free(&p);
    fclose(f);
    if (rc) ecg_csv_table_free(t);
    return rc;
}

int ecg_csv_col(const ecg_csv_table *t, const char *name) {
    for (int j = 0; t->n_rows && j < t->widths[0]; j++)
        if (!strcmp(t->rows[0][j], name)) return j;
    return -1;
}
