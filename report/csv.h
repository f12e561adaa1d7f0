/* CSV files through libcsv: the writer every table and measurement goes through (report/csv_out.c)
 * and the strict reader the report and compare read them back with (report/csv_in.c). */
#ifndef ECG_REPORT_CSV_H
#define ECG_REPORT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "ops/atomic_file.h"

/* RFC 4180 output through libcsv: fields that need it (comma, quote, CR/LF, edge spaces) are
 * quoted by csv_fwrite; numbers and plain words stay bare so gnuplot and spreadsheets read them
 * as they are. Every row must have as many cells as the header. */
typedef struct {
    FILE *f;            /* the temporary file's stream (ops/atomic_file.h): renamed into place on close */
    ecg_atomic_file af;
    int n_cols;   /* from the header */
    int col;      /* cells written in the current row */
    int failed;   /* sticky: set on the first error, message in err */
    char err[512];
    char path[400]; /* for messages */
} ecg_csv;

/* Creates the parent directories of path as needed. 0 ok, -1 with w->err. */
int ecg_csv_open(ecg_csv *w, const char *path);
int ecg_csv_header(ecg_csv *w, const char *const *names, int n);
int ecg_csv_str(ecg_csv *w, const char *s);
int ecg_csv_int(ecg_csv *w, long long v);
int ecg_csv_num(ecg_csv *w, double v);   /* %.6g; NaN/inf written as "nan"/"inf" */
int ecg_csv_end_row(ecg_csv *w);         /* -1 when the row has the wrong number of cells */
/* Closes the file (always): written so far without an error, it is renamed into place (flushed to
 * disk first); else the temporary file is removed and the path keeps what it held. Returns -1 if any
 * earlier call or the close failed. */
int ecg_csv_close(ecg_csv *w);
/* Stops writing: the temporary file is removed, the path keeps what it held. */
void ecg_csv_abort(ecg_csv *w);
/* ecg_csv_close, with its error copied to err on failure. */
int ecg_csv_close_err(ecg_csv *w, char *err, size_t errlen);

/* A whole CSV file read back (report/csv_in.c): rows[0] is the header; every row has its width;
 * lines[i] is the file line row i starts on (for messages: a quoted field may span lines). */
typedef struct {
    char ***rows;
    int *widths;
    int *lines;
    int n_rows;
} ecg_csv_table;
/* Strict RFC 4180; a UTF-8 byte-order mark is skipped; a row whose field count differs from the
 * header's is an error; errors give the line. 0, or -1 with err. */
int ecg_csv_read(const char *path, ecg_csv_table *t, char *err, size_t errlen);
/* A cell as a number, strictly: a decimal number with nothing around it (no "0x10", no spaces),
 * or the writer's "nan" / "inf" / "-inf". An empty cell is NAN too. 0, or -1 when it is not one. */
int ecg_csv_number(const char *cell, double *out);
void ecg_csv_table_free(ecg_csv_table *t);
int ecg_csv_col(const ecg_csv_table *t, const char *name); /* column index, -1 if absent */

#endif
