/* Concatenation along a per-sample axis (reference forward + backward), as torch.cat(xs, dim=axis+1).
 * 2..ECG_MAX_IN inputs of equal rank whose dims agree except on the axis. Backward splits d_out
 * back into the inputs. FLOPs 0 (data movement). */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static int concat_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    char s0[64], s1[64];
    int axis = n->a.axis, rank = in[0].rank;
    if (n->n_in < 2 || n->n_in > ECG_MAX_IN) {
        snprintf(msg, len, "wants 2..%d inputs, got %d", ECG_MAX_IN, n->n_in);
        return -1;
    }
    if (axis < 0 || axis >= rank) {
        snprintf(msg, len, "axis %d is outside input 0 %s (rank %d)", axis, ecg_shape_str(&in[0], s0, sizeof s0), rank);
        return -1;
    }
    *out = in[0];
    for (int j = 1; j < n->n_in; j++) {
        int same = in[j].rank == rank;
        for (int i = 0; same && i < rank; i++) same = i == axis || in[j].d[i] == in[0].d[i];
        if (!same) {
            snprintf(msg, len, "input 0 %s and input %d %s differ in rank or off axis %d",
                     ecg_shape_str(&in[0], s0, sizeof s0), j, ecg_shape_str(&in[j], s1, sizeof s1), axis);
            return -1;
        }
        out->d[axis] += in[j].d[axis];
    }
    return 0;
}

/* Batched view: `outer` blocks (batch x dims before the axis); input j contributes a chunk of
 * d[axis] * inner contiguous floats to each block. */
static size_t outer_blocks(const ecg_kctx *k) {
    size_t outer = (size_t)k->batch;
    for (int i = 0; i < k->node->a.axis; i++) outer *= (size_t)k->out_shape.d[i];
    return outer;
}
static size_t chunk(const ecg_shape *s, int axis) {
    size_t c = 1;
    for (int i = axis; i < s->rank; i++) c *= (size_t)s->d[i];
    return c;
}

static void concat_fwd(const ecg_kctx *k) {
    size_t outer = outer_blocks(k), out_chunk = chunk(&k->out_shape, k->node->a.axis);
    for (size_t o = 0; o < outer; o++) {
        float *y = k->out + o * out_chunk;
        for (int j = 0; j < k->n_in; j++) {
            size_t c = chunk(&k->in_shape[j], k->node->a.axis);
            memcpy(y, k->in[j] + o * c, c * sizeof(float));
            y += c;
        }
    }
}

static void concat_bwd(const ecg_kctx *k) {
    size_t outer = outer_blocks(k), out_chunk = chunk(&k->out_shape, k->node->a.axis);
    for (size_t o = 0; o < outer; o++) {
        const float *dy = k->d_out + o * out_chunk;
        for (int j = 0; j < k->n_in; j++) {
            size_t c = chunk(&k->in_shape[j], k->node->a.axis);
            if (k->d_in[j])
                for (size_t i = 0; i < c; i++) k->d_in[j][o * c + i] += dy[i];
            dy += c;
        }
    }
}

const ecg_op ecg_op_concat = {"concat", concat_infer, NULL, NULL, concat_fwd, concat_bwd, 0};
