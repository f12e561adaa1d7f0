/* The one matrix product of the training kernels (internal to ops/): OpenBLAS sgemm, row-major. */
#ifndef ECG_GEMM_H
#define ECG_GEMM_H

/* C[m, n] += op(A)[m, k] @ op(B)[k, n], where op(A) = A (A is [m, k], row stride lda) or, with
 * trans_a, A^T (A is [k, m]); likewise B. Leading dimensions are in floats and may exceed the
 * row length (a strided view: every stride-th time step of an activation). */
void ecg_gemm_acc(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float *c, int ldc);

#endif
