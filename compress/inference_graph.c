/* The graph the XNNPACK executor lowers (batchnorm folded, dropout removed), as a standalone
 * copy: compression passes quantize or prune the weights that will actually run. */
#include <stdio.h>

#include "compress/compress.h"

int ecg_inference_graph(ecg_graph *dst, const ecg_graph *src, char *err, size_t errlen) {
    if (ecg_graph_clone(dst, src)) {
        snprintf(err, errlen, "out of memory cloning the graph");
        return -1;
    }
    if (ecg_graph_inference_rewrite(dst, 1) < 0) {
        snprintf(err, errlen, "folding batchnorm: %s", dst->err);
        ecg_graph_free(dst);
        return -1;
    }
    return 0;
}
