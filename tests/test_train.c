/* Training: AdamW against hand-computed updates, the schedule's shape, and every registry model
 * learning a fixed synthetic batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"
#include "train/train.h"

/* Linear(1 -> 1): weight 0.5, bias 0.3; lr 0.1, weight decay 0.01, betas (0.9, 0.999), eps 1e-8.
 * Step 1, grads (0.2, -0.4): m = 0.1 g, v = 0.001 g^2, bias-corrected m/sqrt(v) = sign(g), so
 *   weight: 0.5 * (1 - 0.1 * 0.01) - 0.1 * 0.2 / (0.2 + 1e-8) = 0.3995000050
 *   bias (no decay): 0.3 + 0.1 = 0.3999999975.
 * Step 2, grads (-0.1, 0.05):
 *   weight: m = 0.9*0.02 + 0.1*(-0.1) = 0.008, v = 0.999*4e-5 + 0.001*0.01 = 4.996e-5,
 *           m^ = 0.008/0.19 = 0.0421053, v^ = 4.996e-5/0.001999 = 0.0249925, sqrt 0.158090,
 *           0.3995*(1 - 0.001) - 0.1*0.0421053/0.158090 = 0.3724668;
 *   bias:   m = 0.9*(-0.04) + 0.1*0.05 = -0.031, v = 0.999*1.6e-4 + 0.001*0.0025 = 1.6234e-4,
 *           m^ = -0.163158, v^ = 0.0812106, sqrt 0.284975, 0.4 + 0.1*0.572534 = 0.4572535. */
static void test_adamw_hand_computed(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(1)), 1, 1));
    ecg_graph_alloc_grads(&g);
    ecg_param *w = &g.params[0], *b = &g.params[1];
    w->data[0] = 0.5f;
    b->data[0] = 0.3f;
    ecg_adamw o;
    ecg_adamw_cfg c = ecg_adamw_defaults();
    CHECK(c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-8f && c.weight_decay == 0.01f, "defaults");
    CHECK(ecg_adamw_init(&o, &g, c) == 0, "init");
    w->grad[0] = 0.2f;
    b->grad[0] = -0.4f;
    ecg_adamw_step(&o, 0.1f);
    CHECK(fabs(w->data[0] - 0.3995000050) < 1e-6 && fabs(b->data[0] - 0.3999999975) < 1e-6, "step 1: %.9f %.9f",
          (double)w->data[0], (double)b->data[0]);
    w->grad[0] = -0.1f;
    b->grad[0] = 0.05f;
    ecg_adamw_step(&o, 0.1f);
    CHECK(fabs(w->data[0] - 0.3724668) < 1e-6 && fabs(b->data[0] - 0.4572535) < 1e-6, "step 2: %.9f %.9f",
          (double)w->data[0], (double)b->data[0]);
    ecg_adamw_free(&o);
    ecg_graph_free(&g);
}

static void test_cosine_schedule(void) {
    /* warm-up 10 to base 1e-3, cosine to 1e-5 at step 110 */
    CHECK(fabs(ecg_lr_cosine(0, 10, 110, 1e-3, 1e-5) - 1e-4) < 1e-12, "first warm-up step");
    CHECK(fabs(ecg_lr_cosine(9, 10, 110, 1e-3, 1e-5) - 1e-3) < 1e-12, "end of warm-up");
    CHECK(fabs(ecg_lr_cosine(60, 10, 110, 1e-3, 1e-5) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12, "half way");
    CHECK(fabs(ecg_lr_cosine(110, 10, 110, 1e-3, 1e-5) - 1e-5) < 1e-12, "end");
    double prev = 1;
    for (long s = 10; s <= 110; s++) {
        double lr = ecg_lr_cosine(s, 10, 110, 1e-3, 1e-5);
        CHECK(lr <= prev + 1e-15, "not monotone after warm-up at %ld", s);
        prev = lr;
    }
}

/* Every registry classifier fits a fixed batch of 4 random windows with random labels: the mean
 * loss of the last 5 of 50 steps is below half the first loss. (ecg_train_step is the
 * cross-entropy step; the autoencoders learn through ecg_train in tests/test_lstm_ae.c.) */
static void test_every_model_learns_a_batch(void) {
    enum { BATCH = 4, LENGTH = 36, CLASSES = 4, STEPS = 50 }; /* 3 LSTM frames */
    for (int i = 0; ecg_model_at(i); i++) {
        const char *name = ecg_model_at(i)->name;
        if (ecg_model_at(i)->objective != ECG_OBJECTIVE_CLASSIFY) continue;
        ecg_model_cfg cfg = ecg_model_cfg_default(LENGTH, 1, CLASSES);
        cfg.seed = 3;
        cfg.n_features = ECG_MITDB_N_FEATURES; /* read by the fusion models only */
        cfg.feature_names = ecg_mitdb_feature_names;
        ecg_graph g;
        char err[512];
        if (ecg_model_build(name, &cfg, &g, err, sizeof err)) {
            CHECK(0, "%s", err);
            continue;
        }
        ecg_graph_alloc_grads(&g);
        ecg_ref *r = ecg_ref_create(&g, BATCH, err, sizeof err);
        ecg_adamw o;
        CHECK(r && ecg_adamw_init(&o, &g, ecg_adamw_defaults()) == 0, "%s: %s", name, err);
        ecg_rng rng = {17};
        float x[BATCH * LENGTH], f[BATCH * ECG_MITDB_N_FEATURES], dlogits[BATCH * CLASSES];
        int labels[BATCH];
        fill_normal(x, BATCH * LENGTH, &rng, 1.0f);
        fill_normal(f, BATCH * ECG_MITDB_N_FEATURES, &rng, 1.0f);
        for (int b = 0; b < BATCH; b++) labels[b] = b % CLASSES;
        const float *inputs[2] = {x, f};
        double first = NAN, last5 = 0;
        for (int s = 0; r && s < STEPS; s++) {
            float lr = (float)ecg_lr_cosine(s, 5, STEPS, 3e-3, 1e-4);
            double loss = ecg_train_step(r, &o, inputs, labels, NULL, BATCH, lr, (uint64_t)s, dlogits);
            CHECK(isfinite(loss), "%s: loss %g at step %d", name, loss, s);
            if (s == 0) first = loss;
            if (s >= STEPS - 5) last5 += loss / 5;
        }
        CHECK(last5 < 0.5 * first, "%s: loss %.4f -> %.4f", name, first, last5);
        printf("    %-16s loss %.4f -> %.4f\n", name, first, last5);
        ecg_adamw_free(&o);
        ecg_ref_free(r);
        ecg_graph_free(&g);
    }
}

/* Confusion [[5,1,0],[2,3,1],[0,0,4]] (rows true), worked by hand:
 *   class 0: Se 5/6, PPV 5/7, Sp (16-6-7+5)/10 = 0.8,  F1 2*5/(6+7) = 10/13
 *   class 1: Se 3/6, PPV 3/4, Sp (16-6-4+3)/10 = 0.9,  F1 2*3/(6+4) = 0.6
 *   class 2: Se 4/4, PPV 4/5, Sp (16-4-5+4)/12 = 11/12, F1 2*4/(4+5) = 8/9
 *   accuracy 12/16, macro-F1 (10/13 + 0.6 + 8/9)/3. */
static void test_metrics_hand_worked(void) {
    static const int conf[3][3] = {{5, 1, 0}, {2, 3, 1}, {0, 0, 4}};
    ecg_metrics m;
    ecg_metrics_init(&m, 3);
    for (int t = 0; t < 3; t++)
        for (int p = 0; p < 3; p++)
            for (int k = 0; k < conf[t][p]; k++) ecg_metrics_add(&m, t, p);
    CHECK(ecg_metrics_add(&m, 3, 0) == -1 && ecg_metrics_add(&m, 0, -1) == -1 && m.n == 16, "bad labels counted");
    ecg_metrics_finish(&m);
    const double se[3] = {5.0 / 6, 0.5, 1.0}, ppv[3] = {5.0 / 7, 0.75, 0.8}, sp[3] = {0.8, 0.9, 11.0 / 12},
                 f1[3] = {10.0 / 13, 0.6, 8.0 / 9};
    for (int c = 0; c < 3; c++)
        CHECK(fabs(m.sensitivity[c] - se[c]) < 1e-12 && fabs(m.ppv[c] - ppv[c]) < 1e-12 &&
                  fabs(m.specificity[c] - sp[c]) < 1e-12 && fabs(m.f1[c] - f1[c]) < 1e-12,
              "class %d: %g %g %g %g", c, m.sensitivity[c], m.ppv[c], m.specificity[c], m.f1[c]);
    CHECK(fabs(m.accuracy - 0.75) < 1e-12, "accuracy %g", m.accuracy);
    CHECK(fabs(m.macro_f1 - (10.0 / 13 + 0.6 + 8.0 / 9) / 3) < 1e-12, "macro-F1 %g", m.macro_f1);

    /* a class never predicted: PPV undefined, F1 0; a class absent from the truth: left out of macro-F1 */
    ecg_metrics_init(&m, 3);
    ecg_metrics_add(&m, 0, 0);
    ecg_metrics_add(&m, 1, 0);
    ecg_metrics_finish(&m);
    CHECK(isnan(m.ppv[1]) && m.f1[1] == 0 && isnan(m.sensitivity[2]), "undefined cases");
    CHECK(fabs(m.macro_f1 - (2.0 * 1 * 0.5 / 1.5 + 0) / 2) < 1e-12, "macro-F1 over present classes %g", m.macro_f1);
    const float logits[4] = {NAN, 1, 3, 3};
    CHECK(ecg_argmax(logits, 4) == 2, "argmax");
}

/* The evaluation batch shrinks only where the executor's planned buffers would pass 2 GiB: a chain
 * of four relus on 2^24 floats (64 MiB) per example needs three such buffers (the input, kept for
 * re-runs, and two consecutive relus: 10 examples fit, where the five values' sum would allow 6);
 * a small graph keeps what was asked. */
static void test_eval_batch_cap(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2((int64_t)1 << 20, 16));
    const char *names[] = {"act0", "act1", "act2", "act3"};
    for (int i = 0; i < 4; i++) x = ecg_unary(&g, ECG_OP_RELU, names[i], x);
    ecg_graph_set_output(&g, x);
    CHECK(!g.err[0], "build: %s", g.err);
    CHECK(ecg_eval_batch_cap(&g, 256) == 10, "big: %d", ecg_eval_batch_cap(&g, 256));
    CHECK(ecg_eval_batch_cap(&g, 5) == 5, "big, small batch: %d", ecg_eval_batch_cap(&g, 5));
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2((int64_t)1 << 26, 16)); /* 4 GiB per example: still 1 */
    ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "act", x));
    CHECK(ecg_eval_batch_cap(&g, 256) == 1, "huge: %d", ecg_eval_batch_cap(&g, 256));
    ecg_graph_free(&g);
    ecg_graph_init(&g, 1);
    x = ecg_input(&g, "x", ecg_shape2(252, 1));
    ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "act", x));
    CHECK(ecg_eval_batch_cap(&g, 256) == 256, "small: %d", ecg_eval_batch_cap(&g, 256));
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_adamw_hand_computed);
    RUN(test_eval_batch_cap);
    RUN(test_cosine_schedule);
    RUN(test_metrics_hand_worked);
    RUN(test_every_model_learns_a_batch);
    return test_done();
}
