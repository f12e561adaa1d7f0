/* Latency in `ecgbench report`: the rows of latency_ecgbench.csv (`ecgbench latency`) and of the
 * PyTorch peer's CSV (bench/peers/time_torch.py) attached to the runs they timed, and written
 * together as latency.csv, each peer row with ecgbench's speedup over it at the same setting, and
 * every row whose figures look disturbed flagged with the reason (bench/latency_check.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/latency_check.h"
#include "report/report.h"

typedef struct {
    int run, executor, peer, batch, threads, median, mean, stddev, p90, p99, iterations, init;
} columns;

static columns columns_of(const ecg_csv_table *t) {
    return (columns){ecg_csv_col(t, "run"),    ecg_csv_col(t, "executor"), ecg_csv_col(t, "peer"),
                     ecg_csv_col(t, "batch"),  ecg_csv_col(t, "threads"),  ecg_csv_col(t, "median_us"),
                     ecg_csv_col(t, "mean_us"), ecg_csv_col(t, "stddev_us"), ecg_csv_col(t, "p90_us"),
                     ecg_csv_col(t, "p99_us"), ecg_csv_col(t, "iterations"), ecg_csv_col(t, "init_ms")};
}

/* A cell as a number, parsed strictly (ecg_csv_number: no hex, no spaces); NaN when the column is
 * absent or the cell empty or not a number. */
static double num(const ecg_csv_table *t, int row, int col) {
    double v;
    return col < 0 || ecg_csv_number(t->rows[row][col], &v) ? NAN : v;
}

/* A count cell (batch, threads, iterations): a whole number in [0, max], else -1 (a cast of NaN
 * or 1e300 would be undefined). */
static long long count(const ecg_csv_table *t, int row, int col, double max) {
    double v = num(t, row, col);
    return v >= 0 && v <= max && v == floor(v) ? (long long)v : -1;
}
#define MAX_SETTING (1 << 20) /* batch, threads */

/* "ecgbench-xnnpack", "pytorch-eager", ...: the executor column, or the peer column of the torch CSV. */
static const char *executor_of(const ecg_csv_table *t, const columns *c, int row) {
    return c->executor >= 0 ? t->rows[row][c->executor] : c->peer >= 0 ? t->rows[row][c->peer] : "";
}

static int index_of(const ecg_report_row *rows, int n, const char *run) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].run_name, run)) return i;
    return -1;
}

static const ecg_report_latency *own_at(const ecg_report_row *r, int batch, int threads) {
    for (int i = 0; r && i < r->n_lat; i++)
        if (r->lat[i].batch == batch && r->lat[i].threads == threads) return &r->lat[i];
    return NULL;
}

int ecg_report_attach_latency(const ecg_report_latency_files *f, ecg_report_row *rows, int n, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) rows[i].torch_eager_us = rows[i].torch_script_us = rows[i].ort_us = NAN;
    for (int k = 0; k < f->n; k++) {
        const ecg_csv_table *t = &f->t[k];
        columns c = columns_of(t);
        if (c.run < 0 || c.batch < 0 || c.threads < 0 || c.median < 0 || (c.executor < 0 && c.peer < 0)) {
            snprintf(err, errlen, "latency file %d lacks run, executor (or peer), batch, threads or median_us", k + 1);
            return -1;
        }
        for (int r = 1; r < t->n_rows; r++) {
            long long b = count(t, r, c.batch, MAX_SETTING), th = count(t, r, c.threads, MAX_SETTING),
                      it = c.iterations < 0 ? 0 : count(t, r, c.iterations, 1e15);
            if (b < 1 || th < 1 || it < 0) {
                snprintf(err, errlen, "latency file %d, line %d: batch '%.24s', threads '%.24s' and iterations '%.24s' "
                         "must be whole numbers (batch and threads from 1)", k + 1, t->lines[r], t->rows[r][c.batch],
                         t->rows[r][c.threads], c.iterations < 0 ? "" : t->rows[r][c.iterations]);
                return -1;
            }
            int i = index_of(rows, n, t->rows[r][c.run]);
            if (i < 0) continue; /* timed, but not part of this report */
            ecg_report_row *row = &rows[i];
            const char *ex = executor_of(t, &c, r);
            if (!strcmp(ex, "ecgbench-xnnpack") && row->n_lat < REPORT_MAX_SETTINGS) {
                row->lat[row->n_lat++] = (ecg_report_latency){(int)b,
                                                          (int)th,
                                                          num(t, r, c.median),
                                                          num(t, r, c.p90),
                                                          num(t, r, c.p99),
                                                          num(t, r, c.mean),
                                                          num(t, r, c.stddev),
                                                          num(t, r, c.init),
                                                          it,
                                                          ""};
            } else if (b == 1 && th == 1) {
                if (!strcmp(ex, "pytorch-eager")) row->torch_eager_us = num(t, r, c.median);
                if (!strcmp(ex, "pytorch-torchscript")) row->torch_script_us = num(t, r, c.median);
                if (!strcmp(ex, "onnxruntime")) row->ort_us = num(t, r, c.median);
            }
        }
    }
    for (int i = 0; i < n; i++) /* once all are in: the 1-thread row may come after the others */
        for (int s = 0; s < rows[i].n_lat; s++) {
            ecg_report_latency *l = &rows[i].lat[s];
            const ecg_report_latency *one = own_at(&rows[i], l->batch, 1);
            ecg_latency_flag(l->threads, l->median_us, l->p90_us, l->p99_us, one ? one->median_us : NAN, l->flag,
                             sizeof l->flag);
        }
    return 0;
}

/* The flag of row r of a latency file: its spread, and its thread scaling against the 1-thread row
 * of the same run, executor and batch in the same file. */
static int file_row_flag(const ecg_csv_table *t, const columns *c, int r, char *reason, size_t n) {
    const char *run = t->rows[r][c->run], *ex = executor_of(t, c, r);
    double b = num(t, r, c->batch), one = NAN;
    for (int k = 1; k < t->n_rows && isnan(one); k++)
        if (num(t, k, c->threads) == 1 && num(t, k, c->batch) == b && !strcmp(t->rows[k][c->run], run) &&
            !strcmp(executor_of(t, c, k), ex))
            one = num(t, k, c->median);
    return ecg_latency_flag((int)count(t, r, c->threads, MAX_SETTING), num(t, r, c->median), num(t, r, c->p90), num(t, r, c->p99),
                            one, reason, n);
}

int ecg_report_latency_flagged(const ecg_report_latency_files *f, const ecg_report_row *rows, int n, char *first, size_t len) {
    int flagged = 0;
    char reason[96];
    for (int k = 0; k < f->n; k++) {
        const ecg_csv_table *t = &f->t[k];
        columns c = columns_of(t);
        for (int r = 1; r < t->n_rows; r++) {
            if (index_of(rows, n, t->rows[r][c.run]) < 0 || !file_row_flag(t, &c, r, reason, sizeof reason)) continue;
            if (!flagged++)
                snprintf(first, len, "%s %s b%s t%s: %s", t->rows[r][c.run], executor_of(t, &c, r),
                         t->rows[r][c.batch], t->rows[r][c.threads], reason);
        }
    }
    return flagged;
}

int ecg_report_write_latency(const char *out, const ecg_report_latency_files *f, const ecg_report_row *rows, int n, char *err,
                         size_t errlen) {
    static const char *const cols[] = {"run", "model", "task", "variant", "executor", "batch", "threads",
                                       "median_us", "mean_us", "stddev_us", "p90_us", "p99_us", "iterations",
                                       "init_ms", "gflops_per_s", "ecgbench_speedup", "latency_flag"};
    char path[1200];
    snprintf(path, sizeof path, "%s/latency.csv", out);
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int k = 0; k < f->n; k++) {
        const ecg_csv_table *t = &f->t[k];
        columns c = columns_of(t);
        for (int r = 1; r < t->n_rows; r++) {
            int i = index_of(rows, n, t->rows[r][c.run]);
            if (i < 0) continue;
            const ecg_report_row *row = &rows[i];
            const char *ex = executor_of(t, &c, r);
            int b = (int)count(t, r, c.batch, MAX_SETTING), th = (int)count(t, r, c.threads, MAX_SETTING),
                own = !strcmp(ex, "ecgbench-xnnpack");
            double med = num(t, r, c.median);
            const ecg_report_latency *mine = own ? NULL : own_at(row, b, th);
            ecg_csv_str(&w, row->run_name);
            ecg_csv_str(&w, row->run->model);
            ecg_csv_str(&w, row->task->name);
            ecg_csv_str(&w, row->run->variant);
            ecg_csv_str(&w, ex);
            ecg_csv_int(&w, b);
            ecg_csv_int(&w, th);
            ecg_csv_num(&w, med);
            ecg_csv_num(&w, num(t, r, c.mean));
            ecg_csv_num(&w, num(t, r, c.stddev));
            ecg_csv_num(&w, num(t, r, c.p90));
            ecg_csv_num(&w, num(t, r, c.p99));
            ecg_csv_num(&w, num(t, r, c.iterations));
            if (c.init >= 0) ecg_csv_num(&w, num(t, r, c.init));
            else ecg_csv_str(&w, "");
            ecg_csv_num(&w, ecg_report_gflops(row, b, med));
            if (mine && mine->median_us > 0) ecg_csv_num(&w, med / mine->median_us);
            else ecg_csv_str(&w, "");
            char flag[96];
            file_row_flag(t, &c, r, flag, sizeof flag);
            ecg_csv_str(&w, flag);
            ecg_csv_end_row(&w);
        }
    }
    return ecg_csv_close_err(&w, err, errlen);
}
