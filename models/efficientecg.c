/* EfficientECG: EfficientNet-B0's stage table in 1D (docs/model-zoo.md). 2D k x k kernels become k^2
 * taps (3x3 -> 9, 5x5 -> 25), which are also XNNPACK's fast depthwise sizes.
 *
 * Module tree (PyTorch names): stem.{conv,bn}; blocks.{i}.expand.{conv,bn} (when expand > 1),
 * blocks.{i}.dw.{conv,bn}, blocks.{i}.se.{fc1,fc2} (Linear on the pooled vector),
 * blocks.{i}.project.{conv,bn}; head.{conv,bn}; classifier (Linear). Convs have no bias;
 * BatchNorm eps 1e-3, momentum 0.01 (EfficientNet's). */
#include <math.h>
#include <stdio.h>

#include "models/models.h"

#define BN_EPS 1e-3f
#define BN_MOMENTUM 0.01f

typedef struct {
    int kernel, stride, expand, channels, repeats;
} stage;

static const stage b0_stages[] = {
    {9, 1, 1, 16, 1}, {9, 2, 6, 24, 2}, {25, 2, 6, 40, 2}, {9, 2, 6, 80, 3},
    {25, 1, 6, 112, 3}, {25, 2, 6, 192, 4}, {9, 1, 6, 320, 1},
};
#define N_STAGES (int)(sizeof b0_stages / sizeof b0_stages[0])

int ecg_effnet_round_channels(int c, double width) {
    double scaled = c * width;
    int r = (int)(scaled + 4) / 8 * 8;
    if (r < 8) r = 8;
    if (r < 0.9 * scaled) r += 8;
    return r;
}

int ecg_effnet_round_repeats(int r, double depth) { return (int)ceil(r * depth); }

/* conv (no bias) -> BN -> optional activation; `act` ECG_OP_COUNT means none. */
static int conv_bn(ecg_graph *g, const char *prefix, int x, int out, int kernel, int stride, int groups,
                   ecg_op_kind act) {
    char conv[ECG_NAME_LEN], bn[ECG_NAME_LEN], a[ECG_NAME_LEN];
    snprintf(conv, sizeof conv, "%s.conv", prefix);
    snprintf(bn, sizeof bn, "%s.bn", prefix);
    snprintf(a, sizeof a, "%s.act", prefix);
    int y = ecg_batchnorm(g, bn, ecg_conv1d(g, conv, x, out, kernel, stride, 1, groups, 0), BN_EPS, BN_MOMENTUM);
    return act == ECG_OP_COUNT ? y : ecg_unary(g, act, a, y);
}

/* Squeeze-excitation: GAP -> Linear(c, se) -> SiLU -> Linear(se, c) -> sigmoid -> scale. */
static int squeeze_excite(ecg_graph *g, const char *prefix, int x, int c, int se) {
    char n[4][ECG_NAME_LEN];
    const char *leaf[4] = {"pool", "fc1", "fc2", "scale"};
    for (int i = 0; i < 4; i++) snprintf(n[i], sizeof n[i], "%s.se.%s", prefix, leaf[i]);
    char act[ECG_NAME_LEN], gate[ECG_NAME_LEN];
    snprintf(act, sizeof act, "%s.se.act", prefix);
    snprintf(gate, sizeof gate, "%s.se.gate", prefix);
    int s = ecg_gap(g, n[0], x);
    s = ecg_unary(g, ECG_OP_SILU, act, ecg_linear(g, n[1], s, se, 1));
    s = ecg_unary(g, ECG_OP_SIGMOID, gate, ecg_linear(g, n[2], s, c, 1));
    return ecg_binary(g, ECG_OP_MUL, n[3], x, s);
}

static int mbconv(ecg_graph *g, int index, int x, int in, int out, const stage *st, int stride, float drop_path) {
    char p[ECG_NAME_LEN], sub[ECG_NAME_LEN];
    snprintf(p, sizeof p, "blocks.%d", index);
    int e = in * st->expand, h = x;
    if (st->expand > 1) {
        snprintf(sub, sizeof sub, "%s.expand", p);
        h = conv_bn(g, sub, h, e, 1, 1, 1, ECG_OP_SILU);
    }
    snprintf(sub, sizeof sub, "%s.dw", p);
    h = conv_bn(g, sub, h, e, st->kernel, stride, e, ECG_OP_SILU);
    h = squeeze_excite(g, p, h, e, in / 4 > 1 ? in / 4 : 1);
    snprintf(sub, sizeof sub, "%s.project", p);
    h = conv_bn(g, sub, h, out, 1, 1, 1, ECG_OP_COUNT);
    if (stride != 1 || in != out) return h;
    if (drop_path > 0) {
        snprintf(sub, sizeof sub, "%s.drop_path", p);
        h = ecg_drop_path(g, sub, h, drop_path);
    }
    snprintf(sub, sizeof sub, "%s.add", p);
    return ecg_binary(g, ECG_OP_ADD, sub, h, x);
}

int ecg_efficientecg_backbone(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s, int x) {
    float drop_path = cfg->drop_path >= 0 ? cfg->drop_path : 0.2f;
    int c = ecg_effnet_round_channels(32, s.width);
    x = conv_bn(g, "stem", x, c, 9, 2, 1, ECG_OP_SILU);
    int total = 0, index = 0;
    for (int i = 0; i < N_STAGES; i++) total += ecg_effnet_round_repeats(b0_stages[i].repeats, s.depth);
    for (int i = 0; i < N_STAGES; i++) {
        const stage *st = &b0_stages[i];
        int out = ecg_effnet_round_channels(st->channels, s.width);
        for (int r = 0; r < ecg_effnet_round_repeats(st->repeats, s.depth); r++, index++) {
            /* Stochastic depth grows linearly with depth, as in EfficientNet. */
            x = mbconv(g, index, x, c, out, st, r == 0 ? st->stride : 1, drop_path * (float)index / (float)total);
            c = out;
        }
    }
    return conv_bn(g, "head", x, s.head_channels, 1, 1, 1, ECG_OP_SILU);
}

int ecg_efficientecg(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s) {
    float dropout = cfg->dropout >= 0 ? cfg->dropout : 0.2f;
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    x = ecg_gap(g, "pool", ecg_efficientecg_backbone(g, cfg, s, x));
    if (dropout > 0) x = ecg_dropout(g, "dropout", x, dropout);
    return ecg_linear(g, "classifier", x, cfg->classes, 1);
}
