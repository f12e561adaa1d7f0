/* The one matrix product of the training kernels (internal to ops/): OpenBLAS sgemm, row-major. */
#ifndef ECG_GEMM_H
#define ECG_GEMM_H

/* C[m, n] += op(A)[m, k] @ op(B)[k, n], where op(A) = A (A is [m, k], row stride lda) or, with
 * trans_a, A^T (A is [k, m]); likewise B. Leading dimensions are in floats and may exceed the
 * row length (a strided view: every stride-th time step of an activation). */
void ecg_gemm_acc(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float *c, int ldc);

/* A dense layer on rows, PyTorch Linear layout (x [rows, in], w [out, in], b [out] or NULL):
 * y = x w^T + b; and its gradients accumulated: dx += dy w, dw += dy^T x, db += column sums of
 * dy (any of dx, dw, db may be NULL: not wanted). */
void ecg_dense_forward(const float *x, int rows, int in, const float *w, const float *b, int out, float *y);
void ecg_dense_backward(const float *x, int rows, int in, const float *w, int out, const float *dy, float *dx,
                        float *dw, float *db);

/* sum[j] += m[r, j] over the rows of m [rows, cols]: a bias gradient. */
void ecg_add_col_sums(float *sum, const float *m, int rows, int cols);

#endif
