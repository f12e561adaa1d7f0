/* placeholder: being written */
#include <stdio.h>
#include "ops.h"
static int slice_infer(const ecg_node *n, const ecg_shape *in, ecg_shape *out, char *msg, size_t len) {
    (void)n; (void)in; (void)out;
    snprintf(msg, len, "not implemented yet");
    return -1;
}
const ecg_op ecg_op_slice = {"slice", slice_infer, NULL, NULL, NULL, NULL};
