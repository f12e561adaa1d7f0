/* The int8 model (post-training quantization) and the executor that runs it: which conv1d and
 * linear nodes run on XNNPACK's int8 operators, with which weights and activation ranges.
 * compress/ builds and stores it; ops/xnn_exec.c and ops/xnn_quant.c lower it. */
#ifndef ECG_QMODEL_H
#define ECG_QMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ops.h"

/* Activations: asymmetric per tensor in XNNPACK's qs8 convention,
 * real = scale * (q - zero_point), q in [-128, 127]. */
typedef struct {
    float scale;
    int32_t zero_point;
} ecg_qparams;

/* A conv1d or linear node with int8 weights (symmetric, zero point 0): conv1d per output channel
 * (XNNPACK qc8), linear per tensor (XNNPACK qs8: its fully-connected has no per-channel form).
 * The bias is int32 in units of in.scale * w_scale[o], as XNNPACK takes it. */
typedef struct {
    char node[ECG_NAME_LEN];   /* node name in the graph */
    ecg_qparams in, out;       /* the node's input and output activations */
    int8_t *w;                 /* the weight in its PyTorch layout */
    int64_t n_w;
    float *w_scale;            /* n_scale: out channels (conv1d) or 1 (linear) */
    int n_scale;
    int32_t *bias;             /* n_out */
    int n_out;
} ecg_qnode;

typedef struct {
    ecg_qnode *nodes;
    int n;
} ecg_qmodel;

void ecg_qmodel_free(ecg_qmodel *q);
const ecg_qnode *ecg_qmodel_find(const ecg_qmodel *q, const char *node);

/* As ecg_xnn_create, with every node named in q lowered onto XNNPACK's int8 operators: its f32
 * input converted to qs8 (q->in), the qc8 convolution or qs8 fully-connected operator, its qs8
 * output converted back to f32 (q->out). Every other node stays on the f32 lowering. A q node
 * the graph lacks, or whose sizes do not fit its node, is an error. */
ecg_xnn *ecg_xnn_create_q(const ecg_graph *g, const ecg_qmodel *q, int batch, int threads, unsigned flags, char *err,
                          size_t errlen);

#endif
