/* Channel (structured) pruning: channel groups found by propagating channels through the IR,
 * ranked by filter L1 norm or BN |gamma|, and a surgery that rebuilds a smaller dense graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"

static int last_dim(const ecg_shape *s) { return s->rank > 0 ? (int)s->d[s->rank - 1] : -1; }

/* A conv1d or linear whose output channels are its weight rows and whose input channels are its
 * weight columns: the nodes that produce and consume a group. */
static int is_dense(const ecg_node *n) {
    if (n->kind == ECG_OP_LINEAR) return 1;
    return n->kind == ECG_OP_CONV1D && n->a.groups == 1;
}

/* A depthwise conv: one filter per channel, so channels pass through it. */
static int is_depthwise(const ecg_graph *g, const ecg_node *n) {
    if (n->kind != ECG_OP_CONV1D || n->a.groups <= 1) return 0;
    int c = last_dim(&g->values[n->in[0]].shape);
    return n->a.groups == c && n->a.out_features == c;
}

static int uf_find(int *parent, int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
}

static void uf_union(int *parent, int a, int b) {
    a = uf_find(parent, a), b = uf_find(parent, b);
    if (a != b) parent[a > b ? a : b] = a < b ? a : b;
}

void ecg_channel_groups_free(ecg_channel_groups *gs) {
    for (int i = 0; i < gs->n; i++) {
        free(gs->g[i].values);
        free(gs->g[i].producers);
    }
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}

/* Unions the values whose channels are tied; marks (bad) those whose channels cannot change. */
static void tie_channels(const ecg_graph *g, int *parent, unsigned char *bad, const int *param_uses) {
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        int shared = 0; /* a param used by several nodes would be sliced twice */
        for (int j = 0; j < n->n_param; j++) shared |= param_uses[n->param[j]] > 1;
        if (!shared && n->kind == ECG_OP_CONV1D) {
            if (is_depthwise(g, n)) uf_union(parent, n->out, n->in[0]);
            else if (!is_dense(n)) bad[n->in[0]] = bad[n->out] = 1; /* grouped: channels mix in blocks */
            continue;
        }
        if (!shared && n->kind == ECG_OP_LINEAR) continue; /* produces its output's channels, consumes its input's */
        /* channels pass through a per-channel op (ops/ops.h: ECG_TRAIT_PER_CHANNEL) unless an input
         * is broadcast over them */
        int c = last_dim(&g->values[n->out].shape);
        int through = !shared && n->n_in > 0 && ecg_op_has(n->kind, ECG_TRAIT_PER_CHANNEL);
        for (int j = 0; j < n->n_in && through; j++) through = last_dim(&g->values[n->in[j]].shape) == c;
        if (through) {
            for (int j = 0; j < n->n_in; j++) uf_union(parent, n->out, n->in[j]);
            continue;
        }
        for (int j = 0; j < n->n_in; j++) bad[n->in[j]] = 1;
        bad[n->out] = 1;
    }
    for (int i = 0; i < g->n_inputs; i++) bad[g->inputs[i]] = 1;
    if (g->output >= 0) bad[g->output] = 1;
}

int ecg_channel_groups_find(const ecg_graph *g, ecg_channel_groups *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int nv = g->n_values;
    int *parent = malloc(sizeof(int) * (size_t)(nv + 1)), *uses = calloc((size_t)g->n_params + 1, sizeof(int));
    int *slot = malloc(sizeof(int) * (size_t)(nv + 1));
    unsigned char *bad = calloc((size_t)nv + 1, 1);
    if (!parent || !uses || !slot || !bad) goto oom;
    for (int v = 0; v < nv; v++) parent[v] = v, slot[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_param; j++) uses[g->nodes[i].param[j]]++;
    tie_channels(g, parent, bad, uses);
    /* A group is bad when any member is, or when its members disagree on the width. */
    for (int v = 0; v < nv; v++) {
        int r = uf_find(parent, v);
        if (bad[v] || last_dim(&g->values[v].shape) != last_dim(&g->values[r].shape) ||
            last_dim(&g->values[v].shape) < 1)
            bad[r] = 1;
    }
    /* Groups in the order of their first producer. */
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        int r = uf_find(parent, n->out);
        if (!is_dense(n) || bad[r]) continue;
        if (slot[r] < 0) {
            ecg_channel_group *ng = realloc(out->g, sizeof *ng * (size_t)(out->n + 1));
            if (!ng) goto oom;
            out->g = ng;
            ecg_channel_group *gr = &out->g[out->n];
            memset(gr, 0, sizeof *gr);
            snprintf(gr->name, sizeof gr->name, "%s", n->name);
            gr->channels = last_dim(&g->values[n->out].shape);
            slot[r] = out->n++;
            if (!(gr->values = malloc(sizeof(int) * (size_t)nv)) || !(gr->producers = malloc(sizeof(int) * (size_t)g->n_nodes)))
                goto oom;
        }
        ecg_channel_group *gr = &out->g[slot[r]];
        gr->producers[gr->n_producers++] = i;
    }
    for (int v = 0; v < nv; v++) {
        int s = slot[uf_find(parent, v)];
        if (s < 0) continue;
        ecg_channel_group *gr = &out->g[s];
        gr->values[gr->n_values++] = v;
        int p = g->values[v].producer;
        if (p >= 0 && g->nodes[p].kind == ECG_OP_ADD) gr->residual = 1;
    }
    free(parent), free(uses), free(slot), free(bad);
    return 0;
oom:
    free(parent), free(uses), free(slot), free(bad);
    ecg_channel_groups_free(out);
    snprintf(err, errlen, "channel pruning: out of memory");
    return -1;
}

/* Adds |row c| (rank L1) or |gamma c| (rank BN) of one node's param, divided by the mean over c. */
static int add_normalised(double *score, const ecg_param *p, int c_count) {
    int64_t per = ecg_shape_numel(&p->shape) / c_count;
    double total = 0;
    double *row = calloc((size_t)c_count, sizeof *row);
    if (!row) return -1;
    for (int c = 0; c < c_count; c++) {
        for (int64_t k = 0; k < per; k++) row[c] += fabs((double)p->data[c * per + k]);
        total += row[c];
    }
    double mean = total / c_count;
    for (int c = 0; c < c_count; c++) score[c] += mean > 0 ? row[c] / mean : 0;
    free(row);
    return 0;
}

int ecg_channel_scores(const ecg_graph *g, const ecg_channel_group *grp, ecg_channel_rank rank, double *score,
                       char *err, size_t errlen) {
    int c = grp->channels, used = 0;
    for (int i = 0; i < c; i++) score[i] = 0;
    for (int i = 0; i < grp->n_producers; i++) {
        const ecg_node *p = &g->nodes[grp->producers[i]];
        if (rank == ECG_CHANNEL_RANK_L1) {
            if (add_normalised(score, &g->params[p->param[0]], c)) goto oom;
            used++;
            continue;
        }
        for (int j = 0; j < g->n_nodes; j++) { /* the batchnorm reading this producer's output */
            const ecg_node *bn = &g->nodes[j];
            if (bn->kind == ECG_OP_BATCHNORM && bn->in[0] == p->out) {
                if (add_normalised(score, &g->params[bn->param[0]], c)) goto oom;
                used++;
            }
        }
    }
    /* no batchnorm to read (an SE bottleneck): its filters are all there is */
    if (!used) return ecg_channel_scores(g, grp, ECG_CHANNEL_RANK_L1, score, err, errlen);
    return 0;
oom:
    snprintf(err, errlen, "channel pruning: out of memory");
    return -1;
}

/* Keeps the slices keep[0..k) of axis `axis` of p (whose size there must be c). */
static int slice_param(ecg_param *p, int axis, const int *keep, int k, int c, char *err, size_t errlen) {
    char buf[64];
    if (axis >= p->shape.rank || p->shape.d[axis] != c) {
        snprintf(err, errlen, "channel pruning: %s has shape %s, expected %d along axis %d", p->name,
                 ecg_shape_str(&p->shape, buf, sizeof buf), c, axis);
        return -1;
    }
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= p->shape.d[i];
    for (int i = axis + 1; i < p->shape.rank; i++) inner *= p->shape.d[i];
    float *d = malloc(sizeof(float) * (size_t)(outer * k * inner + 1));
    if (!d) {
        snprintf(err, errlen, "channel pruning: out of memory");
        return -1;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int j = 0; j < k; j++)
            memcpy(d + (o * k + j) * inner, p->data + (o * c + keep[j]) * inner, sizeof(float) * (size_t)inner);
    free(p->data);
    free(p->grad);
    p->data = d;
    p->grad = NULL;
    p->shape.d[axis] = k;
    return 0;
}

/* Slices every param a node holds for channels of group (membership in_set) on the given side. */
static int slice_group(ecg_graph *g, const ecg_channel_group *grp, const unsigned char *in_set, const int *keep,
                       int k, char *err, size_t errlen) {
    int c = grp->channels;
    for (int i = 0; i < g->n_nodes; i++) {
        ecg_node *n = &g->nodes[i];
        int in = n->n_in > 0 && in_set[n->in[0]], out = in_set[n->out];
        if (is_dense(n)) {
            if (out) { /* producer: weight rows and bias */
                for (int j = 0; j < n->n_param; j++)
                    if (slice_param(&g->params[n->param[j]], 0, keep, k, c, err, errlen)) return -1;
                n->a.out_features = k;
            }
            if (in && slice_param(&g->params[n->param[0]], 1, keep, k, c, err, errlen)) return -1; /* consumer */
        } else if (in && (n->kind == ECG_OP_BATCHNORM || n->kind == ECG_OP_CONV1D)) {
            /* batchnorm params and buffers, depthwise filters and bias: all [C, ...] */
            for (int j = 0; j < n->n_param; j++)
                if (slice_param(&g->params[n->param[j]], 0, keep, k, c, err, errlen)) return -1;
            if (n->kind == ECG_OP_CONV1D) n->a.out_features = n->a.groups = k;
        }
    }
    return 0;
}

/* Re-runs shape inference over the (topologically ordered) nodes after a surgery. */
static int reinfer(ecg_graph *g, char *err, size_t errlen) {
    for (int i = 0; i < g->n_nodes; i++) {
        ecg_node *n = &g->nodes[i];
        ecg_shape in[ECG_MAX_IN];
        for (int j = 0; j < n->n_in; j++) in[j] = g->values[n->in[j]].shape;
        char msg[ECG_ERR_LEN - ECG_NAME_LEN - 32] = "";
        if (ecg_op_get(n->kind)->infer(n, in, &g->values[n->out].shape, msg, sizeof msg)) {
            snprintf(err, errlen, "channel pruning: %s after the surgery: %s", n->name, msg);
            return -1;
        }
    }
    return 0;
}

int ecg_channel_surgery(ecg_graph *g, const ecg_channel_groups *gs, const int *const *keep, const int *n_keep,
                        char *err, size_t errlen) {
    for (int i = 0; i < gs->n; i++) {
        if (!keep[i]) continue;
        int prev = -1;
        for (int j = 0; j < n_keep[i]; j++) {
            if (keep[i][j] <= prev || keep[i][j] >= gs->g[i].channels) {
                snprintf(err, errlen, "channel pruning: group %s: kept channels must ascend within [0, %d)",
                         gs->g[i].name, gs->g[i].channels);
                return -1;
            }
            prev = keep[i][j];
        }
        if (n_keep[i] < 1) {
            snprintf(err, errlen, "channel pruning: group %s: keep at least one channel", gs->g[i].name);
            return -1;
        }
    }
    ecg_graph t;
    unsigned char *in_set = calloc((size_t)g->n_values + 1, 1);
    if (!in_set || ecg_graph_clone(&t, g)) {
        free(in_set);
        snprintf(err, errlen, "channel pruning: out of memory");
        return -1;
    }
    for (int i = 0; i < gs->n; i++) {
        if (!keep[i]) continue;
        memset(in_set, 0, (size_t)g->n_values);
        for (int j = 0; j < gs->g[i].n_values; j++) {
            int v = gs->g[i].values[j];
            if (v < 0 || v >= g->n_values) { /* groups found on another graph */
                snprintf(err, errlen, "channel pruning: group %s does not belong to this graph", gs->g[i].name);
                goto fail;
            }
            in_set[v] = 1;
        }
        if (slice_group(&t, &gs->g[i], in_set, keep[i], n_keep[i], err, errlen)) goto fail;
    }
    if (reinfer(&t, err, errlen)) goto fail;
    free(in_set);
    ecg_graph_free(g);
    *g = t;
    return 0;
fail:
    free(in_set);
    ecg_graph_free(&t);
    return -1;
}

static int in_scope(const ecg_channel_group *gr, const ecg_channel_cfg *cfg) { return cfg->residual || !gr->residual; }

/* The k highest-scoring channels (ties: the lower index), ascending. */
static int top_k(const double *score, int c, int k, int *keep) {
    unsigned char *taken = calloc((size_t)c, 1);
    if (!taken) return -1;
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < c; i++)
            if (!taken[i] && (best < 0 || score[i] > score[best])) best = i;
        taken[best] = 1;
    }
    for (int i = 0, j = 0; i < c; i++)
        if (taken[i]) keep[j++] = i;
    free(taken);
    return 0;
}

int ecg_channel_prune(ecg_graph *g, const ecg_channel_cfg *cfg, ecg_channel_count **counts, int *n, char *err,
                      size_t errlen) {
    *counts = NULL, *n = 0;
    if (!(cfg->ratio >= 0 && cfg->ratio < 1)) {
        snprintf(err, errlen, "channel pruning: the ratio of channels removed must be in [0, 1), got %g", cfg->ratio);
        return -1;
    }
    ecg_channel_groups gs;
    if (ecg_channel_groups_find(g, &gs, err, errlen)) return -1;
    int in = 0, rc = -1;
    for (int i = 0; i < gs.n; i++) in += in_scope(&gs.g[i], cfg);
    if (!in) {
        snprintf(err, errlen,
                 "channel pruning: the model has no prunable channel groups%s (channels a conv1d or linear produces "
                 "that reach only channelwise ops and conv1d / linear inputs)",
                 gs.n ? " outside residual streams" : "");
        ecg_channel_groups_free(&gs);
        return -1;
    }
    int **keep = calloc((size_t)gs.n, sizeof *keep), *n_keep = calloc((size_t)gs.n, sizeof(int));
    ecg_channel_count *cs = calloc((size_t)in, sizeof *cs);
    if (!keep || !n_keep || !cs) goto oom;
    for (int i = 0, j = 0; i < gs.n; i++) {
        const ecg_channel_group *gr = &gs.g[i];
        if (!in_scope(gr, cfg)) continue;
        int c = gr->channels, k = (int)lround((1 - cfg->ratio) * c);
        if (k < 1) k = 1;
        double *score = malloc(sizeof(double) * (size_t)c);
        if (!score || !(keep[i] = malloc(sizeof(int) * (size_t)k))) {
            free(score);
            goto oom;
        }
        if (ecg_channel_scores(g, gr, cfg->rank, score, err, errlen)) {
            free(score);
            goto done;
        }
        int bad = top_k(score, c, k, keep[i]);
        free(score);
        if (bad) goto oom;
        n_keep[i] = k;
        cs[j] = (ecg_channel_count){.residual = gr->residual, .before = c, .after = k};
        snprintf(cs[j].name, sizeof cs[j].name, "%s", gr->name);
        j++;
    }
    if (ecg_channel_surgery(g, &gs, (const int *const *)keep, n_keep, err, errlen)) goto done;
    *counts = cs, *n = in, cs = NULL;
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "channel pruning: out of memory");
done:
    for (int i = 0; keep && i < gs.n; i++) free(keep[i]);
    free(keep), free(n_keep), free(cs);
    ecg_channel_groups_free(&gs);
    return rc;
}

int ecg_channel_prune_rebuild(ecg_graph *g, const ecg_channel_count *counts, int n, char *err, size_t errlen) {
    ecg_channel_groups gs;
    if (ecg_channel_groups_find(g, &gs, err, errlen)) return -1;
    int rc = -1;
    int **keep = calloc((size_t)gs.n + 1, sizeof *keep), *n_keep = calloc((size_t)gs.n + 1, sizeof(int));
    if (!keep || !n_keep) {
        snprintf(err, errlen, "channel pruning: out of memory");
        goto done;
    }
    for (int j = 0; j < n; j++) {
        int i = 0;
        while (i < gs.n && strcmp(gs.g[i].name, counts[j].name)) i++;
        if (i == gs.n || gs.g[i].channels != counts[j].before || keep[i] || counts[j].after < 1 ||
            counts[j].after > counts[j].before) {
            snprintf(err, errlen, "channel pruning: the model has no group %s of %d channels to keep %d of (%s)",
                     counts[j].name, counts[j].before, counts[j].after,
                     i == gs.n ? "no such group" : keep[i] ? "named twice" : "counts do not match");
            goto done;
        }
        if (!(keep[i] = malloc(sizeof(int) * (size_t)counts[j].after))) {
            snprintf(err, errlen, "channel pruning: out of memory");
            goto done;
        }
        for (int c = 0; c < counts[j].after; c++) keep[i][c] = c; /* the weights file holds the kept ones */
        n_keep[i] = counts[j].after;
    }
    rc = ecg_channel_surgery(g, &gs, (const int *const *)keep, n_keep, err, errlen);
done:
    for (int i = 0; keep && i < gs.n; i++) free(keep[i]);
    free(keep), free(n_keep);
    ecg_channel_groups_free(&gs);
    return rc;
}
