/* The small model the weights and checkpoint fuzz targets load into, shared with their seed
 * generator (gen_weights_seeds.c): input [16, 2] -> Conv1d "conv" (4 out, kernel 3) ->
 * BatchNorm1d "bn" -> SiLU -> LSTM "lstm" (hidden 4, last step) -> Linear "fc" (3 out). Its int8
 * form has both kinds of int8 node (conv per channel, fc per tensor) and weight-only LSTM rows. */
#ifndef ECG_WEIGHTS_FUZZ_MODEL_H
#define ECG_WEIGHTS_FUZZ_MODEL_H

#include "ops/ops.h"

/* 0 ok; on failure the graph is still safe to free. */
static int wf_model(ecg_graph *g) {
    ecg_graph_init(g, 7);
    int x = ecg_input(g, "ecg", ecg_shape2(16, 2));
    x = ecg_batchnorm(g, "bn", ecg_conv1d(g, "conv", x, 4, 3, 1, 1, 1, 1), 1e-3f, 0.01f);
    x = ecg_lstm(g, "lstm", ecg_unary(g, ECG_OP_SILU, "act", x), 4, 1, 0, 1);
    int y = ecg_linear(g, "fc", x, 3, 1);
    if (y < 0) return -1;
    ecg_graph_set_output(g, y);
    return g->err[0] ? -1 : 0;
}

#endif
