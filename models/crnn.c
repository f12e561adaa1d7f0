/* CRNN baselines: crnn and bicrnn, a convolutional front end that shortens the sequence, then
 * the LSTM baselines' 2-layer LSTM (hidden 128; bidirectional for bicrnn) whose last state
 * feeds fc, as in models/lstm.c.
 *
 * Why: on cinc2017 both plain LSTMs predicted Normal for every record. Even in 12-sample frames a
 * 30 s record is 750 steps, too long for the LSTM to carry rhythm evidence to its last state.
 * The front end does the local work (QRS, P wave, noise) and hands the LSTM a short sequence of
 * learned features: 64x fewer steps, a 9000-sample record becomes 142 steps (a 252-sample beat 5).
 *
 * Front end: blocks.{0..3}, each conv (k7, "same", no bias) -> bn -> ReLU -> max pool, channels
 * 32, 64, 128, 128 and pools 4, 4, 2, 2 (pool k = stride, padding k/2 on both sides, as
 * PyTorch's nn.MaxPool1d(k, k, padding=k // 2)). The padding makes each pool's output
 * floor(T / k) + 1 long: no sample is dropped and every length >= 1 builds, so the same model
 * (same parameters) runs on mitdb-aami's 252-sample beats, 10 s crops and whole records. The
 * receptive field of one LSTM step is about 380 samples (1.3 s at 300 Hz), a whole beat with its
 * P wave; one step advances 64 samples (0.21 s). Pooling early keeps the convolutions cheap: the
 * first block's conv is the only one at full rate and has a single input channel.
 *
 * Parameters (1 lead, K classes): convs 7 * (1*32 + 32*64 + 64*128 + 128*128) = 186592, BN
 * 2 * (32 + 64 + 128 + 128) = 704; crnn's LSTM(128, 128, 2) 264192, fc 129 K; bicrnn's
 * bidirectional LSTM 659456, fc 257 K. BatchNorm: PyTorch defaults (eps 1e-5, momentum 0.1). */
#include <stdio.h>

#include "models/baselines.h"

#define CRNN_BLOCKS 4

static const int crnn_channels[CRNN_BLOCKS] = {32, 64, 128, 128};
static const int crnn_pools[CRNN_BLOCKS] = {4, 4, 2, 2};

static int conv_block(ecg_graph *g, int b, int x) {
    char conv[ECG_NAME_LEN], bn[ECG_NAME_LEN], relu[ECG_NAME_LEN], pool[ECG_NAME_LEN];
    snprintf(conv, sizeof conv, "blocks.%d.conv", b);
    snprintf(bn, sizeof bn, "blocks.%d.bn", b);
    snprintf(relu, sizeof relu, "blocks.%d.relu", b);
    snprintf(pool, sizeof pool, "blocks.%d.pool", b);
    int y = ecg_batchnorm(g, bn, ecg_conv1d(g, conv, x, crnn_channels[b], 7, 1, 1, 1, 0), 1e-5f, 0.1f);
    y = ecg_unary(g, ECG_OP_RELU, relu, y);
    return ecg_maxpool(g, pool, y, crnn_pools[b], crnn_pools[b], crnn_pools[b] / 2);
}

int ecg_crnn_classifier(ecg_graph *g, const ecg_model_cfg *cfg, int bidirectional) {
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    for (int b = 0; b < CRNN_BLOCKS; b++) x = conv_block(g, b, x);
    int h = ecg_lstm(g, "lstm", x, 128, 2, bidirectional, 1);
    if (cfg->dropout > 0) h = ecg_dropout(g, "dropout", h, cfg->dropout);
    return ecg_linear(g, "fc", h, cfg->classes, 1);
}
