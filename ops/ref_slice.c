/* Slice along a per-sample axis (reference forward + backward), as x[:, ..., start:start+length]
 * on dim axis+1 in PyTorch. One input of rank 1 or 2; the other dims are kept. Backward adds
 * d_out into the sliced positions of d_in and leaves the rest alone. FLOPs 0 (data movement). */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static int slice_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    char s[64];
    const ecg_attrs *a = &n->a;
    if (n->n_in != 1) {
        snprintf(msg, len, "wants 1 input, got %d", n->n_in);
        return -1;
    }
    if (in[0].rank < 1 || in[0].rank > 2) {
        snprintf(msg, len, "input %s has rank %d; slice takes rank 1 or 2", ecg_shape_str(&in[0], s, sizeof s),
                 in[0].rank);
        return -1;
    }
    if (a->axis < 0 || a->axis >= in[0].rank) {
        snprintf(msg, len, "axis %d is outside input %s (rank %d)", a->axis, ecg_shape_str(&in[0], s, sizeof s),
                 in[0].rank);
        return -1;
    }
    int64_t dim = in[0].d[a->axis];
    if (a->start < 0 || a->length < 1 || (int64_t)a->start + a->length > dim) {
        snprintf(msg, len, "range start %d length %d does not fit axis %d of size %lld in input %s (wants start >= 0, "
                 "length >= 1, start + length <= %lld)", a->start, a->length, a->axis, (long long)dim,
                 ecg_shape_str(&in[0], s, sizeof s), (long long)dim);
        return -1;
    }
    *out = in[0];
    out->d[a->axis] = a->length;
    return 0;
}

/* Batched view: `outer` blocks (batch x dims before the axis) of `inner`-float rows (dims after
 * the axis); a block holds d[axis] rows in the input and `length` rows in the output. */
typedef struct {
    size_t outer, in_block, out_block, offset;
} slice_view;

static slice_view view_of(const ecg_kctx *k) {
    int axis = k->node->a.axis;
    size_t outer = (size_t)k->batch, inner = 1;
    for (int i = 0; i < axis; i++) outer *= (size_t)k->in_shape[0].d[i];
    for (int i = axis + 1; i < k->in_shape[0].rank; i++) inner *= (size_t)k->in_shape[0].d[i];
    return (slice_view){outer, (size_t)k->in_shape[0].d[axis] * inner, (size_t)k->node->a.length * inner,
                        (size_t)k->node->a.start * inner};
}

static void slice_fwd(const ecg_kctx *k) {
    slice_view v = view_of(k);
    for (size_t o = 0; o < v.outer; o++)
        memcpy(k->out + o * v.out_block, k->in[0] + o * v.in_block + v.offset, v.out_block * sizeof(float));
}

static void slice_bwd(const ecg_kctx *k) {
    if (!k->d_in[0]) return;
    slice_view v = view_of(k);
    for (size_t o = 0; o < v.outer; o++) {
        float *dx = k->d_in[0] + o * v.in_block + v.offset;
        const float *dy = k->d_out + o * v.out_block;
        for (size_t i = 0; i < v.out_block; i++) dx[i] += dy[i];
    }
}

const ecg_op ecg_op_slice = {"slice", slice_infer, NULL, NULL, slice_fwd, slice_bwd, 0};
