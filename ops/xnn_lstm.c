/* XNNPACK lowering of the LSTM (semantics and param order in ops/ref_lstm.c).
 *
 * Per layer and direction, two plan steps and four XNNPACK operators, whatever T is:
 *   1. fully_connected: the input projection of all N*T rows at once, bias = b_ih + b_hh,
 *      into xproj [N, T, 4H];
 *   2. own kernel walking the time steps; each step runs, on fixed buffers,
 *        fully_connected (no bias)   rec = h W_hh^T                   [N, 4H]  (not at the first step;
 *                                    at N = 1 on AVX-512 our one-row kernel, ops/small_gemm.c)
 *        own loop                    rec += xproj[:, t]
 *        sigmoid                     gates = sigmoid(rec)              [N, 4H]
 *        own loop                    c = f c + i g;  tc = 2c            [N, H]
 *        sigmoid                     tc = sigmoid(tc)
 *        own loop                    h = o (2 tc - 1)
 *      XNNPACK (Feb 2022) has no f32 tanh, and libm's expf/tanhf per unit cost more than the
 *      recurrent product, so both tanh use tanh(x) = 2 sigmoid(2x) - 1 on XNNPACK's vectorised
 *      sigmoid. The cell gate's rows of W_ih, W_hh and the bias are doubled when the operators
 *      are created, so its sigmoid already sees 2 z_g.
 * Layers run in order; layer l > 0 reads the [N, T, H*dirs] output of layer l-1 (two
 * ping-pong buffers), the last layer writes the node output (or only h_n with last_only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "small_gemm.h"
#include "xnn_lower.h"

#define UNITS_PER_TASK 2048 /* hidden units per pthreadpool task in the own loops; fewer: no threads */

typedef struct {
    xnn_operator_t rec_op, gate_sig, cell_sig; /* set up once on the buffers below */
    const float *rec_w; /* W_hh packed for the small-row kernel's one-row path (batch 1), or NULL: rec_op */
    const float *xproj; /* [N, T, 4H]: input projection plus both biases (cell gate doubled) */
    float *rec, *gates; /* [N, 4H] pre-activations, activations */
    float *h, *c, *tc;  /* [N, H] running state; 2c, then sigmoid(2c) */
    float *y;           /* layer output [N, T, H*dirs] (this direction at column dir*H), or NULL */
    float *h_n;         /* last_only node output [N, H*dirs], or NULL */
    size_t n, t, hidden, hd;
    int dir;
} lstm_dir_plan;

typedef struct {
    const lstm_dir_plan *p;
    size_t t;  /* time index of this step */
    int first; /* no recurrent term and no previous cell state */
} step_arg;

/* rec[n] (+)= xproj[n, t] for examples [n0, n0 + count). */
static void add_input_rows(void *arg, size_t n0, size_t count) {
    const step_arg *s = arg;
    const lstm_dir_plan *p = s->p;
    size_t G = 4 * p->hidden;
    for (size_t n = n0; n < n0 + count; n++) {
        const float *z = p->xproj + (n * p->t + s->t) * G;
        float *r = p->rec + n * G;
        if (s->first)
            memcpy(r, z, G * sizeof(float));
        else
            for (size_t j = 0; j < G; j++) r[j] += z[j];
    }
}

static void cell_rows(void *arg, size_t n0, size_t count) {
    const step_arg *s = arg;
    const lstm_dir_plan *p = s->p;
    size_t H = p->hidden;
    for (size_t n = n0; n < n0 + count; n++) {
        const float *gi = p->gates + n * 4 * H, *gf = gi + H, *gg = gi + 2 * H;
        float *c = p->c + n * H, *tc = p->tc + n * H;
        for (size_t j = 0; j < H; j++) {
            float ig = gi[j] * (2.0f * gg[j] - 1.0f);
            c[j] = s->first ? ig : gf[j] * c[j] + ig;
            tc[j] = 2.0f * c[j];
        }
    }
}

static void hidden_rows(void *arg, size_t n0, size_t count) {
    const step_arg *s = arg;
    const lstm_dir_plan *p = s->p;
    size_t H = p->hidden;
    for (size_t n = n0; n < n0 + count; n++) {
        const float *go = p->gates + n * 4 * H + 3 * H, *tc = p->tc + n * H;
        float *h = p->h + n * H;
        float *y = p->y ? p->y + (n * p->t + s->t) * p->hd + (size_t)p->dir * H : NULL;
        for (size_t j = 0; j < H; j++) h[j] = go[j] * (2.0f * tc[j] - 1.0f);
        if (y) memcpy(y, h, H * sizeof(float));
    }
}

static void steps_kernel(void *arg, pthreadpool_t pool) {
    const lstm_dir_plan *p = arg;
    /* One example's step is a few microseconds of work: handing it to the pool at every step cost
     * more than it saved (bilstm on a beat, 2 threads: 378-412 us against 229-243 on one). */
    pthreadpool_t tp = p->n == 1 ? NULL : pool;
    size_t rows_per_task = (UNITS_PER_TASK + p->hidden - 1) / p->hidden;
    /* The operators were set up at plan time on fixed buffers, so running them cannot fail. */
    for (size_t step = 0; step < p->t; step++) {
        step_arg s = {p, p->dir ? p->t - 1 - step : step, step == 0};
        if (!s.first) { /* no recurrent term at the first step: add_input_rows copies xproj there */
            if (p->rec_w)
                (void)ecg_small_gemv(p->rec_w, (int)(4 * p->hidden), (int)p->hidden, p->h, p->rec, -INFINITY, tp);
            else
                xnn_run_operator(p->rec_op, tp);
        }
        pthreadpool_parallelize_1d_tile_1d(tp, add_input_rows, &s, p->n, rows_per_task, 0);
        xnn_run_operator(p->gate_sig, tp);
        pthreadpool_parallelize_1d_tile_1d(tp, cell_rows, &s, p->n, rows_per_task, 0);
        xnn_run_operator(p->cell_sig, tp);
        pthreadpool_parallelize_1d_tile_1d(tp, hidden_rows, &s, p->n, rows_per_task, 0);
    }
    if (p->h_n)
        for (size_t n = 0; n < p->n; n++)
            memcpy(p->h_n + n * p->hd + (size_t)p->dir * p->hidden, p->h + n * p->hidden, p->hidden * sizeof(float));
}

/* Buffers shared by all layers of one direction (layers run one after another). */
typedef struct {
    float *xproj, *rec, *gates, *h, *c, *tc;
} dir_buffers;

/* A sigmoid over [rows, channels] held for the steps kernel; 0 ok. */
static int hold_sigmoid(ecg_lower *l, size_t channels, size_t rows, const float *x, float *y, xnn_operator_t *op) {
    *op = NULL;
    if (ecg_lower_check(l, xnn_create_sigmoid_nc_f32(channels, channels, channels, 0, op), "xnn_create_sigmoid_nc_f32"))
        return -1;
    if (ecg_lower_check(l, xnn_setup_sigmoid_nc_f32(*op, rows, x, y, l->tp), "xnn_setup_sigmoid_nc_f32")) {
        xnn_delete_operator(*op);
        return -1;
    }
    return ecg_lower_hold_op(l, *op);
}

/* Copy of a [4H, cols] gate-stacked matrix (or vector, cols 1) with the cell gate's rows doubled. */
static float *double_cell_gate(const float *w, size_t H, size_t cols) {
    float *d = malloc(4 * H * cols * sizeof(float));
    if (!d) return NULL;
    memcpy(d, w, 4 * H * cols * sizeof(float));
    for (size_t i = 2 * H * cols; i < 3 * H * cols; i++) d[i] *= 2.0f;
    return d;
}

static int lower_direction(ecg_lower *l, int layer, int dir, const float *x, size_t in, const dir_buffers *b,
                           float *y, float *h_n) {
    size_t N = (size_t)l->batch, T = (size_t)l->in_shape[0].d[0], H = (size_t)l->n->a.hidden;
    int dirs = l->n->a.bidirectional ? 2 : 1, base = (layer * dirs + dir) * 4;
    const float *b_ih = l->w[base + 2], *b_hh = l->w[base + 3];
    /* XNNPACK packs weights and bias at create time, so the modified copies live only until then. */
    float *w_ih = double_cell_gate(l->w[base], H, in), *w_hh = double_cell_gate(l->w[base + 1], H, H);
    float *bias = malloc(4 * H * sizeof(float));
    lstm_dir_plan *p = ecg_lower_alloc(l, sizeof *p);
    int rc = -1;
    xnn_operator_t proj = NULL;
    if (!w_ih || !w_hh || !bias || !p) {
        if (p) ecg_lower_fail(l, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < 4 * H; r++) bias[r] = (b_ih[r] + b_hh[r]) * (r / H == 2 ? 2.0f : 1.0f);
    *p = (lstm_dir_plan){.xproj = b->xproj, .rec = b->rec, .gates = b->gates, .h = b->h, .c = b->c, .tc = b->tc,
                         .y = y, .h_n = h_n, .n = N, .t = T, .hidden = H, .hd = H * (size_t)dirs, .dir = dir};
    if (ecg_lower_create_fc(l, in, 4 * H, w_ih, bias, -INFINITY, N * T, x, b->xproj, &proj) || ecg_lower_op(l, proj) ||
        hold_sigmoid(l, 4 * H, N, b->rec, b->gates, &p->gate_sig) || hold_sigmoid(l, H, N, b->tc, b->tc, &p->cell_sig))
        goto done;
    if (N == 1 && ecg_isa_best() == ECG_ISA_AVX512 && !(ecg_xnn_flags(l->x) & ECG_XNN_NO_SMALL)) {
        /* XNNPACK's one-row product is a single chain of dependent FMAs per 16 outputs: ours runs 8
         * side by side, in the same order (the same bits), 1.7x faster at H = 128 */
        float *packed = ecg_lower_alloc(l, ecg_small_gemv_w_floats((int)(4 * H), (int)H) * sizeof(float));
        if (!packed) {
            ecg_lower_fail(l, "out of memory");
            goto done;
        }
        ecg_small_gemv_w_pack(packed, w_hh, NULL, (int)(4 * H), (int)H);
        p->rec_w = packed;
    } else if (ecg_lower_create_fc(l, H, 4 * H, w_hh, NULL, -INFINITY, N, b->h, b->rec, &p->rec_op) ||
               ecg_lower_hold_op(l, p->rec_op)) {
        goto done;
    }
    rc = ecg_lower_fn(l, steps_kernel, p);
done:
    free(w_ih);
    free(w_hh);
    free(bias);
    return rc;
}

static int alloc_dir_buffers(ecg_lower *l, dir_buffers *b, size_t N, size_t T, size_t H) {
    b->xproj = ecg_lower_alloc(l, N * T * 4 * H * sizeof(float));
    b->rec = ecg_lower_alloc(l, N * 4 * H * sizeof(float));
    b->gates = ecg_lower_alloc(l, N * 4 * H * sizeof(float));
    b->h = ecg_lower_alloc(l, N * H * sizeof(float));
    b->c = ecg_lower_alloc(l, N * H * sizeof(float));
    b->tc = ecg_lower_alloc(l, N * H * sizeof(float));
    return b->xproj && b->rec && b->gates && b->h && b->c && b->tc ? 0 : -1;
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
