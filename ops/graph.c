/* The graph IR: values, nodes, named parameters; shape inference at node creation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "rng.h"

/* One definition per op, from the op list (ops/op_list.h). */
#define ECG_OP_ENTRY(id, name, lowering) [ECG_OP_##id] = &ecg_op_##name,
static const ecg_op *const op_table[ECG_OP_COUNT] = {ECG_OP_LIST(ECG_OP_ENTRY)};
#undef ECG_OP_ENTRY

const ecg_op *ecg_op_get(ecg_op_kind kind) {
    return (unsigned)kind < ECG_OP_COUNT ? op_table[kind] : NULL;
}

int ecg_op_has(ecg_op_kind kind, unsigned traits) {
    const ecg_op *op = ecg_op_get(kind);
    return op && (op->traits & traits) == traits;
}

void ecg_graph_init(ecg_graph *g, uint64_t init_seed) {
    memset(g, 0, sizeof *g);
    g->output = -1;
    g->init_seed = init_seed;
}

void ecg_graph_free(ecg_graph *g) {
    for (int i = 0; i < g->n_params; i++) {
        free(g->params[i].data);
        free(g->params[i].grad);
    }
    free(g->params);
    free(g->nodes);
    free(g->values);
    memset(g, 0, sizeof *g);
    g->output = -1;
}

int ecg_graph_fail(ecg_graph *g, const char *fmt, ...) {
    if (!g->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->err, sizeof g->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Grows an array of elem-sized items to hold at least need items. */
static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

int ecg_graph_clone(ecg_graph *dst, const ecg_graph *src) {
    *dst = *src;
    dst->nodes = malloc((size_t)(src->cap_nodes ? src->cap_nodes : 1) * sizeof(ecg_node));
    dst->values = malloc((size_t)(src->cap_values ? src->cap_values : 1) * sizeof(ecg_value));
    dst->params = calloc((size_t)(src->cap_params ? src->cap_params : 1), sizeof(ecg_param));
    if (!dst->nodes || !dst->values || !dst->params) goto oom;
    memcpy(dst->nodes, src->nodes, (size_t)src->n_nodes * sizeof(ecg_node));
    memcpy(dst->values, src->values, (size_t)src->n_values * sizeof(ecg_value));
    for (int i = 0; i < src->n_params; i++) {
        ecg_param *p = &dst->params[i];
        *p = src->params[i];
        p->grad = NULL;
        size_t bytes = (size_t)ecg_shape_numel(&p->shape) * sizeof(float);
        p->data = malloc(bytes ? bytes : 1);
        if (!p->data) {
            dst->n_params = i;
            goto oom;
        }
        memcpy(p->data, src->params[i].data, bytes);
    }
    return 0;
oom:
    ecg_graph_free(dst);
    return -1;
}

static int value_add(ecg_graph *g, const char *name, ecg_shape shape, int producer) {
    if (grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof(ecg_value)))
        return ecg_graph_fail(g, "out of memory adding value %s", name);
    ecg_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name);
    v->shape = shape;
    v->producer = producer;
    return g->n_values++;
}

int ecg_input(ecg_graph *g, const char *name, ecg_shape shape) {
    if (g->err[0]) return -1;
    if (g->n_inputs >= ECG_MAX_IN) return ecg_graph_fail(g, "too many graph inputs (max %d)", ECG_MAX_IN);
    for (int i = 0; i < shape.rank; i++)
        if (shape.d[i] <= 0) return ecg_graph_fail(g, "input %s: dimension %d is %lld", name, i, (long long)shape.d[i]);
    int v = value_add(g, name, shape, -1);
    if (v >= 0) g->inputs[g->n_inputs++] = v;
    return v;
}

void ecg_graph_set_output(ecg_graph *g, int value) { g->output = value; }

int ecg_param_add(ecg_graph *g, const char *name, ecg_shape shape, float bound, float fill, int trainable) {
    if (g->err[0]) return -1;
    if (ecg_param_find(g, name) >= 0) return ecg_graph_fail(g, "duplicate parameter name %s", name);
    if (grow((void **)&g->params, &g->cap_params, g->n_params + 1, sizeof(ecg_param)))
        return ecg_graph_fail(g, "out of memory adding parameter %s", name);
    char buf[64];
    for (int i = 0; i < shape.rank; i++)
        if (shape.d[i] < 0 || shape.d[i] > (int64_t)1 << 31)
            return ecg_graph_fail(g, "parameter %s: invalid shape %s", name, ecg_shape_str(&shape, buf, sizeof buf));
    int64_t n = ecg_shape_numel(&shape);
    ecg_param *p = &g->params[g->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->shape = shape;
    p->trainable = trainable;
    p->data = malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!p->data) return ecg_graph_fail(g, "out of memory for parameter %s", name);
    ecg_rng r = {ecg_hash64(g->init_seed, ++g->init_counter)};
    for (int64_t i = 0; i < n; i++)
        p->data[i] = bound > 0 ? (2.0f * ecg_rng_uniform(&r) - 1.0f) * bound : fill;
    return g->n_params++;
}

int ecg_param_find(const ecg_graph *g, const char *name) {
    for (int i = 0; i < g->n_params; i++)
        if (!strcmp(g->params[i].name, name)) return i;
    return -1;
}

int ecg_node_add(ecg_graph *g, ecg_op_kind kind, const char *name, const int *in, int n_in,
                 const int *params, int n_params, const ecg_attrs *a) {
    if (g->err[0]) return -1;
    const ecg_op *op = ecg_op_get(kind);
    if (!op) return ecg_graph_fail(g, "%s: unknown op kind %d", name, (int)kind);
    /* 0 inputs only for ops that make their value from parameters (tokens); infer checks */
    if (n_in < 0 || n_in > ECG_MAX_IN) return ecg_graph_fail(g, "%s: %d inputs (0..%d)", name, n_in, ECG_MAX_IN);
    if (n_params > ECG_MAX_PARAMS) return ecg_graph_fail(g, "%s: too many parameters", name);
    ecg_shape in_shape[ECG_MAX_IN];
    for (int i = 0; i < n_in; i++) {
        if (in[i] < 0 || in[i] >= g->n_values) return ecg_graph_fail(g, "%s: input %d is not a value", name, i);
        in_shape[i] = g->values[in[i]].shape;
    }
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof(ecg_node)))
        return ecg_graph_fail(g, "out of memory adding node %s", name);
    ecg_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    snprintf(n->name, sizeof n->name, "%s", name);
    if (n_in) memcpy(n->in, in, (size_t)n_in * sizeof(int));
    n->n_in = n_in;
    if (n_params) memcpy(n->param, params, (size_t)n_params * sizeof(int));
    n->n_param = n_params;
    n->a = *a;
    ecg_shape out;
    char msg[ECG_ERR_LEN - ECG_NAME_LEN - 16] = "";
    if (op->infer(n, in_shape, &out, msg, sizeof msg)) return ecg_graph_fail(g, "%s (%s): %s", name, op->name, msg);
    int v = value_add(g, name, out, g->n_nodes);
    if (v < 0) return -1;
    n->out = v;
    g->n_nodes++;
    return v;
}

int64_t ecg_node_param_count(const ecg_graph *g, const ecg_node *n) {
    int64_t total = 0;
    for (int i = 0; i < n->n_param; i++) {
        const ecg_param *p = &g->params[n->param[i]];
        if (p->trainable) total += ecg_shape_numel(&p->shape);
    }
    return total;
}

int64_t ecg_graph_param_count(const ecg_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_params; i++)
        if (g->params[i].trainable) total += ecg_shape_numel(&g->params[i].shape);
    return total;
}

int ecg_graph_freeze(ecg_graph *g, const char *prefix) {
    int n = 0;
    for (int i = 0; i < g->n_params; i++)
        if (g->params[i].trainable && !strncmp(g->params[i].name, prefix, strlen(prefix))) {
            g->params[i].frozen = 1;
            n++;
        }
    return n;
}

int64_t ecg_node_flops(const ecg_graph *g, const ecg_node *n) {
    ecg_shape in[ECG_MAX_IN];
    for (int i = 0; i < n->n_in; i++) in[i] = g->values[n->in[i]].shape;
    const ecg_op *op = ecg_op_get(n->kind);
    return op->flops ? op->flops(n, in, &g->values[n->out].shape) : 0;
}

int64_t ecg_graph_flops(const ecg_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_nodes; i++) total += ecg_node_flops(g, &g->nodes[i]);
    return total;
}

int ecg_graph_alloc_grads(ecg_graph *g) {
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        if (!ecg_param_learns(p) || p->grad) continue;
        p->grad = calloc((size_t)ecg_shape_numel(&p->shape) + 1, sizeof(float));
        if (!p->grad) return -1;
    }
    return 0;
}

void ecg_graph_zero_grads(ecg_graph *g) {
    for (int i = 0; i < g->n_params; i++)
        if (g->params[i].grad)
            memset(g->params[i].grad, 0, (size_t)ecg_shape_numel(&g->params[i].shape) * sizeof(float));
}
