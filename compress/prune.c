/* Unstructured magnitude pruning: masks over the weight matrices of conv1d, linear, LSTM and
 * attention nodes, one-shot or on Zhu & Gupta's gradual schedule, kept through fine-tuning by
 * zeroing the pruned weights after every optimizer step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"

int ecg_prunable_params(const ecg_graph *g, int *out, int max) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *nd = &g->nodes[i];
        if (!ecg_op_has(nd->kind, ECG_TRAIT_WEIGHT_MATRICES)) continue;
        for (int j = 0; j < nd->n_param; j++) {
            const ecg_param *p = &g->params[nd->param[j]];
            /* biases stay dense; a frozen part (another model's) could not re-learn what pruning removed */
            if (!ecg_param_learns(p) || p->shape.rank < 2) continue;
            int dup = 0;
            for (int k = 0; k < n && k < max; k++) dup |= out[k] == nd->param[j];
            if (dup) continue;
            if (n < max) out[n] = nd->param[j];
            n++;
        }
    }
    return n;
}

void ecg_pruner_free(ecg_pruner *p) {
    for (int i = 0; i < p->n; i++) free(p->mask[i]);
    free(p->mask);
    free(p->param);
    memset(p, 0, sizeof *p);
}

int ecg_pruner_init(ecg_pruner *p, ecg_graph *g, ecg_prune_cfg cfg, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    if (!(cfg.sparsity >= 0 && cfg.sparsity < 1)) {
        snprintf(err, errlen, "pruning: sparsity must be in [0, 1), got %g", cfg.sparsity);
        return -1;
    }
    int n = ecg_prunable_params(g, NULL, 0);
    if (n == 0) {
        snprintf(err, errlen, "pruning: the model has no conv1d, linear, LSTM or attention weights");
        return -1;
    }
    p->g = g;
    p->cfg = cfg;
    p->param = malloc(sizeof(int) * (size_t)n);
    p->mask = calloc((size_t)n, sizeof *p->mask);
    if (!p->param || !p->mask) goto oom;
    p->n = ecg_prunable_params(g, p->param, n);
    for (int i = 0; i < p->n; i++) {
        const ecg_param *w = &g->params[p->param[i]];
        int64_t m = ecg_shape_numel(&w->shape);
        if (!(p->mask[i] = malloc((size_t)m))) goto oom;
        /* Weights that are already exactly zero start pruned: a resumed or re-loaded pruned
         * model keeps its masks without storing them. */
        for (int64_t k = 0; k < m; k++) p->mask[i][k] = w->data[k] != 0.0f;
    }
    return 0;
oom:
    ecg_pruner_free(p);
    snprintf(err, errlen, "pruning: out of memory");
    return -1;
}

/* The layers a pruning step may touch: all but the first / last when they are kept dense. */
static int in_scope(const ecg_pruner *p, int i) {
    return !(p->cfg.keep_first && i == 0) && !(p->cfg.keep_last && i == p->n - 1);
}

typedef struct {
    float mag;
    int layer;
    int64_t at;
} weight_ref;

static int by_magnitude(const void *a, const void *b) {
    const weight_ref *x = a, *y = b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    if (x->layer != y->layer) return x->layer - y->layer; /* ties: a fixed order, so runs agree */
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Prunes exactly round(s * count) of the weights in layers [first, last] with the smallest
 * magnitude (one threshold across them), keeping the rest. */
static int prune_group(ecg_pruner *p, int first, int last, double s) {
    int64_t total = 0;
    for (int i = first; i <= last; i++)
        if (in_scope(p, i)) total += ecg_shape_numel(&p->g->params[p->param[i]].shape);
    if (total == 0) return 0;
    weight_ref *r = malloc(sizeof *r * (size_t)total);
    if (!r) return -1;
    int64_t n = 0;
    for (int i = first; i <= last; i++) {
        if (!in_scope(p, i)) continue;
        const ecg_param *w = &p->g->params[p->param[i]];
        int64_t m = ecg_shape_numel(&w->shape);
        for (int64_t k = 0; k < m; k++) r[n++] = (weight_ref){fabsf(w->data[k]), i, k};
    }
    qsort(r, (size_t)total, sizeof *r, by_magnitude);
    int64_t cut = (int64_t)llround(s * (double)total);
    for (int64_t k = 0; k < total; k++) {
        ecg_param *w = &p->g->params[p->param[r[k].layer]];
        p->mask[r[k].layer][r[k].at] = k >= cut;
        if (k < cut) w->data[r[k].at] = 0.0f;
    }
    free(r);
    return 0;
}

int ecg_prune_to(ecg_pruner *p, double sparsity) {
    if (p->cfg.global) return prune_group(p, 0, p->n - 1, sparsity);
    for (int i = 0; i < p->n; i++)
        if (prune_group(p, i, i, sparsity)) return -1;
    return 0;
}

void ecg_prune_apply(const ecg_pruner *p) {
    for (int i = 0; i < p->n; i++) {
        ecg_param *w = &p->g->params[p->param[i]];
        int64_t m = ecg_shape_numel(&w->shape);
        for (int64_t k = 0; k < m; k++)
            if (!p->mask[i][k]) w->data[k] = 0.0f;
    }
}

double ecg_prune_cubic(long step, long begin, long end, double s_init, double s_final) {
    if (step <= begin) return s_init;
    if (step >= end || end <= begin) return s_final;
    double left = 1.0 - (double)(step - begin) / (double)(end - begin);
    return s_final + (s_init - s_final) * left * left * left;
}

void ecg_prune_after_step(ecg_graph *g, long step, void *ctx) {
    ecg_prune_schedule *s = ctx;
    (void)g;
    /* Masks are recomputed every `every` steps of the ramp and at its end; in between (and after)
     * the optimizer's update to pruned weights is undone. */
    if (step >= s->begin && step <= s->end && ((step - s->begin) % s->every == 0 || step == s->end) &&
        ecg_prune_to(s->pruner, ecg_prune_cubic(step, s->begin, s->end, s->s_init, s->s_final)))
        s->failed = 1;
    ecg_prune_apply(s->pruner);
}

int64_t ecg_nonzero_params(const ecg_graph *g) {
    int64_t nz = 0;
    for (int i = 0; i < g->n_params; i++) {
        const ecg_param *p = &g->params[i];
        if (!p->trainable) continue;
        int64_t m = ecg_shape_numel(&p->shape);
        for (int64_t k = 0; k < m; k++) nz += p->data[k] != 0.0f;
    }
    return nz;
}

ecg_layer_sparsity ecg_prune_layer(const ecg_pruner *p, int i) {
    const ecg_param *w = &p->g->params[p->param[i]];
    ecg_layer_sparsity l = {.numel = ecg_shape_numel(&w->shape)};
    snprintf(l.name, sizeof l.name, "%s", w->name);
    for (int64_t k = 0; k < l.numel; k++) l.nonzero += w->data[k] != 0.0f;
    return l;
}
