/* ecgbench compression passes over a graph + weights. So far: int8 post-training quantization
 * (calibration, weight quantization, the int8 weights file). The int8 model runs on the XNNPACK
 * executor (ecg_xnn_create_q in ops/). */
#ifndef ECG_COMPRESS_H
#define ECG_COMPRESS_H

#include "models/models.h"

/* The graph the XNNPACK executor lowers: a deep copy of src with eval-mode batchnorm folded into
 * the conv1d/linear before it and dropout removed. Quantization works on this graph, so the
 * weights it quantizes are the folded ones. dst is initialised here. 0 ok, -1 with err. */
int ecg_inference_graph(ecg_graph *dst, const ecg_graph *src, char *err, size_t errlen);

/* ---------------------------------------------------------------- calibration (compress/calibrate.c) */
/* Per-value activation ranges of a graph over a calibration set: min/max, and the lo/hi
 * percentiles of the values' distribution (from a histogram over [min, max]). Only the values
 * that a conv1d or linear node reads or writes are recorded (has[v] = 1). */
typedef struct {
    int n_values;
    unsigned char *has;
    float *min, *max;
    float *p_lo, *p_hi;
    double percentile;      /* e.g. 99.99: p_hi is that percentile, p_lo the (100 - it) one */
} ecg_act_ranges;

#define ECG_CALIB_BINS 2048

/* Runs the f32 inference graph g (ecg_inference_graph) on the XNNPACK executor over n examples:
 * x holds n * numel(input 0) floats, features (NULL if g has one input) n * numel(input 1).
 * percentile in (50, 100]. 0 ok, -1 with err. */
int ecg_calibrate(const ecg_graph *g, const float *x, const float *features, int n, int batch, double percentile,
                  ecg_act_ranges *r, char *err, size_t errlen);
void ecg_act_ranges_free(ecg_act_ranges *r);

/* qs8 parameters covering [lo, hi] (widened to include 0, so zero is exact as padding needs):
 * scale = (hi - lo) / 255, zero_point = round(-128 - lo / scale). A degenerate range gets a
 * tiny positive one. */
ecg_qparams ecg_qparams_for_range(float lo, float hi);

/* ---------------------------------------------------------------- quantization (compress/quantize.c) */
typedef enum { ECG_CALIB_MINMAX, ECG_CALIB_PERCENTILE } ecg_calib_method;
const char *ecg_calib_method_name(ecg_calib_method m);

/* Quantizes every conv1d and linear node of the inference graph g with the activation ranges of
 * method m: conv1d weights symmetric per output channel (scale max|w_o| / 127), linear weights
 * symmetric per tensor, biases to int32 in units of in_scale * w_scale. Output scales are raised
 * where needed so in_scale * w_scale / out_scale < 256 (XNNPACK's limit). q is initialised
 * here. 0 ok, -1 with err. */
int ecg_quantize(const ecg_graph *g, const ecg_act_ranges *r, ecg_calib_method m, ecg_qmodel *q, char *err,
                 size_t errlen);

/* ---------------------------------------------------------------- weight-only int8 (compress/weight_only.c) */
/* LSTM and attention have no XNNPACK int8 operator: their weight matrices (rank-2 params used only
 * by LSTM or MHA nodes) are stored as int8 rows, one symmetric scale per row, and run f32 on the
 * dequantised values. */
int ecg_is_weight_only_param(const ecg_graph *g, int param);
/* Symmetric int8 of one row (q may be NULL); returns its scale, max|w| / 127 (1 for zeros). */
float ecg_row_int8(const float *w, int64_t n, int8_t *q);
/* Rounds every such param of g to its dequantised int8 value in place, so the f32 graph computes
 * what the int8 file will hold. Returns the number of params rounded. */
int ecg_weight_only_int8(ecg_graph *g);

/* ---------------------------------------------------------------- the int8 weights file (compress/int8_file.c) */
/* safetensors: per int8 node N: N.weight I8 (PyTorch layout), N.weight_scale F32 [out] or [1],
 * N.bias I32 [out], N.input_qparams and N.output_qparams F32 [2] (scale, zero point); weight-only
 * params P as P I8 [rows, cols] + P.row_scale F32 [rows]; and F32 params of every other node of
 * the inference graph g (what stays f32). Metadata pairs optional;
 * "format" = "ecgbench-int8" is always written. 0 ok, -1 with err. */
int ecg_int8_save(const ecg_graph *g, const ecg_qmodel *q, const char *path, const char *const *meta_kv, int n_meta,
                  char *err, size_t errlen);
/* Loads such a file for the inference graph g (built from the same model and config): fills q
 * (initialised here) and the f32 params of g's other nodes. Every expected tensor must be there
 * with its dtype and shape and nothing else; on error g's params are unchanged. */
int ecg_int8_load(ecg_graph *g, ecg_qmodel *q, const char *path, char *err, size_t errlen);
/* 1 when path is a safetensors file whose metadata says "format": "ecgbench-int8", 0 for any
 * other safetensors file, -1 with err when it cannot be read or parsed. */
int ecg_int8_file_is(const char *path, char *err, size_t errlen);
/* Bytes of parameters of the int8 model: weights, scales, biases, qparams, f32 params. */
int64_t ecg_qmodel_bytes(const ecg_graph *g, const ecg_qmodel *q);

#endif
