/* Memory plan of the executor's values. Each value is live from the step that writes it to the
 * last step that reads it; two values whose lives overlap never share a byte, and the others may.
 * Without it every value kept its own buffer for the whole batch: ResNet1D on 32 whole cinc2017
 * records held 4.5 GB, most of it the create-time memset. Greedy by size (largest first, each at
 * the lowest offset that fits among the values it overlaps), as TFLite's arena planner does. */
#include <stdint.h>
#include <stdlib.h>

#include "xnn_lower.h"

typedef struct {
    int v, first, last; /* node indices; -1: before the first node; n_nodes: after the last */
    size_t bytes, offset;
} span;

static int by_size_desc(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return x->v - y->v; /* ties by id: the plan is the same on every machine */
}

static int by_offset(const void *a, const void *b) {
    const span *x = *(const span *const *)a, *y = *(const span *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

size_t ecg_xnn_value_bytes(const ecg_graph *g, int v, int batch) {
    size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[v].shape) * sizeof(float);
    return (n + XNN_EXTRA_BYTES + 63) / 64 * 64; /* XNNPACK may read past the end; 64-byte aligned */
}

int ecg_xnn_plan(const ecg_graph *g, int batch, size_t *offset, size_t *total) {
    int nv = g->n_values, nn = g->n_nodes, n = 0, rc = -1;
    span *s = malloc((size_t)(nv ? nv : 1) * sizeof *s);
    const span **live = malloc((size_t)(nv ? nv : 1) * sizeof *live);
    int *first = malloc((size_t)(nv ? nv : 1) * 2 * sizeof *first), *last = first + (nv ? nv : 1);
    if (!s || !live || !first) goto done;
    for (int v = 0; v < nv; v++) first[v] = INT32_MAX, last[v] = -1;
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
    for (int v = 0; v < nv; v++) {
        offset[v] = SIZE_MAX;            /* written by no node and read by none: no memory */
        if (last[v] < 0 && first[v] == INT32_MAX) continue;
        if (first[v] == INT32_MAX) first[v] = -1; /* read, never written (none in a valid graph) */
        s[n++] = (span){v, first[v], last[v], ecg_xnn_value_bytes(g, v, batch), 0};
    }
    qsort(s, (size_t)n, sizeof *s, by_size_desc);
    *total = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        for (int j = 0; j < i; j++)
            if (s[j].first <= s[i].last && s[i].first <= s[j].last) live[k++] = &s[j];
        qsort(live, (size_t)k, sizeof *live, by_offset);
        size_t at = 0;
        for (int j = 0; j < k && live[j]->offset < at + s[i].bytes; j++)
            if (live[j]->offset + live[j]->bytes > at) at = live[j]->offset + live[j]->bytes;
        s[i].offset = at;
        offset[s[i].v] = at;
        if (at + s[i].bytes > *total) *total = at + s[i].bytes;
    }
    rc = 0;
done:
    free(s);
    free(live);
    free(first);
    return rc;
}
