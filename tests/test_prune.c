/* Magnitude pruning: exact sparsity with the smallest weights removed (global and per layer),
 * dense first/last layers when asked, the cubic schedule, and masks that survive fine-tuning. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress/compress.h"
#include "harness.h"
#include "ops/rng.h"
#include "ops/safetensors.h"
#include "train/train.h"

enum { LEN = 32 };

/* conv stem -> depthwise -> 1x1 -> pool -> linear: five prunable weights of different sizes. */
static int small_net(ecg_graph *g, int classes) {
    ecg_graph_init(g, 11);
    int x = ecg_input(g, "ecg", ecg_shape2(LEN, 1));
    x = ecg_unary(g, ECG_OP_RELU, "a0", ecg_conv1d(g, "stem", x, 8, 5, 1, 1, 1, 1));
    x = ecg_unary(g, ECG_OP_RELU, "a1", ecg_dwconv1d(g, "dw", x, 9, 1, 1, 0));
    x = ecg_unary(g, ECG_OP_RELU, "a2", ecg_conv1d(g, "pw", x, 16, 1, 1, 1, 1, 1));
    x = ecg_unary(g, ECG_OP_RELU, "a3", ecg_linear(g, "fc1", ecg_gap(g, "pool", x), 12, 1));
    ecg_graph_set_output(g, ecg_linear(g, "fc2", x, classes, 1));
    return g->err[0] ? -1 : 0;
}

static const ecg_param *param(const ecg_graph *g, const char *name) { return &g->params[ecg_param_find(g, name)]; }

static int64_t zeros(const ecg_param *p) {
    int64_t z = 0, n = ecg_shape_numel(&p->shape);
    for (int64_t k = 0; k < n; k++) z += p->data[k] == 0.0f;
    return z;
}

/* Largest pruned magnitude (from a copy taken before pruning) and smallest kept one, over params. */
static void pruned_vs_kept(const ecg_graph *before, const ecg_graph *after, const int *ids, int n, float *max_pruned,
                           float *min_kept) {
    *max_pruned = 0, *min_kept = INFINITY;
    for (int i = 0; i < n; i++) {
        const ecg_param *b = &before->params[ids[i]], *a = &after->params[ids[i]];
        for (int64_t k = 0; k < ecg_shape_numel(&b->shape); k++) {
            float m = fabsf(b->data[k]);
            if (a->data[k] == 0.0f) *max_pruned = fmaxf(*max_pruned, m);
            else *min_kept = fminf(*min_kept, m);
        }
    }
}

static void test_prunable_params_are_the_weight_matrices(void) {
    ecg_graph g;
    CHECK(small_net(&g, 3) == 0, "build: %s", g.err);
    int ids[8], n = ecg_prunable_params(&g, ids, 8);
    static const char *const want[] = {"stem.weight", "dw.weight", "pw.weight", "fc1.weight", "fc2.weight"};
    CHECK(n == 5, "%d prunable params, want 5", n);
    for (int i = 0; i < n && i < 5; i++)
        CHECK(!strcmp(g.params[ids[i]].name, want[i]), "prunable %d is %s, want %s", i, g.params[ids[i]].name, want[i]);
    ecg_graph_free(&g);
}

static void test_global_pruning_removes_the_smallest(void) {
    ecg_graph g, before;
    CHECK(small_net(&g, 3) == 0 && ecg_graph_clone(&before, &g) == 0, "build");
    ecg_pruner p;
    char err[256];
    CHECK(ecg_pruner_init(&p, &g, (ecg_prune_cfg){.sparsity = 0.7, .global = 1}, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_prune_to(&p, 0.7) == 0, "prune");
    int64_t total = 0, z = 0;
    for (int i = 0; i < p.n; i++) {
        total += ecg_shape_numel(&g.params[p.param[i]].shape);
        z += zeros(&g.params[p.param[i]]);
    }
    CHECK(z == llround(0.7 * (double)total), "%lld zeros of %lld, want exactly 70%%", (long long)z, (long long)total);
    float max_pruned, min_kept;
    pruned_vs_kept(&before, &g, p.param, p.n, &max_pruned, &min_kept);
    CHECK(max_pruned <= min_kept, "a pruned weight (|w| %g) is larger than a kept one (%g)", max_pruned, min_kept);
    CHECK(zeros(param(&g, "fc1.bias")) == 0 && zeros(param(&g, "stem.bias")) == 0, "biases were pruned");
    CHECK(ecg_nonzero_params(&g) == ecg_graph_param_count(&g) - z, "nonzero count");
    ecg_layer_sparsity l = ecg_prune_layer(&p, 2);
    CHECK(!strcmp(l.name, "pw.weight") && l.numel == 16 * 8 && l.nonzero == l.numel - zeros(param(&g, "pw.weight")),
          "layer report %s %lld %lld", l.name, (long long)l.numel, (long long)l.nonzero);
    ecg_pruner_free(&p);
    ecg_graph_free(&g);
    ecg_graph_free(&before);
}

static void test_per_layer_pruning_and_dense_ends(void) {
    ecg_graph g;
    CHECK(small_net(&g, 3) == 0, "build");
    ecg_pruner p;
    char err[256];
    ecg_prune_cfg c = {.sparsity = 0.5, .global = 0, .keep_first = 1, .keep_last = 1};
    CHECK(ecg_pruner_init(&p, &g, c, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_prune_to(&p, 0.5) == 0, "prune");
    for (int i = 0; i < p.n; i++) {
        const ecg_param *w = &g.params[p.param[i]];
        int64_t n = ecg_shape_numel(&w->shape), want = i == 0 || i == p.n - 1 ? 0 : llround(0.5 * (double)n);
        CHECK(zeros(w) == want, "%s: %lld zeros, want %lld", w->name, (long long)zeros(w), (long long)want);
    }
    /* Masks start from the zeros: a second pruner over the pruned graph keeps them, and apply
     * restores them after the weights were disturbed. */
    ecg_pruner q;
    CHECK(ecg_pruner_init(&q, &g, c, err, sizeof err) == 0, "%s", err);
    ecg_param *pw = &g.params[ecg_param_find(&g, "pw.weight")];
    int64_t z = zeros(pw);
    for (int64_t k = 0; k < ecg_shape_numel(&pw->shape); k++) pw->data[k] += 0.5f;
    ecg_prune_apply(&q);
    CHECK(zeros(pw) == z, "apply: %lld zeros, want %lld", (long long)zeros(pw), (long long)z);
    ecg_pruner_free(&q);
    CHECK(ecg_pruner_init(&q, &g, (ecg_prune_cfg){.sparsity = 1.0}, err, sizeof err) == -1 && strstr(err, "sparsity"),
          "sparsity 1 accepted");
    ecg_pruner_free(&p);
    ecg_graph_free(&g);
}

static void test_cubic_schedule(void) {
    CHECK(ecg_prune_cubic(0, 10, 110, 0.0, 0.9) == 0.0, "before the ramp");
    CHECK(ecg_prune_cubic(10, 10, 110, 0.0, 0.9) == 0.0, "at begin");
    CHECK(fabs(ecg_prune_cubic(60, 10, 110, 0.0, 0.9) - (0.9 - 0.9 * 0.125)) < 1e-12, "half way: s_f (1 - 1/8)");
    CHECK(ecg_prune_cubic(110, 10, 110, 0.0, 0.9) == 0.9 && ecg_prune_cubic(500, 10, 110, 0.0, 0.9) == 0.9, "after");
    double prev = -1;
    for (long t = 10; t <= 110; t++) {
        double s = ecg_prune_cubic(t, 10, 110, 0.0, 0.9);
        CHECK(s >= prev, "not monotone at %ld", t);
        prev = s;
    }
}

/* Two bumps apart: class by sign of a bump at a random place. */
static void bumps(ecg_dataset *d, int n, uint64_t seed) {
    static const char *const names[] = {"up", "down"};
    memset(d, 0, sizeof *d);
    d->n = n, d->length = LEN, d->channels = 1, d->n_classes = 2, d->class_names = names;
    d->x = malloc(sizeof(float) * (size_t)n * LEN);
    d->y = malloc(sizeof(int) * (size_t)n);
    d->record = calloc((size_t)n, sizeof(int));
    ecg_rng r = {seed};
    for (int i = 0; i < n; i++) {
        int at = 8 + (int)(ecg_rng_next(&r) % 16);
        d->y[i] = i % 2;
        for (int t = 0; t < LEN; t++)
            d->x[(size_t)i * LEN + t] = (d->y[i] ? -1.0f : 1.0f) * expf(-0.5f * (float)((t - at) * (t - at))) +
                                         0.1f * ecg_rng_normal(&r);
    }
}

static void test_gradual_pruning_through_the_trainer(void) {
    ecg_dataset tr, val;
    bumps(&tr, 128, 3);
    bumps(&val, 64, 4);
    ecg_graph g, before;
    CHECK(small_net(&g, 2) == 0 && ecg_graph_clone(&before, &g) == 0, "build");
    ecg_pruner p;
    char err[256];
    ecg_prune_cfg pc = {.sparsity = 0.8, .global = 1, .keep_first = 1, .keep_last = 1};
    CHECK(ecg_pruner_init(&p, &g, pc, err, sizeof err) == 0, "%s", err);
    ecg_train_cfg c = ecg_train_defaults();
    c.epochs = 6, c.batch = 16, c.threads = 2, c.lr = 1e-2f, c.eval_batch = 32, c.patience = 100, c.progress = 0;
    long steps = tr.n / c.batch;
    ecg_prune_schedule s = {&p, 0, 3 * steps, 2, 0.0, 0.8, 0};
    c.after_step = ecg_prune_after_step, c.after_step_ctx = &s, c.select_from_epoch = 4;
    ecg_train_result res;
    CHECK(ecg_train(&g, &c, &tr, &val, &res, err, sizeof err) == 0, "train: %s", err);
    CHECK(!s.failed, "a mask update failed");
    CHECK(res.best_epoch >= 4, "best epoch %d was picked before the final sparsity", res.best_epoch);
    int64_t total = 0, z = 0, moved = 0;
    for (int i = 0; i < p.n; i++) {
        const ecg_param *w = &g.params[p.param[i]], *w0 = &before.params[p.param[i]];
        for (int64_t k = 0; k < ecg_shape_numel(&w->shape); k++) {
            z += w->data[k] == 0.0f;
            moved += w->data[k] != 0.0f && w->data[k] != w0->data[k];
            CHECK(p.mask[i][k] == (w->data[k] != 0.0f), "%s[%lld]: mask and weight disagree", w->name, (long long)k);
        }
        if (i > 0 && i < p.n - 1) total += ecg_shape_numel(&w->shape); /* the dense ends have no zeros */
    }
    CHECK(z == llround(0.8 * (double)total), "%lld zeros of %lld after fine-tuning, want 80%%", (long long)z,
          (long long)total);
    int64_t kept = ecg_shape_numel(&g.params[p.param[0]].shape) + ecg_shape_numel(&g.params[p.param[p.n - 1]].shape) +
                   total - z;
    CHECK(moved == kept, "only %lld of %lld kept weights were trained", (long long)moved, (long long)kept);
    ecg_metrics m;
    CHECK(ecg_evaluate(&g, &val, 32, 1, &m, NULL, err, sizeof err) == 0, "eval: %s", err);
    CHECK(m.accuracy > 0.9, "the 80%% sparse net did not learn the bumps: accuracy %.3f", m.accuracy);
    ecg_pruner_free(&p);
    ecg_graph_free(&g);
    ecg_graph_free(&before);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static int same_values(const ecg_graph *a, const ecg_graph *b) {
    for (int i = 0; i < a->n_params; i++)
        for (int64_t k = 0; k < ecg_shape_numel(&a->params[i].shape); k++)
            if (a->params[i].data[k] != b->params[i].data[k]) return 0;
    return 1;
}

/* One 256 x 256 linear at 90% sparsity: 256 KiB dense; a 8 KiB bitmap + 26 KiB of values sparse. */
static void test_sparse_file_is_smaller(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_input(&g, "x", ecg_shape1(256)), 256, 0));
    ecg_pruner p;
    char err[512], dense[] = "/tmp/ecg_dense_XXXXXX", sparse[] = "/tmp/ecg_sparse_XXXXXX";
    close(mkstemp(dense)), close(mkstemp(sparse));
    CHECK(ecg_pruner_init(&p, &g, (ecg_prune_cfg){.sparsity = 0.9, .global = 1}, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_prune_to(&p, 0.9) == 0, "prune");
    CHECK(ecg_safetensors_save(&g, dense, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_sparse_save(&g, sparse, NULL, 0, err, sizeof err) == 0, "%s", err);
    long ds = file_size(dense), ss = file_size(sparse), payload = 256 * 256 / 8 + 4 * llround(0.1 * 256 * 256);
    CHECK(ss >= payload && ss < payload + 512, "sparse file %ld bytes, payload %ld", ss, payload);
    CHECK(ds >= 4 * 256 * 256, "dense file %ld bytes", ds);
    unlink(dense), unlink(sparse);
    ecg_pruner_free(&p);
    ecg_graph_free(&g);
}

/* A sparse file whose metadata gives a shape of [9223372036854775807] (INT64_MAX elements) for a
 * one-byte bitmap: a clear error, not a signed overflow computing the bitmap's size. */
static void test_sparse_file_shape_int64_max(void) {
    ecg_graph g;
    CHECK(small_net(&g, 3) == 0, "build");
    char err[512], path[] = "/tmp/ecg_sparse_big_XXXXXX";
    close(mkstemp(path));
    uint8_t bits[1] = {0};
    ecg_st_tensor t[2];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "fc2.weight.nz_mask");
    t[0].dtype = ECG_DT_U8, t[0].rank = 1, t[0].shape[0] = 1, t[0].data = bits, t[0].nbytes = 1;
    snprintf(t[1].name, sizeof t[1].name, "fc2.weight.nz_values");
    t[1].dtype = ECG_DT_F32, t[1].rank = 1, t[1].shape[0] = 0, t[1].data = bits, t[1].nbytes = 0;
    const char *shapes[] = {"[9223372036854775807]", "[9223372036854775801]", "[4611686018427387904, 2]"};
    for (int k = 0; k < 3; k++) {
        const char *meta[] = {"ecgbench_format", "sparse-bitmap-v1", "fc2.weight.shape", shapes[k]};
        CHECK(ecg_st_write(path, t, 2, meta, 2, err, sizeof err) == 0, "%s", err);
        err[0] = 0;
        CHECK(ecg_sparse_load(&g, path, err, sizeof err) == -1 && strstr(err, "fc2.weight.nz_mask"), "shape %s: %s",
              shapes[k], err);
    }
    unlink(path);
    ecg_graph_free(&g);
}

static void test_sparse_file_round_trip_and_size(void) {
    ecg_graph g, h;
    CHECK(small_net(&g, 3) == 0 && small_net(&h, 3) == 0, "build");
    /* another init seed: the loaded values must come from the file */
    for (int i = 0; i < h.n_params; i++) h.params[i].data[0] += 1.0f;
    ecg_pruner p;
    char err[512], dense[] = "/tmp/ecg_dense_XXXXXX", sparse[] = "/tmp/ecg_sparse_XXXXXX";
    close(mkstemp(dense)), close(mkstemp(sparse));
    CHECK(ecg_pruner_init(&p, &g, (ecg_prune_cfg){.sparsity = 0.9, .global = 1}, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_prune_to(&p, 0.9) == 0, "prune");
    g.params[ecg_param_find(&g, "fc2.bias")].data[1] = -0.0f; /* a negative zero is a zero */
    const char *meta[] = {"model", "small"};
    CHECK(ecg_safetensors_save(&g, dense, NULL, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_sparse_save(&g, sparse, meta, 1, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_sparse_load(&h, sparse, err, sizeof err) == 0, "%s", err);
    CHECK(same_values(&g, &h), "the sparse file does not load back to the same weights");
    long ds = file_size(dense), ss = file_size(sparse);
    CHECK(ss > 0 && ss < ds, "a 90%% sparse model takes %ld bytes sparse, %ld dense", ss, ds);
    CHECK(ecg_sparse_load(&h, dense, err, sizeof err) == -1 && strstr(err, "not an ecgbench sparse"), "dense: %s", err);

    /* a bitmap that claims one more nonzero than there are values */
    ecg_st_file f;
    CHECK(ecg_st_read(&f, sparse, err, sizeof err) == 0, "%s", err);
    const ecg_st_tensor *m = ecg_st_find(&f, "pw.weight.nz_mask");
    CHECK(m != NULL, "pw.weight is not stored sparse");
    if (m) {
        ecg_st_tensor *t = calloc((size_t)f.n, sizeof *t);
        uint8_t *bits = malloc(m->nbytes);
        memcpy(bits, m->data, m->nbytes);
        for (int k = 0; k < 8; k++)
            if (!(bits[0] >> k & 1)) {
                bits[0] |= (uint8_t)(1u << k);
                break;
            }
        for (int i = 0; i < f.n; i++) t[i] = f.t[i];
        t[m - f.t].data = bits;
        CHECK(ecg_st_write(sparse, t, f.n, (const char *const *)f.meta_kv, f.n_meta, err, sizeof err) == 0, "%s", err);
        CHECK(ecg_sparse_load(&h, sparse, err, sizeof err) == -1 && strstr(err, "disagree"), "tampered: %s", err);
        free(bits);
        free(t);
    }
    ecg_st_free(&f);
    /* a truncated file */
    CHECK(truncate(sparse, ss / 2) == 0, "truncate");
    CHECK(ecg_sparse_load(&h, sparse, err, sizeof err) == -1, "a truncated file loaded");
    unlink(dense), unlink(sparse);
    ecg_pruner_free(&p);
    ecg_graph_free(&g);
    ecg_graph_free(&h);
}

int main(void) {
    RUN(test_prunable_params_are_the_weight_matrices);
    RUN(test_global_pruning_removes_the_smallest);
    RUN(test_per_layer_pruning_and_dense_ends);
    RUN(test_cubic_schedule);
    RUN(test_gradual_pruning_through_the_trainer);
    RUN(test_sparse_file_round_trip_and_size);
    RUN(test_sparse_file_is_smaller);
    RUN(test_sparse_file_shape_int64_max);
    return test_done();
}
