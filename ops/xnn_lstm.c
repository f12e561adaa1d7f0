/* XNNPACK lowering of the LSTM (semantics and param order in ops/ref_lstm.c).
 *
 * Per layer and direction, four plan steps and two XNNPACK operators, whatever T is:
 *   1. fully_connected: the input projection of all N*T rows at once, bias = b_ih + b_hh,
 *      into xproj [N, T, 4H];
 *   2. own kernel: the direction's first step (h_prev = c_prev = 0, so no recurrent term);
 *   3. fully_connected without bias, created on fixed buffers: rec [N, 4H] = h [N, H] W_hh^T.
 *      As a plan step the executor runs it right after step 2, which is exactly the recurrent
 *      projection the second time step needs;
 *   4. own kernel: the remaining steps, each re-running operator 3 (except the first of them,
 *      done by step 3) and then the gate pass, parallel over the N*H hidden units.
 * Layers run in order; layer l > 0 reads the [N, T, H*dirs] output of layer l-1 (two
 * ping-pong buffers), the last layer writes the node output (or only h_n with last_only). */
#include <math.h>
#include <stdlib.h>

#include "xnn_lower.h"

#define GATE_TILE 64 /* hidden units per pthreadpool task; below this many, no threads */

typedef struct {
    xnn_operator_t rec_op; /* h -> rec, set up once on the buffers below */
    const float *xproj;    /* [N, T, 4H]: input projection plus both biases */
    const float *rec;      /* [N, 4H] */
    float *h, *c;          /* [N, H] running state */
    float *y;              /* layer output [N, T, H*dirs] (this direction at column dir*H), or NULL */
    float *h_n;            /* last_only node output [N, H*dirs], or NULL */
    size_t n, t, hidden, hd;
    int dir;
} lstm_dir_plan;

typedef struct {
    const lstm_dir_plan *p;
    size_t t;  /* time index of this step */
    int first; /* no recurrent term and no previous cell state */
} gate_pass;

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Units k = n * H + j in [start, start + count). */
static void gate_tile(void *arg, size_t start, size_t count) {
    const gate_pass *g = arg;
    const lstm_dir_plan *p = g->p;
    size_t H = p->hidden;
    for (size_t k = start; k < start + count; k++) {
        size_t n = k / H, j = k % H;
        const float *z = p->xproj + (n * p->t + g->t) * 4 * H;
        float zi = z[j], zf = z[H + j], zg = z[2 * H + j], zo = z[3 * H + j];
        if (!g->first) {
            const float *r = p->rec + n * 4 * H;
            zi += r[j], zf += r[H + j], zg += r[2 * H + j], zo += r[3 * H + j];
        }
        float i = sigmoidf(zi), f = sigmoidf(zf), cell = tanhf(zg), o = sigmoidf(zo);
        float c = g->first ? i * cell : f * p->c[k] + i * cell;
        float h = o * tanhf(c);
        p->c[k] = c;
        p->h[k] = h;
        if (p->y) p->y[(n * p->t + g->t) * p->hd + (size_t)p->dir * H + j] = h;
    }
}

static void run_gates(const lstm_dir_plan *p, pthreadpool_t tp, size_t step, int first) {
    gate_pass g = {p, p->dir ? p->t - 1 - step : step, first};
    size_t units = p->n * p->hidden;
    pthreadpool_parallelize_1d_tile_1d(units > GATE_TILE ? tp : NULL, gate_tile, &g, units, GATE_TILE, 0);
}

static void first_step_kernel(void *arg, pthreadpool_t tp) { run_gates(arg, tp, 0, 1); }

static void later_steps_kernel(void *arg, pthreadpool_t tp) {
    const lstm_dir_plan *p = arg;
    for (size_t s = 1; s < p->t; s++) {
        /* Cannot fail: the operator was set up at plan time (step 1's projection ran as a plan step). */
        if (s > 1) xnn_run_operator(p->rec_op, tp);
        run_gates(p, tp, s, 0);
    }
    if (p->h_n)
        for (size_t n = 0; n < p->n; n++)
            for (size_t j = 0; j < p->hidden; j++)
                p->h_n[n * p->hd + (size_t)p->dir * p->hidden + j] = p->h[n * p->hidden + j];
}

/* Buffers shared by all layers of one direction (layers run one after another). */
typedef struct {
    float *xproj, *rec, *h, *c;
} dir_buffers;

/* Creates, sets up and appends a fully_connected [rows, in] -> [rows, out]; 0 ok. */
static int add_fc(ecg_lower *l, size_t in, size_t out, const float *w, const float *bias, size_t rows,
                  const float *x, float *y, xnn_operator_t *op_out) {
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l, xnn_create_fully_connected_nc_f32(in, out, in, out, w, bias, -INFINITY, INFINITY, 0, &op),
                        "xnn_create_fully_connected_nc_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_fully_connected_nc_f32(op, rows, x, y, l->tp), "xnn_setup_fully_connected_nc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    if (op_out) *op_out = op;
    return ecg_lower_op(l, op); /* deletes op on failure */
}

static int lower_direction(ecg_lower *l, int layer, int dir, const float *x, size_t in, const dir_buffers *b,
                           float *y, float *h_n) {
    size_t N = (size_t)l->batch, T = (size_t)l->in_shape[0].d[0], H = (size_t)l->n->a.hidden;
    int dirs = l->n->a.bidirectional ? 2 : 1, base = (layer * dirs + dir) * 4;
    const float *w_ih = l->w[base], *w_hh = l->w[base + 1], *b_ih = l->w[base + 2], *b_hh = l->w[base + 3];
    /* XNNPACK packs weights and bias at create time, so the summed bias is only needed until then. */
    float *bias = malloc(4 * H * sizeof(float));
    if (!bias) return ecg_lower_fail(l, "out of memory");
    for (size_t r = 0; r < 4 * H; r++) bias[r] = b_ih[r] + b_hh[r];
    int rc = add_fc(l, in, 4 * H, w_ih, bias, N * T, x, b->xproj, NULL);
    free(bias);
    if (rc) return -1;

    lstm_dir_plan *p = ecg_lower_alloc(l, sizeof *p);
    if (!p) return -1;
    *p = (lstm_dir_plan){NULL, b->xproj, b->rec, b->h, b->c, y, h_n, N, T, H, H * (size_t)dirs, dir};
    if (ecg_lower_fn(l, first_step_kernel, p)) return -1;
    if (add_fc(l, H, 4 * H, w_hh, NULL, N, b->h, b->rec, &p->rec_op)) return -1;
    return ecg_lower_fn(l, later_steps_kernel, p);
}

static int alloc_dir_buffers(ecg_lower *l, dir_buffers *b, size_t N, size_t T, size_t H) {
    b->xproj = ecg_lower_alloc(l, N * T * 4 * H * sizeof(float));
    b->rec = ecg_lower_alloc(l, N * 4 * H * sizeof(float));
    b->h = ecg_lower_alloc(l, N * H * sizeof(float));
    b->c = ecg_lower_alloc(l, N * H * sizeof(float));
    return b->xproj && b->rec && b->h && b->c ? 0 : -1;
}

int ecg_lower_lstm(ecg_lower *l) {
    const ecg_attrs *a = &l->n->a;
    size_t N = (size_t)l->batch, T = (size_t)l->in_shape[0].d[0], H = (size_t)a->hidden;
    int dirs = a->bidirectional ? 2 : 1, layers = a->layers;
    size_t hd = H * (size_t)dirs;
    dir_buffers b[2];
    for (int d = 0; d < dirs; d++)
        if (alloc_dir_buffers(l, &b[d], N, T, H)) return -1;
    float *seq[2] = {NULL, NULL}; /* outputs of the layers below the last, ping-pong */
    for (int i = 0; i < 2 && i < layers - 1; i++)
        if (!(seq[i] = ecg_lower_alloc(l, N * T * hd * sizeof(float)))) return -1;

    for (int layer = 0; layer < layers; layer++) {
        const float *x = layer ? seq[(layer - 1) % 2] : l->in[0];
        size_t in = layer ? hd : (size_t)l->in_shape[0].d[1];
        int top = layer == layers - 1;
        float *y = !top ? seq[layer % 2] : a->last_only ? NULL : l->out;
        float *h_n = top && a->last_only ? l->out : NULL;
        for (int d = 0; d < dirs; d++)
            if (lower_direction(l, layer, d, x, in, &b[d], y, h_n)) return -1;
    }
    return 0;
}
