/* Memory plan of the executor's buffers. Each buffer is live from the step that writes it to the
 * last step that reads it; two buffers whose lives overlap never share a byte, and the others may.
 * Without it every value kept its own buffer for the whole batch: ResNet1D on 32 whole cinc2017
 * records held 4.5 GB, most of it the create-time memset. Greedy by size (largest first, each at
 * the lowest offset that fits among the buffers it overlaps), as TFLite's arena planner does. */
#include <stdint.h>
#include <stdlib.h>

#include "xnn_lower.h"

static int by_size_desc(const void *a, const void *b) {
    const ecg_plan_item *x = *(const ecg_plan_item *const *)a, *y = *(const ecg_plan_item *const *)b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x < y ? -1 : x > y; /* ties in the caller's order: the plan is the same on every machine */
}

static int by_offset(const void *a, const void *b) {
    const ecg_plan_item *x = *(const ecg_plan_item *const *)a, *y = *(const ecg_plan_item *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int ecg_plan_place(ecg_plan_item *items, int n, size_t *total) {
    const ecg_plan_item **order = malloc((size_t)(n ? n : 1) * sizeof *order);
    const ecg_plan_item **live = malloc((size_t)(n ? n : 1) * sizeof *live);
    if (!order || !live) {
        free(order);
        free(live);
        return -1;
    }
    for (int i = 0; i < n; i++) order[i] = &items[i];
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    *total = 0;
    for (int i = 0; i < n; i++) {
        ecg_plan_item *it = (ecg_plan_item *)order[i];
        int k = 0;
        for (int j = 0; j < i; j++)
            if (order[j]->first <= it->last && it->first <= order[j]->last) live[k++] = order[j];
        qsort(live, (size_t)k, sizeof *live, by_offset);
        size_t at = 0;
        for (int j = 0; j < k && live[j]->offset < at + it->bytes; j++)
            if (live[j]->offset + live[j]->bytes > at) at = live[j]->offset + live[j]->bytes;
        it->offset = at;
        if (at + it->bytes > *total) *total = at + it->bytes;
    }
    free(order);
    free(live);
    return 0;
}

size_t ecg_plan_bytes(size_t bytes) {
    return (bytes + XNN_EXTRA_BYTES + 63) / 64 * 64; /* XNNPACK may read past the end; 64-byte aligned */
}

size_t ecg_xnn_value_bytes(const ecg_graph *g, int v, int batch) {
    return ecg_plan_bytes((size_t)batch * (size_t)ecg_shape_numel(&g->values[v].shape) * sizeof(float));
}

void ecg_xnn_value_lives(const ecg_graph *g, int *first, int *last) {
    int nn = g->n_nodes;
    for (int v = 0; v < g->n_values; v++) first[v] = INT32_MAX, last[v] = -1;
    /* Inputs live throughout: a caller fills them once and may run many times (the benchmarks do). */
    for (int i = 0; i < g->n_inputs; i++) first[g->inputs[i]] = -1, last[g->inputs[i]] = nn;
    for (int i = 0; i < nn; i++) {
        const ecg_node *nd = &g->nodes[i];
        /* A node with no inputs (tokens) fills its output once at create time: live throughout. */
        if (first[nd->out] > i) first[nd->out] = nd->n_in ? i : -1;
        if (!nd->n_in) last[nd->out] = nn;
        if (last[nd->out] < i) last[nd->out] = i;
        for (int k = 0; k < nd->n_in; k++)
            if (last[nd->in[k]] < i) last[nd->in[k]] = i;
    }
    if (g->output >= 0) last[g->output] = nn;
    for (int v = 0; v < g->n_values; v++) {
        if (last[v] < 0 && first[v] == INT32_MAX) first[v] = last[v] = ECG_PLAN_DEAD;
        else if (first[v] == INT32_MAX) first[v] = -1; /* read, never written (none in a valid graph) */
    }
}

int ecg_xnn_plan(const ecg_graph *g, int batch, size_t *offset, size_t *total) {
    int nv = g->n_values, n = 0, rc = -1;
    int *first = malloc((size_t)(nv ? nv : 1) * 2 * sizeof *first), *last = first + (nv ? nv : 1);
    ecg_plan_item *it = malloc((size_t)(nv ? nv : 1) * sizeof *it);
    int *of = malloc((size_t)(nv ? nv : 1) * sizeof *of);
    if (!first || !it || !of) goto done;
    ecg_xnn_value_lives(g, first, last);
    for (int v = 0; v < nv; v++) {
        offset[v] = SIZE_MAX; /* written by no node and read by none: no memory */
        if (first[v] == ECG_PLAN_DEAD) continue;
        of[n] = v;
        it[n++] = (ecg_plan_item){first[v], last[v], ecg_xnn_value_bytes(g, v, batch), 0};
    }
    if (ecg_plan_place(it, n, total)) goto done;
    for (int i = 0; i < n; i++) offset[of[i]] = it[i].offset;
    rc = 0;
done:
    free(first);
    free(it);
    free(of);
    return rc;
}
