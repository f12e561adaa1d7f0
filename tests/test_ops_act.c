/* Activations: forward vs naive loop, backward vs central differences, on random shapes. */
#include <math.h>

#include "harness.h"
#include "ops/rng.h"

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

static double naive_unary(ecg_op_kind k, double x) {
    switch (k) {
    case ECG_OP_RELU: return x > 0 ? x : 0;
    case ECG_OP_SILU: return x * sig(x);
    case ECG_OP_SIGMOID: return sig(x);
    case ECG_OP_TANH: return tanh(x);
    case ECG_OP_HARDSWISH: return x * fmin(fmax(x + 3, 0), 6) / 6;
    default: return NAN;
    }
}

static void naive(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                  const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    (void)out_shape;
    size_t total = (size_t)batch * (size_t)ecg_shape_numel(&in_shape[0]);
    for (size_t i = 0; i < total; i++) out[i] = naive_unary(n->kind, in[0][i]);
}

static void check_kind(ecg_op_kind kind) {
    ecg_rng r = {99 + (uint64_t)kind};
    for (int trial = 0; trial < 4; trial++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int t = rand_int(&r, 1, 33), c = rand_int(&r, 1, 9);
        int x = ecg_input(&g, "x", trial % 2 ? ecg_shape2(t, c) : ecg_shape1(c));
        ecg_unary(&g, kind, "act", x);
        op_check_opts o = {.batch = rand_int(&r, 1, 4), .seed = 5 + (uint64_t)trial};
        op_check(ecg_op_get(kind)->name, &g, naive, &o);
        ecg_graph_free(&g);
    }
}

static void test_relu(void) { check_kind(ECG_OP_RELU); }
static void test_silu(void) { check_kind(ECG_OP_SILU); }
static void test_sigmoid(void) { check_kind(ECG_OP_SIGMOID); }
static void test_tanh(void) { check_kind(ECG_OP_TANH); }
static void test_hardswish(void) { check_kind(ECG_OP_HARDSWISH); }

/* The FLOP count of an elementwise op is one per element. */
static void test_act_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_input(&g, "x", ecg_shape2(50, 8));
    ecg_unary(&g, ECG_OP_SILU, "act", x);
    CHECK(ecg_graph_flops(&g) == 400, "flops %lld", (long long)ecg_graph_flops(&g));
    CHECK(ecg_graph_param_count(&g) == 0, "params");
    ecg_graph_free(&g);
}

int main(void) {
    RUN(test_relu);
    RUN(test_silu);
    RUN(test_sigmoid);
    RUN(test_tanh);
    RUN(test_hardswish);
    RUN(test_act_flops);
    return test_done();
}
