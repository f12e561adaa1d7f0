/* Minimal test harness: each tests/test_*.c is one binary whose main() runs its tests with RUN.
 * A test passes when none of its CHECKs failed, fails when one did, and is skipped when it called
 * SKIP / test_skip (naming what is missing) without a failed CHECK. Each binary closes with
 * "RESULT N passed, M failed, K skipped"; tests/run.sh sums them. */
#ifndef ECG_TEST_HARNESS_H
#define ECG_TEST_HARNESS_H

#include <stdio.h>

#include "../ops/ops.h"
#include "../ops/rng.h"

typedef struct {
    int passed, failed, skipped, checks_failed_in_test;
    int skips_in_test;      /* test_skip calls in the current test */
    char skip_reason[512];  /* the first one's message */
    const char *current;
} test_state;

extern test_state test_st;

void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void test_run(const char *name, void (*fn)(void));
int test_done(void); /* prints the binary's summary line; returns the exit code */
/* Marks the current test skipped (unless a CHECK fails): the message names what is missing, e.g.
 * "no mitdb/100.dat under data/". The test goes on; SKIP also returns from it. */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define SKIP(...)                                                                                  \
    do {                                                                                           \
        test_skip(__VA_ARGS__);                                                                    \
        return;                                                                                    \
    } while (0)
/* 1 when path (relative to the working directory: the repo root) exists, else test_skip naming
 * it and 0: `if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;` */
int test_need_file(const char *path);

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                                   \
    } while (0)
#define RUN(fn) test_run(#fn, fn)

/* max|a-b| / max(max|b|, floor): error relative to the reference's scale. */
double rel_err_f(const float *a, const float *b, size_t n);
double rel_err_d(const double *a, const double *b, size_t n);

/* ---- single-op checks -------------------------------------------------------------------- */
/* Naive double-precision forward of one node: in[j] for node input j (batch-major, per-sample
 * shape in_shape[j]), w[j] for node param j. Writes batch * numel(out) doubles. */
typedef void (*naive_forward)(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                              const double *const *w, double *out, const ecg_shape *out_shape);

typedef struct {
    int batch;
    int training;           /* run the kernel (and expect the naive loop) in training mode */
    int no_input_grad;      /* inputs hold indices (embedding): skip their gradient check */
    const float *input_values[ECG_MAX_IN]; /* optional fixed input data instead of N(0,1) */
    double fwd_tol;         /* default 1e-5 */
    double bwd_tol;         /* default 1e-3 */
    int max_fd_points;      /* per tensor; default 48 */
    uint64_t seed;
} op_check_opts;

/* g holds graph inputs feeding exactly one node whose output is the graph output. Checks the
 * reference forward against `naive` and the reference backward (inputs and trainable params)
 * against central finite differences of `naive` in double precision. Reports via CHECK with
 * `label`. Returns 0 when everything matched. */
int op_check(const char *label, ecg_graph *g, naive_forward naive, const op_check_opts *o);

/* Runs g through the reference executor (eval) and the XNNPACK executor on the same random
 * inputs and checks they agree within tol (relative, as rel_err_f). */
int xnn_check(const char *label, ecg_graph *g, int batch, int threads, unsigned flags, double tol, uint64_t seed);

/* The real-data folder holding the files the test reads, `probes`: paths below it separated by
 * spaces ("mitdb/100.hea mitdb/100.dat mitdb/100.atr"). The first of $ECG_DATA_DIR, data/
 * (`make data`) and ../shared/data (CI) that has them all, copied into buf; NULL when none has,
 * and the test is skipped (test_skip) naming the first file missing. test_find_data: the same
 * without the skip. */
const char *test_data_dir(const char *probes, char *buf, size_t n);
const char *test_find_data(const char *probes, char *buf, size_t n, char *missing, size_t missing_n);

/* 1 when a and b hold the same params: count, shapes and every value's bits. */
int test_same_params(const ecg_graph *a, const ecg_graph *b);

/* A whole file, NUL-terminated (free it); NULL if it cannot be read. */
char *test_read_file(const char *path);

/* Files in dir whose name contains ".tmp" (a writer's leftovers). */
int test_count_temp_files(const char *dir);

/* Runs a command function (ecg_cmd_*) with its standard output captured; returns the output
 * (free it; NULL on failure) and the command's exit code in *rc. */
char *test_capture_stdout(int (*cmd)(int, char **), int argc, char **argv, int *rc);

/* Fills with N(0, scale^2). */
void fill_normal(float *x, size_t n, ecg_rng *r, float scale);
/* Random integer in [lo, hi]. */
int rand_int(ecg_rng *r, int lo, int hi);

#endif
