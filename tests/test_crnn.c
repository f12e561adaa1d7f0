/* crnn / bicrnn (models/crnn.c): parameter counts from the layer sizes, the sequence length the
 * front end hands the LSTM for any input length, the XNNPACK executor against the reference on a
 * whole CinC 2017 record, the training path's gradient against finite differences, and training
 * steps that lower the loss on a tiny batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "models/models.h"
#include "ops/loss.h"
#include "ops/rng.h"
#include "train/train.h"

static const int WIDTHS[4] = {32, 64, 128, 128}, POOLS[4] = {4, 4, 2, 2};

/* PyTorch's count: Conv1d(cin, cout, 7, bias=False) cin*cout*7; BatchNorm1d 2*cout; LSTM layer
 * (per direction) 4*H*(in + H) + 8*H; Linear in*K + K. */
static long long expected_params(int channels, int classes, int bi) {
    long long n = 0;
    int cin = channels, dirs = bi ? 2 : 1, hidden = 128;
    for (int b = 0; b < 4; b++) {
        n += (long long)cin * WIDTHS[b] * 7 + 2LL * WIDTHS[b];
        cin = WIDTHS[b];
    }
    for (int layer = 0; layer < 2; layer++) {
        int in = layer ? dirs * hidden : cin;
        n += dirs * (4LL * hidden * (in + hidden) + 8LL * hidden);
    }
    return n + (long long)dirs * hidden * classes + classes;
}

/* Steps the LSTM reads: each pool (k = stride, padding k/2 both sides) gives floor(T / k) + 1. */
static int expected_steps(int length) {
    for (int b = 0; b < 4; b++) length = length / POOLS[b] + 1;
    return length;
}

static int build(const char *name, int length, int channels, int classes, ecg_graph *g) {
    ecg_model_cfg c = ecg_model_cfg_default(length, channels, classes);
    c.seed = 5;
    char err[512];
    if (ecg_model_build(name, &c, g, err, sizeof err)) {
        CHECK(0, "%s T=%d: %s", name, length, err);
        return -1;
    }
    return 0;
}

static const ecg_node *node_named(const ecg_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    return NULL;
}

static void test_parameter_counts(void) {
    const struct {
        int channels, classes;
    } cfgs[] = {{1, 5}, {1, 4}, {2, 3}};
    for (int bi = 0; bi <= 1; bi++)
        for (size_t i = 0; i < sizeof cfgs / sizeof *cfgs; i++) {
            const char *name = bi ? "bicrnn" : "crnn";
            ecg_graph g;
            if (build(name, 252, cfgs[i].channels, cfgs[i].classes, &g)) continue;
            long long want = expected_params(cfgs[i].channels, cfgs[i].classes, bi);
            CHECK(ecg_graph_param_count(&g) == want, "%s C=%d K=%d: %lld params, want %lld", name, cfgs[i].channels,
                  cfgs[i].classes, (long long)ecg_graph_param_count(&g), want);
            CHECK(want < 1000000, "%s: %lld parameters is not small", name, want);
            /* the port's names: blocks.{i}.conv / .bn, lstm, fc */
            CHECK(ecg_param_find(&g, "blocks.3.conv.weight") >= 0 &&
                      ecg_param_find(&g, "blocks.0.bn.running_var") >= 0 && ecg_param_find(&g, "fc.weight") >= 0 &&
                      ecg_param_find(&g, "blocks.4.conv.weight") < 0,
                  "%s: parameter names", name);
            ecg_graph_free(&g);
        }
}

/* Any length builds (a beat, a 10 s crop, a whole record, one sample) and the LSTM reads
 * 128 features at the expected number of steps; a whole record is 142 steps, a beat 5. */
static void test_sequence_lengths(void) {
    const int lengths[] = {1, 36, 252, 3000, 9000};
    CHECK(expected_steps(9000) == 142 && expected_steps(252) == 5, "step formula");
    for (int bi = 0; bi <= 1; bi++)
        for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
            const char *name = bi ? "bicrnn" : "crnn";
            ecg_graph g;
            if (build(name, lengths[i], 1, 4, &g)) continue;
            const ecg_node *lstm = node_named(&g, "lstm");
            const ecg_shape *in = lstm ? &g.values[lstm->in[0]].shape : NULL;
            CHECK(in && in->rank == 2 && in->d[0] == expected_steps(lengths[i]) && in->d[1] == 128,
                  "%s T=%d: LSTM input [%lld, %lld], want [%d, 128]", name, lengths[i], in ? (long long)in->d[0] : -1,
                  in ? (long long)in->d[1] : -1, expected_steps(lengths[i]));
            const ecg_shape *out = &g.values[g.output].shape;
            CHECK(out->rank == 1 && out->d[0] == 4, "%s T=%d: output rank %d", name, lengths[i], out->rank);
            ecg_graph_free(&g);
        }
}

/* BN statistics away from (0, 1), so the XNNPACK executor's folding is exercised. */
static void randomize_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        const char *leaf = strrchr(p->name, '.');
        int bn = strstr(p->name, ".bn.") != NULL;
        for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++) {
            if (leaf && !strcmp(leaf, ".running_var")) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else if (leaf && !strcmp(leaf, ".running_mean")) p->data[j] = 0.2f * ecg_rng_normal(&r);
            else if (bn && !strcmp(leaf, ".weight")) p->data[j] = 1.0f + 0.2f * ecg_rng_normal(&r);
            else if (bn && !strcmp(leaf, ".bias")) p->data[j] = 0.2f * ecg_rng_normal(&r);
        }
    }
}

/* A whole 30 s record (9000 samples, 142 LSTM steps) and a 10 s crop: XNNPACK equals the
 * reference executor (eval mode), with dropout in the graph. */
static void test_xnnpack_matches_reference_on_records(void) {
    const int lengths[2] = {9000, 3000};
    for (int bi = 0; bi <= 1; bi++)
        for (int l = 0; l < 2; l++) {
            const char *name = bi ? "bicrnn" : "crnn";
            ecg_model_cfg c = ecg_model_cfg_default(lengths[l], 1, 4);
            c.seed = 7;
            c.dropout = 0.3f;
            ecg_graph g;
            char err[512], label[64];
            if (ecg_model_build(name, &c, &g, err, sizeof err)) {
                CHECK(0, "%s", err);
                continue;
            }
            CHECK(node_named(&g, "dropout") != NULL, "%s: dropout 0.3 not in the graph", name);
            randomize_bn(&g, 9);
            snprintf(label, sizeof label, "%s T=%d", name, lengths[l]);
            xnn_check(label, &g, 2, 2, 0, 1e-4, 13 + (uint64_t)l);
            ecg_graph_free(&g);
        }
}

/* Training-mode loss (BN on batch statistics, no dropout) of fixed examples. */
static double loss_of(ecg_ref *r, const ecg_graph *g, const float *x, const int *labels, int batch, float *dlogits) {
    const float *in[1] = {x};
    if (ecg_ref_forward(r, in, 1, 0)) return NAN;
    int classes = (int)ecg_shape_numel(&g->values[g->output].shape);
    return ecg_softmax_xent(ecg_ref_output(r), labels, NULL, batch, classes, dlogits);
}

/* The training path's gradient through fc, the LSTM, BN, max pool and the convs equals central
 * differences of the loss, for the 3 entries of largest gradient in tensors across the model.
 * Within 5%: the loss is float32 (noise ~1e-8 over 2h = 6e-4) and a step of h can move a ReLU or
 * a max pool's argmax across a kink (the worst case seen is 2.6%); a wrong route, sign or scale
 * is off by far more. */
static void test_gradient_matches_finite_differences(void) {
    enum { BATCH = 3, LENGTH = 300, CLASSES = 4 };
    const char *tensors[] = {"fc.weight",         "lstm.weight_hh_l1",   "lstm.weight_ih_l0", "blocks.3.conv.weight",
                             "blocks.2.bn.weight", "blocks.1.conv.weight", "blocks.0.conv.weight"};
    for (int bi = 0; bi <= 1; bi++) {
        const char *name = bi ? "bicrnn" : "crnn";
        ecg_graph g;
        if (build(name, LENGTH, 1, CLASSES, &g)) continue;
        char err[512];
        ecg_graph_alloc_grads(&g);
        ecg_ref *r = ecg_ref_create(&g, BATCH, err, sizeof err);
        if (!r) {
            CHECK(0, "%s: %s", name, err);
            ecg_graph_free(&g);
            continue;
        }
        float x[BATCH * LENGTH], dlogits[BATCH * CLASSES];
        int labels[BATCH] = {0, 2, 3};
        ecg_rng rng = {21};
        fill_normal(x, BATCH * LENGTH, &rng, 1.0f);
        loss_of(r, &g, x, labels, BATCH, dlogits);
        ecg_graph_zero_grads(&g);
        ecg_ref_backward(r, dlogits);
        for (size_t t = 0; t < sizeof tensors / sizeof *tensors; t++) {
            int pi = ecg_param_find(&g, tensors[t]);
            CHECK(pi >= 0, "%s: no parameter %s", name, tensors[t]);
            if (pi < 0) continue;
            ecg_param *p = &g.params[pi];
            int64_t n = ecg_shape_numel(&p->shape);
            float *grad = malloc((size_t)n * sizeof *grad);
            memcpy(grad, p->grad, (size_t)n * sizeof *grad);
            for (int k = 0; k < 3; k++) {
                int64_t best = 0;
                for (int64_t j = 1; j < n; j++)
                    if (fabsf(grad[j]) > fabsf(grad[best])) best = j;
                float keep = p->data[best], h = 3e-4f * fmaxf(1.0f, fabsf(keep));
                p->data[best] = keep + h;
                double up = loss_of(r, &g, x, labels, BATCH, dlogits);
                p->data[best] = keep - h;
                double down = loss_of(r, &g, x, labels, BATCH, dlogits);
                p->data[best] = keep;
                double fd = (up - down) / (2.0 * (double)h), an = grad[best];
                CHECK(fabs(fd - an) <= 0.05 * fabs(an) + 1e-4, "%s %s[%lld]: gradient %.6g, finite differences %.6g",
                      name, tensors[t], (long long)best, an, fd);
                grad[best] = 0; /* next largest */
            }
            free(grad);
        }
        ecg_ref_free(r);
        ecg_graph_free(&g);
    }
}

/* AdamW steps on one batch of 4 rhythm-length examples lower the loss: the first step at once,
 * and 10 steps to below 70% of the start. */
static void test_training_steps_lower_the_loss(void) {
    enum { BATCH = 4, LENGTH = 600, CLASSES = 4, STEPS = 10 };
    for (int bi = 0; bi <= 1; bi++) {
        const char *name = bi ? "bicrnn" : "crnn";
        ecg_graph g;
        if (build(name, LENGTH, 1, CLASSES, &g)) continue;
        char err[512];
        ecg_graph_alloc_grads(&g);
        ecg_ref *r = ecg_ref_create(&g, BATCH, err, sizeof err);
        ecg_adamw o;
        if (!r || ecg_adamw_init(&o, &g, ecg_adamw_defaults())) {
            CHECK(0, "%s: %s", name, err);
            ecg_ref_free(r);
            ecg_graph_free(&g);
            continue;
        }
        float x[BATCH * LENGTH], dlogits[BATCH * CLASSES];
        int labels[BATCH] = {0, 1, 2, 3};
        ecg_rng rng = {8};
        fill_normal(x, BATCH * LENGTH, &rng, 1.0f);
        const float *in[1] = {x};
        double loss[STEPS + 1];
        for (int s = 0; s < STEPS; s++)
            loss[s] = ecg_train_step(r, &o, in, labels, NULL, BATCH, 3e-3f, (uint64_t)s, dlogits);
        loss[STEPS] = loss_of(r, &g, x, labels, BATCH, dlogits);
        CHECK(isfinite(loss[0]) && loss[1] < loss[0], "%s: one step %.5f -> %.5f", name, loss[0], loss[1]);
        CHECK(loss[STEPS] < 0.7 * loss[0], "%s: %d steps %.5f -> %.5f", name, STEPS, loss[0], loss[STEPS]);
        printf("    %-7s loss %.4f -> %.4f (1 step) -> %.4f (%d steps)\n", name, loss[0], loss[1], loss[STEPS], STEPS);
        ecg_adamw_free(&o);
        ecg_ref_free(r);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_parameter_counts);
    RUN(test_sequence_lengths);
    RUN(test_xnnpack_matches_reference_on_records);
    RUN(test_gradient_matches_finite_differences);
    RUN(test_training_steps_lower_the_loss);
    return test_done();
}
