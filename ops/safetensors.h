/* Model weights as safetensors files (ops/safetensors.c): the dense F32 save and load of a
 * graph's parameters, and the parsed-file layer the compressed formats (compress/) and the fuzz
 * target build on. */
#ifndef ECG_SAFETENSORS_H
#define ECG_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* Writes all params of g (F32, PyTorch names/shapes) plus optional string metadata pairs. */
int ecg_safetensors_save(const ecg_graph *g, const char *path, const char *const *meta_kv,
                         int n_meta, char *err, size_t errlen);
/* Loads into the params of g by name; every param must be present with its exact shape and dtype
 * F32. Errors name the file and the tensor. Extra tensors are an error unless allow_extra. */
int ecg_safetensors_load(ecg_graph *g, const char *path, int allow_extra, char *err, size_t errlen);

/* A parsed safetensors file, for tools and the fuzz target. */
typedef enum { ECG_DT_F32, ECG_DT_F16, ECG_DT_BF16, ECG_DT_F64, ECG_DT_I64, ECG_DT_I32,
               ECG_DT_I16, ECG_DT_I8, ECG_DT_U8, ECG_DT_BOOL } ecg_dtype;
typedef struct {
    char name[ECG_NAME_LEN];
    ecg_dtype dtype;
    int rank;
    int64_t shape[8];
    const uint8_t *data;     /* points into the file buffer */
    size_t nbytes;
} ecg_st_tensor;
typedef struct {
    uint8_t *buf;            /* whole file */
    size_t len;
    ecg_st_tensor *t;
    int n;
    char **meta_kv;          /* __metadata__ pairs: key0, value0, key1, ... */
    int n_meta;
} ecg_st_file;
/* Parses a whole safetensors image (takes ownership of buf on success and failure). */
int ecg_st_parse(ecg_st_file *f, uint8_t *buf, size_t len, const char *what, char *err, size_t errlen);
int ecg_st_read(ecg_st_file *f, const char *path, char *err, size_t errlen);
void ecg_st_free(ecg_st_file *f);
const ecg_st_tensor *ecg_st_find(const ecg_st_file *f, const char *name);
/* n little-endian F32 values of file data (any alignment) into host floats. */
void ecg_st_copy_f32(float *dst, const uint8_t *src, size_t n);
size_t ecg_dtype_size(ecg_dtype t);
const char *ecg_dtype_name(ecg_dtype t);
/* Writes tensors t[0..n) atomically (temporary file, fsync, rename), data laid out in the given
 * order (put wider dtypes first to keep every tensor aligned), each t[i].data in host byte order
 * holding exactly numel * dtype size = t[i].nbytes bytes. Names must be unique, non-empty and
 * not "__metadata__". Optional string metadata pairs. 0 ok, -1 with err naming the file. */
int ecg_st_write(const char *path, const ecg_st_tensor *t, int n, const char *const *meta_kv, int n_meta, char *err,
                 size_t errlen);
/* Notes on ecg_st_parse: f->t is sorted by name (ecg_st_find is a binary search); the tensors
 * must tile the data buffer exactly (no overlap, no gap, no trailing bytes), as the spec says. */
/* The checks and copy of ecg_safetensors_load on a parsed file; `what` names the file in
 * messages. "*.num_batches_tracked" tensors are ignored. Everything is validated before any
 * param is written, so on error g is unchanged. 0 ok, -1 with err. */
int ecg_st_to_graph(ecg_graph *g, const ecg_st_file *f, const char *what, int allow_extra, char *err,
                    size_t errlen);

#endif
