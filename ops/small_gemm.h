/* Own dense kernel for 1x1 convs and linears over few rows (ops/small_gemm.c). */
#ifndef ECG_SMALL_GEMM_H
#define ECG_SMALL_GEMM_H

#include <stddef.h>

#include "isa.h"

/* Y[rows, out] = max(X[rows, in] W^T + bias, lo) for W [out, in], reading W once per 8 rows
 * (XNNPACK reads it once per 7: twice for T = 8). Packed once: ecg_small_w_floats floats (0 when
 * out or in < 1), bias may be NULL. x [rows, in] and y [rows, out] row-major, not overlapping;
 * lo = -INFINITY for no clamp, 0 for a ReLU. Panels are split across tp (NULL: the calling
 * thread). -1 on a NULL pointer, bad size or an isa this CPU lacks. */
#define ECG_SMALL_ROWS_PER_PASS 8
struct pthreadpool;                         /* pthreadpool_t, without its header */
size_t ecg_small_w_floats(int out, int in);
void ecg_small_w_pack(float *dst, const float *w, const float *bias, int out, int in);
int ecg_small_gemm(const float *wp, int out, int in, const float *x, size_t rows, float *y, float lo,
                   struct pthreadpool *tp, ecg_isa isa);

/* The same for one row, y[out] = max(x[in] W^T + bias, lo), 8 chains of FMAs side by side where
 * XNNPACK runs one; AVX-512 only (-1 elsewhere, or on a NULL pointer or bad size). Packed once by
 * ecg_small_gemv_w_pack (ecg_small_gemv_w_floats floats), in its own layout. */
size_t ecg_small_gemv_w_floats(int out, int in);
void ecg_small_gemv_w_pack(float *dst, const float *w, const float *bias, int out, int in);
int ecg_small_gemv(const float *wp, int out, int in, const float *x, float *y, float lo, struct pthreadpool *tp);

#endif
