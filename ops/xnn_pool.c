/* XNNPACK lowering of global average pooling and max pooling (time on the height axis). */
#include <math.h>

#include "xnn_lower.h"

int ecg_lower_gap(ecg_lower *l) {
    size_t c = (size_t)l->in_shape[0].d[1];
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l, xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &op),
                        "xnn_create_global_average_pooling_nwc_f32"))
        return -1;
    if (ecg_lower_check(l,
                        xnn_setup_global_average_pooling_nwc_f32(op, (size_t)l->batch, (size_t)l->in_shape[0].d[0],
                                                                 l->in[0], l->out, l->tp),
                        "xnn_setup_global_average_pooling_nwc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}

int ecg_lower_maxpool(ecg_lower *l) {
    const ecg_attrs *a = &l->n->a;
    size_t c = (size_t)l->in_shape[0].d[1];
    xnn_operator_t op = NULL;
    if (ecg_lower_check(l,
                        xnn_create_max_pooling2d_nhwc_f32((uint32_t)a->pad_left, 0, (uint32_t)a->pad_right, 0,
                                                          (uint32_t)a->kernel, 1, (uint32_t)a->stride, 1, 1, 1, c,
                                                          c, c, -INFINITY, INFINITY, 0, &op),
                        "xnn_create_max_pooling2d_nhwc_f32"))
        return -1;
    if (ecg_lower_check(l,
                        xnn_setup_max_pooling2d_nhwc_f32(op, (size_t)l->batch, (size_t)l->in_shape[0].d[0], 1,
                                                         l->in[0], l->out, l->tp),
                        "xnn_setup_max_pooling2d_nhwc_f32")) {
        xnn_delete_operator(op);
        return -1;
    }
    return ecg_lower_op(l, op);
}
