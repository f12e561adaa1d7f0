/* The model registry: every model ecgbench knows, by name. */
#include <stdio.h>
#include <string.h>

#include "models/baselines.h"
#include "models/models.h"

static int build_b0(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg(g, c, (ecg_effnet_scale){1.0, 1.0, 1280});
}
/* The embedded-sized EfficientECG (efficientecg-s): half width, half depth, head 640. */
static int build_s(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg(g, c, (ecg_effnet_scale){0.5, 0.5, 640});
}
static const ecg_effnet_scale S_SCALE = {0.5, 0.5, 640}, B0_SCALE = {1.0, 1.0, 1280};
#define AGESEX_RR (ECG_FUSION_AGESEX | ECG_FUSION_RR)
static int build_fusion(ecg_graph *g, const ecg_model_cfg *c) { return ecg_efficientecg_fusion(g, c, S_SCALE, AGESEX_RR); }
static int build_fusion_b0(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, B0_SCALE, AGESEX_RR);
}
static int build_fusion_none(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, S_SCALE, 0);
}
static int build_fusion_agesex(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, S_SCALE, ECG_FUSION_AGESEX);
}
static int build_fusion_rr(ecg_graph *g, const ecg_model_cfg *c) { return ecg_efficientecg_fusion(g, c, S_SCALE, ECG_FUSION_RR); }
static int build_fusion_rhythm(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, S_SCALE, ECG_FUSION_RR | ECG_FUSION_RHYTHM);
}
static int build_fusion_pwave(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, S_SCALE, ECG_FUSION_PWAVE);
}
static int build_fusion_ae(ecg_graph *g, const ecg_model_cfg *c) { return ecg_efficientecg_fusion(g, c, S_SCALE, ECG_FUSION_AE); }
static int build_fusion_all(ecg_graph *g, const ecg_model_cfg *c) {
    return ecg_efficientecg_fusion(g, c, S_SCALE, AGESEX_RR | ECG_FUSION_PWAVE | ECG_FUSION_AE);
}
static int build_lstm(ecg_graph *g, const ecg_model_cfg *c) { return ecg_lstm_classifier(g, c, 0); }
static int build_bilstm(ecg_graph *g, const ecg_model_cfg *c) { return ecg_lstm_classifier(g, c, 1); }
static int build_crnn(ecg_graph *g, const ecg_model_cfg *c) { return ecg_crnn_classifier(g, c, 0); }
static int build_bicrnn(ecg_graph *g, const ecg_model_cfg *c) { return ecg_crnn_classifier(g, c, 1); }

#define CLS ECG_OBJECTIVE_CLASSIFY, NULL, NULL /* a classifier with no trained part of another model */
static const ecg_model_def models[] = {
    {"efficientecg-b0", "EfficientNet-B0 stage table in 1D (MBConv + SE, taps 9/25)", build_b0, CLS},
    {"efficientecg-s", "EfficientECG at width 0.5, depth 0.5, head 640 (embedded targets)", build_s, CLS},
    {"efficientecg-fusion", "efficientecg-s + cross-attention over age, sex and RR tokens", build_fusion, CLS},
    {"efficientecg-fusion-b0", "efficientecg-b0 + cross-attention over age, sex and RR tokens", build_fusion_b0, CLS},
    {"efficientecg-fusion-none", "fusion ablation: class token only (backbone, no patient features)",
     build_fusion_none, CLS},
    {"efficientecg-fusion-agesex", "fusion ablation: + age and sex tokens", build_fusion_agesex, CLS},
    {"efficientecg-fusion-rr", "fusion ablation: + RR token", build_fusion_rr, CLS},
    {"efficientecg-fusion-rhythm", "fusion ablation: + RR token and a token of the rhythm's irregularity around the beat",
     build_fusion_rhythm, CLS},
    {"efficientecg-fusion-pwave", "fusion ablation: + P-wave token (presence, amplitude, width, PR)", build_fusion_pwave,
     CLS},
    {"efficientecg-fusion-ae", "fusion ablation: + a token of lstm-ae's 16-value code of the beat (its encoder frozen)",
     build_fusion_ae, ECG_OBJECTIVE_CLASSIFY, ECG_FUSION_AE_PREFIX, "lstm-ae"},
    {"efficientecg-fusion-all",
     "fusion ablation: every input that helped on DS1 validation (age, sex, RR, P wave, lstm-ae's code; both leads "
     "on mitdb-aami-2lead)",
     build_fusion_all, ECG_OBJECTIVE_CLASSIFY, ECG_FUSION_AE_PREFIX, "lstm-ae"},
    {"resnet1d", "Wang et al. 2017 time-series ResNet (64/128/128, kernels 8-5-3)", ecg_resnet1d, CLS},
    {"resnet1d-18", "basic-block ResNet-18 in 1D (k15 stem, k7 blocks)", ecg_resnet1d18, CLS},
    {"lstm", "2-layer LSTM, hidden 128, last state -> linear", build_lstm, CLS},
    {"bilstm", "2-layer bidirectional LSTM, hidden 128, last states -> linear", build_bilstm, CLS},
    {"crnn", "4 conv blocks (k7, pools 4-4-2-2: 64x shorter) -> lstm's 2-layer LSTM -> linear", build_crnn, CLS},
    {"bicrnn", "4 conv blocks (k7, pools 4-4-2-2: 64x shorter) -> bilstm's 2-layer BiLSTM -> linear", build_bicrnn,
     CLS},
    {"lstm-ae", "LSTM autoencoder: encoder LSTM(64) -> 16-value code -> decoder LSTM(64) -> the beat window",
     ecg_lstm_autoencoder, ECG_OBJECTIVE_RECONSTRUCT, NULL, NULL},
};
#undef CLS
#define N_MODELS (int)(sizeof models / sizeof models[0])

ecg_model_cfg ecg_model_cfg_default(int length, int channels, int classes) {
    return (ecg_model_cfg){length, channels, classes, -1.0f, -1.0f, 0, 0, NULL, 0.0f};
}

const ecg_model_def *ecg_model_at(int i) { return i >= 0 && i < N_MODELS ? &models[i] : NULL; }

const char *ecg_objective_name(ecg_objective o) {
    return o == ECG_OBJECTIVE_RECONSTRUCT ? "reconstruction" : "classification";
}

const char *ecg_objective_output(ecg_objective o) {
    return o == ECG_OBJECTIVE_RECONSTRUCT ? "reconstruction" : "logits";
}

ecg_objective ecg_model_objective(const char *name) {
    const ecg_model_def *m = name ? ecg_model_find(name) : NULL;
    return m ? m->objective : ECG_OBJECTIVE_CLASSIFY;
}

const ecg_model_def *ecg_model_find(const char *name) {
    for (int i = 0; i < N_MODELS; i++)
        if (!strcmp(models[i].name, name)) return &models[i];
    return NULL;
}

int ecg_model_build(const char *name, const ecg_model_cfg *cfg, ecg_graph *g, char *err, size_t errlen) {
    const ecg_model_def *m = ecg_model_find(name);
    if (!m) {
        int n = snprintf(err, errlen, "unknown model '%s'; known:", name);
        for (int i = 0; i < N_MODELS && n >= 0 && (size_t)n < errlen; i++)
            n += snprintf(err + n, errlen - (size_t)n, " %s", models[i].name);
        return -1;
    }
    if (cfg->length < 1 || cfg->channels < 1 || cfg->classes < 2) {
        snprintf(err, errlen, "%s: input [%d, %d] with %d classes is not a classification problem", name, cfg->length,
                 cfg->channels, cfg->classes);
        return -1;
    }
    ecg_graph_init(g, cfg->seed);
    int out = m->build(g, cfg);
    if (out < 0 || g->err[0]) {
        snprintf(err, errlen, "%s: %s", name, g->err[0] ? g->err : "build failed");
        ecg_graph_free(g);
        return -1;
    }
    int has_ecg_drop = 0; /* a model that takes no ECG drop must not ignore one silently */
    for (int i = 0; cfg->ecg_drop > 0 && i < g->n_nodes; i++)
        has_ecg_drop |= !strcmp(g->nodes[i].name, ECG_FUSION_ECG_DROP);
    if (cfg->ecg_drop > 0 && !has_ecg_drop) {
        snprintf(err, errlen, "%s has no ECG tokens to drop (--ecg-drop; the efficientecg-fusion models have)", name);
        ecg_graph_free(g);
        return -1;
    }
    if (m->part_prefix && ecg_graph_freeze(g, m->part_prefix) == 0) {
        snprintf(err, errlen, "%s: no parameters under '%s' to hold %s's trained part", name, m->part_prefix,
                 m->part_model);
        ecg_graph_free(g);
        return -1;
    }
    ecg_graph_set_output(g, out);
    return 0;
}
