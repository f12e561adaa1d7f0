/* CSV writer over libcsv (see report/csv.h). */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "report/csv.h"
#include "runs/files.h"

static int fail(ecg_csv *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ecg_csv *w, const char *fmt, ...) {
    if (!w->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, sizeof w->err, fmt, ap);
        va_end(ap);
    }
    w->failed = 1;
    return -1;
}

int ecg_csv_open(ecg_csv *w, const char *path) {
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char dir[4096];
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) return fail(w, "path too long: %s", path);
        memcpy(dir, path, n);
        dir[n] = 0;
        if (ecg_mkdir_p(dir, w->err, sizeof w->err)) {
            w->failed = 1;
            return -1;
        }
    }
    if (ecg_atomic_open(&w->af, path, w->err, sizeof w->err)) {
        w->failed = 1;
        return -1;
    }
    w->f = w->af.f;
    return 0;
}

/* RFC 4180: a field with a separator, quote or line break must be quoted (and its quotes doubled);
 * edge spaces are quoted too since some readers trim them. */
static int needs_quotes(const char *s) {
    size_t n = strlen(s);
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static int cell(ecg_csv *w, const char *s, int quote_if_needed) {
    if (w->failed) return -1;
    if (!w->f) return fail(w, "csv writer is not open");
    if (w->n_cols && w->col >= w->n_cols) return fail(w, "row has more than %d cells", w->n_cols);
    if (w->col && fputc(',', w->f) == EOF) return fail(w, "cannot write %s: %s", w->path, strerror(errno));
    int rc = quote_if_needed && needs_quotes(s) ? csv_fwrite(w->f, s, strlen(s)) : (fputs(s, w->f) == EOF ? EOF : 0);
    if (rc != 0) return fail(w, "cannot write %s: %s", w->path, strerror(errno));
    w->col++;
    return 0;
}

int ecg_csv_header(ecg_csv *w, const char *const *names, int n) {
    if (w->failed) return -1;
    if (w->n_cols || w->col) return fail(w, "header must be the first row");
    for (int i = 0; i < n; i++)
        if (cell(w, names[i], 1)) return -1;
    w->n_cols = n;
    return ecg_csv_end_row(w);
}

int ecg_csv_str(ecg_csv *w, const char *s) { return cell(w, s ? s : "", 1); }

int ecg_csv_int(ecg_csv *w, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    return cell(w, buf, 0);
}

int ecg_csv_num(ecg_csv *w, double v) {
    char buf[64];
    if (isnan(v)) snprintf(buf, sizeof buf, "nan");
    else if (isinf(v)) snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
    else snprintf(buf, sizeof buf, "%.6g", v);
    return cell(w, buf, 0);
}

int ecg_csv_end_row(ecg_csv *w) {
    if (w->failed) return -1;
    if (!w->f) return fail(w, "csv writer is not open");
    if (w->n_cols && w->col != w->n_cols) return fail(w, "row has %d cells, header has %d", w->col, w->n_cols);
    if (fputc('\n', w->f) == EOF) return fail(w, "cannot write %s: %s", w->path, strerror(errno));
    w->col = 0;
    return 0;
}

int ecg_csv_close(ecg_csv *w) {
    if (w->f) {
        char why[sizeof w->err];
        if (w->failed) ecg_atomic_abort(&w->af);
        else if (ecg_atomic_commit(&w->af, why, sizeof why)) fail(w, "%s", why);
        w->f = NULL;
    }
    return w->failed ? -1 : 0;
}

void ecg_csv_abort(ecg_csv *w) {
    if (w->f) ecg_atomic_abort(&w->af);
    w->f = NULL;
}

int ecg_csv_close_err(ecg_csv *w, char *err, size_t errlen) {
    if (ecg_csv_close(w) == 0) return 0;
    snprintf(err, errlen, "%s", w->err);
    return -1;
}
