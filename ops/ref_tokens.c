/* Learned tokens (reference forward + backward): no input; param 0 of shape [1, L, D] is the
 * per-sample value [L, D], the same for every sample (PyTorch: a class token
 * nn.Parameter(torch.zeros(1, L, D)) expanded over the batch). Backward: dw += sum over the batch
 * of d_out. FLOPs 0 (data movement).
 * infer sees only attrs, not the param: ecg_tokens() records L in a.length and D in a.dim and adds
 * the param with the matching shape [1, L, D], so the two agree when built through it. */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static int tokens_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    (void)in;
    if (n->n_in != 0) {
        snprintf(msg, len, "wants no input (its value is its parameter), got %d", n->n_in);
        return -1;
    }
    if (n->n_param != 1) {
        snprintf(msg, len, "wants 1 parameter [1, L, D], got %d", n->n_param);
        return -1;
    }
    if (n->a.length < 1 || n->a.dim < 1) {
        snprintf(msg, len, "tokens [%d, %d] (attrs length, dim) must be positive", n->a.length, n->a.dim);
        return -1;
    }
    *out = ecg_shape2(n->a.length, n->a.dim);
    return 0;
}

static size_t per_sample(const ecg_kctx *k) { return (size_t)ecg_shape_numel(&k->out_shape); }

static void tokens_fwd(const ecg_kctx *k) {
    size_t n = per_sample(k);
    for (int b = 0; b < k->batch; b++) memcpy(k->out + (size_t)b * n, k->w[0], n * sizeof(float));
}

static void tokens_bwd(const ecg_kctx *k) {
    if (!k->dw[0]) return;
    size_t n = per_sample(k);
    for (int b = 0; b < k->batch; b++) {
        const float *dy = k->d_out + (size_t)b * n;
        for (size_t i = 0; i < n; i++) k->dw[0][i] += dy[i];
    }
}

const ecg_op ecg_op_tokens = {"tokens", tokens_infer, NULL, NULL, tokens_fwd, tokens_bwd, 0};
