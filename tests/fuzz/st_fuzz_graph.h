/* The small graph the safetensors fuzz target loads into, shared with its seed generator:
 * input [16, 2] -> Conv1d "conv" (4 out, kernel 3) -> BatchNorm1d "bn" -> Linear "fc" (3 out).
 * Params and nodes are made by hand (the saver reads only node kinds and names), so the fuzz
 * target does not depend on the ops' shape inference. */
#ifndef ECG_ST_FUZZ_GRAPH_H
#define ECG_ST_FUZZ_GRAPH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"

static int st_fuzz_node(ecg_graph *g, ecg_op_kind kind, const char *name, int first_param, int n_param) {
    ecg_node *nodes = realloc(g->nodes, (size_t)(g->n_nodes + 1) * sizeof *nodes);
    if (!nodes) return -1;
    g->nodes = nodes;
    g->cap_nodes = g->n_nodes + 1;
    ecg_node *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    snprintf(n->name, sizeof n->name, "%s", name);
    for (int i = 0; i < n_param; i++) n->param[i] = first_param + i;
    n->n_param = n_param;
    n->out = -1;
    return 0;
}

/* 0 ok; on failure the graph is still safe to free. */
static int st_fuzz_graph(ecg_graph *g, uint64_t seed) {
    ecg_graph_init(g, seed);
    ecg_input(g, "x", ecg_shape2(16, 2));
    int p = ecg_param_add(g, "conv.weight", ecg_shape3(4, 2, 3), 0.5f, 0, 1);
    ecg_param_add(g, "conv.bias", ecg_shape1(4), 0.5f, 0, 1);
    if (p < 0 || st_fuzz_node(g, ECG_OP_CONV1D, "conv", p, 2)) return -1;
    p = ecg_param_add(g, "bn.weight", ecg_shape1(4), 0, 1.0f, 1);
    ecg_param_add(g, "bn.bias", ecg_shape1(4), 0, 0.0f, 1);
    ecg_param_add(g, "bn.running_mean", ecg_shape1(4), 0, 0.0f, 0);
    ecg_param_add(g, "bn.running_var", ecg_shape1(4), 0, 1.0f, 0);
    if (p < 0 || st_fuzz_node(g, ECG_OP_BATCHNORM, "bn", p, 4)) return -1;
    p = ecg_param_add(g, "fc.weight", ecg_shape2(3, 4), 0.5f, 0, 1);
    ecg_param_add(g, "fc.bias", ecg_shape1(3), 0.5f, 0, 1);
    if (p < 0 || st_fuzz_node(g, ECG_OP_LINEAR, "fc", p, 2)) return -1;
    return g->err[0] ? -1 : 0;
}

#endif
