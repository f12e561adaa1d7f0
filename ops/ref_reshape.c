/* Reshape (reference forward + backward): the same row-major numbers under another per-sample
 * shape, as x.reshape(N, *shape) in PyTorch. Forward copies, backward adds d_out into d_in
 * element for element. FLOPs 0 (data movement). */
#include <stdio.h>

#include "ops.h"

static int reshape_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    char s[64], t[64];
    const ecg_shape *want = &n->a.shape;
    if (n->n_in != 1) {
        snprintf(msg, len, "wants 1 input, got %d", n->n_in);
        return -1;
    }
    if (want->rank < 1 || want->rank > ECG_MAX_RANK) {
        snprintf(msg, len, "target rank %d is outside 1..%d", want->rank, ECG_MAX_RANK);
        return -1;
    }
    for (int i = 0; i < want->rank; i++)
        if (want->d[i] < 1) {
            snprintf(msg, len, "target dim %d is %lld; every dim must be >= 1", i, (long long)want->d[i]);
            return -1;
        }
    if (ecg_shape_numel(want) != ecg_shape_numel(&in[0])) {
        snprintf(msg, len, "cannot view input %s (%lld numbers) as %s (%lld)", ecg_shape_str(&in[0], s, sizeof s),
                 (long long)ecg_shape_numel(&in[0]), ecg_shape_str(want, t, sizeof t), (long long)ecg_shape_numel(want));
        return -1;
    }
    *out = *want;
    return 0;
}

static size_t numel_of(const ecg_kctx *k) { return (size_t)k->batch * (size_t)ecg_shape_numel(&k->out_shape); }

static void reshape_fwd(const ecg_kctx *k) {
    size_t n = numel_of(k);
    for (size_t i = 0; i < n; i++) k->out[i] = k->in[0][i];
}

static void reshape_bwd(const ecg_kctx *k) {
    if (!k->d_in[0]) return;
    size_t n = numel_of(k);
    for (size_t i = 0; i < n; i++) k->d_in[0][i] += k->d_out[i];
}

const ecg_op ecg_op_reshape = {"reshape", reshape_infer, NULL, NULL, reshape_fwd, reshape_bwd, 0};
