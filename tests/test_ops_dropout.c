/* Dropout: training output and gradient equal a naive replica of the mask, fraction kept ~ 1-p,
 * eval is the identity, bad p rejected, no FLOPs; the same for drop path and modality dropout
 * (whole samples, the latter unscaled). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* The mask as the contract states it: draw i of ecg_rng {ecg_hash64(7, 0)} (op_check runs the
 * reference executor with seed 7 and this is node 0), kept iff >= p, batch-major order. */
static void naive_dropout_train(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                                const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    (void)out_shape;
    ecg_rng rng = {ecg_hash64(7, 0)};
    size_t total = (size_t)batch * (size_t)ecg_shape_numel(&in_shape[0]);
    for (size_t i = 0; i < total; i++)
        out[i] = ecg_rng_uniform(&rng) >= n->a.p ? in[0][i] / (1.0 - (double)n->a.p) : 0.0;
}

/* Drop path: draw s of the same generator decides all of sample s; kept samples scaled by
 * 1/(1-p), or (modality dropout) passed as they are. */
static void naive_per_sample(const ecg_node *n, int batch, const double *in, const ecg_shape *in_shape, double *out,
                             double kept_scale) {
    ecg_rng rng = {ecg_hash64(7, 0)};
    size_t per = (size_t)ecg_shape_numel(&in_shape[0]);
    for (int s = 0; s < batch; s++) {
        double scale = ecg_rng_uniform(&rng) >= n->a.p ? kept_scale : 0.0;
        for (size_t i = 0; i < per; i++) out[s * per + i] = in[s * per + i] * scale;
    }
}

static void naive_drop_path_train(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                                  const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    (void)out_shape;
    naive_per_sample(n, batch, in[0], in_shape, out, 1.0 / (1.0 - (double)n->a.p));
}

static void naive_modality_drop_train(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                                      const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    (void)out_shape;
    naive_per_sample(n, batch, in[0], in_shape, out, 1.0);
}

static void naive_identity(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                           const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)n;
    (void)w;
    (void)out_shape;
    size_t total = (size_t)batch * (size_t)ecg_shape_numel(&in_shape[0]);
    memcpy(out, in[0], total * sizeof(double));
}

static void check_mode(int training) {
    const float ps[] = {0.0f, 0.1f, 0.5f, 0.9f};
    ecg_rng r = {training ? 601u : 602u};
    for (int trial = 0; trial < 8; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int c = rand_int(&r, 1, 9);
        int x = ecg_input(&g, "x", trial % 2 ? ecg_shape2(2 * rand_int(&r, 1, 15) + 1, c) : ecg_shape1(c));
        ecg_dropout(&g, "drop", x, ps[trial % 4]);
        char label[64];
        snprintf(label, sizeof label, "dropout %s p=%g", training ? "train" : "eval", (double)ps[trial % 4]);
        op_check_opts o = {.batch = rand_int(&r, 1, 4), .training = training, .seed = 70 + (uint64_t)trial};
        op_check(label, &g, training ? naive_dropout_train : naive_identity, &o);
        ecg_graph_free(&g);
    }
}

static void test_dropout_train(void) { check_mode(1); }
static void test_dropout_eval(void) { check_mode(0); }

/* Runs x = 1 everywhere through one dropout node; returns the count of kept elements and
 * checks every output is 0 or exactly the float scale. */
static size_t kept_count(float p, int batch, int t, int c, int training, uint64_t seed, float *out_copy) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(t, c));
    ecg_graph_set_output(&g, ecg_dropout(&g, "drop", x, p));
    char err[256];
    ecg_ref *ref = ecg_ref_create(&g, batch, err, sizeof err);
    CHECK(ref != NULL, "%s", err);
    size_t n = (size_t)batch * (size_t)t * (size_t)c, kept = 0;
    if (!ref) return 0;
    float *in = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) in[i] = 1.0f;
    const float *inputs[1] = {in};
    ecg_ref_forward(ref, inputs, training, seed);
    const float *y = ecg_ref_output(ref), scale = training ? 1.0f / (1.0f - p) : 1.0f;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        kept += y[i] != 0.0f;
        bad += y[i] != 0.0f && y[i] != scale;
    }
    CHECK(!bad, "p=%g: %d outputs are neither 0 nor %g", (double)p, bad, (double)scale);
    if (out_copy) memcpy(out_copy, y, n * sizeof(float));
    free(in);
    ecg_ref_free(ref);
    ecg_graph_free(&g);
    return kept;
}

/* 100000 draws: the standard error of the kept fraction is <= 0.0016; allow 0.01. */
static void test_dropout_fraction(void) {
    const float ps[] = {0.1f, 0.3f, 0.5f, 0.8f};
    const int batch = 4, t = 1001, c = 25;
    const double n = (double)batch * t * c;
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double frac = (double)kept_count(ps[i], batch, t, c, 1, 99 + i, NULL) / n;
        CHECK(fabs(frac - (1.0 - ps[i])) < 0.01, "p=%g: kept %.4f, want ~%.2f", (double)ps[i], frac, 1.0 - ps[i]);
    }
    CHECK(kept_count(0.5f, batch, t, c, 0, 99, NULL) == (size_t)n, "eval dropped something");
}

/* Same seed, same mask; another seed (another step), another mask. */
static void test_dropout_seeded(void) {
    const int n = 2 * 31 * 4;
    float a[2 * 31 * 4], b[2 * 31 * 4], c[2 * 31 * 4];
    kept_count(0.5f, 2, 31, 4, 1, 5, a);
    kept_count(0.5f, 2, 31, 4, 1, 5, b);
    kept_count(0.5f, 2, 31, 4, 1, 6, c);
    CHECK(!memcmp(a, b, sizeof a), "same seed gave different masks");
    int differ = 0;
    for (int i = 0; i < n; i++) differ += a[i] != c[i];
    CHECK(differ > n / 10, "seeds 5 and 6 differ in only %d of %d", differ, n);
}

static void expect_reject(float p) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(5, 3));
    CHECK(ecg_dropout(&g, "drop", x, p) < 0 && strstr(g.err, "drop") && strstr(g.err, "p must be"),
          "p=%g: %s", (double)p, g.err);
    ecg_graph_free(&g);
}

static void test_dropout_rejects(void) {
    expect_reject(1.0f);
    expect_reject(1.5f);
    expect_reject(-0.1f);
    expect_reject(NAN);
}

static void test_dropout_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(51, 8));
    ecg_dropout(&g, "drop", x, 0.2f);
    CHECK(ecg_graph_flops(&g) == 0, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 0, "params");
    ecg_graph_free(&g);
}

/* Whole samples kept or dropped: drop path (scaled by 1/(1-p)), or modality dropout (unscaled);
 * with batch 64 and p 0.5 both occur. Eval is the identity. */
static void check_per_sample(int modality) {
    ecg_rng r = {modality ? 604u : 603u};
    for (int trial = 0; trial < 4; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(rand_int(&r, 1, 9), rand_int(&r, 1, 5)));
        float p = trial % 2 ? 0.5f : 0.2f;
        if (modality) ecg_modality_drop(&g, "ecg_drop", x, p);
        else ecg_drop_path(&g, "drop_path", x, p);
        op_check_opts o = {.batch = trial < 2 ? 64 : 3, .training = 1, .seed = (modality ? 90 : 80) + (uint64_t)trial};
        op_check(modality ? "modality drop train" : "drop path train", &g,
                 modality ? naive_modality_drop_train : naive_drop_path_train, &o);
        o.training = 0;
        op_check(modality ? "modality drop eval" : "drop path eval", &g, naive_identity, &o);
        ecg_graph_free(&g);
    }
}

static void test_drop_path(void) { check_per_sample(0); }
static void test_modality_drop(void) { check_per_sample(1); }

int main(void) {
    RUN(test_dropout_train);
    RUN(test_dropout_eval);
    RUN(test_dropout_fraction);
    RUN(test_dropout_seeded);
    RUN(test_dropout_rejects);
    RUN(test_dropout_flops);
    RUN(test_drop_path);
    RUN(test_modality_drop);
    return test_done();
}
