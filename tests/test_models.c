/* Model registry: every model builds, counts its parameters as PyTorch would, and runs the same
 * on the XNNPACK executor as on the reference executor. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/baselines.h"
#include "datasets/datasets.h"
#include "harness.h"
#include "models/models.h"
#include "ops/rng.h"

/* torchvision's efficientnet_b0 (3 input channels, 1000 classes) has 5,288,548 parameters; the
 * 1D port keeps every tap count (3x3 -> 9), so with the same input channels and classes it must
 * have exactly as many. */
static void test_b0_matches_torchvision_count(void) {
    ecg_graph g;
    char err[512];
    ecg_model_cfg c = ecg_model_cfg_default(224, 3, 1000);
    if (ecg_model_build("efficientecg-b0", &c, &g, err, sizeof err)) {
        CHECK(0, "%s", err);
        return;
    }
    CHECK(ecg_graph_param_count(&g) == 5288548, "efficientecg-b0 params %lld, torchvision b0 5288548",
          (long long)ecg_graph_param_count(&g));
    ecg_graph_free(&g);
}

/* Hand counts for 1 lead and 5 classes; conv weights cin*cout*k, BN 2*c.
 * resnet1d (Wang):
 *   block 0 (1 -> 64):    1*64*8 + 64*64*5 + 64*64*3 + 1*64 (1x1)       + 4 BN of 64   = 33856
 *   block 1 (64 -> 128):  64*128*8 + 128*128*5 + 128*128*3 + 64*128      + 4 BN of 128  = 205824
 *   block 2 (128 -> 128): 128*128*8 + 128*128*5 + 128*128*3 (BN shortcut) + 4 BN of 128 = 263168
 *   fc: 128*5 + 5 = 645
 * lstm: 12-sample frames (no params), nn.LSTM(12, 128, 2):
 *   4*128*(12+128) + 8*128 + 4*128*(128+128) + 8*128 = 204800; fc 645.
 * bilstm: 2 * (4*128*(12+128) + 8*128) + 2 * (4*128*(256+128) + 8*128) = 540672; fc 256*5+5. */
static void test_baseline_counts(void) {
    const struct {
        const char *name;
        long long params;
    } want[] = {{"resnet1d", 33856 + 205824 + 263168 + 645}, {"lstm", 204800 + 645}, {"bilstm", 540672 + 1285}};
    ecg_model_cfg c = ecg_model_cfg_default(252, 1, 5);
    char err[512];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ecg_graph g;
        if (ecg_model_build(want[i].name, &c, &g, err, sizeof err)) {
            CHECK(0, "%s", err);
            continue;
        }
        CHECK(ecg_graph_param_count(&g) == want[i].params, "%s params %lld want %lld", want[i].name,
              (long long)ecg_graph_param_count(&g), want[i].params);
        ecg_graph_free(&g);
    }
}

/* Gives BN layers non-trivial statistics so that folding is exercised. */
static void randomize_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        const char *leaf = strrchr(p->name, '.');
        int is_var = leaf && !strcmp(leaf, ".running_var"), is_mean = leaf && !strcmp(leaf, ".running_mean");
        for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++) {
            if (is_var) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else if (is_mean) p->data[j] = 0.2f * ecg_rng_normal(&r);
        }
    }
}

/* Every registry model: builds for a beat window and a short rhythm crop, outputs [classes] (an
 * autoencoder: its input's shape),
 * and the XNNPACK plan equals the reference executor. */
static void test_every_model_runs_on_both_executors(void) {
    const int lengths[2] = {252, 600};
    for (int i = 0; ecg_model_at(i); i++) {
        const ecg_model_def *m = ecg_model_at(i);
        for (int l = 0; l < 2; l++) {
            ecg_model_cfg c = ecg_model_cfg_default(lengths[l], 1, l ? 4 : 5);
            c.seed = 11;
            c.n_features = ECG_MITDB_N_FEATURES; /* the fusion models read them; the others ignore them */
            c.feature_names = ecg_mitdb_feature_names;
            ecg_graph g;
            char err[512];
            if (ecg_model_build(m->name, &c, &g, err, sizeof err)) {
                CHECK(0, "%s", err);
                continue;
            }
            const ecg_shape *out = &g.values[g.output].shape;
            ecg_shape want =
                m->objective == ECG_OBJECTIVE_RECONSTRUCT ? ecg_shape2(lengths[l], 1) : ecg_shape1(c.classes);
            char s[64];
            CHECK(ecg_shape_eq(out, &want), "%s: output %s", m->name, ecg_shape_str(out, s, sizeof s));
            randomize_bn(&g, 5);
            char label[96];
            snprintf(label, sizeof label, "%s T=%d", m->name, lengths[l]);
            xnn_check(label, &g, 2, 2, 0, 1e-4, 9);
            ecg_graph_free(&g);
        }
    }
}

/* efficientecg-fusion for 1 lead, 5 classes, mitdb-aami's 17 features, counted by hand:
 *   efficientecg-s without its classifier: 660037 - (640*5 + 5)            = 656832
 *   fusion.ecg_proj 640*128+128 = 82048; cls_token 128; age_proj and sex_proj 2*128+128 = 384 each;
 *   rr_proj 5*128+128 = 768; self_attn and attn 4*128^2 + 4*128 = 66048 each; norm0, norm1, norm2 256 each;
 *   mlp.0 128*256+256 = 33024; mlp.2 256*128+128 = 32896; classifier 256*5+5 = 1285  -> 940613.
 * Without features (ablation "none") the three projections go: 940613 - 384 - 384 - 768; the P-wave
 * ablation has the backbone's plus p_proj, 4*128+128 = 640; the autoencoder's, ae_proj 16*128+128 = 2176
 * and lstm-ae's encoder (LSTM(12, 64) 19968 + code Linear(64, 16) 1040 = 21008), and no features input;
 * "all" has every token but the rhythm token; fusion-rhythm is rr plus rhythm_proj, 1*128+128 = 256. */
static void test_fusion_counts_and_feature_errors(void) {
    ecg_model_cfg c = ecg_model_cfg_default(252, 1, 5);
    c.n_features = ECG_MITDB_N_FEATURES;
    c.feature_names = ecg_mitdb_feature_names;
    const struct {
        const char *name;
        long long params;
        int inputs;
    } want[] = {{"efficientecg-fusion", 940613, 2},
                {"efficientecg-fusion-none", 940613 - 384 - 384 - 768, 1},
                {"efficientecg-fusion-pwave", 940613 - 384 - 384 - 768 + 640, 2},
                {"efficientecg-fusion-ae", 940613 - 384 - 384 - 768 + 2176 + 21008, 1},
                {"efficientecg-fusion-all", 940613 + 640 + 2176 + 21008, 2},
                {"efficientecg-fusion-rhythm", 940613 - 384 - 384 - 768 + 768 + 256, 2}};
    char err[512];
    for (int i = 0; i < (int)(sizeof want / sizeof *want); i++) {
        ecg_graph g;
        if (ecg_model_build(want[i].name, &c, &g, err, sizeof err)) {
            CHECK(0, "%s", err);
            continue;
        }
        CHECK(ecg_graph_param_count(&g) == want[i].params && g.n_inputs == want[i].inputs, "%s: %lld params, %d inputs",
              want[i].name, (long long)ecg_graph_param_count(&g), g.n_inputs);
        CHECK(ecg_param_find(&g, "fusion.cls_token") >= 0 &&
                  g.params[ecg_param_find(&g, "fusion.cls_token")].shape.rank == 3,
              "cls_token is not [1, 1, 128]");
        ecg_graph_free(&g);
    }
    /* a task without the RR features (cinc2017 has none) is refused with the missing name */
    c.n_features = 0;
    c.feature_names = NULL;
    ecg_graph g;
    CHECK(ecg_model_build("efficientecg-fusion-rr", &c, &g, err, sizeof err) == -1 && strstr(err, "rr_pre_norm"),
          "missing features: %s", err);
}

/* Every patient feature a fusion model takes must be able to change its prediction (an earlier
 * version read out only the class token, which never saw the feature tokens). Two examples with
 * the same ECG and different values of one feature group give different logits. */
static void test_fusion_features_reach_the_output(void) {
    ecg_model_cfg c = ecg_model_cfg_default(252, 1, 5);
    c.n_features = ECG_MITDB_N_FEATURES;
    c.feature_names = ecg_mitdb_feature_names;
    const struct {
        const char *model, *feature;
    } cases[] = {{"efficientecg-fusion-rr", "rr_pre_local"}, {"efficientecg-fusion-agesex", "age"},
                 {"efficientecg-fusion-agesex", "sex_male"}, {"efficientecg-fusion", "rr_post_norm"},
                 {"efficientecg-fusion-pwave", "p_present"}, {"efficientecg-fusion-pwave", "p_pr_s"},
                 {"efficientecg-fusion-rhythm", "rr_irregularity"}};
    char err[512];
    for (int k = 0; k < (int)(sizeof cases / sizeof *cases); k++) {
        ecg_graph g;
        if (ecg_model_build(cases[k].model, &c, &g, err, sizeof err)) {
            CHECK(0, "%s", err);
            continue;
        }
        ecg_ref *r = ecg_ref_create(&g, 2, err, sizeof err);
        CHECK(r != NULL, "%s", err);
        float x[2 * 252], f[2 * ECG_MITDB_N_FEATURES];
        for (int i = 0; i < 252; i++) x[i] = x[252 + i] = sinf(0.1f * (float)i);
        for (int i = 0; i < ECG_MITDB_N_FEATURES; i++) f[i] = f[ECG_MITDB_N_FEATURES + i] = 1.0f;
        int col = 0;
        while (strcmp(ecg_mitdb_feature_names[col], cases[k].feature)) col++;
        f[ECG_MITDB_N_FEATURES + col] = 0.5f;
        const float *in[2] = {x, f};
        if (r && ecg_ref_forward(r, in, 0, 1) == 0) {
            const float *y = ecg_ref_output(r);
            double diff = 0;
            for (int i = 0; i < 5; i++) diff = fmax(diff, fabs(y[i] - y[5 + i]));
            CHECK(diff > 1e-4, "%s: changing %s moved the logits by only %g", cases[k].model, cases[k].feature, diff);
        }
        ecg_ref_free(r);
        ecg_graph_free(&g);
    }
}

/* How many of a batch's examples give the same logits for two ECGs (training mode, same seed). */
static int same_logits_for_other_ecg(float ecg_drop, int *batch_out) {
    enum { B = 16, T = 252, K = 5 };
    ecg_model_cfg c = ecg_model_cfg_default(T, 1, K);
    c.n_features = ECG_MITDB_N_FEATURES;
    c.feature_names = ecg_mitdb_feature_names;
    c.ecg_drop = ecg_drop;
    ecg_graph g;
    char err[512];
    *batch_out = B;
    if (ecg_model_build("efficientecg-fusion-rr", &c, &g, err, sizeof err)) {
        CHECK(0, "%s", err);
        return -1;
    }
    CHECK(ecg_graph_param_count(&g) == 940613 - 384 - 384, "the ECG drop added parameters");
    ecg_ref *r = ecg_ref_create(&g, B, err, sizeof err);
    CHECK(r != NULL, "%s", err);
    static float x[2][B * T], f[B * ECG_MITDB_N_FEATURES], y[2][B * K];
    ecg_rng rng = {905};
    for (int i = 0; i < B * T; i++) x[0][i] = sinf(0.1f * (float)(i % T)) + 0.3f * (float)ecg_rng_normal(&rng);
    for (int i = 0; i < B * T; i++) x[1][i] = 2.0f * x[0][i] + 0.5f;
    for (int i = 0; i < B * ECG_MITDB_N_FEATURES; i++) f[i] = (float)ecg_rng_normal(&rng);
    int same = 0;
    for (int v = 0; r && v < 2; v++) {
        const float *in[2] = {x[v], f};
        CHECK(ecg_ref_forward(r, in, 1, 42) == 0, "forward");
        memcpy(y[v], ecg_ref_output(r), sizeof y[v]);
    }
    for (int b = 0; r && b < B; b++) same += !memcmp(y[0] + b * K, y[1] + b * K, K * sizeof(float));
    ecg_ref_free(r);
    ecg_graph_free(&g);
    return same;
}

/* --ecg-drop (modality dropout): in training, the examples whose ECG tokens were dropped give the
 * same logits whatever their ECG, the others do not (16 examples at p 0.5: both kinds, but for a
 * 2^-15 chance); without it every example's logits follow its ECG. (Training mode throughout: at
 * initialisation, inference's BN running statistics let the signal fade through the backbone.
 * The node is the identity at inference: tests/test_ops_dropout.c.) */
static void test_fusion_ecg_drop(void) {
    int batch, same = same_logits_for_other_ecg(0.5f, &batch);
    CHECK(same > 0 && same < batch, "ECG drop 0.5 in training: %d of %d examples ignored their ECG", same, batch);
    CHECK(same_logits_for_other_ecg(0.0f, &batch) == 0, "without an ECG drop some example ignored its ECG");
}

static void test_registry_errors(void) {
    ecg_graph g;
    char err[512];
    ecg_model_cfg c = ecg_model_cfg_default(252, 1, 5);
    CHECK(ecg_model_build("efficientnet", &c, &g, err, sizeof err) == -1 && strstr(err, "unknown model") &&
              strstr(err, "efficientecg-b0") && strstr(err, "bilstm"),
          "unknown model: %s", err);
    c.classes = 1;
    CHECK(ecg_model_build("resnet1d", &c, &g, err, sizeof err) == -1 && strstr(err, "classes"), "1 class: %s", err);
    c = ecg_model_cfg_default(0, 1, 5);
    CHECK(ecg_model_build("resnet1d-18", &c, &g, err, sizeof err) == -1 && strstr(err, "resnet1d-18"),
          "length 0: %s", err);
    c = ecg_model_cfg_default(250, 1, 5);
    CHECK(ecg_model_build("bilstm", &c, &g, err, sizeof err) == -1 && strstr(err, "250") &&
              strstr(err, "12-sample frame"),
          "lstm length 250: %s", err);
}

/* EfficientNet's rounding: multiples of 8, never below 90% of the scaled width. */
static void test_effnet_rounding(void) {
    CHECK(ecg_effnet_round_channels(32, 1.0) == 32 && ecg_effnet_round_channels(16, 0.5) == 8 &&
              ecg_effnet_round_channels(40, 0.5) == 24 && ecg_effnet_round_channels(112, 0.5) == 56 &&
              ecg_effnet_round_channels(24, 0.5) == 16,
          "rounding");
    CHECK(ecg_effnet_round_repeats(3, 0.5) == 2 && ecg_effnet_round_repeats(1, 0.5) == 1, "repeats");
}

int main(void) {
    RUN(test_b0_matches_torchvision_count);
    RUN(test_baseline_counts);
    RUN(test_every_model_runs_on_both_executors);
    RUN(test_fusion_counts_and_feature_errors);
    RUN(test_fusion_features_reach_the_output);
    RUN(test_fusion_ecg_drop);
    RUN(test_registry_errors);
    RUN(test_effnet_rounding);
    return test_done();
}
