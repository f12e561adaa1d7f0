/* LSTM baselines: lstm (2 layers, hidden 128; PyTorch nn.LSTM named "lstm") whose last state
 * (h_n of the top layer, both directions for bilstm) feeds fc (Linear). */
#include "baselines/baselines.h"

int ecg_lstm_classifier(ecg_graph *g, const ecg_model_cfg *cfg, int bidirectional) {
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    int h = ecg_lstm(g, "lstm", x, 128, 2, bidirectional, 1);
    if (cfg->dropout > 0) h = ecg_dropout(g, "dropout", h, cfg->dropout);
    return ecg_linear(g, "fc", h, cfg->classes, 1);
}
