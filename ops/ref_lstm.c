/* LSTM: PyTorch nn.LSTM(batch_first=True) with zero initial state (reference forward + BPTT).
 *
 * Params per layer l and direction d (d = 1 is "_reverse"), node order (l * dirs + d) * 4 + k:
 *   k = 0 weight_ih [4H, in_l], 1 weight_hh [4H, H], 2 bias_ih [4H], 3 bias_hh [4H]; gates i, f, g, o.
 *   z = W_ih x_t + b_ih + W_hh h_prev + b_hh; i, f, o = sigmoid, g = tanh;
 *   c_t = f * c_prev + i * g, h_t = o * tanh(c_t). in_0 = input features, in_l = H * dirs for l > 0
 *   (the concatenated forward and reverse outputs of layer l - 1).
 * Output [T, H * dirs]; with last_only [H * dirs] = PyTorch h_n of the last layer: the forward
 * direction's h after step T-1, then the reverse direction's h after it processed step 0.
 *
 * FLOPs per sample = sum over layers l of dirs * T * (8H(in_l + H) + 8H + 9H):
 *   the two matmuls 2 * 4H * (in_l + H), the two bias adds 2 * 4H, and the gates 9H
 *   (4H activations, f*c + i*g = 3H, tanh(c) and o * tanh(c) = 2H).
 *
 * State (per batch, floats): for every layer its output Y_l [N, T, H*dirs] (= h of every step of
 * both directions, and the next layer's input); per layer and direction the gates after activation
 * [N, T, 4H], c [N, T, H] and tanh(c) [N, T, H] (kept so the backward need not recompute it); then
 * backward scratch: two [N, T, H*dirs] gradient buffers, the gate pre-activation gradients
 * dZ [N, T, 4H] of the direction being walked (kept apart from the gates, so the backward leaves the
 * forward state intact) and the carried dh and dc, [N, H] each.
 *
 * Matrix work is batched into sgemm (ecg_gemm_acc): the input projection of all N*T rows at once,
 * then per step one [N, H] @ W_hh^T over the whole batch, whose rows (time t of every sample) are
 * a strided view with row stride T * 4H in the gates and T * H*dirs in Y. The backward walks the
 * steps in reverse with one dZ_t @ W_hh per step for the recurrent gradient and leaves the weight
 * and input gradients to a few large products over the saved dZ after the walk. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gemm.h"
#include "ops.h"

typedef struct {
    int n, t, in0, h, layers, dirs, last_only;
} lstm_dims;

static lstm_dims dims_of(const ecg_node *nd, const ecg_shape *in, int batch) {
    lstm_dims d = {batch, (int)in->d[0], (int)in->d[1], nd->a.hidden, nd->a.layers, nd->a.bidirectional ? 2 : 1,
                   nd->a.last_only};
    return d;
}

static int layer_in(const lstm_dims *d, int l) { return l == 0 ? d->in0 : d->h * d->dirs; }

/* ---- state layout ------------------------------------------------------------------------- */
static size_t y_floats(const lstm_dims *d) { return (size_t)d->n * (size_t)d->t * (size_t)(d->h * d->dirs); }
static size_t g_floats(const lstm_dims *d) { return (size_t)d->n * (size_t)d->t * (size_t)(4 * d->h); }
static size_t c_floats(const lstm_dims *d) { return (size_t)d->n * (size_t)d->t * (size_t)d->h; }
static size_t nh_floats(const lstm_dims *d) { return (size_t)d->n * (size_t)d->h; }

static size_t scratch_offset(const lstm_dims *d) {
    return (size_t)d->layers * (y_floats(d) + (size_t)d->dirs * (g_floats(d) + 2 * c_floats(d)));
}
static size_t state_floats(const lstm_dims *d) {
    return scratch_offset(d) + 2 * y_floats(d) + g_floats(d) + 2 * nh_floats(d);
}

static float *state_y(const lstm_dims *d, float *s, int l) { return s + (size_t)l * y_floats(d); }
static float *state_gates(const lstm_dims *d, float *s, int l, int dir) {
    return s + (size_t)d->layers * y_floats(d) + (size_t)(l * d->dirs + dir) * (g_floats(d) + 2 * c_floats(d));
}
static float *state_c(const lstm_dims *d, float *s, int l, int dir) { return state_gates(d, s, l, dir) + g_floats(d); }
static float *state_tanh_c(const lstm_dims *d, float *s, int l, int dir) { return state_c(d, s, l, dir) + c_floats(d); }
static float *state_scratch(const lstm_dims *d, float *s) { return s + scratch_offset(d); }

/* Row of sample n at time t in an [N, T, width] buffer. */
static size_t row_of(const lstm_dims *d, int n, int t) { return (size_t)n * (size_t)d->t + (size_t)t; }

/* ---- shape, flops, state ----------------------------------------------------------------- */
static int lstm_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    const ecg_attrs *a = &n->a;
    char buf[64];
    int dirs = a->bidirectional ? 2 : 1;
    if (in[0].rank != 2) {
        snprintf(msg, len, "input must be [T, features] (rank 2), got %s", ecg_shape_str(&in[0], buf, sizeof buf));
        return -1;
    }
    if (in[0].d[0] < 1 || in[0].d[1] < 1) {
        snprintf(msg, len, "input %s needs T >= 1 and features >= 1", ecg_shape_str(&in[0], buf, sizeof buf));
        return -1;
    }
    if (a->hidden < 1) {
        snprintf(msg, len, "hidden size %d must be >= 1", a->hidden);
        return -1;
    }
    if (a->layers < 1) {
        snprintf(msg, len, "layers %d must be >= 1", a->layers);
        return -1;
    }
    if (n->n_param != 4 * a->layers * dirs) {
        snprintf(msg, len, "%d layers x %d directions need %d parameters (4 each), got %d", a->layers, dirs,
                 4 * a->layers * dirs, n->n_param);
        return -1;
    }
    int64_t hd = (int64_t)a->hidden * dirs;
    *out = a->last_only ? ecg_shape1(hd) : ecg_shape2(in[0].d[0], hd);
    return 0;
}

static int64_t lstm_flops(const ecg_node *nd, const ecg_shape *in, const ecg_shape *out) {
    (void)out;
    lstm_dims d = dims_of(nd, in, 1);
    int64_t h = d.h, total = 0;
    for (int l = 0; l < d.layers; l++) total += 8 * h * (layer_in(&d, l) + h) + 8 * h + 9 * h;
    return total * d.dirs * d.t;
}

static size_t lstm_state_bytes(const ecg_node *nd, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)out;
    lstm_dims d = dims_of(nd, in, batch);
    return state_floats(&d) * sizeof(float);
}

/* ---- forward ----------------------------------------------------------------------------- */
static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Time index of step s (the reverse direction walks from T-1 down to 0). */
static int step_time(const lstm_dims *d, int dir, int s) { return dir ? d->t - 1 - s : s; }

/* Time index of the step before s, whose h and c step s reads; -1 at the first step (zero state). */
static int prev_time(const lstm_dims *d, int dir, int s) { return s ? step_time(d, dir, s - 1) : -1; }

typedef struct {
    const float *x;            /* layer input [N, T, in] */
    int in;
    const float *w_ih, *w_hh, *b_ih, *b_hh;
    float *gates, *c, *tanh_c; /* state of this layer and direction */
    float *y;                  /* layer output [N, T, H*dirs]; this direction writes columns dir*H.. */
    int dir;
} lstm_pass;

/* gates[N*T, 4H] = b_ih + b_hh + X W_ih^T: the input term of every step does not depend on the
 * recurrence, so it is one large product instead of one per step. */
static void input_projection(const lstm_dims *d, const lstm_pass *p) {
    int G = 4 * d->h, rows = d->n * d->t;
    for (int r = 0; r < rows; r++) {
        float *g = p->gates + (size_t)r * (size_t)G;
        for (int j = 0; j < G; j++) g[j] = p->b_ih[j] + p->b_hh[j];
    }
    ecg_gemm_acc(0, 1, rows, G, p->in, p->x, p->in, p->w_ih, p->in, p->gates, G);
}

/* gates of time t += h_prev (time tp) W_hh^T for the whole batch at once: the rows of one time
 * step are T * 4H apart in the gates and T * H*dirs apart in Y (this direction's columns). */
static void recurrent_projection(const lstm_dims *d, const lstm_pass *p, int t, int tp) {
    int H = d->h, hd = H * d->dirs;
    ecg_gemm_acc(0, 1, d->n, 4 * H, H, p->y + (size_t)tp * (size_t)hd + (size_t)(p->dir * H), d->t * hd, p->w_hh, H,
                 p->gates + (size_t)t * (size_t)(4 * H), d->t * 4 * H);
}

/* Gate nonlinearities (in place on the gates) and the c, h update of sample n at time t. */
static void cell_update(const lstm_dims *d, const lstm_pass *p, int n, int t, int tp) {
    int H = d->h, hd = H * d->dirs;
    size_t row = row_of(d, n, t);
    const float *cprev = tp >= 0 ? p->c + row_of(d, n, tp) * (size_t)H : NULL;
    float *g = p->gates + row * (size_t)(4 * H), *c = p->c + row * (size_t)H, *tc = p->tanh_c + row * (size_t)H;
    float *h = p->y + row * (size_t)hd + (size_t)(p->dir * H);
    for (int j = 0; j < H; j++) {
        float i = sigmoidf(g[j]), f = sigmoidf(g[H + j]), gg = tanhf(g[2 * H + j]), o = sigmoidf(g[3 * H + j]);
        g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
        c[j] = (cprev ? f * cprev[j] : 0.0f) + i * gg;
        tc[j] = tanhf(c[j]);
        h[j] = o * tc[j];
    }
}

/* One layer and direction: the input term for all steps, then the recurrence step by step, every
 * step for the whole batch. */
static void forward_pass(const lstm_dims *d, const lstm_pass *p) {
    input_projection(d, p);
    for (int s = 0; s < d->t; s++) {
        int t = step_time(d, p->dir, s), tp = prev_time(d, p->dir, s);
        if (tp >= 0) recurrent_projection(d, p, t, tp);
        for (int n = 0; n < d->n; n++) cell_update(d, p, n, t, tp);
    }
}

static lstm_pass make_pass(const lstm_dims *d, const ecg_kctx *k, float *st, int l, int dir) {
    int base = (l * d->dirs + dir) * 4;
    lstm_pass p = {l ? state_y(d, st, l - 1) : k->in[0], layer_in(d, l), k->w[base], k->w[base + 1], k->w[base + 2],
                   k->w[base + 3], state_gates(d, st, l, dir), state_c(d, st, l, dir), state_tanh_c(d, st, l, dir),
                   state_y(d, st, l), dir};
    return p;
}

static void lstm_forward(const ecg_kctx *k) {
    lstm_dims d = dims_of(k->node, &k->in_shape[0], k->batch);
    float *st = k->state;
    for (int l = 0; l < d.layers; l++)
        for (int dir = 0; dir < d.dirs; dir++) {
            lstm_pass p = make_pass(&d, k, st, l, dir);
            forward_pass(&d, &p);
        }
    const float *y = state_y(&d, st, d.layers - 1);
    int H = d.h, hd = H * d.dirs;
    if (!d.last_only) {
        memcpy(k->out, y, y_floats(&d) * sizeof(float));
        return;
    }
    for (int n = 0; n < d.n; n++)
        for (int dir = 0; dir < d.dirs; dir++) {
            int t = step_time(&d, dir, d.t - 1); /* the direction's final step */
            memcpy(k->out + (size_t)n * (size_t)hd + (size_t)(dir * H),
                   y + row_of(&d, n, t) * (size_t)hd + (size_t)(dir * H), (size_t)H * sizeof(float));
        }
}

/* ---- backward (BPTT) ----------------------------------------------------------------------- */
typedef struct {
    float *dw_ih, *dw_hh, *db_ih, *db_hh; /* may be NULL */
    float *dx;                            /* gradient of the layer input, may be NULL */
    const float *dy;                      /* gradient of the layer output [N, T, H*dirs] */
    float *dz;                            /* scratch [N, T, 4H]: gradient of the gate pre-activations */
    float *dh_rec, *dc_next;              /* [N, H] each: carried from a step to the one before it */
} lstm_grads;

/* Gradient of the gate pre-activations z of sample n at time t into dZ; updates its carried dc. */
static void gate_grads(const lstm_dims *d, const lstm_pass *p, const lstm_grads *gr, int n, int t, int tp) {
    int H = d->h, hd = H * d->dirs;
    size_t row = row_of(d, n, t);
    const float *g = p->gates + row * (size_t)(4 * H), *tanh_c = p->tanh_c + row * (size_t)H;
    const float *cprev = tp >= 0 ? p->c + row_of(d, n, tp) * (size_t)H : NULL;
    const float *dy = gr->dy + row * (size_t)hd + (size_t)(p->dir * H), *dh_rec = gr->dh_rec + (size_t)n * (size_t)H;
    float *dz = gr->dz + row * (size_t)(4 * H), *dc_next = gr->dc_next + (size_t)n * (size_t)H;
    for (int j = 0; j < H; j++) {
        float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], tc = tanh_c[j];
        float dh = dy[j] + dh_rec[j];
        float dc = dc_next[j] + dh * o * (1.0f - tc * tc);
        dz[j] = dc * gg * i * (1.0f - i);
        dz[H + j] = (cprev ? dc * cprev[j] : 0.0f) * f * (1.0f - f);
        dz[2 * H + j] = dc * i * (1.0f - gg * gg);
        dz[3 * H + j] = dh * tc * o * (1.0f - o);
        dc_next[j] = dc * f;
    }
}

/* Step s for the whole batch: dZ of its time, then dh_rec = dZ_t W_hh, the gradient reaching h of
 * the step before through the recurrence (none before the first step). */
static void backward_step(const lstm_dims *d, const lstm_pass *p, const lstm_grads *gr, int s) {
    int H = d->h, t = step_time(d, p->dir, s), tp = prev_time(d, p->dir, s);
    for (int n = 0; n < d->n; n++) gate_grads(d, p, gr, n, t, tp);
    if (tp < 0) return;
    memset(gr->dh_rec, 0, nh_floats(d) * sizeof(float));
    ecg_gemm_acc(0, 0, d->n, H, 4 * H, gr->dz + (size_t)t * (size_t)(4 * H), d->t * 4 * H, p->w_hh, H, gr->dh_rec, H);
}

/* dW_hh += dZ^T h_prev over the steps that had an h_prev, one product per sample: the forward
 * direction's times 1..T-1 read h of time t-1, the reverse direction's 0..T-2 read time t+1. */
static void recurrent_weight_grad(const lstm_dims *d, const lstm_pass *p, const lstm_grads *gr) {
    int H = d->h, hd = H * d->dirs, tz = p->dir ? 0 : 1, th = p->dir ? 1 : 0;
    if (d->t < 2) return; /* a single step never reads h_prev */
    for (int n = 0; n < d->n; n++)
        ecg_gemm_acc(1, 0, 4 * H, H, d->t - 1, gr->dz + row_of(d, n, tz) * (size_t)(4 * H), 4 * H,
                     p->y + row_of(d, n, th) * (size_t)hd + (size_t)(p->dir * H), hd, gr->dw_hh, H);
}

/* After the walk: the gradients that do not feed the recurrence, as products over all N*T rows. */
static void weight_grads(const lstm_dims *d, const lstm_pass *p, const lstm_grads *gr) {
    int G = 4 * d->h, rows = d->n * d->t;
    if (gr->dw_ih) ecg_gemm_acc(1, 0, G, p->in, rows, gr->dz, G, p->x, p->in, gr->dw_ih, p->in);
    if (gr->dx) ecg_gemm_acc(0, 0, rows, p->in, G, gr->dz, G, p->w_ih, p->in, gr->dx, p->in);
    if (gr->dw_hh) recurrent_weight_grad(d, p, gr);
    if (gr->db_ih) ecg_add_col_sums(gr->db_ih, gr->dz, rows, G);
    if (gr->db_hh) ecg_add_col_sums(gr->db_hh, gr->dz, rows, G);
}

/* BPTT of one layer and direction: the steps in reverse for dZ, then the weight and input gradients. */
static void backward_pass(const lstm_dims *d, const lstm_pass *p, const lstm_grads *gr) {
    memset(gr->dh_rec, 0, nh_floats(d) * sizeof(float));
    memset(gr->dc_next, 0, nh_floats(d) * sizeof(float));
    for (int s = d->t - 1; s >= 0; s--) backward_step(d, p, gr, s);
    weight_grads(d, p, gr);
}

/* Gradient of the last layer's full output from d_out (scattered to the final steps for last_only). */
static void top_grad(const lstm_dims *d, const ecg_kctx *k, float *dy) {
    int H = d->h, hd = H * d->dirs;
    if (!d->last_only) {
        memcpy(dy, k->d_out, y_floats(d) * sizeof(float));
        return;
    }
    memset(dy, 0, y_floats(d) * sizeof(float));
    for (int n = 0; n < d->n; n++)
        for (int dir = 0; dir < d->dirs; dir++) {
            int t = step_time(d, dir, d->t - 1);
            memcpy(dy + row_of(d, n, t) * (size_t)hd + (size_t)(dir * H),
                   k->d_out + (size_t)n * (size_t)hd + (size_t)(dir * H), (size_t)H * sizeof(float));
        }
}

static void lstm_backward(const ecg_kctx *k) {
    lstm_dims d = dims_of(k->node, &k->in_shape[0], k->batch);
    float *st = k->state, *scratch = state_scratch(&d, st);
    float *dy = scratch, *dy_below = scratch + y_floats(&d), *dz = scratch + 2 * y_floats(&d);
    float *dh_rec = dz + g_floats(&d), *dc_next = dh_rec + nh_floats(&d);
    top_grad(&d, k, dy);
    for (int l = d.layers - 1; l >= 0; l--) {
        float *dx = l ? dy_below : k->d_in[0];
        if (l) memset(dx, 0, y_floats(&d) * sizeof(float));
        for (int dir = 0; dir < d.dirs; dir++) {
            lstm_pass p = make_pass(&d, k, st, l, dir);
            int base = (l * d.dirs + dir) * 4;
            lstm_grads gr = {k->dw[base], k->dw[base + 1], k->dw[base + 2], k->dw[base + 3],
                             dx, dy, dz, dh_rec, dc_next};
            backward_pass(&d, &p, &gr);
        }
        float *tmp = dy; /* this layer's input gradient is the next (lower) layer's output gradient */
        dy = dy_below;
        dy_below = tmp;
    }
}

const ecg_op ecg_op_lstm = {"lstm", lstm_infer, lstm_flops, lstm_state_bytes, lstm_forward, lstm_backward,
                            ECG_TRAIT_WEIGHT_MATRICES};
