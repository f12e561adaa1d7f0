/* ResNet baselines.
 *
 * resnet1d (Wang, Yan, Oates 2017, "Time series classification from scratch with deep neural
 * networks"): blocks.{0,1,2}.conv{1,2,3}.{conv,bn} with kernels 8, 5, 3 and "same" padding;
 * shortcut blocks.{i}.shortcut.{conv,bn} (1x1 conv + BN) where channels change, and BN alone
 * (blocks.2.shortcut.bn) where they do not, as in the authors' code; GAP; fc.
 *
 * resnet1d-18: stem.{conv,bn} (k15, s2) + max pool (k3, s2, pad 1); layers.{s}.{b}.conv{1,2}.
 * {conv,bn} (k7), layers.{s}.0.shortcut.{conv,bn} (1x1, stride 2) where shape changes; GAP; fc.
 * BatchNorm: PyTorch defaults (eps 1e-5, momentum 0.1). */
#include <stdio.h>

#include "models/baselines.h"

static int conv_bn(ecg_graph *g, const char *prefix, int x, int out, int kernel, int stride, int relu) {
    char conv[ECG_NAME_LEN], bn[ECG_NAME_LEN], act[ECG_NAME_LEN];
    snprintf(conv, sizeof conv, "%s.conv", prefix);
    snprintf(bn, sizeof bn, "%s.bn", prefix);
    snprintf(act, sizeof act, "%s.relu", prefix);
    int y = ecg_batchnorm(g, bn, ecg_conv1d(g, conv, x, out, kernel, stride, 1, 1, 0), 1e-5f, 0.1f);
    return relu ? ecg_unary(g, ECG_OP_RELU, act, y) : y;
}

/* Residual sum then ReLU: prefix.add, prefix.relu. */
static int add_relu(ecg_graph *g, const char *prefix, int a, int b) {
    char add[ECG_NAME_LEN], relu[ECG_NAME_LEN];
    snprintf(add, sizeof add, "%s.add", prefix);
    snprintf(relu, sizeof relu, "%s.relu", prefix);
    return ecg_unary(g, ECG_OP_RELU, relu, ecg_binary(g, ECG_OP_ADD, add, a, b));
}

static int channels_of(const ecg_graph *g, int x) { return x < 0 ? 0 : (int)g->values[x].shape.d[1]; }

static int classifier(ecg_graph *g, int x, const ecg_model_cfg *cfg) {
    x = ecg_gap(g, "pool", x);
    if (cfg->dropout > 0) x = ecg_dropout(g, "dropout", x, cfg->dropout);
    return ecg_linear(g, "fc", x, cfg->classes, 1);
}

int ecg_resnet1d(ecg_graph *g, const ecg_model_cfg *cfg) {
    static const int widths[3] = {64, 128, 128}, kernels[3] = {8, 5, 3};
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    for (int b = 0; b < 3; b++) {
        char p[ECG_NAME_LEN], sub[ECG_NAME_LEN];
        snprintf(p, sizeof p, "blocks.%d", b);
        int h = x;
        for (int j = 0; j < 3; j++) {
            snprintf(sub, sizeof sub, "%s.conv%d", p, j + 1);
            h = conv_bn(g, sub, h, widths[b], kernels[j], 1, j < 2);
        }
        snprintf(sub, sizeof sub, "%s.shortcut", p);
        int sc;
        if (channels_of(g, x) != widths[b]) {
            sc = conv_bn(g, sub, x, widths[b], 1, 1, 0);
        } else {
            char bn[ECG_NAME_LEN];
            snprintf(bn, sizeof bn, "%s.bn", sub);
            sc = ecg_batchnorm(g, bn, x, 1e-5f, 0.1f);
        }
        x = add_relu(g, p, h, sc);
    }
    return classifier(g, x, cfg);
}

int ecg_resnet1d18(ecg_graph *g, const ecg_model_cfg *cfg) {
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    x = conv_bn(g, "stem", x, 64, 15, 2, 1);
    x = ecg_maxpool(g, "stem.pool", x, 3, 2, 1);
    for (int s = 0; s < 4; s++) {
        int width = 64 << s;
        for (int b = 0; b < 2; b++) {
            char p[ECG_NAME_LEN], sub[ECG_NAME_LEN];
            snprintf(p, sizeof p, "layers.%d.%d", s, b);
            int stride = s > 0 && b == 0 ? 2 : 1;
            snprintf(sub, sizeof sub, "%s.conv1", p);
            int h = conv_bn(g, sub, x, width, 7, stride, 1);
            snprintf(sub, sizeof sub, "%s.conv2", p);
            h = conv_bn(g, sub, h, width, 7, 1, 0);
            int sc = x;
            if (stride != 1 || channels_of(g, x) != width) {
                snprintf(sub, sizeof sub, "%s.shortcut", p);
                sc = conv_bn(g, sub, x, width, 1, stride, 0);
            }
            x = add_relu(g, p, h, sc);
        }
    }
    return classifier(g, x, cfg);
}
