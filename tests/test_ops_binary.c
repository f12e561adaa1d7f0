/* add and mul with broadcasting: forward vs a naive index loop, backward (sums over broadcast
 * axes) vs finite differences, XNNPACK agreement on every accepted pattern, rejected shapes. */
#include <string.h>

#include "harness.h"
#include "ops/rng.h"

/* Offset into s of the output's flat index i (numpy rules: right-aligned, size-1 dims repeat). */
static int64_t source_offset(const ecg_shape *s, const ecg_shape *out, int64_t i) {
    int64_t off = 0, step = 1;
    for (int ax = out->rank - 1; ax >= 0; ax--) {
        int64_t coord = i % out->d[ax];
        i /= out->d[ax];
        int is = ax - (out->rank - s->rank);
        if (is < 0) continue;
        if (s->d[is] != 1) off += coord * step;
        step *= s->d[is];
    }
    return off;
}

static void naive_binary(const ecg_node *n, int batch, const double *const *in, const ecg_shape *in_shape,
                         const double *const *w, double *out, const ecg_shape *out_shape) {
    (void)w;
    int64_t na = ecg_shape_numel(&in_shape[0]), nb = ecg_shape_numel(&in_shape[1]);
    int64_t no = ecg_shape_numel(out_shape);
    for (int64_t s = 0; s < batch; s++)
        for (int64_t i = 0; i < no; i++) {
            double a = in[0][s * na + source_offset(&in_shape[0], out_shape, i)];
            double b = in[1][s * nb + source_offset(&in_shape[1], out_shape, i)];
            out[s * no + i] = n->kind == ECG_OP_MUL ? a * b : a + b;
        }
}

typedef struct {
    const char *label;
    ecg_shape a, b, want;
} bcast_case;

/* T and C random (T odd); 0 marks "1" so the same table covers [1, C] and [T, 1]. */
static ecg_shape make_shape(int rank, int d0, int d1) { return rank == 1 ? ecg_shape1(d0) : ecg_shape2(d0, d1); }

static void cases(ecg_rng *r, bcast_case *out, int *n) {
    int t = 2 * rand_int(r, 1, 10) + 1, c = rand_int(r, 2, 7);
    bcast_case list[] = {
        {"[T,C]+[T,C]", make_shape(2, t, c), make_shape(2, t, c), make_shape(2, t, c)},
        {"[T,C]*[C]", make_shape(2, t, c), make_shape(1, c, 0), make_shape(2, t, c)},
        {"[T,C]*[1,C]", make_shape(2, t, c), make_shape(2, 1, c), make_shape(2, t, c)},
        {"[C]+[C]", make_shape(1, c, 0), make_shape(1, c, 0), make_shape(1, c, 0)},
        {"[C]*[T,C]", make_shape(1, c, 0), make_shape(2, t, c), make_shape(2, t, c)},
        {"[T,1]*[1,C]", make_shape(2, t, 1), make_shape(2, 1, c), make_shape(2, t, c)},
        {"[T,C]+[T,1]", make_shape(2, t, c), make_shape(2, t, 1), make_shape(2, t, c)},
    };
    *n = (int)(sizeof list / sizeof list[0]);
    memcpy(out, list, sizeof list);
}

static void check_kind(ecg_op_kind kind) {
    ecg_rng r = {kind == ECG_OP_ADD ? 501u : 502u};
    for (int round = 0; round < 2; round++) {
        bcast_case cs[8];
        int n;
        cases(&r, cs, &n);
        for (int i = 0; i < n; i++) {
            ecg_graph g;
            ecg_graph_init(&g, 1);
            int a = ecg_input(&g, "a", cs[i].a), b = ecg_input(&g, "b", cs[i].b);
            int y = ecg_binary(&g, kind, "op", a, b);
            CHECK(y >= 0 && ecg_shape_eq(&g.values[y].shape, &cs[i].want), "%s: output shape (%s)", cs[i].label,
                  g.err);
            char label[64];
            snprintf(label, sizeof label, "%s %s", ecg_op_get(kind)->name, cs[i].label);
            op_check_opts o = {.batch = rand_int(&r, 1, 4), .seed = 60 + (uint64_t)i};
            op_check(label, &g, naive_binary, &o);
            ecg_graph_free(&g);
        }
    }
}

static void test_add(void) { check_kind(ECG_OP_ADD); }
static void test_mul(void) { check_kind(ECG_OP_MUL); }

/* The same value on both sides (x * x, x + x): both gradients land in one buffer and add up. */
static void test_same_value_twice(void) {
    for (int k = 0; k < 2; k++) {
        ecg_graph g;
        ecg_graph_init(&g, 1);
        int x = ecg_input(&g, "x", ecg_shape2(7, 3));
        ecg_binary(&g, k ? ECG_OP_MUL : ECG_OP_ADD, "op", x, x);
        op_check_opts o = {.batch = 3, .seed = 8};
        op_check(k ? "x*x" : "x+x", &g, naive_binary, &o);
        ecg_graph_free(&g);
    }
}

static void test_binary_rejects(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int a = ecg_input(&g, "a", ecg_shape2(5, 3)), b = ecg_input(&g, "b", ecg_shape1(4));
    CHECK(ecg_binary(&g, ECG_OP_ADD, "res", a, b) < 0, "[T,3] + [4] accepted");
    CHECK(strstr(g.err, "res") && strstr(g.err, "[5, 3]") && strstr(g.err, "[4]") && strstr(g.err, "broadcast"),
          "message: %s", g.err);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    a = ecg_input(&g, "a", ecg_shape2(5, 3));
    b = ecg_input(&g, "b", ecg_shape2(4, 3));
    CHECK(ecg_binary(&g, ECG_OP_MUL, "se", a, b) < 0 && strstr(g.err, "se"), "[5,3] * [4,3] accepted: %s", g.err);
    ecg_graph_free(&g);

    ecg_graph_init(&g, 1);
    int in[3] = {ecg_input(&g, "a", ecg_shape1(3)), ecg_input(&g, "b", ecg_shape1(3)),
                 ecg_input(&g, "c", ecg_shape1(3))};
    ecg_attrs at = ecg_attrs_default();
    CHECK(ecg_node_add(&g, ECG_OP_ADD, "add3", in, 3, NULL, 0, &at) < 0 && strstr(g.err, "2 inputs"),
          "3-input add: %s", g.err);
    ecg_graph_free(&g);
}

static void test_binary_flops(void) {
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int a = ecg_input(&g, "a", ecg_shape2(51, 8)), b = ecg_input(&g, "b", ecg_shape1(8));
    ecg_binary(&g, ECG_OP_MUL, "se", a, b);
    CHECK(ecg_graph_flops(&g) == 51 * 8, "mul flops %lld", (long long)ecg_graph_flops(&g));
    ecg_binary(&g, ECG_OP_ADD, "add", b, a);
    CHECK(ecg_graph_flops(&g) == 2 * 51 * 8, "+add flops %lld", (long long)ecg_graph_flops(&g));
    ecg_graph_free(&g);
}

/* Every pattern the reference accepts runs on XNNPACK's add_nd / multiply_nd with the same result. */
static void test_binary_xnn(void) {
    ecg_rng r = {503};
    bcast_case cs[8];
    int n;
    cases(&r, cs, &n);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < n; i++) {
            ecg_graph g;
            ecg_graph_init(&g, 1);
            int a = ecg_input(&g, "a", cs[i].a), b = ecg_input(&g, "b", cs[i].b);
            ecg_graph_set_output(&g, ecg_binary(&g, k ? ECG_OP_MUL : ECG_OP_ADD, "op", a, b));
            char label[64];
            snprintf(label, sizeof label, "xnn %s %s", k ? "mul" : "add", cs[i].label);
            xnn_check(label, &g, 1 + i % 3, 1 + k, 0, 1e-6, (uint64_t)i);
            ecg_graph_free(&g);
        }
}

int main(void) {
    RUN(test_add);
    RUN(test_mul);
    RUN(test_same_value_twice);
    RUN(test_binary_rejects);
    RUN(test_binary_flops);
    RUN(test_binary_xnn);
    return test_done();
}
