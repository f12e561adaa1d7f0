/* XNNPACK executor: lowers an eval-mode graph once for a fixed batch (operators created and
 * set up here, buffers fixed), then runs the steps in order on one shared threadpool. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmodel.h"
#include "timing.h"
#include "xnn_lower.h"

typedef struct alloc_node {
    struct alloc_node *next;
} alloc_node;

struct ecg_xnn {
    ecg_graph g;            /* private, rewritten copy (BN and ReLU folded, dropout removed) */
    int batch, threads;
    unsigned flags;
    pthreadpool_t tp;
    float **val;            /* per value */
    ecg_xnn_step *steps;
    int n_steps, cap_steps;
    xnn_operator_t *held;   /* operators our own kernels run (not steps) */
    int n_held, cap_held;
    alloc_node *allocs;     /* everything ecg_lower_alloc handed out */
    ecg_xnn_stats stats;
    /* int8 path: per value, whether an f32 consumer (or the graph output) needs it dequantised;
     * per node, its int8 parameters (or NULL), whether its int8 input is its producer's int8
     * output, and its planned int8 input and output buffers */
    unsigned char *need_f32;
    const ecg_qnode **qnode;
    unsigned char *chained;
    int8_t **q_in, **q_out;
};

int ecg_backend_init(char *err, size_t errlen) {
    /* xnn_initialize is idempotent and thread-safe (pthread_once inside): the one global. */
    enum xnn_status s = xnn_initialize(NULL);
    if (s != xnn_status_success) {
        snprintf(err, errlen, "xnn_initialize failed (status %d): this CPU may be unsupported", (int)s);
        return -1;
    }
    return 0;
}

int ecg_xnn_dw_fast_taps(int taps) {
    static const int fast[] = {3, 4, 9, 25};
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++)
        if (taps <= fast[i]) return fast[i];
    return taps;
}

/* One lowering per op, from the op list (ops/op_list.h): an op without one does not build. */
#define ECG_OP_LOWERING(id, name, lowering) [ECG_OP_##id] = lowering,
static ecg_lowering const lowerings[ECG_OP_COUNT] = {ECG_OP_LIST(ECG_OP_LOWERING)};
#undef ECG_OP_LOWERING

void *ecg_lower_alloc(ecg_lower *l, size_t bytes) {
    /* header padded to 64 bytes keeps the payload aligned for SIMD loads */
    alloc_node *a = aligned_alloc(64, (sizeof(alloc_node) + 63) / 64 * 64 + (bytes + XNN_EXTRA_BYTES + 63) / 64 * 64);
    if (!a) {
        ecg_lower_fail(l, "out of memory (%zu bytes)", bytes);
        return NULL;
    }
    size_t hdr = (sizeof(alloc_node) + 63) / 64 * 64;
    memset(a, 0, hdr + bytes + XNN_EXTRA_BYTES);
    a->next = l->x->allocs;
    l->x->allocs = a;
    return (char *)a + hdr;
}

int ecg_lower_fail(ecg_lower *l, const char *fmt, ...) {
    if (l->err[0]) return -1;
    int k = snprintf(l->err, l->errlen, "%s: ", l->n ? l->n->name : "xnnpack");
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < l->errlen) vsnprintf(l->err + k, l->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

int ecg_lower_check(ecg_lower *l, enum xnn_status s, const char *call) {
    return s == xnn_status_success ? 0 : ecg_lower_fail(l, "%s failed with XNNPACK status %d", call, (int)s);
}

/* A node with fewer FLOPs than this (at the executor's batch) runs on the calling thread alone:
 * handing it to the pool costs more than it saves. On the 2-core EPYC at batch 1, 2 threads took
 * efficientecg-s on a beat 341-360 us with every node on the pool, 123-133 with none or with this
 * threshold (1 thread: 129), efficientecg-b0 991-1061 against 647-805, while resnet1d on a beat
 * still gains from the pool (0.98-1.07 ms against 1.15 serial). */
#define POOL_MIN_FLOPS 10000000

static int push_step(ecg_lower *l, ecg_xnn_step st) {
    struct ecg_xnn *x = l->x;
    /* every step belongs to the node being lowered (its quantise/dequantise helpers too), so a
     * profile can sum step times per layer */
    if (!l->n) return ecg_lower_fail(l, "a step outside any node");
    st.node = (int)(l->n - x->g.nodes);
    st.tp = l->tp;
    if (x->n_steps == x->cap_steps) {
        int cap = x->cap_steps ? 2 * x->cap_steps : 32;
        ecg_xnn_step *p = realloc(x->steps, (size_t)cap * sizeof *p);
        if (!p) return ecg_lower_fail(l, "out of memory");
        x->steps = p;
        x->cap_steps = cap;
    }
    x->steps[x->n_steps++] = st;
    return 0;
}

int ecg_lower_op(ecg_lower *l, xnn_operator_t op) {
    if (push_step(l, (ecg_xnn_step){.op = op})) {
        xnn_delete_operator(op);
        return -1;
    }
    l->stats->n_xnn_ops++;
    return 0;
}

int ecg_lower_create_fc(ecg_lower *l, size_t in, size_t out, const float *w, const float *bias, float lo, size_t rows,
                        const float *x, float *y, xnn_operator_t *op) {
    *op = NULL;
    if (ecg_lower_check(l, xnn_create_fully_connected_nc_f32(in, out, in, out, w, bias, lo, INFINITY, 0, op),
                        "xnn_create_fully_connected_nc_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_fully_connected_nc_f32(*op, rows, x, y, l->tp), "xnn_setup_fully_connected_nc_f32")) {
        xnn_delete_operator(*op);
        return -1;
    }
    return 0;
}

int ecg_lower_hold_op(ecg_lower *l, xnn_operator_t op) {
    struct ecg_xnn *x = l->x;
    if (x->n_held == x->cap_held) {
        int cap = x->cap_held ? 2 * x->cap_held : 8;
        xnn_operator_t *p = realloc(x->held, (size_t)cap * sizeof *p);
        if (!p) {
            xnn_delete_operator(op);
            return ecg_lower_fail(l, "out of memory");
        }
        x->held = p;
        x->cap_held = cap;
    }
    x->held[x->n_held++] = op;
    l->stats->n_xnn_ops++;
    return 0;
}

int ecg_lower_fn(ecg_lower *l, ecg_kernel_fn fn, void *arg) {
    if (push_step(l, (ecg_xnn_step){.fn = fn, .arg = arg})) return -1;
    l->stats->n_own_kernels++;
    return 0;
}

size_t ecg_lower_channels(const ecg_shape *s) { return s->rank ? (size_t)s->d[s->rank - 1] : 1; }
size_t ecg_lower_rows(const ecg_lower *l, const ecg_shape *s) {
    return (size_t)l->batch * (size_t)ecg_shape_numel(s) / ecg_lower_channels(s);
}

void ecg_xnn_free(ecg_xnn *x) {
    if (!x) return;
    for (int i = 0; i < x->n_steps; i++)
        if (x->steps[i].op) xnn_delete_operator(x->steps[i].op);
    free(x->steps);
    for (int i = 0; i < x->n_held; i++) xnn_delete_operator(x->held[i]);
    free(x->held);
    while (x->allocs) {
        alloc_node *next = x->allocs->next;
        free(x->allocs);
        x->allocs = next;
    }
    free(x->val);
    free(x->need_f32);
    free(x->qnode);
    free(x->chained);
    free(x->q_in);
    free(x->q_out);
    if (x->tp) pthreadpool_destroy(x->tp);
    ecg_graph_free(&x->g);
    free(x);
}

static ecg_lowering lowering_for(const ecg_node *n, const ecg_qnode *q) {
    if (!q) return lowerings[n->kind];
    return n->kind == ECG_OP_CONV1D ? ecg_lower_conv1d_q : n->kind == ECG_OP_LINEAR ? ecg_lower_linear_q : NULL;
}

static int same_qparams(const ecg_qparams *a, const ecg_qparams *b) {
    return a->scale == b->scale && a->zero_point == b->zero_point;
}

/* The int8 plan: node i's input is chained (read from its producer's int8 buffer) when the
 * producer is an int8 node writing the qparams i reads; need_f32[v] when v is the output, a graph
 * input, not an int8 node's output, or read by some node other than as a chained input. */
static int plan_int8_values(ecg_xnn *x, const ecg_qmodel *q) {
    const ecg_graph *g = &x->g;
    size_t nv = (size_t)(g->n_values ? g->n_values : 1), nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    x->need_f32 = calloc(nv, 1);
    x->qnode = calloc(nn, sizeof *x->qnode);
    x->chained = calloc(nn, 1);
    x->q_in = calloc(nn, sizeof *x->q_in);
    x->q_out = calloc(nn, sizeof *x->q_out);
    if (!x->need_f32 || !x->qnode || !x->chained || !x->q_in || !x->q_out) return -1;
    int chain = !(x->flags & ECG_XNN_NO_INT8_CHAIN);
    for (int i = 0; i < g->n_nodes; i++) x->qnode[i] = ecg_qmodel_find(q, g->nodes[i].name);
    for (int v = 0; v < g->n_values; v++) {
        int p = g->values[v].producer;
        x->need_f32[v] = !chain || v == g->output || p < 0 || !x->qnode[p];
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_in; j++) {
            int v = n->in[j], p = g->values[v].producer;
            const ecg_qnode *pq = p >= 0 ? x->qnode[p] : NULL;
            int chained = chain && j == 0 && x->qnode[i] && pq && same_qparams(&pq->out, &x->qnode[i]->in);
            if (j == 0) x->chained[i] = (unsigned char)chained;
            if (!chained) x->need_f32[v] = 1;
        }
    }
    return 0;
}

static int node_index(const ecg_lower *l) { return (int)(l->n - l->x->g.nodes); }

int ecg_lower_int8_chained(const ecg_lower *l) { return l->x->chained[node_index(l)]; }

int8_t *ecg_lower_int8_input(ecg_lower *l) {
    ecg_xnn *x = l->x;
    int i = node_index(l);
    return x->chained[i] ? x->q_out[x->g.values[l->n->in[0]].producer] : x->q_in[i];
}

int8_t *ecg_lower_int8_output(ecg_lower *l) { return l->x->q_out[node_index(l)]; }

static int needs_f32(const ecg_xnn *x, int v) { return !x->need_f32 || x->need_f32[v]; }
int ecg_lower_needs_f32(const ecg_lower *l, int value) { return needs_f32(l->x, value); }

/* The buffers the plan places: every value that is live (on the int8 path, less those only read
 * in int8; with ECG_XNN_KEEP_VALUES every value), and each int8 node's int8 output (live until its
 * last chained reader) and, unless chained, its int8 input (live at its own steps). who[k]: value
 * v as v, node i's input as n_values + 2i, its output as n_values + 2i + 1. */
static int plan_items(const ecg_xnn *x, ecg_plan_item *it, int *who) {
    const ecg_graph *g = &x->g;
    int nv = g->n_values, n = 0;
    int *first = malloc((size_t)(nv ? nv : 1) * 2 * sizeof *first), *last = first ? first + (nv ? nv : 1) : NULL;
    if (!first) return -1;
    ecg_xnn_value_lives(g, first, last);
    for (int v = 0; v < nv; v++) {
        if (!(x->flags & ECG_XNN_KEEP_VALUES) && (first[v] == ECG_PLAN_DEAD || !needs_f32(x, v))) continue;
        who[n] = v;
        it[n++] = (ecg_plan_item){first[v], last[v], ecg_xnn_value_bytes(g, v, x->batch), 0};
    }
    for (int i = 0; x->qnode && i < g->n_nodes; i++) {
        if (!x->qnode[i]) continue;
        const ecg_node *nd = &g->nodes[i];
        size_t in = (size_t)x->batch * (size_t)ecg_shape_numel(&g->values[nd->in[0]].shape);
        size_t out = (size_t)x->batch * (size_t)ecg_shape_numel(&g->values[nd->out].shape);
        if (!x->chained[i]) {
            who[n] = nv + 2 * i;
            it[n++] = (ecg_plan_item){i, i, ecg_plan_bytes(in), 0};
        }
        int end = i;
        for (int j = i + 1; j < g->n_nodes; j++)
            if (x->chained[j] && g->nodes[j].in[0] == nd->out) end = j;
        who[n] = nv + 2 * i + 1;
        it[n++] = (ecg_plan_item){i, end, ecg_plan_bytes(out), 0};
    }
    free(first);
    return n;
}

/* Every buffer: one arena shared by buffers whose lives do not overlap, or with
 * ECG_XNN_KEEP_VALUES one of its own each, so every value still holds its last result after a run. */
static int place_buffers(ecg_xnn *x, ecg_lower *l) {
    const ecg_graph *g = &x->g;
    int cap = g->n_values + 2 * g->n_nodes + 1, n, keep = (x->flags & ECG_XNN_KEEP_VALUES) != 0, rc = -1;
    ecg_plan_item *it = malloc((size_t)cap * sizeof *it);
    int *who = malloc((size_t)cap * sizeof *who);
    size_t total = 0;
    char *arena = NULL;
    if (!it || !who || (n = plan_items(x, it, who)) < 0 || (!keep && ecg_plan_place(it, n, &total))) {
        ecg_lower_fail(l, "out of memory planning the buffers");
        goto done;
    }
    if (!keep && total && !(arena = ecg_lower_alloc(l, total))) goto done;
    for (int k = 0; k < n; k++) {
        char *p = keep ? ecg_lower_alloc(l, it[k].bytes) : arena + it[k].offset;
        if (!p) goto done;
        if (keep) total += it[k].bytes;
        int w = who[k] - g->n_values;
        if (w < 0) x->val[who[k]] = (float *)p;
        else if (w % 2) x->q_out[w / 2] = (int8_t *)p;
        else x->q_in[w / 2] = (int8_t *)p;
    }
    x->stats.value_bytes = total;
    rc = 0;
done:
    free(it);
    free(who);
    return rc;
}

static ecg_xnn *create(const ecg_graph *src, const ecg_qmodel *q, int batch, int threads, unsigned flags, char *err,
                       size_t errlen) {
    err[0] = 0;
    if (src->err[0] || src->output < 0 || batch < 1) {
        snprintf(err, errlen, "%s", src->err[0] ? src->err : src->output < 0 ? "graph has no output" : "batch must be >= 1");
        return NULL;
    }
    if (ecg_backend_init(err, errlen)) return NULL;
    ecg_xnn *x = calloc(1, sizeof *x);
    if (!x || ecg_graph_clone(&x->g, src)) {
        free(x);
        snprintf(err, errlen, "out of memory cloning the graph");
        return NULL;
    }
    ecg_graph *g = &x->g;
    x->batch = batch;
    x->flags = flags;
    /* More threads than cores only adds spinning: the LSTM hands work to the pool once per
     * time step, and oversubscribed, that made a run 1000x slower. ecg_xnn_threads() tells
     * callers (and reports) the count actually used. */
    x->threads = ecg_threads_for(threads);
    ecg_lower l = {.x = x, .g = g, .batch = batch, .stats = &x->stats, .err = err, .errlen = errlen};
    if (x->threads > 1 && !(x->tp = pthreadpool_create((size_t)x->threads))) {
        ecg_lower_fail(&l, "pthreadpool_create(%d) failed", x->threads);
        goto fail;
    }
    l.tp = x->tp;

    int folded = ecg_graph_inference_rewrite(g, !(flags & ECG_XNN_NO_BN_FOLD));
    if (folded < 0) {
        ecg_lower_fail(&l, "folding batchnorm: %s", g->err);
        goto fail;
    }
    x->stats.n_bn_folded = folded;
    /* After BN folding, so conv -> BN -> ReLU becomes one conv. Calibration reads every value,
     * a ReLU's input too, so it keeps the ReLUs. */
    if (!(flags & (ECG_XNN_NO_RELU_FUSE | ECG_XNN_KEEP_VALUES))) x->stats.n_relu_fused = ecg_fuse_relu(g, q);

    if (!(x->val = calloc((size_t)g->n_values, sizeof(float *)))) goto oom;
    if (q && plan_int8_values(x, q)) goto oom;
    if (place_buffers(x, &l)) goto fail;
    int matched = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        l.n = n;
        l.tp = x->tp && ecg_node_flops(g, n) * batch >= POOL_MIN_FLOPS ? x->tp : NULL;
        l.q = q ? ecg_qmodel_find(q, n->name) : NULL;
        ecg_lowering lower = lowering_for(n, l.q);
        if (!lower) {
            ecg_lower_fail(&l, "has int8 parameters, but only conv1d and linear nodes can be int8");
            goto fail;
        }
        matched += l.q != NULL;
        for (int j = 0; j < n->n_in; j++) {
            l.in[j] = x->val[n->in[j]];
            l.in_shape[j] = g->values[n->in[j]].shape;
        }
        l.out = x->val[n->out];
        l.out_shape = g->values[n->out].shape;
        for (int j = 0; j < n->n_param; j++) l.w[j] = g->params[n->param[j]].data;
        if (lower(&l)) {
            if (!err[0]) ecg_lower_fail(&l, "lowering failed");
            goto fail;
        }
        if (l.q) x->stats.n_int8_nodes++;
    }
    if (q && matched != q->n) {
        /* names are unique in a graph, so some q node names none of them */
        l.n = NULL;
        for (int k = 0; k < q->n; k++) {
            int found = 0;
            for (int i = 0; i < g->n_nodes && !found; i++) found = !strcmp(g->nodes[i].name, q->nodes[k].node);
            if (!found) {
                ecg_lower_fail(&l, "the int8 model names node '%s', which the graph lacks", q->nodes[k].node);
                goto fail;
            }
        }
        ecg_lower_fail(&l, "the int8 model names a node twice");
        goto fail;
    }
    return x;
oom:
    ecg_lower_fail(&l, "out of memory");
fail:
    ecg_xnn_free(x);
    return NULL;
}

ecg_xnn *ecg_xnn_create(const ecg_graph *g, int batch, int threads, unsigned flags, char *err, size_t errlen) {
    return create(g, NULL, batch, threads, flags, err, errlen);
}

ecg_xnn *ecg_xnn_create_q(const ecg_graph *g, const ecg_qmodel *q, int batch, int threads, unsigned flags, char *err,
                          size_t errlen) {
    if (!q) {
        snprintf(err, errlen, "no int8 model given");
        return NULL;
    }
    return create(g, q, batch, threads, flags, err, errlen);
}

const float *ecg_xnn_value(const ecg_xnn *x, int v) {
    return v >= 0 && v < x->g.n_values && (x->flags & ECG_XNN_KEEP_VALUES) ? x->val[v] : NULL;
}

void ecg_qmodel_free(ecg_qmodel *q) {
    if (!q) return;
    for (int i = 0; i < q->n; i++) {
        free(q->nodes[i].w);
        free(q->nodes[i].w_scale);
        free(q->nodes[i].bias);
    }
    free(q->nodes);
    q->nodes = NULL;
    q->n = 0;
}

const ecg_qnode *ecg_qmodel_find(const ecg_qmodel *q, const char *node) {
    for (int i = 0; q && i < q->n; i++)
        if (!strcmp(q->nodes[i].node, node)) return &q->nodes[i];
    return NULL;
}

static int run_step(const ecg_xnn_step *s) {
    if (s->op) return xnn_run_operator(s->op, s->tp) == xnn_status_success ? 0 : -1;
    s->fn(s->arg, s->tp);
    return 0;
}

int ecg_xnn_run(ecg_xnn *x) {
    for (int i = 0; i < x->n_steps; i++)
        if (run_step(&x->steps[i])) return -1;
    return 0;
}

/* One run with a clock read between steps (one read per step, not two, to halve the timer's
 * share): each step's time is added to its node's t[node]. */
static int run_timed(ecg_xnn *x, double *t) {
    double t0 = ecg_now_s();
    for (int i = 0; i < x->n_steps; i++) {
        if (run_step(&x->steps[i])) return -1;
        double t1 = ecg_now_s();
        t[x->steps[i].node] += 1e6 * (t1 - t0);
        t0 = t1;
    }
    return 0;
}

int ecg_xnn_profile(ecg_xnn *x, int reps, double *node_us) {
    int n = x->g.n_nodes, rc = -1;
    if (reps < 1) return -1;
    double *t = calloc((size_t)n * (size_t)reps, sizeof *t), *col = malloc((size_t)reps * sizeof *col);
    if (!t || !col || ecg_xnn_run(x)) goto done; /* the warm-up touches every buffer and weight once */
    for (int r = 0; r < reps; r++)
        if (run_timed(x, t + (size_t)r * (size_t)n)) goto done;
    for (int i = 0; i < n; i++) node_us[i] = NAN;
    for (int s = 0; s < x->n_steps; s++) node_us[x->steps[s].node] = 0; /* nodes that ran */
    for (int i = 0; i < n; i++) {
        if (isnan(node_us[i])) continue;
        for (int r = 0; r < reps; r++) col[r] = t[(size_t)r * (size_t)n + (size_t)i];
        node_us[i] = ecg_median(col, reps);
    }
    rc = 0;
done:
    free(t);
    free(col);
    return rc;
}

int ecg_xnn_n_nodes(const ecg_xnn *x) { return x->g.n_nodes; }
const char *ecg_xnn_node_name(const ecg_xnn *x, int node) {
    return node >= 0 && node < x->g.n_nodes ? x->g.nodes[node].name : NULL;
}
int ecg_xnn_find_node(const ecg_xnn *x, const char *name) {
    for (int i = 0; i < x->g.n_nodes; i++)
        if (!strcmp(x->g.nodes[i].name, name)) return i;
    return -1;
}
int ecg_xnn_n_steps(const ecg_xnn *x) { return x->n_steps; }
int ecg_xnn_step_node(const ecg_xnn *x, int step) { return step >= 0 && step < x->n_steps ? x->steps[step].node : -1; }

float *ecg_xnn_input(ecg_xnn *x, int i) { return i >= 0 && i < x->g.n_inputs ? x->val[x->g.inputs[i]] : NULL; }
const float *ecg_xnn_output(const ecg_xnn *x) { return x->val[x->g.output]; }
int ecg_xnn_threads(const ecg_xnn *x) { return x->threads; }

int ecg_threads_for(int requested) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    return requested <= 0 || requested > cores ? cores : requested;
}
ecg_xnn_stats ecg_xnn_get_stats(const ecg_xnn *x) { return x->stats; }
unsigned ecg_xnn_flags(const ecg_xnn *x) { return x->flags; }
