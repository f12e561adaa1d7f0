/* ONNX export of an ecgbench graph (export/): the graph IR walked node by node and lowered onto
 * standard ONNX operators (opset ECG_ONNX_OPSET, default domain only), written as a ModelProto with
 * protobuf-c on the onnx.proto that Debian's python3-onnx ships (generated at build time).
 *
 * The exported model takes what `ecgbench predict` takes and gives what it gives: input "x"
 * F32 [N, T, C], for the fusion models also "features" F32 [N, F], output "logits" F32 [N, K] (an
 * autoencoder's "reconstruction" F32 [N, T, C]: ecg_onnx_opts.output); N is the symbolic dimension
 * "N". Inference semantics: dropout is the identity, batchnorm uses its running statistics. */
#ifndef ECG_ONNX_EXPORT_H
#define ECG_ONNX_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "compress/compress.h" /* the graph IR and the int8 model (ecg_qmodel) */

#define ECG_ONNX_OPSET 17
#define ECG_ONNX_IR_VERSION 8

typedef struct {
    /* int8: the nodes of q (over the inference graph) in QDQ form: QuantizeLinear/DequantizeLinear
     * around each conv1d/linear with its activation qparams (as uint8, zero point + 128: the same
     * values, the form ONNX Runtime's QLinearConv/QGemm take), its int8 weight dequantised per
     * output channel (conv1d) or per tensor (linear), its int32 bias dequantised. NULL: f32. */
    const ecg_qmodel *q;
    /* Parameters stored as FLOAT16 initializers, each followed by a Cast to float, wherever the
     * values are exactly f16 (the fp16 runs: the same numbers in half the bytes). */
    int fp16_weights;
    const char *producer;       /* producer_version; NULL: "" */
    const char *doc;            /* the model's doc_string (e.g. the run it came from); may be NULL */
    /* The graph output's name, as `ecgbench predict` names the tensor (ecg_objective_output);
     * NULL: "logits". */
    const char *output;
} ecg_onnx_opts;

/* Serialises g (its output set, weights loaded) into a new buffer (*buf, *len; free() it).
 * A node whose op has no lowering, or a graph this exporter cannot express, is an error naming the
 * node and op. 0 ok, -1 with err. */
int ecg_onnx_export_mem(const ecg_graph *g, const ecg_onnx_opts *o, uint8_t **buf, size_t *len, char *err,
                        size_t errlen);
/* The same written to path (temporary file, then rename). */
int ecg_onnx_export(const ecg_graph *g, const ecg_onnx_opts *o, const char *path, char *err, size_t errlen);
/* 1 when the exporter lowers this op kind, 0 when not (ecg_onnx_export then refuses the graph). */
int ecg_onnx_op_lowered(ecg_op_kind kind);

#endif
