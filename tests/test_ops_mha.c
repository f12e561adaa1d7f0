/* Multi-head attention: forward vs a naive double loop, backward vs central differences, for
 * self- and cross-attention; parameter count, FLOPs formula, gradient accumulation, infer errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Naive PyTorch MultiheadAttention (batch_first, no mask): one query row, one head at a time. */
static void naive(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                  const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)out_shape;
    int lq = (int)in_shape[0].d[0], lk = (int)in_shape[1].d[0], e = (int)in_shape[0].d[1];
    int heads = n->a.heads, hd = e / heads;
    const double *wi = w[0], *bi = w[1], *wo = w[2], *bo = w[3];
    double *qrow = malloc(sizeof(double) * (size_t)e), *ctx = malloc(sizeof(double) * (size_t)e);
    double *kmat = malloc(sizeof(double) * (size_t)lk * e), *vmat = malloc(sizeof(double) * (size_t)lk * e);
    double *score = malloc(sizeof(double) * (size_t)lk);
    for (int b = 0; b < batch; b++) {
        const double *x = in[0] + (size_t)b * lq * e, *y = in[1] + (size_t)b * lk * e;
        /* K and V of this sample: rows E..2E-1 and 2E..3E-1 of in_proj_weight */
        for (int j = 0; j < lk; j++)
            for (int o = 0; o < e; o++) {
                double sk = bi[e + o], sv = bi[2 * e + o];
                for (int c = 0; c < e; c++) {
                    sk += wi[(size_t)(e + o) * e + c] * y[(size_t)j * e + c];
                    sv += wi[(size_t)(2 * e + o) * e + c] * y[(size_t)j * e + c];
                }
                kmat[(size_t)j * e + o] = sk;
                vmat[(size_t)j * e + o] = sv;
            }
        for (int i = 0; i < lq; i++) {
            for (int o = 0; o < e; o++) {
                double s = bi[o];
                for (int c = 0; c < e; c++) s += wi[(size_t)o * e + c] * x[(size_t)i * e + c];
                qrow[o] = s;
            }
            for (int h = 0; h < heads; h++) {
                double mx = -INFINITY, z = 0;
                for (int j = 0; j < lk; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += qrow[h * hd + d] * kmat[(size_t)j * e + h * hd + d];
                    score[j] = s / sqrt((double)hd);
                    mx = fmax(mx, score[j]);
                }
                for (int j = 0; j < lk; j++) z += exp(score[j] - mx);
                for (int d = 0; d < hd; d++) {
                    double s = 0;
                    for (int j = 0; j < lk; j++) s += exp(score[j] - mx) / z * vmat[(size_t)j * e + h * hd + d];
                    ctx[h * hd + d] = s;
                }
            }
            for (int o = 0; o < e; o++) {
                double s = bo[o];
                for (int c = 0; c < e; c++) s += wo[(size_t)o * e + c] * ctx[c];
                out[((size_t)b * lq + i) * e + o] = s;
            }
        }
    }
    free(qrow);
    free(ctx);
    free(kmat);
    free(vmat);
    free(score);
}

/* Biases default to zero; random ones make a kernel that ignores them fail. */
static void randomize_biases(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++)
        if (strstr(g->params[i].name, "bias"))
            fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 0.5f);
}

/* E in 4..8 that `heads` divides. */
static int pick_e(ecg_rng *r, int heads) {
    int lo = (4 + heads - 1) / heads, hi = 8 / heads;
    return heads * rand_int(r, lo, hi);
}

static void check_case(int self, int heads, int e, int lq, int lk, int batch, uint64_t seed) {
    ecg_graph g;
    ecg_graph_init(&g, seed);
    int q = ecg_input(&g, "q", ecg_shape2(lq, e));
    int kv = self ? -1 : ecg_input(&g, "kv", ecg_shape2(lk, e));
    ecg_mha(&g, "attn", q, kv, heads);
    randomize_biases(&g, seed + 100);
    char label[96];
    snprintf(label, sizeof label, "mha %s h%d E%d Lq%d Lk%d N%d", self ? "self" : "cross", heads, e, lq,
             self ? lq : lk, batch);
    op_check_opts o = {.batch = batch, .seed = seed, .max_fd_points = 24};
    op_check(label, &g, naive, &o);
    ecg_graph_free(&g);
}

static void test_mha_self(void) {
    ecg_rng r = {31};
    static const int heads[] = {1, 2, 4};
    for (int trial = 0; trial < 6; trial++) {
        int h = heads[trial % 3];
        check_case(1, h, pick_e(&r, h), rand_int(&r, 1, 9) | 1, 0, rand_int(&r, 1, 3), 40 + (uint64_t)trial);
    }
}

static void test_mha_cross(void) {
    ecg_rng r = {47};
    static const int heads[] = {1, 2, 4};
    /* the fixed case of the spec, then random odd lengths */
    check_case(0, 2, 6, 5, 7, 3, 60);
    for (int trial = 0; trial < 6; trial++) {
        int h = heads[trial % 3];
        check_case(0, h, pick_e(&r, h), rand_int(&r, 1, 9) | 1, rand_int(&r, 1, 11) | 1, rand_int(&r, 1, 3),
                   61 + (uint64_t)trial);
    }
}

/* A peaked softmax (large weights) stresses the max subtraction. */
static void test_mha_peaked(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int q = ecg_input(&g, "q", ecg_shape2(5, 8)), kv = ecg_input(&g, "kv", ecg_shape2(7, 8));
    ecg_mha(&g, "attn", q, kv, 2);
    for (int64_t i = 0; i < ecg_shape_numel(&g.params[0].shape); i++) g.params[0].data[i] *= 6.0f;
    op_check_opts o = {.batch = 2, .seed = 9, .max_fd_points = 24};
    op_check("mha peaked", &g, naive, &o);
    ecg_graph_free(&g);
}

static int64_t flops_formula(int64_t lq, int64_t lk, int64_t e, int64_t h) {
    return (2 * lq * e * e + lq * e) + 2 * (2 * lk * e * e + lk * e) + 2 * lq * lk * e + 3 * h * lq * lk +
           2 * lq * lk * e + (2 * lq * e * e + lq * e);
}

static void test_mha_params_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int q = ecg_input(&g, "q", ecg_shape2(5, 8)), kv = ecg_input(&g, "kv", ecg_shape2(7, 8));
    int out = ecg_mha(&g, "attn", q, kv, 4);
    CHECK(out >= 0, "build: %s", g.err);
    CHECK(ecg_graph_param_count(&g) == 4 * 64 + 4 * 8, "params %lld", (long long)ecg_graph_param_count(&g));
    /* (2*5*64 + 40) + 2*(2*7*64 + 56) + 2*5*7*8 + 3*4*5*7 + 2*5*7*8 + (2*5*64 + 40)
       = 680 + 1904 + 560 + 420 + 560 + 680 */
    CHECK(flops_formula(5, 7, 8, 4) == 4804, "formula %lld", (long long)flops_formula(5, 7, 8, 4));
    CHECK(ecg_graph_flops(&g) == 4804, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(out >= 0 && ecg_shape_eq(&g.values[out].shape, &g.values[q].shape), "output shape is the query's");
    static const char *names[] = {"attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
                                  "attn.out_proj.bias"};
    for (int i = 0; i < 4; i++) CHECK(ecg_param_find(&g, names[i]) >= 0, "missing param %s", names[i]);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    q = ecg_input(&g, "q", ecg_shape2(33, 12));
    ecg_mha(&g, "attn", q, -1, 3);
    CHECK(ecg_graph_param_count(&g) == 4 * 144 + 4 * 12, "self params %lld", (long long)ecg_graph_param_count(&g));
    CHECK(ecg_graph_flops(&g) == flops_formula(33, 33, 12, 3), "self flops %lld vs %lld",
          (long long)ecg_graph_flops(&g), (long long)flops_formula(33, 33, 12, 3));
    ecg_graph_free(&g);
}

/* Backward adds into parameter gradients: two backward passes give twice the gradient. */
static void test_mha_grads_accumulate(void) {
    ecg_graph g;
    ecg_graph_init(&g, 2);
    int q = ecg_input(&g, "q", ecg_shape2(5, 4)), kv = ecg_input(&g, "kv", ecg_shape2(7, 4));
    ecg_graph_set_output(&g, ecg_mha(&g, "attn", q, kv, 2));
    ecg_graph_alloc_grads(&g);
    char err[256];
    ecg_ref *ref = ecg_ref_create(&g, 2, err, sizeof err);
    CHECK(ref != NULL, "%s", err);
    if (!ref) {
        ecg_graph_free(&g);
        return;
    }
    ecg_rng r = {5};
    float xq[40], xkv[56], dout[40];
    fill_normal(xq, 40, &r, 1);
    fill_normal(xkv, 56, &r, 1);
    fill_normal(dout, 40, &r, 1);
    const float *inputs[2] = {xq, xkv};
    ecg_ref_forward(ref, inputs, 1, 7);
    ecg_graph_zero_grads(&g);
    ecg_ref_backward(ref, dout);
    float *once[4];
    for (int i = 0; i < 4; i++) {
        size_t n = (size_t)ecg_shape_numel(&g.params[i].shape);
        once[i] = malloc(n * sizeof(float));
        memcpy(once[i], g.params[i].grad, n * sizeof(float));
    }
    ecg_ref_backward(ref, dout);
    for (int i = 0; i < 4; i++) {
        size_t n = (size_t)ecg_shape_numel(&g.params[i].shape);
        double worst = 0, scale = 0;
        for (size_t j = 0; j < n; j++) {
            worst = fmax(worst, fabs(g.params[i].grad[j] - 2 * once[i][j]));
            scale = fmax(scale, fabs(once[i][j]));
        }
        CHECK(scale > 0, "%s: zero gradient", g.params[i].name);
        CHECK(worst <= 1e-5 * scale, "%s: second backward did not accumulate (err %g)", g.params[i].name, worst);
        free(once[i]);
    }
    ecg_ref_free(ref);
    ecg_graph_free(&g);
}

/* infer rejects a bad shape or head count with a message naming the problem. */
static void expect_build_error(ecg_shape qs, ecg_shape kvs, int self, int heads, const char *needle) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int q = ecg_input(&g, "q", qs);
    int kv = self ? -1 : ecg_input(&g, "kv", kvs);
    int out = ecg_mha(&g, "attn", q, kv, heads);
    CHECK(out < 0, "expected a build error containing '%s'", needle);
    CHECK(strstr(g.err, needle) != NULL, "error '%s' does not mention '%s'", g.err, needle);
    ecg_graph_free(&g);
}

static void test_mha_infer_errors(void) {
    expect_build_error(ecg_shape2(5, 8), ecg_shape2(7, 8), 0, 3, "heads = 3");
    expect_build_error(ecg_shape2(5, 8), ecg_shape2(7, 8), 0, 0, "heads = 0");
    expect_build_error(ecg_shape2(5, 8), ecg_shape2(7, 8), 1, -2, "divide the embedding size");
    expect_build_error(ecg_shape2(5, 8), ecg_shape2(7, 6), 0, 2, "embedding size mismatch");
    expect_build_error(ecg_shape1(8), ecg_shape2(7, 8), 0, 2, "rank 2");
    expect_build_error(ecg_shape2(5, 8), ecg_shape3(2, 7, 8), 0, 2, "rank 2");
    /* and a valid one builds */
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int q = ecg_input(&g, "q", ecg_shape2(5, 8));
    CHECK(ecg_mha(&g, "attn", q, -1, 8) >= 0, "8 heads of width 1: %s", g.err);
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_mha_self);
    RUN(test_mha_cross);
    RUN(test_mha_peaked);
    RUN(test_mha_params_flops);
    RUN(test_mha_grads_accumulate);
    RUN(test_mha_infer_errors);
    return test_done();
}
