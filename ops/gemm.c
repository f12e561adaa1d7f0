/* OpenBLAS behind ecg_gemm_acc. The trainer is already data-parallel (one thread per shard), so
 * every product runs on the calling thread: one BLAS thread, set once. The pthread build of
 * OpenBLAS is the one linked (Makefile) because it is safe to call from several threads at once,
 * which the Debian serial build does not promise; with one BLAS thread the result of a product
 * depends only on its operands, so training stays deterministic for a seed and thread count. */
#include <cblas.h>
#include <pthread.h>
#include <string.h>

#include "gemm.h"

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_single_thread(void) { openblas_set_num_threads(1); }

void ecg_gemm_acc(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float *c, int ldc) {
    if (m < 1 || n < 1 || k < 1) return; /* empty product: nothing to add (BLAS would reject ld < 1) */
    pthread_once(&blas_once, blas_single_thread);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, a, lda, b, ldb, 1.0f, c, ldc);
}

void ecg_add_col_sums(float *sum, const float *m, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) sum[j] += m[(size_t)r * (size_t)cols + (size_t)j];
}

void ecg_dense_forward(const float *x, int rows, int in, const float *w, const float *b, int out, float *y) {
    for (int r = 0; r < rows; r++) {
        float *yr = y + (size_t)r * (size_t)out;
        if (b) memcpy(yr, b, (size_t)out * sizeof(float));
        else memset(yr, 0, (size_t)out * sizeof(float));
    }
    ecg_gemm_acc(0, 1, rows, out, in, x, in, w, in, y, out);
}

void ecg_dense_backward(const float *x, int rows, int in, const float *w, int out, const float *dy, float *dx,
                        float *dw, float *db) {
    if (dx) ecg_gemm_acc(0, 0, rows, in, out, dy, out, w, in, dx, in);
    if (dw) ecg_gemm_acc(1, 0, out, in, rows, dy, out, x, in, dw, in);
    if (db) ecg_add_col_sums(db, dy, rows, out);
}
