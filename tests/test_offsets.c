/* Decision offsets (train/offsets.c): the fit finds a known under-call of a class and never scores
 * below no offsets, the held-out fit keeps what carries across folds and drops a one-fold class,
 * the confusion is the arg-max's, and folding the offsets into the classifier's bias moves the
 * model's logits by exactly them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "train/train.h"

/* n examples of k classes: true class c's logit is 2 + noise, the others noise; then class `shy`'s
 * logit is lowered by `shift`, as a net trained on patients who rarely showed it would. */
static void make_logits(float *z, int *y, long n, int k, int shy, float shift, uint64_t seed) {
    ecg_rng r = {seed};
    for (long i = 0; i < n; i++) {
        y[i] = (int)(ecg_rng_next(&r) % (uint64_t)k);
        for (int c = 0; c < k; c++) z[i * k + c] = (c == y[i] ? 2.0f : 0.0f) + 1.2f * ecg_rng_normal(&r);
        z[i * k + shy] -= shift;
    }
}

static const unsigned char ALL[8] = {1, 1, 1, 1, 1, 1, 1, 1};

static void test_confusion_is_argmax(void) {
    enum { N = 500, K = 4 };
    float z[N * K];
    int y[N];
    make_logits(z, y, N, K, 2, 0, 5);
    double zero[K] = {0};
    ecg_metrics m, want;
    ecg_offsets_confusion(z, y, N, K, zero, &m);
    ecg_metrics_init(&want, K);
    for (int i = 0; i < N; i++) ecg_metrics_add(&want, y[i], ecg_argmax(z + i * K, K));
    CHECK(!memcmp(m.confusion, want.confusion, sizeof m.confusion), "zero offsets: not the arg-max's confusion");
    double big[K] = {0, 0, 0, 100};
    ecg_offsets_confusion(z, y, N, K, big, &m);
    CHECK(m.confusion[0][3] + m.confusion[1][3] + m.confusion[2][3] + m.confusion[3][3] == N,
          "an offset of 100 on class 3 should send every example there");
}

static void test_fit_finds_the_shift(void) {
    enum { N = 6000, K = 4 };
    float *z = malloc(sizeof *z * N * K);
    int *y = malloc(sizeof *y * N), *work = malloc(sizeof *work * N);
    make_logits(z, y, N, K, 2, 2.0f, 7);
    double off[K], zero[K] = {0}, off2[K];
    int passes = ecg_offsets_fit(z, y, N, K, 0, ALL, off, work);
    ecg_metrics before, after;
    ecg_offsets_confusion(z, y, N, K, zero, &before);
    ecg_offsets_confusion(z, y, N, K, off, &after);
    CHECK(passes >= 1 && off[0] == 0, "passes %d, off[0] %g", passes, off[0]);
    /* the classes are symmetric but for the shift, so the fit should give class 2 back about 2
     * logits against the others */
    double rel = off[2] - (off[1] + off[3]) / 2;
    CHECK(rel > 1.4 && rel < 2.6, "class 2's offset relative to the others %.2f (want about 2)", rel);
    CHECK(after.macro_f1 > before.macro_f1 + 0.05 && after.sensitivity[2] > before.sensitivity[2] + 0.2,
          "macro-F1 %.4f -> %.4f, class 2 Se %.3f -> %.3f", before.macro_f1, after.macro_f1, before.sensitivity[2],
          after.sensitivity[2]);
    ecg_offsets_fit(z, y, N, K, 0, ALL, off2, work);
    CHECK(!memcmp(off, off2, sizeof off), "two fits of the same logits differ");
    /* class 2 not fitted: its offset stays 0 */
    static const unsigned char not2[K] = {1, 1, 0, 1};
    ecg_offsets_fit(z, y, N, K, 0, not2, off2, work);
    CHECK(off2[2] == 0, "a class left out of the fit got offset %g", off2[2]);
    /* a score over the first two classes only (as CinC's challenge F1 leaves out Noisy) */
    double o3[K];
    ecg_offsets_fit(z, y, N, K, 2, ALL, o3, work);
    ecg_metrics m3;
    ecg_offsets_confusion(z, y, N, K, o3, &m3);
    CHECK(ecg_offsets_score(&m3, 2) >= ecg_metrics_mean_f1(&before, 2), "score over 2 classes fell");
    free(z), free(y), free(work);
}

static void test_fit_never_worse(void) {
    enum { N = 300, K = 5 };
    float z[N * K];
    int y[N], work[N];
    for (uint64_t s = 0; s < 6; s++) {
        ecg_rng r = {100 + s};
        for (int i = 0; i < N; i++) {
            y[i] = (int)(ecg_rng_next(&r) % (s % 2 ? 2 : K)); /* some runs: classes absent from the labels */
            for (int c = 0; c < K; c++) z[i * K + c] = ecg_rng_normal(&r);
        }
        double off[K], zero[K] = {0};
        ecg_offsets_fit(z, y, N, K, 0, ALL, off, work);
        ecg_metrics a, b;
        ecg_offsets_confusion(z, y, N, K, zero, &a);
        ecg_offsets_confusion(z, y, N, K, off, &b);
        int in_grid = 1;
        for (int c = 0; c < K; c++) in_grid &= off[c] >= -8 - 1e-9 && off[c] <= 8 + 1e-9;
        CHECK(b.macro_f1 >= a.macro_f1 && in_grid, "seed %d: macro-F1 %.4f -> %.4f", (int)s, a.macro_f1, b.macro_f1);
    }
    double off[3] = {1, 1, 1};
    CHECK(ecg_offsets_fit(NULL, NULL, 0, 3, 0, ALL, off, NULL) == 0 && off[0] == 0 && off[1] == 0 && off[2] == 0,
          "no examples: all offsets 0");
}

/* The held-out fit: a shift every fold shares is kept and carries to held-out folds; a class whose
 * examples all sit in one fold (one patient's, as DS1's F) gets no offset, since fitted without
 * that fold it could only add false calls to the others. */
static void test_fit_cv_keeps_what_carries(void) {
    enum { N = 5000, K = 4 };
    float *z = malloc(sizeof *z * N * K);
    int *y = malloc(sizeof *y * N), *fold = malloc(sizeof *fold * N);
    ecg_rng r = {21};
    for (int i = 0; i < N; i++) {
        fold[i] = i % 5 + 1;
        y[i] = (int)(ecg_rng_next(&r) % (uint64_t)(fold[i] == 1 ? 4 : 3)); /* class 3: fold 1 only */
        for (int c = 0; c < K; c++) z[i * K + c] = (c == y[i] ? 2.0f : 0.0f) + 1.2f * ecg_rng_normal(&r);
        z[i * K + 2] -= 2.0f;                      /* class 2 under-called everywhere */
        if (fold[i] == 1) z[i * K + 3] -= 2.5f;    /* class 3 under-called where it lives */
    }
    ecg_offsets_cv cv;
    CHECK(ecg_offsets_fit_cv(z, y, fold, N, K, 0, 20, &cv) == 0, "fit_cv failed");
    int dropped3 = 0;
    for (int k = 0; k < cv.n_dropped; k++) dropped3 |= cv.dropped[k] == 3;
    double rel = cv.off[2] - cv.off[1] / 2;
    CHECK(cv.n_folds == 5 && cv.fitted[2] && rel > 1.2 && cv.off[0] == 0, "class 2: fitted %d, offset %.2f (folds %d)",
          cv.fitted[2], cv.off[2], cv.n_folds);
    CHECK(dropped3 && !cv.fitted[3] && cv.off[3] == 0, "class 3 (one fold's): dropped %d, fitted %d, offset %.2f", dropped3,
          cv.fitted[3], cv.off[3]);
    CHECK(cv.held_out.n == N && cv.without.n == N && cv.held_out.macro_f1 > cv.without.macro_f1 &&
              cv.in_sample.macro_f1 >= cv.held_out.macro_f1 - 0.02,
          "macro-F1 without %.4f, held out %.4f, in-sample %.4f", cv.without.macro_f1, cv.held_out.macro_f1,
          cv.in_sample.macro_f1);
    for (int i = 0; i < N; i++) fold[i] = 7;
    CHECK(ecg_offsets_fit_cv(z, y, fold, N, K, 0, 20, &cv) == -1, "one fold accepted");
    free(z), free(y), free(fold);
}

static void test_apply_moves_the_logits(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int x = ecg_input(&g, "x", ecg_shape2(6, 4));
    int h = ecg_unary(&g, ECG_OP_RELU, "act", ecg_linear(&g, "fc1", x, 5, 1));
    ecg_graph_set_output(&g, ecg_linear(&g, "classifier", ecg_gap(&g, "pool", h), 3, 1));
    float in[2 * 6 * 4];
    ecg_rng r = {9};
    for (int i = 0; i < 2 * 6 * 4; i++) in[i] = ecg_rng_normal(&r);
    const float *ins[1] = {in};
    char err[256];
    ecg_ref *ref = ecg_ref_create(&g, 2, err, sizeof err);
    CHECK(ref != NULL, "ref: %s", err);
    if (!ref) return ecg_graph_free(&g);
    float before[6], after[6];
    ecg_ref_forward(ref, ins, 0, 0);
    memcpy(before, ecg_ref_output(ref), sizeof before);
    double off[3] = {0, 1.5, -0.25};
    CHECK(ecg_offsets_apply(&g, off, 3, err, sizeof err) == 0, "apply: %s", err);
    ecg_ref_forward(ref, ins, 0, 0);
    memcpy(after, ecg_ref_output(ref), sizeof after);
    for (int i = 0; i < 6; i++)
        CHECK(fabsf(after[i] - before[i] - (float)off[i % 3]) < 1e-6f, "logit %d moved by %g, want %g", i,
              after[i] - before[i], off[i % 3]);
    CHECK(ecg_offsets_apply(&g, off, 2, err, sizeof err) == -1 && strstr(err, "3 values"), "2 offsets for 3 classes: %s",
          err);
    double bad[3] = {0, NAN, 0};
    CHECK(ecg_offsets_apply(&g, bad, 3, err, sizeof err) == -1, "a NaN offset was applied");
    ecg_ref_free(ref);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 4); /* an output that is not a linear layer */
    ecg_graph_set_output(&g, ecg_unary(&g, ECG_OP_RELU, "act", ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(4)), 3, 1)));
    CHECK(ecg_offsets_apply(&g, off, 3, err, sizeof err) == -1 && strstr(err, "not a linear"), "relu output: %s", err);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_confusion_is_argmax);
    RUN(test_fit_finds_the_shift);
    RUN(test_fit_never_worse);
    RUN(test_fit_cv_keeps_what_carries);
    RUN(test_apply_moves_the_logits);
    return test_done();
}
