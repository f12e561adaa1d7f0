/* Reference executor: runs the graph node by node with the reference kernels, keeps every
 * activation for the backward pass, and backpropagates into value and parameter gradients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "rng.h"

struct ecg_ref {
    ecg_graph *g;
    int batch;
    float **val;   /* per value: batch * numel */
    float **grad;  /* per value: batch * numel */
    void **state;  /* per node */
    int training;
    uint64_t seed;
};

static size_t value_floats(const ecg_ref *r, int v) {
    return (size_t)r->batch * (size_t)ecg_shape_numel(&r->g->values[v].shape);
}

void ecg_ref_free(ecg_ref *r) {
    if (!r) return;
    for (int i = 0; i < r->g->n_values; i++) {
        free(r->val[i]);
        free(r->grad[i]);
    }
    for (int i = 0; i < r->g->n_nodes; i++) free(r->state[i]);
    free(r->val);
    free(r->grad);
    free(r->state);
    free(r);
}

ecg_ref *ecg_ref_create(ecg_graph *g, int batch, char *err, size_t errlen) {
    if (g->err[0]) {
        snprintf(err, errlen, "graph has a build error: %s", g->err);
        return NULL;
    }
    if (g->output < 0 || batch < 1) {
        snprintf(err, errlen, g->output < 0 ? "graph has no output" : "batch must be >= 1");
        return NULL;
    }
    ecg_ref *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    r->g = g;
    r->batch = batch;
    r->val = calloc((size_t)g->n_values, sizeof(float *));
    r->grad = calloc((size_t)g->n_values, sizeof(float *));
    r->state = calloc((size_t)g->n_nodes + 1, sizeof(void *));
    if (!r->val || !r->grad || !r->state) goto oom;
    for (int i = 0; i < g->n_values; i++) {
        size_t n = value_floats(r, i);
        r->val[i] = calloc(n + 1, sizeof(float));
        r->grad[i] = calloc(n + 1, sizeof(float));
        if (!r->val[i] || !r->grad[i]) goto oom;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        const ecg_op *op = ecg_op_get(n->kind);
        ecg_shape in[ECG_MAX_IN];
        for (int j = 0; j < n->n_in; j++) in[j] = g->values[n->in[j]].shape;
        size_t bytes = op->state_bytes ? op->state_bytes(n, in, &g->values[n->out].shape, batch) : 0;
        if (bytes && !(r->state[i] = calloc(1, bytes))) goto oom;
    }
    return r;
oom:
    ecg_ref_free(r);
    snprintf(err, errlen, "out of memory creating the reference executor (batch %d)", batch);
    return NULL;
}

static void fill_ctx(ecg_ref *r, int i, ecg_kctx *k, int backward) {
    ecg_graph *g = r->g;
    const ecg_node *n = &g->nodes[i];
    memset(k, 0, sizeof *k);
    k->node = n;
    k->batch = r->batch;
    k->n_in = n->n_in;
    for (int j = 0; j < n->n_in; j++) {
        k->in[j] = r->val[n->in[j]];
        k->in_shape[j] = g->values[n->in[j]].shape;
        if (backward) k->d_in[j] = r->grad[n->in[j]];
    }
    k->out = r->val[n->out];
    k->out_shape = g->values[n->out].shape;
    for (int j = 0; j < n->n_param; j++) {
        k->w[j] = g->params[n->param[j]].data;
        if (backward) k->dw[j] = g->params[n->param[j]].grad;
    }
    if (backward) k->d_out = r->grad[n->out];
    k->state = r->state[i];
    k->training = r->training;
    k->seed = ecg_hash64(r->seed, (uint64_t)i);
}

int ecg_ref_forward(ecg_ref *r, const float *const *inputs, int training, uint64_t seed) {
    ecg_graph *g = r->g;
    for (int i = 0; i < g->n_inputs; i++)
        memcpy(r->val[g->inputs[i]], inputs[i], value_floats(r, g->inputs[i]) * sizeof(float));
    r->training = training;
    r->seed = seed;
    for (int i = 0; i < g->n_nodes; i++) {
        ecg_kctx k;
        fill_ctx(r, i, &k, 0);
        ecg_op_get(g->nodes[i].kind)->forward(&k);
    }
    return 0;
}

void ecg_ref_backward(ecg_ref *r, const float *d_output) {
    ecg_graph *g = r->g;
    for (int i = 0; i < g->n_values; i++) memset(r->grad[i], 0, value_floats(r, i) * sizeof(float));
    memcpy(r->grad[g->output], d_output, value_floats(r, g->output) * sizeof(float));
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        ecg_kctx k;
        fill_ctx(r, i, &k, 1);
        ecg_op_get(g->nodes[i].kind)->backward(&k);
    }
}

const float *ecg_ref_value(const ecg_ref *r, int value) { return r->val[value]; }
const float *ecg_ref_grad(const ecg_ref *r, int value) { return r->grad[value]; }
const float *ecg_ref_output(const ecg_ref *r) { return r->val[r->g->output]; }
