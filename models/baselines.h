/* The neural baselines of the model zoo (resnet1d, lstm, crnn), built from the same ops as
 * EfficientECG (module trees in the README). The classical de Chazal baseline is baselines/. */
#ifndef ECG_MODELS_BASELINES_H
#define ECG_MODELS_BASELINES_H

#include "models/models.h"

/* Wang et al. 2017 time-series ResNet: three residual blocks (64, 128, 128 channels; kernels 8,
 * 5, 3 in each), BN + ReLU, GAP, linear. */
int ecg_resnet1d(ecg_graph *g, const ecg_model_cfg *cfg);
/* Basic-block ResNet-18 in 1D: stem k15 s2 + max pool, [2, 2, 2, 2] blocks of 64/128/256/512, k7. */
int ecg_resnet1d18(ecg_graph *g, const ecg_model_cfg *cfg);
/* 2-layer LSTM, hidden 128, last state -> linear (bidirectional: both directions' last states). */
int ecg_lstm_classifier(ecg_graph *g, const ecg_model_cfg *cfg, int bidirectional);
/* CRNN: 4 blocks of conv k7 + BN + ReLU + max pool (32/64/128/128 channels, pools 4/4/2/2: 64x
 * fewer steps), then the same 2-layer LSTM (hidden 128) and last state -> linear. Any length. */
int ecg_crnn_classifier(ecg_graph *g, const ecg_model_cfg *cfg, int bidirectional);

/* The LSTMs read the signal in frames of this many samples (models/lstm.c says why): 33 ms at
 * 360 Hz, 40 ms at 300 Hz. The input length must be a multiple of it. */
#define ECG_LSTM_FRAME 12
/* lstm-ae (models/lstm_ae.c): encoder LSTM (64) over the frames -> its last state -> linear to a
 * 16-value code (the node ECG_AE_CODE_NODE) -> repeated over the steps onto learned per-step
 * vectors -> decoder LSTM (64) -> per-step linear back to the frames -> [length, channels]. */
#define ECG_AE_CODE 16 /* values in the code (models/lstm_ae.c says why) */
int ecg_lstm_autoencoder(ecg_graph *g, const ecg_model_cfg *cfg);
/* Its encoder alone on input x [length, channels]: PREFIXframes, PREFIXencoder, PREFIXcode; returns
 * the code [16] (the fusion model's autoencoder token reads it under the prefix "ae."). */
int ecg_lstm_ae_encoder(ecg_graph *g, const ecg_model_cfg *cfg, const char *prefix, int x);

#endif
