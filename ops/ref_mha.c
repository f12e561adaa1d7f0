/* Multi-head attention, as PyTorch nn.MultiheadAttention(E, heads, batch_first=True) without
 * masks or dropout, returning only the attended output (reference forward + backward).
 *
 * Inputs: in[0] = query X [Lq, E], in[1] = key/value Y [Lk, E] (the same value for self-attention).
 * Params: w[0] in_proj_weight [3E, E] (rows q, k, v), w[1] in_proj_bias [3E],
 *         w[2] out_proj.weight [E, E], w[3] out_proj.bias [E].
 * With H heads of width D = E / H and scale s = 1 / sqrt(D):
 *   Q = X Wq^T + bq,  K = Y Wk^T + bk,  V = Y Wv^T + bv
 *   per head h: P_h = softmax_rows(s * Q_h K_h^T)   [Lq, Lk]
 *               C_h = P_h V_h                       [Lq, D], heads concatenated into C [Lq, E]
 *   out = C Wo^T + bo                               [Lq, E]
 *
 * FLOPs per sample (multiply-add = 2, bias add = 1):
 *   q projection        2*Lq*E*E + Lq*E
 *   k and v projections 2 * (2*Lk*E*E + Lk*E)
 *   scores Q K^T        2*Lq*Lk*E            (summed over heads: H * Lq*Lk*D * 2)
 *   softmax             3*H*Lq*Lk            (per score: the scaling, the exp, the normalisation;
 *                                             the max and sum passes are not counted)
 *   weighted sum P V    2*Lq*Lk*E
 *   out projection      2*Lq*E*E + Lq*E
 *
 * The forward keeps Q, K, V, the probabilities P and the context C for the backward; the state
 * also holds the backward's per-sample scratch (dC, dQ, dK, dV, one dP row) so it cannot fail. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gemm.h"
#include "ops.h"

/* Sizes of one node, per sample. */
typedef struct {
    int lq, lk, e, heads, d;
} mha_dims;

static mha_dims dims_of(const ecg_node *n, const ecg_shape *in) {
    mha_dims m = {(int)in[0].d[0], (int)in[1].d[0], (int)in[0].d[1], n->a.heads, 0};
    m.d = m.e / m.heads;
    return m;
}

static int mha_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    if (n->n_in != 2) {
        snprintf(msg, len, "needs 2 inputs (query, key/value), got %d", n->n_in);
        return -1;
    }
    if (n->n_param != 4) {
        snprintf(msg, len, "needs 4 params (in_proj_weight, in_proj_bias, out_proj weight, bias), got %d",
                 n->n_param);
        return -1;
    }
    char qs[64], ks[64];
    ecg_shape_str(&in[0], qs, sizeof qs);
    ecg_shape_str(&in[1], ks, sizeof ks);
    if (in[0].rank != 2 || in[1].rank != 2) {
        snprintf(msg, len, "query %s and key/value %s must both be rank 2 [L, E]", qs, ks);
        return -1;
    }
    if (in[0].d[1] != in[1].d[1]) {
        snprintf(msg, len, "embedding size mismatch: query %s has E = %lld, key/value %s has E = %lld", qs,
                 (long long)in[0].d[1], ks, (long long)in[1].d[1]);
        return -1;
    }
    if (in[0].d[0] < 1 || in[1].d[0] < 1 || in[0].d[1] < 1) {
        snprintf(msg, len, "query %s and key/value %s need at least one position and E >= 1", qs, ks);
        return -1;
    }
    if (n->a.heads < 1 || in[0].d[1] % n->a.heads) {
        snprintf(msg, len, "heads = %d must be >= 1 and divide the embedding size E = %lld", n->a.heads,
                 (long long)in[0].d[1]);
        return -1;
    }
    *out = in[0];
    return 0;
}

static int64_t mha_flops(const ecg_node *n, const ecg_shape *in, const ecg_shape *out) {
    (void)out;
    mha_dims m = dims_of(n, in);
    int64_t lq = m.lq, lk = m.lk, e = m.e, h = m.heads;
    int64_t q_proj = 2 * lq * e * e + lq * e;
    int64_t kv_proj = 2 * (2 * lk * e * e + lk * e);
    int64_t scores = 2 * lq * lk * e;
    int64_t softmax = 3 * h * lq * lk;
    int64_t weighted = 2 * lq * lk * e;
    int64_t out_proj = 2 * lq * e * e + lq * e;
    return q_proj + kv_proj + scores + softmax + weighted + out_proj;
}

/* Layout of the state buffer, in floats. */
typedef struct {
    float *q, *k, *v, *p, *c;        /* whole batch, kept for the backward */
    float *dc, *dq, *dk, *dv, *dp;   /* per-sample backward scratch */
} mha_state;

static size_t state_floats(mha_dims m, int batch) {
    size_t lq = (size_t)m.lq, lk = (size_t)m.lk, e = (size_t)m.e, h = (size_t)m.heads, b = (size_t)batch;
    size_t kept = b * (lq * e + 2 * lk * e + h * lq * lk + lq * e);
    size_t scratch = 2 * lq * e + 2 * lk * e + lk;
    return kept + scratch;
}

static mha_state state_split(float *base, mha_dims m, int batch) {
    size_t lq = (size_t)m.lq, lk = (size_t)m.lk, e = (size_t)m.e, h = (size_t)m.heads, b = (size_t)batch;
    mha_state s;
    s.q = base;
    s.k = s.q + b * lq * e;
    s.v = s.k + b * lk * e;
    s.p = s.v + b * lk * e;
    s.c = s.p + b * h * lq * lk;
    s.dc = s.c + b * lq * e;
    s.dq = s.dc + lq * e;
    s.dk = s.dq + lq * e;
    s.dv = s.dk + lk * e;
    s.dp = s.dv + lk * e;
    return s;
}

static size_t mha_state_bytes(const ecg_node *n, const ecg_shape *in, const ecg_shape *out, int batch) {
    (void)out;
    return state_floats(dims_of(n, in), batch) * sizeof(float);
}

/* Offsets of the q, k, v blocks inside in_proj_weight (rows) and in_proj_bias. */
static const float *wslice(const float *w, int which, int e) { return w + (size_t)which * e * e; }
static float *dwslice(float *dw, int which, int e) { return dw ? dw + (size_t)which * e * e : NULL; }
static float *dbslice(float *db, int which, int e) { return db ? db + (size_t)which * e : NULL; }

/* ---- forward ---- */

/* Softmax of one row of scaled scores, stable (max subtracted). */
static void softmax_row(float *p, int n) {
    float mx = p[0];
    for (int j = 1; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    float sum = 0;
    for (int j = 0; j < n; j++) sum += (p[j] = expf(p[j] - mx));
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++) p[j] *= inv;
}

/* P and C of one sample from its Q, K, V. */
static void attend(mha_dims m, const float *q, const float *k, const float *v, float *p, float *c) {
    float scale = 1.0f / sqrtf((float)m.d);
    for (int h = 0; h < m.heads; h++) {
        int off = h * m.d;
        for (int i = 0; i < m.lq; i++) {
            const float *qi = q + (size_t)i * m.e + off;
            float *pi = p + ((size_t)h * m.lq + i) * m.lk;
            for (int j = 0; j < m.lk; j++) {
                const float *kj = k + (size_t)j * m.e + off;
                float dot = 0;
                for (int d = 0; d < m.d; d++) dot += qi[d] * kj[d];
                pi[j] = dot * scale;
            }
            softmax_row(pi, m.lk);
            float *ci = c + (size_t)i * m.e + off;
            for (int d = 0; d < m.d; d++) ci[d] = 0;
            for (int j = 0; j < m.lk; j++) {
                const float *vj = v + (size_t)j * m.e + off;
                for (int d = 0; d < m.d; d++) ci[d] += pi[j] * vj[d];
            }
        }
    }
}

static void mha_fwd(const ecg_kctx *k) {
    mha_dims m = dims_of(k->node, k->in_shape);
    mha_state s = state_split(k->state, m, k->batch);
    size_t qe = (size_t)m.lq * m.e, ke = (size_t)m.lk * m.e, pe = (size_t)m.heads * m.lq * m.lk;
    const float *w = k->w[0], *b = k->w[1];
    for (int n = 0; n < k->batch; n++) {
        const float *x = k->in[0] + n * qe, *y = k->in[1] + n * ke;
        float *q = s.q + n * qe, *kk = s.k + n * ke, *v = s.v + n * ke, *p = s.p + n * pe, *c = s.c + n * qe;
        ecg_dense_forward(x, m.lq, m.e, wslice(w, 0, m.e), b, m.e, q);
        ecg_dense_forward(y, m.lk, m.e, wslice(w, 1, m.e), b + m.e, m.e, kk);
        ecg_dense_forward(y, m.lk, m.e, wslice(w, 2, m.e), b + 2 * m.e, m.e, v);
        attend(m, q, kk, v, p, c);
        ecg_dense_forward(c, m.lq, m.e, k->w[2], k->w[3], m.e, k->out + n * qe);
    }
}

/* ---- backward ---- */

/* From dC of one sample: dQ, dK, dV (overwritten), using P, Q, K, V; dp is an Lk scratch row. */
static void attend_bwd(mha_dims m, const float *q, const float *k, const float *v, const float *p, const float *dc,
                       float *dq, float *dk, float *dv, float *dp) {
    float scale = 1.0f / sqrtf((float)m.d);
    memset(dq, 0, sizeof(float) * (size_t)m.lq * m.e);
    memset(dk, 0, sizeof(float) * (size_t)m.lk * m.e);
    memset(dv, 0, sizeof(float) * (size_t)m.lk * m.e);
    for (int h = 0; h < m.heads; h++) {
        int off = h * m.d;
        for (int i = 0; i < m.lq; i++) {
            const float *pi = p + ((size_t)h * m.lq + i) * m.lk, *dci = dc + (size_t)i * m.e + off;
            /* dP = dC V^T and dV += P^T dC; then the softmax Jacobian: dS = P * (dP - <P, dP>) */
            float pdp = 0;
            for (int j = 0; j < m.lk; j++) {
                const float *vj = v + (size_t)j * m.e + off;
                float *dvj = dv + (size_t)j * m.e + off;
                float g = 0;
                for (int d = 0; d < m.d; d++) {
                    g += dci[d] * vj[d];
                    dvj[d] += pi[j] * dci[d];
                }
                dp[j] = g;
                pdp += pi[j] * g;
            }
            const float *qi = q + (size_t)i * m.e + off;
            float *dqi = dq + (size_t)i * m.e + off;
            for (int j = 0; j < m.lk; j++) {
                float ds = pi[j] * (dp[j] - pdp) * scale;
                const float *kj = k + (size_t)j * m.e + off;
                float *dkj = dk + (size_t)j * m.e + off;
                for (int d = 0; d < m.d; d++) {
                    dqi[d] += ds * kj[d];
                    dkj[d] += ds * qi[d];
                }
            }
        }
    }
}

static void mha_bwd(const ecg_kctx *k) {
    mha_dims m = dims_of(k->node, k->in_shape);
    mha_state s = state_split(k->state, m, k->batch);
    size_t qe = (size_t)m.lq * m.e, ke = (size_t)m.lk * m.e, pe = (size_t)m.heads * m.lq * m.lk;
    const float *w = k->w[0];
    float *dw = k->dw[0], *db = k->dw[1];
    for (int n = 0; n < k->batch; n++) {
        const float *x = k->in[0] + n * qe, *y = k->in[1] + n * ke, *dout = k->d_out + n * qe;
        const float *q = s.q + n * qe, *kk = s.k + n * ke, *v = s.v + n * ke, *p = s.p + n * pe;
        float *dx = k->d_in[0] ? k->d_in[0] + n * qe : NULL, *dy = k->d_in[1] ? k->d_in[1] + n * ke : NULL;
        /* out projection: dC is overwritten, so it starts at zero */
        memset(s.dc, 0, sizeof(float) * qe);
        ecg_dense_backward(s.c + n * qe, m.lq, m.e, k->w[2], m.e, dout, s.dc, k->dw[2], k->dw[3]);
        attend_bwd(m, q, kk, v, p, s.dc, s.dq, s.dk, s.dv, s.dp);
        /* in projections; dx and dy may be the same buffer (self-attention): all accumulate */
        ecg_dense_backward(x, m.lq, m.e, wslice(w, 0, m.e), m.e, s.dq, dx, dwslice(dw, 0, m.e), dbslice(db, 0, m.e));
        ecg_dense_backward(y, m.lk, m.e, wslice(w, 1, m.e), m.e, s.dk, dy, dwslice(dw, 1, m.e), dbslice(db, 1, m.e));
        ecg_dense_backward(y, m.lk, m.e, wslice(w, 2, m.e), m.e, s.dv, dy, dwslice(dw, 2, m.e), dbslice(db, 2, m.e));
    }
}

const ecg_op ecg_op_mha = {"mha", mha_infer, mha_flops, mha_state_bytes, mha_fwd, mha_bwd,
                           ECG_TRAIT_WEIGHT_MATRICES};
