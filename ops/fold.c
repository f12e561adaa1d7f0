/* Inference-time graph rewrites: batchnorm folding, dropout removal, ReLU fusion. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qmodel.h"
#include "xnn_lower.h"

/* Removes node i, rewiring its consumers to its first input. */
static void bypass_node(ecg_graph *g, int i) {
    int from = g->nodes[i].out, to = g->nodes[i].in[0];
    for (int j = 0; j < g->n_nodes; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (g->nodes[j].in[k] == from) g->nodes[j].in[k] = to;
    if (g->output == from) g->output = to;
    memmove(&g->nodes[i], &g->nodes[i + 1], (size_t)(g->n_nodes - i - 1) * sizeof(ecg_node));
    g->n_nodes--;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].producer > i) g->values[v].producer--;
        else if (g->values[v].producer == i) g->values[v].producer = -1;
}

static int consumers(const ecg_graph *g, int v) {
    int c = g->output == v;
    for (int j = 0; j < g->n_nodes; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++) c += g->nodes[j].in[k] == v;
    return c;
}

/* Folds each eval-mode BatchNorm into the conv1d/linear that feeds it when that is its only
 * consumer: y = gamma * (Wx + b - mean) / sqrt(var + eps) + beta  ==>  W' = s W, b' = s (b - mean) + beta.
 * Returns the number folded, -1 on error (g->err). */
static int fold_bn(ecg_graph *g) {
    int folded = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ecg_node *bn = &g->nodes[i];
        if (bn->kind != ECG_OP_BATCHNORM) continue;
        int v = bn->in[0], p = g->values[v].producer;
        if (p < 0 || consumers(g, v) != 1) continue;
        ecg_node *src = &g->nodes[p];
        if (src->kind != ECG_OP_CONV1D && src->kind != ECG_OP_LINEAR) continue;
        const float *gamma = g->params[bn->param[0]].data, *beta = g->params[bn->param[1]].data;
        const float *mean = g->params[bn->param[2]].data, *var = g->params[bn->param[3]].data;
        float eps = bn->a.eps;
        if (!src->a.has_bias) {
            char name[ECG_NAME_LEN];
            snprintf(name, sizeof name, "%s.bias", src->name);
            int b = ecg_param_add(g, name, ecg_shape1(src->a.out_features), 0, 0.0f, 1);
            if (b < 0) return -1;
            src = &g->nodes[p]; /* params may have moved; nodes did not, but keep it obvious */
            bn = &g->nodes[i];
            src->param[src->n_param++] = b;
            src->a.has_bias = 1;
        }
        ecg_param *w = &g->params[src->param[0]], *b = &g->params[src->param[1]];
        int64_t out = w->shape.d[0], per_row = ecg_shape_numel(&w->shape) / out;
        for (int64_t c = 0; c < out; c++) {
            float s = gamma[c] / sqrtf(var[c] + eps);
            for (int64_t j = 0; j < per_row; j++) w->data[c * per_row + j] *= s;
            b->data[c] = (b->data[c] - mean[c]) * s + beta[c];
        }
        bypass_node(g, i);
        i--;
        folded++;
    }
    return folded;
}

int ecg_graph_inference_rewrite(ecg_graph *g, int fold) {
    int folded = fold ? fold_bn(g) : 0;
    if (folded < 0) return -1;
    for (int i = g->n_nodes - 1; i >= 0; i--)
        if (g->nodes[i].kind == ECG_OP_DROPOUT) bypass_node(g, i);
    return folded;
}

/* A clamp in the producer's output stage costs nothing; a ReLU step reads and writes the whole
 * tensor once more (about 2% of ResNet1D's time). */
int ecg_fuse_relu(ecg_graph *g, const ecg_qmodel *q) {
    int fused = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *relu = &g->nodes[i];
        if (relu->kind != ECG_OP_RELU) continue;
        int v = relu->in[0], p = g->values[v].producer;
        if (p < 0 || consumers(g, v) != 1) continue;
        ecg_node *src = &g->nodes[p];
        if (src->kind != ECG_OP_CONV1D && src->kind != ECG_OP_LINEAR && src->kind != ECG_OP_ADD) continue;
        if (ecg_qmodel_find(q, src->name)) continue;
        src->a.fused_relu = 1;
        bypass_node(g, i);
        i--;
        fused++;
    }
    return fused;
}
