/* Whole blocks through the XNNPACK executor equal the reference executor (eval mode):
 * an MBConv block with squeeze-excitation, a residual ResNet block, a 2-layer LSTM with a
 * classifier head and the fusion model's cross-attention block. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

#define TOL 1e-4

static void randomize_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        int64_t n = ecg_shape_numel(&p->shape);
        const char *leaf = strrchr(p->name, '.') + 1;
        int bn = strstr(p->name, "bn") != NULL;
        for (int64_t j = 0; j < n; j++) {
            if (!strcmp(leaf, "running_var")) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else if (!strcmp(leaf, "running_mean")) p->data[j] = 0.3f * ecg_rng_normal(&r);
            else if (bn && !strcmp(leaf, "weight")) p->data[j] = 1.0f + 0.2f * ecg_rng_normal(&r);
            else if (bn && !strcmp(leaf, "bias")) p->data[j] = 0.2f * ecg_rng_normal(&r);
        }
    }
}

static int conv_bn_act(ecg_graph *g, const char *name, int x, int out, int k, int stride, int groups,
                       ecg_op_kind act) {
    char conv[64], bn[64], a[64];
    snprintf(conv, sizeof conv, "%s.conv", name);
    snprintf(bn, sizeof bn, "%s.bn", name);
    snprintf(a, sizeof a, "%s.act", name);
    int y = ecg_batchnorm(g, bn, ecg_conv1d(g, conv, x, out, k, stride, 1, groups, 0), 1e-3f, 0.01f);
    return act == ECG_OP_COUNT ? y : ecg_unary(g, act, a, y);
}

/* MBConv: expand 1x1 -> depthwise k -> SE -> project 1x1 -> residual (stride 1, in == out). */
static int mbconv(ecg_graph *g, int x, int c, int expand, int k, int stride) {
    int e = c * expand, se = c / 4 > 1 ? c / 4 : 1;
    int h = conv_bn_act(g, "expand", x, e, 1, 1, 1, ECG_OP_SILU);
    h = conv_bn_act(g, "dw", h, e, k, stride, e, ECG_OP_SILU);
    int s = ecg_gap(g, "se.pool", h);
    s = ecg_unary(g, ECG_OP_SILU, "se.act", ecg_linear(g, "se.reduce", s, se, 1));
    s = ecg_unary(g, ECG_OP_SIGMOID, "se.gate", ecg_linear(g, "se.expand", s, e, 1));
    h = ecg_binary(g, ECG_OP_MUL, "se.scale", h, s);
    h = conv_bn_act(g, "project", h, c, 1, 1, 1, ECG_OP_COUNT);
    return stride == 1 ? ecg_binary(g, ECG_OP_ADD, "residual", h, x) : h;
}

static void test_mbconv_block(void) {
    const int taps[] = {9, 25, 5};
    for (int i = 0; i < 3; i++) {
        ecg_graph g;
        ecg_graph_init(&g, 100 + (uint64_t)i);
        int x = ecg_input(&g, "x", ecg_shape2(90 + i, 24));
        ecg_graph_set_output(&g, mbconv(&g, x, 24, 6, taps[i], i == 2 ? 2 : 1));
        randomize_bn(&g, 3);
        char label[64];
        snprintf(label, sizeof label, "mbconv k%d", taps[i]);
        CHECK(!g.err[0], "%s", g.err);
        xnn_check(label, &g, 1, 1, 0, TOL, 1);
        xnn_check(label, &g, 4, 2, 0, TOL, 2);
        ecg_graph_free(&g);
    }
}

/* Wang et al. residual block: conv8-bn-relu, conv5-bn-relu, conv3-bn, 1x1 conv+bn shortcut. */
static void test_resnet_block(void) {
    for (int change = 0; change <= 1; change++) {
        ecg_graph g;
        ecg_graph_init(&g, 200 + (uint64_t)change);
        int cin = change ? 16 : 32, cout = 32;
        int x = ecg_input(&g, "x", ecg_shape2(75, cin));
        int h = conv_bn_act(&g, "c1", x, cout, 8, 1, 1, ECG_OP_RELU);
        h = conv_bn_act(&g, "c2", h, cout, 5, 1, 1, ECG_OP_RELU);
        h = conv_bn_act(&g, "c3", h, cout, 3, 1, 1, ECG_OP_COUNT);
        int sc = change ? conv_bn_act(&g, "shortcut", x, cout, 1, 1, 1, ECG_OP_COUNT) : x;
        ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "out", ecg_binary(&g, ECG_OP_ADD, "add", h, sc)));
        randomize_bn(&g, 4);
        CHECK(!g.err[0], "%s", g.err);
        xnn_check(change ? "resnet block (1x1 shortcut)" : "resnet block", &g, 3, 2, 0, TOL, 3);
        ecg_graph_free(&g);
    }
}

/* 2-layer LSTM (uni- and bidirectional) over [T, 12], last state -> linear head. */
static void test_lstm_block(void) {
    for (int bi = 0; bi <= 1; bi++) {
        ecg_graph g;
        ecg_graph_init(&g, 300 + (uint64_t)bi);
        int x = ecg_input(&g, "x", ecg_shape2(37, 12));
        int h = ecg_lstm(&g, "lstm", x, 20, 2, bi, 1);
        ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_dropout(&g, "drop", h, 0.3f), 5, 1));
        CHECK(!g.err[0], "%s", g.err);
        xnn_check(bi ? "2-layer bilstm" : "2-layer lstm", &g, 3, 2, 0, TOL, 5);
        ecg_graph_free(&g);
    }
}

/* Fusion block (models/fusion.c): patient-feature tokens [5, 32] attend over ECG tokens [40, 32]
 * with 4 heads, residual + layernorm, MLP linear-relu-linear, residual + layernorm; the head
 * reads concat(GAP(ECG tokens), GAP(attended tokens)). */
static void test_cross_attention_block(void) {
    ecg_graph g;
    ecg_graph_init(&g, 400);
    int ecg = ecg_input(&g, "ecg", ecg_shape2(40, 24));
    int feat = ecg_input(&g, "features", ecg_shape2(5, 3));
    int kv = ecg_linear(&g, "ecg_proj", ecg, 32, 1);
    int q = ecg_linear(&g, "feature_proj", feat, 32, 1);
    int a = ecg_mha(&g, "attn", q, kv, 4);
    int h = ecg_layernorm(&g, "norm1", ecg_binary(&g, ECG_OP_ADD, "res1", q, a), 1e-5f);
    int m = ecg_unary(&g, ECG_OP_RELU, "mlp.act", ecg_linear(&g, "mlp.0", h, 64, 1));
    m = ecg_linear(&g, "mlp.2", m, 32, 1);
    h = ecg_layernorm(&g, "norm2", ecg_binary(&g, ECG_OP_ADD, "res2", h, m), 1e-5f);
    int pooled[2] = {ecg_gap(&g, "ecg_pool", kv), ecg_gap(&g, "token_pool", h)};
    ecg_graph_set_output(&g, ecg_linear(&g, "head", ecg_concat(&g, "cat", pooled, 2, 0), 5, 1));
    CHECK(!g.err[0], "%s", g.err);
    xnn_check("cross-attention block", &g, 1, 1, 0, TOL, 6);
    xnn_check("cross-attention block", &g, 4, 2, 0, TOL, 7);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_mbconv_block);
    RUN(test_resnet_block);
    RUN(test_lstm_block);
    RUN(test_cross_attention_block);
    return test_done();
}
