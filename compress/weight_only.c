/* Weight-only int8 for the nodes XNNPACK has no int8 operator for and whose weights are matrices:
 * LSTM (weight_ih, weight_hh) and attention (in_proj_weight, out_proj.weight). Each row is
 * symmetric int8 with its own scale; the file stores that, and the executor runs f32 on the
 * dequantised values. It shrinks the file; it does not change how those nodes compute. */
#include <math.h>

#include "compress/compress.h"

int ecg_is_weight_only_param(const ecg_graph *g, int param) {
    if (param < 0 || param >= g->n_params || g->params[param].shape.rank != 2) return 0;
    int used = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_param; j++) {
            if (g->nodes[i].param[j] != param) continue;
            if (g->nodes[i].kind != ECG_OP_LSTM && g->nodes[i].kind != ECG_OP_MHA) return 0; /* shared */
            used = 1;
        }
    return used;
}

float ecg_row_int8(const float *w, int64_t n, int8_t *q) {
    float m = 0;
    for (int64_t i = 0; i < n; i++) m = fabsf(w[i]) > m ? fabsf(w[i]) : m;
    float s = m > 0 ? m / 127.0f : 1.0f;
    for (int64_t i = 0; i < n; i++) {
        long v = lrintf(w[i] / s);
        if (q) q[i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    return s;
}

int ecg_weight_only_int8(ecg_graph *g) {
    int count = 0;
    for (int p = 0; p < g->n_params; p++) {
        if (!ecg_is_weight_only_param(g, p)) continue;
        ecg_param *w = &g->params[p];
        int64_t rows = w->shape.d[0], cols = w->shape.d[1];
        for (int64_t r = 0; r < rows; r++) {
            float *row = w->data + r * cols, s = ecg_row_int8(row, cols, NULL);
            for (int64_t c = 0; c < cols; c++) {
                long v = lrintf(row[c] / s); /* as ecg_row_int8 rounds; |v| <= 127 by the scale */
                row[c] = (float)(v < -127 ? -127 : v > 127 ? 127 : v) * s;
            }
        }
        count++;
    }
    return count;
}
