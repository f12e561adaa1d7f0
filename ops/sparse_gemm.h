/* Own sparse kernel for 1x1 convs and linears with pruned weights (ops/sparse_gemm.c). */
#ifndef ECG_SPARSE_GEMM_H
#define ECG_SPARSE_GEMM_H

#include <stddef.h>

#include "isa.h"

/* Y[rows, out] = X[rows, in] W^T + bias for a pruned W [out, in] (PyTorch Linear / Conv1d k=1
 * layout), in a packed format built once from the dense weights (zeros skipped). The XNNPACK
 * executor uses it per layer with ECG_XNN_SPARSE. */
typedef struct ecg_sparse_w ecg_sparse_w;
struct pthreadpool;                         /* pthreadpool_t, without its header */
/* Bytes ecg_sparse_w_pack needs for w (0 when out or in < 1). */
size_t ecg_sparse_w_bytes(const float *w, int out, int in);
/* Packs w (and bias, may be NULL) into mem (8-byte aligned, ecg_sparse_w_bytes long; the result
 * points into it and owns nothing: free mem to free it). NULL with err on bad arguments. */
ecg_sparse_w *ecg_sparse_w_pack(void *mem, size_t bytes, const float *w, const float *bias, int out, int in,
                                char *err, size_t errlen);
int ecg_sparse_w_out(const ecg_sparse_w *s);
int ecg_sparse_w_in(const ecg_sparse_w *s);
size_t ecg_sparse_w_nnz(const ecg_sparse_w *s);     /* nonzero weights */
size_t ecg_sparse_w_padded(const ecg_sparse_w *s);  /* stored entries, padding included */
/* Scratch floats ecg_sparse_gemm needs for `rows` rows (a transposed copy of X). */
size_t ecg_sparse_scratch_floats(const ecg_sparse_w *s, size_t rows);
/* x [rows, in] and y [rows, out], row-major, any alignment, not overlapping. Row tiles are split
 * across tp (NULL: the calling thread). isa must be supported (ecg_isa_best() for speed; tests
 * force the others). 0 ok, -1 with err on a shape mismatch, short scratch or unsupported isa. */
int ecg_sparse_gemm(const ecg_sparse_w *s, const float *x, size_t rows, size_t in, float *y, size_t out,
                    float *scratch, size_t scratch_floats, struct pthreadpool *tp, ecg_isa isa, char *err,
                    size_t errlen);

#endif
