/* lstm-ae: a sequence autoencoder over a beat window (issue 23: its code becomes a token of the
 * fusion model). PyTorch modules, in graph order:
 *   frames          x.reshape(N, T / 12, 12 * C), no parameters (as lstm's, models/lstm.c: 21
 *                   steps for a 252-sample beat instead of 252)
 *   encoder         nn.LSTM(12 * C, 64), its last state h_n [64]
 *   code            nn.Linear(64, 16): the code [16], the value named "code" (ECG_AE_CODE_NODE)
 *   decoder_pos     nn.Parameter [1, T / 12, 16], a learned vector per decoder step
 *   decoder_in      decoder_pos + code[:, None, :]: the code repeated over the steps
 *   decoder         nn.LSTM(16, 64), every step's output [T / 12, 64]
 *   head            nn.Linear(64, 12 * C) per step: a frame of 12 samples x C leads
 *   reconstruction  .reshape(N, T, C): the window rebuilt, shaped as the input
 *
 * Why these choices:
 * - Code 16: a beat window (252 samples at 360 Hz, band-limited to 40 Hz) has at most about 56
 *   degrees of freedom, and a few principal components hold most of a beat's shape; 16 is room
 *   for the shape and its variants while staying one small token for the fusion model (which
 *   projects it to 128). A larger code lets the autoencoder copy noise instead of shape.
 * - The code is repeated over the decoder's steps by a broadcast add onto learned per-step
 *   vectors, not given as the decoder's initial state: the lstm op starts from zero state and has
 *   no state input, and the existing add (broadcast over time, as SE's scaling) and tokens ops do
 *   the repeat with reference backward and XNNPACK lowering already tested. The per-step vectors
 *   also tell the decoder where in the window it is (a repeated code alone is the same at
 *   every step).
 * - Hidden 64, one layer each: 21 steps of 12 samples are short, and the model (about 43k
 *   parameters) trains in seconds per epoch on 2 cores. */
#include <stdio.h>

#include "models/baselines.h"

#define AE_HIDDEN 64

int ecg_lstm_ae_encoder(ecg_graph *g, const ecg_model_cfg *cfg, const char *prefix, int x) {
    if (cfg->length % ECG_LSTM_FRAME)
        return ecg_graph_fail(g, "lstm-ae: input length %d is not a multiple of the %d-sample frame", cfg->length,
                              ECG_LSTM_FRAME);
    char frames[ECG_NAME_LEN], encoder[ECG_NAME_LEN], code[ECG_NAME_LEN];
    snprintf(frames, sizeof frames, "%sframes", prefix);
    snprintf(encoder, sizeof encoder, "%sencoder", prefix);
    snprintf(code, sizeof code, "%s" ECG_AE_CODE_NODE, prefix);
    x = ecg_reshape(g, frames, x, ecg_shape2(cfg->length / ECG_LSTM_FRAME, ECG_LSTM_FRAME * cfg->channels));
    return ecg_linear(g, code, ecg_lstm(g, encoder, x, AE_HIDDEN, 1, 0, 1), ECG_AE_CODE, 1);
}

int ecg_lstm_autoencoder(ecg_graph *g, const ecg_model_cfg *cfg) {
    int steps = cfg->length / ECG_LSTM_FRAME, frame = ECG_LSTM_FRAME * cfg->channels;
    int code = ecg_lstm_ae_encoder(g, cfg, "", ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels)));
    if (code < 0) return -1;
    int pos = ecg_tokens(g, "decoder_pos", steps, ECG_AE_CODE);
    int y = ecg_lstm(g, "decoder", ecg_binary(g, ECG_OP_ADD, "decoder_in", pos, code), AE_HIDDEN, 1, 0, 0);
    y = ecg_linear(g, "head", y, frame, 1);
    return ecg_reshape(g, "reconstruction", y, ecg_shape2(cfg->length, cfg->channels));
}
