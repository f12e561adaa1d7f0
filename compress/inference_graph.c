/* The graph the XNNPACK executor lowers (batchnorm folded, dropout removed), as a standalone
 * copy: compression passes quantize or prune the weights that will actually run. */
#include <stdio.h>

#include "compress/compress.h"
#include "ops/xnn_lower.h"

int ecg_inference_graph(ecg_graph *dst, const ecg_graph *src, char *err, size_t errlen) {
    if (ecg_graph_clone(dst, src)) {
        snprintf(err, errlen, "out of memory cloning the graph");
        return -1;
    }
    if (ecg_fold_bn(dst) < 0) {
        snprintf(err, errlen, "folding batchnorm: %s", dst->err);
        ecg_graph_free(dst);
        return -1;
    }
    for (int i = dst->n_nodes - 1; i >= 0; i--)
        if (dst->nodes[i].kind == ECG_OP_DROPOUT) ecg_graph_bypass_node(dst, i);
    return 0;
}
