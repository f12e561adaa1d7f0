/* A small ONNX GraphProto builder over the protobuf-c structs (export/onnx_builder.c): every
 * message, string and tensor payload lives in one arena freed with the builder, nodes and
 * initializers are appended in order, names are made unique. Used by export/onnx_lower.c. */
#ifndef ECG_ONNX_BUILDER_H
#define ECG_ONNX_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

#define OB_MAX_ATTRS 8

typedef struct ob_block ob_block;

typedef struct {
    ob_block *arena;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    Onnx__ValueInfoProto *inputs[4], *outputs[1];
    size_t n_inputs, n_outputs;
    Onnx__AttributeProto *pending[OB_MAX_ATTRS]; /* attributes for the next ob_node */
    int n_pending;
    unsigned long counter;                       /* unique name suffixes */
    int fp16_weights;                            /* ob_param: FLOAT16 + Cast where exact */
    int oom;                                     /* an allocation failed: every call is a no-op after it */
} ob_builder;

void ob_init(ob_builder *b);
void ob_free(ob_builder *b);
void *ob_alloc(ob_builder *b, size_t bytes);     /* zeroed; NULL (and b->oom) on failure */
char *ob_strdup(ob_builder *b, const char *s);
/* "base/what_K", unique within the builder. */
char *ob_name(ob_builder *b, const char *base, const char *what);

/* Attributes of the next node. */
void ob_attr_int(ob_builder *b, const char *name, int64_t v);
void ob_attr_float(ob_builder *b, const char *name, float v);
void ob_attr_ints(ob_builder *b, const char *name, const int64_t *v, int n);
void ob_attr_str(ob_builder *b, const char *name, const char *s);

/* Appends a node of op_type named name with the pending attributes; its n_out outputs get unique
 * names from name. Returns the output names (arena), NULL on out of memory. An empty input name
 * ("") is an omitted optional input. */
char **ob_node_n(ob_builder *b, const char *op_type, const char *name, const char *const *in, int n_in, int n_out);
/* One output. */
char *ob_node(ob_builder *b, const char *op_type, const char *name, const char *const *in, int n_in);
/* Short forms for one or two inputs. */
char *ob_op1(ob_builder *b, const char *op_type, const char *name, const char *a);
char *ob_op2(ob_builder *b, const char *op_type, const char *name, const char *a, const char *c);

/* Initializers (data copied); each returns its unique name, based on name. */
char *ob_init_tensor(ob_builder *b, const char *name, int dtype, const int64_t *dims, int rank, const void *data,
                     size_t elem_bytes);
char *ob_f32(ob_builder *b, const char *name, const int64_t *dims, int rank, const float *data);
char *ob_i64(ob_builder *b, const char *name, const int64_t *v, int n);   /* 1-D */
char *ob_f32_scalar(ob_builder *b, const char *name, float v);
/* A parameter's values as a float tensor: with fp16_weights and every value exact in f16, a
 * FLOAT16 initializer and a Cast to float (whose output name is returned); else F32. */
char *ob_param(ob_builder *b, const char *name, const int64_t *dims, int rank, const float *data);

/* Graph inputs and outputs: float tensors, dims[0] ignored (the symbolic "N"). The output is
 * tensor, renamed name by an Identity. */
void ob_input(ob_builder *b, const char *name, const int64_t *dims, int rank);
void ob_output(ob_builder *b, const char *tensor, const char *name, const int64_t *dims, int rank);

/* Packs the model (opset ECG_ONNX_OPSET, IR ECG_ONNX_IR_VERSION) into a new malloc'd buffer. */
int ob_pack(ob_builder *b, const char *graph_name, const char *producer_version, const char *doc, uint8_t **buf,
            size_t *len);

#endif
