/* The ONNX GraphProto builder (see onnx_builder.h): protobuf-c structs allocated from an arena. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "export/onnx_builder.h"
#include "export/onnx_export.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is written in host order, which ONNX requires to be little-endian"
#endif

struct ob_block {
    ob_block *next;
    max_align_t data[];
};

void ob_init(ob_builder *b) { memset(b, 0, sizeof *b); }

void ob_free(ob_builder *b) {
    for (ob_block *k = b->arena, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    free(b->nodes);
    free(b->inits);
    memset(b, 0, sizeof *b);
}

void *ob_alloc(ob_builder *b, size_t bytes) {
    if (b->oom) return NULL;
    ob_block *k = calloc(1, sizeof *k + (bytes ? bytes : 1));
    if (!k) {
        b->oom = 1;
        return NULL;
    }
    k->next = b->arena;
    b->arena = k;
    return k->data;
}

char *ob_strdup(ob_builder *b, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = ob_alloc(b, n);
    if (d) memcpy(d, s, n);
    return d;
}

char *ob_name(ob_builder *b, const char *base, const char *what) {
    char buf[ECG_NAME_LEN + 64];
    snprintf(buf, sizeof buf, "%s/%s_%lu", base, what, ++b->counter);
    return ob_strdup(b, buf);
}

static Onnx__AttributeProto *attr_new(ob_builder *b, const char *name, Onnx__AttributeProto__AttributeType t) {
    if (b->oom) return NULL;
    if (b->n_pending >= OB_MAX_ATTRS) {
        b->oom = 1; /* a programming error, reported as a failed export */
        return NULL;
    }
    Onnx__AttributeProto *a = ob_alloc(b, sizeof *a);
    if (!a) return NULL;
    onnx__attribute_proto__init(a);
    a->name = ob_strdup(b, name);
    a->has_type = 1;
    a->type = t;
    b->pending[b->n_pending++] = a;
    return a;
}

void ob_attr_int(ob_builder *b, const char *name, int64_t v) {
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->has_i = 1, a->i = v;
}

void ob_attr_float(ob_builder *b, const char *name, float v) {
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->has_f = 1, a->f = v;
}

void ob_attr_ints(ob_builder *b, const char *name, const int64_t *v, int n) {
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    if (!a || !(a->ints = ob_alloc(b, (size_t)n * sizeof *v))) return;
    memcpy(a->ints, v, (size_t)n * sizeof *v);
    a->n_ints = (size_t)n;
}

void ob_attr_str(ob_builder *b, const char *name, const char *s) {
    Onnx__AttributeProto *a = attr_new(b, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    if (!a || !(a->s.data = (uint8_t *)ob_strdup(b, s))) return;
    a->has_s = 1;
    a->s.len = strlen(s);
}

static int push(ob_builder *b, void ***arr, size_t *n, size_t *cap, void *item) {
    if (b->oom || !item) return b->oom = 1, -1;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **p = realloc(*arr, nc * sizeof *p);
        if (!p) return b->oom = 1, -1;
        *arr = p;
        *cap = nc;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

char **ob_node_n(ob_builder *b, const char *op_type, const char *name, const char *const *in, int n_in, int n_out) {
    Onnx__NodeProto *n = ob_alloc(b, sizeof *n);
    char **ins = ob_alloc(b, (size_t)(n_in ? n_in : 1) * sizeof *ins);
    char **outs = ob_alloc(b, (size_t)n_out * sizeof *outs);
    Onnx__AttributeProto **attrs = ob_alloc(b, (size_t)(b->n_pending ? b->n_pending : 1) * sizeof *attrs);
    int npend = b->n_pending;
    b->n_pending = 0;
    if (!n || !ins || !outs || !attrs) return NULL;
    onnx__node_proto__init(n);
    n->op_type = ob_strdup(b, op_type);
    n->name = ob_name(b, name, op_type);
    for (int i = 0; i < n_in; i++) ins[i] = ob_strdup(b, in[i]);
    for (int i = 0; i < n_out; i++) outs[i] = ob_name(b, name, n_out > 1 ? "out" : op_type);
    memcpy(attrs, b->pending, (size_t)npend * sizeof *attrs);
    n->input = ins;
    n->n_input = (size_t)n_in;
    n->output = outs;
    n->n_output = (size_t)n_out;
    n->attribute = attrs;
    n->n_attribute = (size_t)npend;
    if (push(b, (void ***)&b->nodes, &b->n_nodes, &b->cap_nodes, n)) return NULL;
    return b->oom ? NULL : outs;
}

char *ob_node(ob_builder *b, const char *op_type, const char *name, const char *const *in, int n_in) {
    char **o = ob_node_n(b, op_type, name, in, n_in, 1);
    return o ? o[0] : NULL;
}

char *ob_op1(ob_builder *b, const char *op_type, const char *name, const char *a) {
    const char *in[1] = {a};
    return a ? ob_node(b, op_type, name, in, 1) : NULL;
}

char *ob_op2(ob_builder *b, const char *op_type, const char *name, const char *a, const char *c) {
    const char *in[2] = {a, c};
    return a && c ? ob_node(b, op_type, name, in, 2) : NULL;
}

char *ob_init_tensor(ob_builder *b, const char *name, int dtype, const int64_t *dims, int rank, const void *data,
                     size_t elem_bytes) {
    size_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= (size_t)dims[i];
    Onnx__TensorProto *t = ob_alloc(b, sizeof *t);
    int64_t *d = ob_alloc(b, (size_t)(rank ? rank : 1) * sizeof *d);
    uint8_t *raw = ob_alloc(b, numel * elem_bytes);
    if (!t || !d || !raw) return NULL;
    onnx__tensor_proto__init(t);
    if (rank) memcpy(d, dims, (size_t)rank * sizeof *d);
    memcpy(raw, data, numel * elem_bytes);
    t->dims = d;
    t->n_dims = (size_t)rank;
    t->has_data_type = 1;
    t->data_type = dtype;
    t->name = ob_name(b, name, "const");
    t->has_raw_data = 1;
    t->raw_data.data = raw;
    t->raw_data.len = numel * elem_bytes;
    if (push(b, (void ***)&b->inits, &b->n_inits, &b->cap_inits, t)) return NULL;
    return t->name;
}

char *ob_f32(ob_builder *b, const char *name, const int64_t *dims, int rank, const float *data) {
    return ob_init_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dims, rank, data, sizeof(float));
}

char *ob_i64(ob_builder *b, const char *name, const int64_t *v, int n) {
    int64_t dims[1] = {n};
    return ob_init_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dims, 1, v, sizeof(int64_t));
}

char *ob_f32_scalar(ob_builder *b, const char *name, float v) {
    return ob_init_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, NULL, 0, &v, sizeof v);
}

char *ob_param(ob_builder *b, const char *name, const int64_t *dims, int rank, const float *data) {
    size_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= (size_t)dims[i];
    if (!b->fp16_weights) return ob_f32(b, name, dims, rank, data);
    uint16_t *h = malloc((numel ? numel : 1) * sizeof *h);
    if (!h) return b->oom = 1, NULL;
    int exact = 1;
    for (size_t i = 0; i < numel && exact; i++) {
        h[i] = ecg_f32_to_f16(data[i]);
        float back = ecg_f16_to_f32(h[i]);
        exact = back == data[i] || (isnan(back) && isnan(data[i]));
    }
    char *out = NULL;
    if (!exact)
        out = ob_f32(b, name, dims, rank, data);
    else {
        char *t = ob_init_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, dims, rank, h, sizeof *h);
        ob_attr_int(b, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
        out = ob_op1(b, "Cast", name, t);
    }
    free(h);
    return out;
}

static Onnx__ValueInfoProto *value_info(ob_builder *b, const char *name, const int64_t *dims, int rank) {
    Onnx__ValueInfoProto *v = ob_alloc(b, sizeof *v);
    Onnx__TypeProto *tp = ob_alloc(b, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ob_alloc(b, sizeof *tt);
    Onnx__TensorShapeProto *sh = ob_alloc(b, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dd = ob_alloc(b, (size_t)rank * sizeof *dd);
    if (!v || !tp || !tt || !sh || !dd) return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int i = 0; i < rank; i++) {
        if (!(dd[i] = ob_alloc(b, sizeof *dd[i]))) return NULL;
        onnx__tensor_shape_proto__dimension__init(dd[i]);
        if (i == 0) {
            dd[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dd[i]->dim_param = ob_strdup(b, "N");
        } else {
            dd[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dd[i]->dim_value = dims[i];
        }
    }
    sh->dim = dd;
    sh->n_dim = (size_t)rank;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->name = ob_strdup(b, name);
    v->type = tp;
    return b->oom ? NULL : v;
}

void ob_input(ob_builder *b, const char *name, const int64_t *dims, int rank) {
    Onnx__ValueInfoProto *v = value_info(b, name, dims, rank);
    if (!v || b->n_inputs >= sizeof b->inputs / sizeof b->inputs[0]) {
        b->oom = 1;
        return;
    }
    b->inputs[b->n_inputs++] = v;
}

void ob_output(ob_builder *b, const char *tensor, const char *name, const int64_t *dims, int rank) {
    char **o = ob_node_n(b, "Identity", name, &tensor, 1, 1);
    Onnx__ValueInfoProto *v = value_info(b, name, dims, rank);
    if (!o || !v || b->n_outputs >= 1) {
        b->oom = 1;
        return;
    }
    o[0] = ob_strdup(b, name); /* the graph output keeps its plain name */
    b->outputs[b->n_outputs++] = v;
}

int ob_pack(ob_builder *b, const char *graph_name, const char *producer_version, const char *doc, uint8_t **buf,
            size_t *len) {
    Onnx__GraphProto gp;
    Onnx__ModelProto mp;
    Onnx__OperatorSetIdProto opset, *opsets[1] = {&opset};
    if (b->oom) return -1;
    onnx__graph_proto__init(&gp);
    onnx__model_proto__init(&mp);
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = "";
    opset.has_version = 1;
    opset.version = ECG_ONNX_OPSET;
    gp.name = (char *)graph_name;
    gp.node = b->nodes;
    gp.n_node = b->n_nodes;
    gp.initializer = b->inits;
    gp.n_initializer = b->n_inits;
    gp.input = b->inputs;
    gp.n_input = b->n_inputs;
    gp.output = b->outputs;
    gp.n_output = b->n_outputs;
    mp.has_ir_version = 1;
    mp.ir_version = ECG_ONNX_IR_VERSION;
    mp.opset_import = opsets;
    mp.n_opset_import = 1;
    mp.producer_name = "ecgbench";
    mp.producer_version = (char *)(producer_version ? producer_version : "");
    mp.doc_string = (char *)(doc ? doc : "");
    mp.graph = &gp;
    size_t n = onnx__model_proto__get_packed_size(&mp);
    uint8_t *out = malloc(n ? n : 1);
    if (!out) return -1;
    *len = onnx__model_proto__pack(&mp, out);
    *buf = out;
    return 0;
}
