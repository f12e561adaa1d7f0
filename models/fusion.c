/* EfficientECG-Fusion (docs/model-zoo.md): patient features query the ECG through cross-attention.
 *
 * Module tree (PyTorch names): the EfficientECG backbone (stem, blocks, head: as efficientecg.c);
 * fusion.ecg_proj (Linear head -> 128) giving the ECG tokens (keys and values);
 * fusion.cls_token [1, 1, 128]; fusion.age_proj (Linear 2 -> 128 on age/100 and its unknown flag);
 * fusion.sex_proj (Linear 2 -> 128 on male and unknown: the three states female / male / unknown
 * get three learned vectors, an embedding of {female, male, unknown} written as a Linear);
 * fusion.rr_proj (Linear 5 -> 128 on the RR intervals relative to the patient's rhythm);
 * fusion.p_proj (Linear 4 -> 128 on the P wave before the beat: present, amplitude, width, PR);
 * fusion.rhythm_proj (Linear 1 -> 128 on how irregular the rhythm around the beat is);
 * ae (lstm-ae's encoder: ae.encoder LSTM, ae.code Linear, models/lstm_ae.c; frozen, from a trained
 * lstm-ae run) and fusion.ae_proj (Linear 16 -> 128 on its code);
 * fusion.self_attn (MultiheadAttention 128, 4 heads, batch_first, over the queries = class token +
 * feature tokens), fusion.norm0 (LayerNorm on queries + self_attn); fusion.attn (the same kind of
 * attention, the queries over the ECG tokens); fusion.norm1, fusion.mlp.0 (128 -> 256),
 * SiLU, fusion.mlp.2 (256 -> 128), fusion.norm2 (LayerNorm); classifier (Linear 256 -> classes) on
 * concat(mean of the ECG tokens, class token out), after dropout. With cfg->ecg_drop, the ECG
 * tokens pass a modality dropout (ECG_FUSION_ECG_DROP, no parameters) before the attention. */
#include <stdio.h>
#include <string.h>

#include "models/baselines.h"
#include "models/models.h"

#define D_MODEL 128
#define HEADS 4
/* The RR token sees only RR intervals relative to the patient's own rhythm (to the record mean and
 * to the local mean of the neighbouring beats): prematurity is what tells an S beat from an N beat,
 * and absolute intervals in seconds mostly tell patients apart, which does not carry to new
 * patients (inter-patient evaluation). */
static const char *const rr_features[] = {"rr_pre_norm", "rr_post_norm", "rr_local_norm", "rr_pre_local",
                                          "rr_post_local"};
static const char *const age_features[] = {"age", "age_unknown"};
static const char *const sex_features[] = {"sex_male", "sex_unknown"};
/* The P wave (datasets/fiducials.c): its absence is what tells many S beats (and AF) apart; a beat
 * without one has p_present 0 and zeros elsewhere, so the token sees "none" rather than a guess. */
static const char *const p_features[] = {"p_present", "p_amp_mv", "p_width_s", "p_pr_s"};
/* How irregular the rhythm around the beat is, the beat's own intervals left out
 * (ecg_rr_irregularity): in atrial fibrillation every beat looks premature to the RR token, and
 * this says when prematurity means nothing. */
static const char *const rhythm_features[] = {"rr_irregularity"};
#define N_RR ((int)(sizeof rr_features / sizeof rr_features[0]))
#define N_P ((int)(sizeof p_features / sizeof p_features[0]))

/* Column of a named feature, or -1. */
static int feature_col(const ecg_model_cfg *c, const char *name) {
    for (int i = 0; c->feature_names && i < c->n_features; i++)
        if (!strcmp(c->feature_names[i], name)) return i;
    return -1;
}

/* A token from the named feature columns, which must sit side by side in the task's features in
 * this order: slice -> Linear -> [1, 128]. */
static int feature_token(ecg_graph *g, int features, const ecg_model_cfg *c, const char *const *names, int width,
                         const char *proj) {
    if (g->err[0]) return -1;
    int col = feature_col(c, names[0]);
    for (int i = 0; i < width; i++)
        if (col < 0 || feature_col(c, names[i]) != col + i)
            return ecg_graph_fail(g, "the fusion model needs the feature '%s' (at column %d); this task's features do "
                                  "not have it there", names[i], col < 0 ? i : col + i);
    char slice[ECG_NAME_LEN];
    snprintf(slice, sizeof slice, "%s.in", proj);
    return ecg_linear(g, proj, ecg_slice(g, slice, features, 1, col, width), D_MODEL, 1);
}

int ecg_efficientecg_fusion(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s, unsigned tokens) {
    float dropout = cfg->dropout >= 0 ? cfg->dropout : 0.2f;
    int x = ecg_input(g, "ecg", ecg_shape2(cfg->length, cfg->channels));
    int n_features = cfg->n_features > 0 ? cfg->n_features : 1; /* the AE token reads the ECG alone */
    int features = tokens & ~(unsigned)ECG_FUSION_AE ? ecg_input(g, "features", ecg_shape2(1, n_features)) : -1;
    int kv = ecg_linear(g, "fusion.ecg_proj", ecg_efficientecg_backbone(g, cfg, s, x), D_MODEL, 1);
    /* Modality dropout: an example without its ECG tokens can only be told by its patient
     * features, so they must carry the class on their own rather than ride on the beat's shape. */
    if (cfg->ecg_drop > 0) kv = ecg_modality_drop(g, ECG_FUSION_ECG_DROP, kv, cfg->ecg_drop);

    int q[8], nq = 0;
    q[nq++] = ecg_tokens(g, "fusion.cls_token", 1, D_MODEL);
    if (tokens & ECG_FUSION_AGESEX) {
        q[nq++] = feature_token(g, features, cfg, age_features, 2, "fusion.age_proj");
        q[nq++] = feature_token(g, features, cfg, sex_features, 2, "fusion.sex_proj");
    }
    if (tokens & ECG_FUSION_RR) q[nq++] = feature_token(g, features, cfg, rr_features, N_RR, "fusion.rr_proj");
    if (tokens & ECG_FUSION_RHYTHM) q[nq++] = feature_token(g, features, cfg, rhythm_features, 1, "fusion.rhythm_proj");
    if (tokens & ECG_FUSION_PWAVE) q[nq++] = feature_token(g, features, cfg, p_features, N_P, "fusion.p_proj");
    if (tokens & ECG_FUSION_AE) { /* the beat's shape as the autoencoder learned to summarise it */
        int code = ecg_lstm_ae_encoder(g, cfg, ECG_FUSION_AE_PREFIX, x);
        q[nq++] = ecg_linear(g, "fusion.ae_proj", ecg_reshape(g, "fusion.ae_row", code, ecg_shape2(1, ECG_AE_CODE)), D_MODEL,
                             1);
    }
    int queries = nq > 1 ? ecg_concat(g, "fusion.queries", q, nq, 0) : q[0];
    /* The queries first attend to each other, so the class token (the one the classifier reads)
     * carries the patient features; without this step the feature tokens' outputs would be
     * computed and thrown away, and the features could never change a prediction. */
    int sa = ecg_mha(g, "fusion.self_attn", queries, queries, HEADS);
    queries = ecg_layernorm(g, "fusion.norm0", ecg_binary(g, ECG_OP_ADD, "fusion.res0", queries, sa), 1e-5f);

    int a = ecg_mha(g, "fusion.attn", queries, kv, HEADS);
    int h = ecg_layernorm(g, "fusion.norm1", ecg_binary(g, ECG_OP_ADD, "fusion.res1", queries, a), 1e-5f);
    int m = ecg_unary(g, ECG_OP_SILU, "fusion.mlp.1", ecg_linear(g, "fusion.mlp.0", h, 2 * D_MODEL, 1));
    m = ecg_linear(g, "fusion.mlp.2", m, D_MODEL, 1);
    h = ecg_layernorm(g, "fusion.norm2", ecg_binary(g, ECG_OP_ADD, "fusion.res2", h, m), 1e-5f);

    int cls = ecg_gap(g, "fusion.cls_out", ecg_slice(g, "fusion.cls_row", h, 0, 0, 1)); /* [1, 128] -> [128] */
    int pooled[2] = {ecg_gap(g, "fusion.ecg_pool", kv), cls};
    int z = ecg_concat(g, "fusion.readout", pooled, 2, 0);
    if (dropout > 0) z = ecg_dropout(g, "dropout", z, dropout);
    return ecg_linear(g, "classifier", z, cfg->classes, 1);
}
