/* Own sparse 1x1 kernel (ops/sparse_gemm.c): every ISA path this CPU runs, and the portable one,
 * against a naive double loop; the XNNPACK executor with ECG_XNN_SPARSE against the reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthreadpool.h>

#include "../cli/cli.h"
#include "harness.h"
#include "ops/isa.h"
#include "ops/rng.h"
#include "ops/sparse_gemm.h"

/* W [out, in] N(0,1) with each weight zeroed with probability 1 - density; optionally whole
 * rows (outputs) left empty. */
static void fill_sparse(float *w, int out, int in, double density, int empty_rows, ecg_rng *r) {
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++) {
            float v = ecg_rng_normal(r);
            int keep = ecg_rng_uniform(r) < density && !(empty_rows && o % 5 == 2);
            w[(size_t)o * (size_t)in + (size_t)i] = keep ? v : 0.0f;
        }
}

static void naive(const float *w, const float *bias, const float *x, size_t rows, int out, int in, double *y) {
    for (size_t r = 0; r < rows; r++)
        for (int o = 0; o < out; o++) {
            double acc = bias ? bias[o] : 0.0;
            for (int i = 0; i < in; i++) acc += (double)w[(size_t)o * (size_t)in + (size_t)i] * x[r * (size_t)in + (size_t)i];
            y[r * (size_t)out + (size_t)o] = acc;
        }
}

/* Packs, runs on every supported path (serial and on a 2-thread pool), compares. */
static void check_case(int rows, int out, int in, double density, int empty_rows, int with_bias, uint64_t seed) {
    ecg_rng r = {seed};
    float *w = malloc((size_t)out * (size_t)in * sizeof(float));
    float *bias = malloc((size_t)out * sizeof(float));
    float *x = malloc((size_t)rows * (size_t)in * sizeof(float) + 1);
    fill_sparse(w, out, in, density, empty_rows, &r);
    fill_normal(bias, (size_t)out, &r, 1.0f);
    fill_normal(x, (size_t)rows * (size_t)in, &r, 1.0f);
    double *ref = malloc((size_t)rows * (size_t)out * sizeof(double) + 1);
    naive(w, with_bias ? bias : NULL, x, (size_t)rows, out, in, ref);

    char err[256] = "";
    size_t bytes = ecg_sparse_w_bytes(w, out, in);
    void *mem = aligned_alloc(64, (bytes + 63) / 64 * 64);
    ecg_sparse_w *s = ecg_sparse_w_pack(mem, bytes, w, with_bias ? bias : NULL, out, in, err, sizeof err);
    CHECK(s != NULL, "pack %dx%d: %s", out, in, err);
    size_t nnz = 0;
    for (size_t k = 0; k < (size_t)out * (size_t)in; k++) nnz += w[k] != 0.0f;
    if (s) {
        CHECK(ecg_sparse_w_nnz(s) == nnz, "nnz %zu, want %zu", ecg_sparse_w_nnz(s), nnz);
        CHECK(ecg_sparse_w_padded(s) >= nnz && ecg_sparse_w_padded(s) < nnz + 8 * (size_t)in, "padded %zu", ecg_sparse_w_padded(s));
        CHECK(ecg_sparse_w_out(s) == out && ecg_sparse_w_in(s) == in, "dims");
    }
    size_t nsc = s ? ecg_sparse_scratch_floats(s, (size_t)rows) : 0;
    /* Odd byte offsets are not possible for floats; offset by one float so nothing is 32-byte
     * aligned (the kernels must use unaligned loads). */
    float *scratch = malloc((nsc + 1) * sizeof(float) + 1);
    float *ybuf = malloc(((size_t)rows * (size_t)out + 1) * sizeof(float));
    float *xbuf = malloc(((size_t)rows * (size_t)in + 1) * sizeof(float));
    float *y = ybuf + 1, *xu = xbuf + 1;
    memcpy(xu, x, (size_t)rows * (size_t)in * sizeof(float));
    pthreadpool_t tp = pthreadpool_create(2);
    for (int isa = ECG_ISA_SCALAR; s && isa <= ECG_ISA_AVX512; isa++) {
        if (!ecg_isa_supported((ecg_isa)isa)) {
            char e2[256] = "";
            CHECK(ecg_sparse_gemm(s, xu, (size_t)rows, (size_t)in, y, (size_t)out, scratch + 1, nsc, NULL,
                                  (ecg_isa)isa, e2, sizeof e2) == -1 && strstr(e2, "no "),
                  "unsupported %s must fail: '%s'", ecg_isa_name((ecg_isa)isa), e2);
            continue;
        }
        for (int threaded = 0; threaded < 2; threaded++) {
            for (size_t k = 0; k < (size_t)rows * (size_t)out; k++) y[k] = NAN;
            int rc = ecg_sparse_gemm(s, xu, (size_t)rows, (size_t)in, y, (size_t)out, scratch + 1, nsc,
                                     threaded ? tp : NULL, (ecg_isa)isa, err, sizeof err);
            CHECK(rc == 0, "%s: %s", ecg_isa_name((ecg_isa)isa), err);
            double worst = 0, scale = 1e-3;
            for (size_t k = 0; k < (size_t)rows * (size_t)out; k++) {
                double d = fabs((double)y[k] - ref[k]);
                if (!(d <= worst)) worst = isnan(d) ? INFINITY : d;
                if (fabs(ref[k]) > scale) scale = fabs(ref[k]);
            }
            CHECK(worst / scale < 1e-5, "%s%s rows %d %d->%d density %.2f%s: rel err %.3g", ecg_isa_name((ecg_isa)isa),
                  threaded ? " (2 threads)" : "", rows, in, out, density, empty_rows ? " empty rows" : "", worst / scale);
        }
    }
    if (tp) pthreadpool_destroy(tp);
    free(w), free(bias), free(x), free(ref), free(mem), free(scratch), free(ybuf), free(xbuf);
}

static void test_kernel_shapes(void) {
    /* rows not multiples of 8/16 (and below 8, 9..16 for the AVX-512 half tile), in/out not
     * multiples of 8 or 16 */
    const int shapes[][3] = {{1, 1, 1},   {7, 5, 3},    {8, 8, 8},    {9, 13, 17},  {16, 24, 144}, {17, 240, 40},
                             {33, 19, 37}, {126, 16, 48}, {5, 96, 576}, {40, 64, 64}, {15, 3, 130}};
    const double dens[] = {1.0, 0.5, 0.1, 0.01};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++)
            check_case(shapes[i][0], shapes[i][2], shapes[i][1], dens[d], 0, (int)(i + d) % 2, 100 * i + d);
}

static void test_kernel_empty_and_zero(void) {
    check_case(21, 29, 23, 0.5, 1, 1, 7);   /* some outputs have no nonzero: bias only */
    check_case(12, 40, 33, 0.0, 0, 1, 8);   /* fully zero W: Y = bias */
    check_case(12, 40, 33, 0.0, 0, 0, 9);   /* ... and no bias: Y = 0 */
    check_case(0 + 3, 1, 300, 0.9, 0, 1, 10);
}

static void test_kernel_errors(void) {
    float w[6] = {1, 0, 2, 0, 0, 3}, x[4] = {1, 2, 3, 4}, y[6], scratch[64];
    char err[256] = "";
    CHECK(ecg_sparse_w_bytes(w, 0, 3) == 0, "out 0 must give 0 bytes");
    _Alignas(64) unsigned char mem[1024];
    CHECK(ecg_sparse_w_pack(mem, 16, w, NULL, 2, 3, err, sizeof err) == NULL && strstr(err, "needed"),
          "short memory must fail: '%s'", err);
    ecg_sparse_w *s = ecg_sparse_w_pack(mem, sizeof mem, w, NULL, 2, 3, err, sizeof err);
    CHECK(s != NULL, "%s", err);
    if (!s) return;
    err[0] = 0;
    CHECK(ecg_sparse_gemm(s, x, 2, 2, y, 2, scratch, 64, NULL, ECG_ISA_SCALAR, err, sizeof err) == -1 &&
              strstr(err, "shape mismatch"),
          "in 2 vs weights in 3 must fail: '%s'", err);
    err[0] = 0;
    CHECK(ecg_sparse_gemm(s, x, 1, 3, y, 2, scratch, 1, NULL, ECG_ISA_SCALAR, err, sizeof err) == -1 &&
              strstr(err, "scratch"),
          "short scratch must fail: '%s'", err);
    /* 1 row: y = W x */
    CHECK(ecg_sparse_gemm(s, x, 1, 3, y, 2, scratch, 64, NULL, ECG_ISA_SCALAR, err, sizeof err) == 0, "%s", err);
    CHECK(y[0] == 1 * 1 + 2 * 3 && y[1] == 3 * 3, "y = %g %g, want 7 9", y[0], y[1]);
}

/* Zeroes each weight of every 1x1 conv / linear with probability 1 - density. */
static void prune_graph(ecg_graph *g, double density, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        if (!strstr(p->name, ".weight") || strstr(p->name, "bn")) continue;
        for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++)
            if (ecg_rng_uniform(&r) >= density) p->data[j] = 0.0f;
    }
}

/* Non-trivial BN statistics so folding (scaled rows, new bias) is exercised. */
static void randomize_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_params; i++) {
        ecg_param *p = &g->params[i];
        if (!strstr(p->name, "bn")) continue;
        for (int64_t j = 0; j < ecg_shape_numel(&p->shape); j++) {
            if (strstr(p->name, "running_var")) p->data[j] = 0.5f + ecg_rng_uniform(&r);
            else p->data[j] = (strstr(p->name, "weight") ? 1.0f : 0.0f) + 0.3f * ecg_rng_normal(&r);
        }
    }
}

/* A small MBConv-like graph: pointwise expand (+BN, folded), a k=3 conv and a depthwise conv
 * (never sparse), pointwise project with bias, a linear on [T, C] and a classifier on [C]. */
static void build_small(ecg_graph *g, int t) {
    ecg_graph_init(g, 11);
    int x = ecg_input(g, "x", ecg_shape2(t, 12));
    int h = ecg_conv1d(g, "expand", x, 40, 1, 1, 1, 1, 0);
    h = ecg_batchnorm(g, "expand.bn", h, 1e-5f, 0.1f);
    h = ecg_unary(g, ECG_OP_RELU, "act", h);
    h = ecg_dwconv1d(g, "dw", h, 9, 1, 1, 0);
    h = ecg_conv1d(g, "k3", h, 24, 3, 1, 1, 1, 1);
    h = ecg_conv1d(g, "project", h, 17, 1, 1, 1, 1, 1);
    h = ecg_linear(g, "tmix", h, 21, 1);
    h = ecg_gap(g, "pool", h);
    ecg_graph_set_output(g, ecg_linear(g, "classifier", h, 5, 1));
}

static ecg_xnn_stats plan_stats(ecg_graph *g, unsigned flags) {
    char err[ECG_ERR_LEN];
    ecg_xnn *x = ecg_xnn_create(g, 2, 1, flags, err, sizeof err);
    CHECK(x != NULL, "create (flags %u): %s", flags, err);
    ecg_xnn_stats s = {0};
    if (x) s = ecg_xnn_get_stats(x);
    ecg_xnn_free(x);
    return s;
}

/* Forced sparse: 4 layers (expand, project, tmix, classifier) go to the own kernel and the
 * result matches the reference executor, on one thread and two, for several batch sizes. */
static void test_executor_forced(void) {
    const double dens[] = {0.5, 0.1, 0.0};
    for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++) {
        ecg_graph g;
        build_small(&g, 37);
        CHECK(!g.err[0], "build: %s", g.err);
        randomize_bn(&g, 3 + d);
        prune_graph(&g, dens[d], 5 + d);
        ecg_xnn_stats s = plan_stats(&g, ECG_XNN_SPARSE_ALWAYS);
        CHECK(s.n_sparse == 4 && s.n_sparse_timed == 0 && s.n_bn_folded == 1,
              "forced: %d layers sparse (want 4), %d timed, %d BN folded", s.n_sparse, s.n_sparse_timed, s.n_bn_folded);
        ecg_xnn_stats off = plan_stats(&g, ECG_XNN_NO_SMALL); /* all dense on XNNPACK */
        CHECK(off.n_sparse == 0 && off.n_sparse_timed == 0, "without the flag: %d sparse", off.n_sparse);
        /* the ReLU folded into expand is a clamp step of its own after the sparse kernel */
        CHECK(s.n_relu_fused == 1 && off.n_relu_fused == 1, "%d / %d ReLUs folded", s.n_relu_fused, off.n_relu_fused);
        CHECK(s.n_xnn_ops == off.n_xnn_ops - 4 + 1, "forced sparse: %d XNNPACK ops, dense plan %d", s.n_xnn_ops,
              off.n_xnn_ops);
        char label[64];
        snprintf(label, sizeof label, "sparse executor density %.1f", dens[d]);
        for (int batch = 1; batch <= 3; batch += 2)
            for (int threads = 1; threads <= 2; threads++)
                xnn_check(label, &g, batch, threads, ECG_XNN_SPARSE_ALWAYS, 1e-4, 40 + d);
        ecg_graph_free(&g);
    }
}

/* Timed choice: every candidate layer is timed, whichever wins the output still matches. */
static void test_executor_timed(void) {
    ecg_graph g;
    build_small(&g, 64);
    randomize_bn(&g, 1);
    prune_graph(&g, 0.1, 2);
    ecg_xnn_stats s = plan_stats(&g, ECG_XNN_SPARSE);
    CHECK(s.n_sparse_timed == 4 && s.n_sparse >= 0 && s.n_sparse <= 4, "timed %d (want 4), chose sparse %d",
          s.n_sparse_timed, s.n_sparse);
    xnn_check("timed sparse choice", &g, 2, 2, ECG_XNN_SPARSE, 1e-4, 9);
    ecg_graph_free(&g);
}

/* Strided or padded 1x1 convs are not plain GEMMs over rows: they stay dense (XNNPACK, or the
 * small-row kernel's windowed path where it reads the weights fewer times, ops/xnn_small.c). */
static void test_executor_not_pointwise(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int x = ecg_input(&g, "x", ecg_shape2(30, 8));
    int h = ecg_conv1d(&g, "s2", x, 16, 1, 2, 1, 1, 0);
    h = ecg_conv1d_pad(&g, "padded", h, 16, 1, 1, 1, 1, 0, 1, 1);
    h = ecg_conv1d(&g, "grouped", h, 16, 1, 1, 1, 2, 0);
    ecg_graph_set_output(&g, h);
    CHECK(!g.err[0], "build: %s", g.err);
    ecg_xnn_stats s = plan_stats(&g, ECG_XNN_SPARSE_ALWAYS);
    CHECK(s.n_sparse == 0 && s.n_xnn_ops + s.n_small == 3, "%d sparse, %d XNNPACK ops, %d small", s.n_sparse,
          s.n_xnn_ops, s.n_small);
    xnn_check("not pointwise", &g, 2, 1, ECG_XNN_SPARSE_ALWAYS, 1e-4, 4);
    ecg_graph_free(&g);
}

/* ecgbench bench-sparse plumbing (never its timings): usage errors exit 2; a tiny run writes one
 * row per shape, sparsity and executor, with the forced-sparse rows lowered sparse and the dense
 * rows not, and speedup 1 for dense. */
static void test_bench_sparse_cli(void) {
    char *a1[] = {"bench-sparse", "--shapes", "8:16"};
    CHECK(ecg_cmd_bench_sparse(3, a1) == 2, "a shape without out was accepted");
    char *a2[] = {"bench-sparse", "--sparsity", "101"};
    CHECK(ecg_cmd_bench_sparse(3, a2) == 2, "sparsity 101 accepted");
    char *a3[] = {"bench-sparse", "--frobnicate"};
    CHECK(ecg_cmd_bench_sparse(2, a3) == 2, "unknown option accepted");

    char dir[] = "/tmp/ecgbench_test_sparse_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char *a4[] = {"bench-sparse", "--shapes", "5:17:9,3:8:16", "--sparsity", "0,90", "--out", dir,
                  "--benchmark_min_time=0.001", "--benchmark_repetitions=2"};
    CHECK(ecg_cmd_bench_sparse((int)(sizeof a4 / sizeof a4[0]), a4) == 0, "tiny run failed");
    char path[300];
    snprintf(path, sizeof path, "%s/bench_sparse.csv", dir);
    char *text = test_read_file(path);
    CHECK(text != NULL, "no %s", path);
    int rows = 0, bad = 0;
    if (text) {
        CHECK(!strncmp(text, "shape,sparsity,executor,median_us,p90_us,speedup_vs_dense,", 58), "header: %.80s", text);
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line == text) continue; /* header */
            rows++;
            char shape[32], ex[32];
            int sp, t, in, out, nnz, lowered;
            double med, p90, speedup;
            if (sscanf(line, "%31[^,],%d,%31[^,],%lf,%lf,%lf,%d,%d,%d,%d,%d", shape, &sp, ex, &med, &p90, &speedup, &t,
                       &in, &out, &nnz, &lowered) != 11) {
                bad++;
                continue;
            }
            if (!strcmp(ex, "sparse") && lowered != 1) bad++;
            if (!strcmp(ex, "xnnpack-dense") && (lowered != 0 || speedup != 1.0)) bad++;
            if (!(med > 0) || p90 < med || nnz > in * out || (sp == 0 && nnz != in * out)) bad++;
        }
    }
    CHECK(rows == 2 * 2 * 3 && bad == 0, "%d rows (want 12), %d bad", rows, bad);
    free(text);
    unlink(path);
    snprintf(path, sizeof path, "%s/run.json", dir);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    printf("sparse kernel paths on this CPU: best %s\n", ecg_isa_name(ecg_isa_best()));
    RUN(test_kernel_shapes);
    RUN(test_kernel_empty_and_zero);
    RUN(test_kernel_errors);
    RUN(test_executor_forced);
    RUN(test_executor_timed);
    RUN(test_executor_not_pointwise);
    RUN(test_bench_sparse_cli);
    return test_done();
}
