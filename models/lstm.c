/* LSTM baselines: lstm (2 layers, hidden 128; PyTorch nn.LSTM named "lstm") whose last state
 * (h_n of the top layer, both directions for bilstm) feeds fc (Linear).
 *
 * The LSTM reads the signal in frames of ECG_LSTM_FRAME (12) consecutive samples (the input [T, C]
 * seen as [T / 12, 12 * C], a reshape with no parameters). Sample by sample, a beat
 * window is 252 steps and the QRS complex lies 160 of them before the last state: trained so on
 * mitdb-aami, the LSTM predicted N for every beat (3 unweighted epochs, 2 with class weights, 2
 * more with twice the learning rate and a forget-gate bias of 1). Frames make that 21 steps (and
 * a CinC 2017 record 750 instead of 9000). */
#include "models/baselines.h"

int ecg_lstm_classifier(ecg_graph *g, const ecg_model_cfg *cfg, int bidirectional) {
    if (cfg->length % ECG_LSTM_FRAME)
        return ecg_graph_fail(g, "lstm: input length %d is not a multiple of the %d-sample frame", cfg->length,
                              ECG_LSTM_FRAME);
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    x = ecg_reshape(g, "frames", x, ecg_shape2(cfg->length / ECG_LSTM_FRAME, (int64_t)ECG_LSTM_FRAME * cfg->channels));
    int h = ecg_lstm(g, "lstm", x, 128, 2, bidirectional, 1);
    if (cfg->dropout > 0) h = ecg_dropout(g, "dropout", h, cfg->dropout);
    return ecg_linear(g, "fc", h, cfg->classes, 1);
}
