/* The training loop on a small separable problem: it learns, it is deterministic for a seed and
 * thread count, a run stopped and resumed ends with exactly the weights of an uninterrupted one,
 * and it writes one epochs.csv row per epoch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "old_checkpoint.h"
#include "ops/rng.h"
#include "ops/safetensors.h"
#include "train/internal.h"

enum { LEN = 24, CLASSES = 3 };
static const char *const names[CLASSES] = {"a", "b", "c"};

/* Class 0: a positive bump, 1: a negative bump, 2: a fast oscillation; at a random place, in
 * noise, so a conv + global pool net separates them. */
static void make_data(ecg_dataset *d, int n, uint64_t seed, const char *split) {
    memset(d, 0, sizeof *d);
    snprintf(d->task, sizeof d->task, "bumps");
    snprintf(d->split, sizeof d->split, "%s", split);
    d->n = n;
    d->length = LEN;
    d->channels = 1;
    d->n_classes = CLASSES;
    d->class_names = names;
    d->x = malloc(sizeof(float) * (size_t)n * LEN);
    d->y = malloc(sizeof(int) * (size_t)n);
    d->record = calloc((size_t)n, sizeof(int));
    ecg_rng r = {seed};
    for (int i = 0; i < n; i++) {
        int k = d->y[i] = i % CLASSES, at = 6 + (int)(ecg_rng_next(&r) % 12);
        for (int t = 0; t < LEN; t++) {
            double z = (t - at) / 2.0, bump = exp(-z * z);
            double v = k == 0 ? bump : k == 1 ? -bump : bump * cos(2.5 * (t - at));
            d->x[(size_t)i * LEN + t] = (float)v + 0.1f * ecg_rng_normal(&r);
        }
    }
}

static int tiny_model_sized(ecg_graph *g, int length, int width) {
    ecg_graph_init(g, 5);
    int x = ecg_input(g, "ecg", ecg_shape2(length, 1));
    x = ecg_unary(g, ECG_OP_RELU, "act",
                  ecg_batchnorm(g, "bn", ecg_conv1d(g, "conv", x, width, 5, 1, 1, 1, 0), 1e-5f, 0.1f));
    x = ecg_dropout(g, "drop", ecg_linear(g, "fc1", ecg_gap(g, "pool", x), 16, 1), 0.1f);
    ecg_graph_set_output(g, ecg_linear(g, "fc2", ecg_unary(g, ECG_OP_RELU, "act2", x), CLASSES, 1));
    return g->err[0] ? -1 : 0;
}

static int tiny_model(ecg_graph *g) { return tiny_model_sized(g, LEN, 8); }

static ecg_train_cfg small_cfg(const char *dir) {
    ecg_train_cfg c = ecg_train_defaults();
    c.epochs = 6;
    c.batch = 16;
    c.threads = 2;
    c.lr = 1e-2f;
    c.eval_batch = 32;
    c.out_dir = dir;
    c.patience = 100;
    c.progress = getenv("ECG_TEST_PROGRESS") ? 1 : 0;
    return c;
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    while (f && (ch = fgetc(f)) != EOF) n += ch == '\n';
    if (f) fclose(f);
    return n;
}

static void test_learns_deterministic_resumable(void) {
    ecg_dataset tr, val;
    make_data(&tr, 96, 1, "train");
    make_data(&val, 48, 2, "val");
    char d1[] = "/tmp/ecgbench_train_XXXXXX", d2[] = "/tmp/ecgbench_train_XXXXXX", d3[] = "/tmp/ecgbench_train_XXXXXX";
    CHECK(mkdtemp(d1) && mkdtemp(d2) && mkdtemp(d3), "mkdtemp");
    char err[512];
    ecg_graph a, b, c;
    CHECK(!tiny_model(&a) && !tiny_model(&b) && !tiny_model(&c), "build: %s", a.err);
    ecg_train_result ra, rb, rc;

    ecg_train_cfg cfg = small_cfg(d1);
    CHECK(ecg_train(&a, &cfg, &tr, &val, &ra, err, sizeof err) == 0, "train: %s", err);
    CHECK(ra.epochs_run == 6 && ra.best_epoch >= 1, "epochs %d best %d", ra.epochs_run, ra.best_epoch);
    CHECK(ra.best_val_macro_f1 > 0.9, "did not learn: val macro-F1 %.3f", ra.best_val_macro_f1);

    cfg.out_dir = d2; /* same seed and threads: the same weights, bit for bit */
    CHECK(ecg_train(&b, &cfg, &tr, &val, &rb, err, sizeof err) == 0, "train 2: %s", err);
    CHECK(test_same_params(&a, &b) && ra.best_epoch == rb.best_epoch, "two runs with one seed differ");

    cfg.out_dir = d3; /* stopped after 2 epochs, resumed twice, from a freshly built graph each time */
    cfg.epoch_limit = 2;
    CHECK(ecg_train(&c, &cfg, &tr, &val, &rc, err, sizeof err) == 0 && rc.epochs_run == 2, "part 1: %s", err);
    for (int part = 0; part < 2; part++) {
        ecg_graph_free(&c);
        tiny_model(&c);
        cfg.resume = 1;
        CHECK(ecg_train(&c, &cfg, &tr, &val, &rc, err, sizeof err) == 0, "resume: %s", err);
    }
    CHECK(rc.epochs_run == 6 && rc.best_epoch == ra.best_epoch, "resumed run: %d epochs, best %d (want %d)",
          rc.epochs_run, rc.best_epoch, ra.best_epoch);
    CHECK(test_same_params(&a, &c), "stopped and resumed run ends with other weights");
    /* one more resume finds every epoch done and runs none: it still reports the run's throughput
     * (over epochs.csv, like the call that finished it), not 0 */
    double finished_ex_s = rc.examples_per_second;
    ecg_graph_free(&c);
    tiny_model(&c);
    CHECK(ecg_train(&c, &cfg, &tr, &val, &rc, err, sizeof err) == 0 && rc.epochs_run == 6, "idle resume: %s", err);
    CHECK(finished_ex_s > 0 && rc.examples_per_second == finished_ex_s,
          "idle resume: %.1f examples/s, the finished run %.1f", rc.examples_per_second, finished_ex_s);
    CHECK(test_same_params(&a, &c), "idle resume changed the weights");

    char path[256];
    snprintf(path, sizeof path, "%s/epochs.csv", d3);
    CHECK(count_lines(path) == 7, "epochs.csv has %d lines, want header + 6", count_lines(path));
    /* the best weights on disk are the ones left in the graph */
    ecg_graph best;
    tiny_model(&best);
    snprintf(path, sizeof path, "%s/best.safetensors", d1);
    CHECK(ecg_safetensors_load(&best, path, 0, err, sizeof err) == 0 && test_same_params(&best, &a), "best.safetensors");
    ecg_graph_free(&best);

    ecg_graph_free(&a);
    ecg_graph_free(&b);
    ecg_graph_free(&c);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s %s", d1, d2, d3);
    CHECK(system(cmd) == 0, "cleanup");
}

/* A run stopped after 2 of 4 epochs resumes to the bytes of an uninterrupted one from its
 * one-file checkpoint, whatever last.safetensors holds (a kill between the checkpoint's rename and
 * its PyTorch copy's leaves the copy of the epoch before: it is not read); a checkpoint of the
 * two-file layout from before resumes the same when its pair agrees, and a torn pair of that
 * layout is refused. Before the one-file layout, a kill between the two renames lost the run. */
static void test_resume_one_file_and_old_layout(void) {
    ecg_dataset tr, val;
    make_data(&tr, 96, 1, "train");
    make_data(&val, 48, 2, "val");
    char whole[] = "/tmp/ecgbench_ckpt1_XXXXXX", dir[] = "/tmp/ecgbench_ckpt1_XXXXXX", err[512], path[300];
    CHECK(mkdtemp(whole) && mkdtemp(dir), "mkdtemp");
    ecg_graph a, c;
    CHECK(!tiny_model(&a), "build");
    ecg_train_result r;
    ecg_train_cfg cfg = small_cfg(whole);
    cfg.epochs = 4;
    CHECK(ecg_train(&a, &cfg, &tr, &val, &r, err, sizeof err) == 0, "uninterrupted: %s", err);
    cfg.out_dir = dir;
    /* 0: last.safetensors of another epoch and other weights; 1: the old layout, pair agreeing;
     * 2: the old layout, torn */
    for (int k = 0; k < 3; k++) {
        tiny_model(&c);
        cfg.resume = 0, cfg.epoch_limit = 2;
        CHECK(ecg_train(&c, &cfg, &tr, &val, &r, err, sizeof err) == 0 && r.epochs_run == 2, "part 1: %s", err);
        ecg_graph_free(&c);
        snprintf(path, sizeof path, "%s/last.safetensors", dir);
        if (k > 0) CHECK(ecg_test_old_checkpoint(dir, err, sizeof err) == 0, "old layout: %s", err);
        if (k != 1) { /* the weights a model is built with, as of epoch 1 */
            tiny_model(&c);
            const char *kv[] = {"epoch", "1"};
            CHECK(ecg_safetensors_save(&c, path, kv, 1, err, sizeof err) == 0, "%s", err);
            ecg_graph_free(&c);
        }
        tiny_model(&c);
        cfg.resume = 1, cfg.epoch_limit = 0;
        int rc = ecg_train(&c, &cfg, &tr, &val, &r, err, sizeof err);
        if (k < 2)
            CHECK(rc == 0 && r.epochs_run == 4 && test_same_params(&a, &c), "case %d: resumed to other weights (%d: %s)", k,
                  rc, rc ? err : "");
        else
            CHECK(rc == -1 && strstr(err, "epoch 1") && strstr(err, "delete both"), "torn old pair: %d '%s'", rc, err);
        ecg_graph_free(&c);
    }
    ecg_graph_free(&a);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", whole, dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* A checkpoint whose state cannot be resumed (epoch -3, a best epoch after the last, bad epochs
 * -1, AdamW step -5, best macro-F1 NaN or 7, best MSE NaN or -1) is refused naming the metadata key; before, each
 * was taken (a negative epoch restarted the loop's bookkeeping from nonsense). */
static void test_checkpoint_epoch_minus_3(void) {
    char dir[] = "/tmp/ecgbench_ckpt_XXXXXX", err[512], path[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    ecg_graph g;
    ecg_adamw opt;
    CHECK(!tiny_model(&g) && !ecg_graph_alloc_grads(&g) && !ecg_adamw_init(&opt, &g, ecg_adamw_defaults()), "build");
    const struct {
        ecg_train_state st;
        long step;
        const char *want; /* NULL: loads */
    } cases[] = {{{3, 2, 1, 0.5, 0.25}, 30, NULL},          {{-3, 0, 0, 0.5, 0.25}, 30, "'epoch'"},
                 {{3, 7, 0, 0.5, 0.25}, 30, "'best_epoch'"}, {{3, 2, -1, 0.5, 0.25}, 30, "'bad_epochs'"},
                 {{3, 2, 1, 0.5, 0.25}, -5, "'adamw_step'"}, {{3, 2, 1, NAN, 0.25}, 30, "'best_val_macro_f1'"},
                 {{3, 2, 1, 7.0, 0.25}, 30, "'best_val_macro_f1'"}, {{3, 2, 1, 0.5, NAN}, 30, "'best_val_mse'"},
                 {{3, 2, 1, 0.5, -1.0}, 30, "'best_val_mse'"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        opt.step = cases[i].step;
        CHECK(ecg_checkpoint_save(dir, &g, &opt, &cases[i].st, NULL, 0, err, sizeof err) == 0, "save: %s", err);
        ecg_train_state back = {0, 0, 0, 0, 0};
        opt.step = 0;
        err[0] = 0;
        int rc = ecg_checkpoint_load(dir, &g, &opt, &back, err, sizeof err);
        if (!cases[i].want)
            CHECK(rc == 0 && back.epoch == 3 && back.best_epoch == 2 && back.bad_epochs == 1 && back.best_f1 == 0.5 &&
                      back.best_mse == 0.25 && opt.step == 30,
                  "case %zu: %d %s", i, rc, err);
        else
            CHECK(rc == -1 && strstr(err, cases[i].want), "case %zu: %d '%s' lacks %s", i, rc, err, cases[i].want);
    }
    /* the PyTorch copy alone (the checkpoint deleted): refused, not a silent start at epoch 1 */
    snprintf(path, sizeof path, "%s/last_optim.safetensors", dir);
    unlink(path);
    ecg_train_state back;
    err[0] = 0;
    CHECK(ecg_checkpoint_load(dir, &g, &opt, &back, err, sizeof err) == -1 && strstr(err, "no last_optim.safetensors"),
          "last.safetensors alone: '%s'", err);
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    unlink(path);
    CHECK(ecg_checkpoint_load(dir, &g, &opt, &back, err, sizeof err) == 1, "an empty folder has no checkpoint");
    rmdir(dir);
    ecg_adamw_free(&opt);
    ecg_graph_free(&g);
}

/* A model whose input does not fit the data is refused with both shapes named. */
static void test_shape_mismatch(void) {
    ecg_dataset tr;
    make_data(&tr, 8, 1, "train");
    tr.length = LEN - 1;
    ecg_graph g;
    tiny_model(&g);
    ecg_train_result r;
    char err[256];
    ecg_train_cfg cfg = small_cfg(NULL);
    CHECK(ecg_train(&g, &cfg, &tr, &tr, &r, err, sizeof err) == -1 && strstr(err, "[24, 1]") && strstr(err, "[23, 1]"),
          "mismatch: %s", err);
    ecg_graph_free(&g);
    ecg_dataset_free(&tr);
}

/* Windows stay inside the signal (not in a short record's zero padding), cover every start that
 * does, and are centred without augmentation. */
static void test_crop_start(void) {
    float x[2 * 100] = {0};
    for (int t = 0; t < 60; t++) x[2 * t + (t % 2)] = 1.0f + (float)t; /* signal in samples 0..59 */
    int lo = 100, hi = -1;
    for (uint64_t s = 0; s < 2000; s++) {
        int st = ecg_train_crop_start(x, 100, 2, 20, 1, s);
        lo = st < lo ? st : lo;
        hi = st > hi ? st : hi;
    }
    CHECK(lo == 0 && hi == 40, "random starts span [%d, %d], want [0, 40]", lo, hi);
    CHECK(ecg_train_crop_start(x, 100, 2, 20, 0, 7) == 20, "centred start %d", ecg_train_crop_start(x, 100, 2, 20, 0, 7));
    CHECK(ecg_train_crop_start(x, 100, 2, 80, 1, 7) == 0, "a signal shorter than the crop starts at 0");
}

/* Trained on 16-sample windows of 24-sample examples, the model learns, validates on the whole
 * examples, and ends with the best epoch's weights; a crop model with other parameters, no crop
 * model, or a crop longer than the examples is refused. */
static void test_crop_training(void) {
    ecg_dataset tr, val;
    make_data(&tr, 96, 1, "train");
    make_data(&val, 48, 2, "val");
    char dir[] = "/tmp/ecgbench_train_XXXXXX", err[512], path[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    ecg_graph g, win, wide;
    CHECK(!tiny_model(&g) && !tiny_model_sized(&win, 16, 8) && !tiny_model_sized(&wide, 16, 6), "build");
    ecg_train_cfg cfg = small_cfg(dir);
    cfg.crop = 16;
    cfg.crop_graph = &win;
    ecg_train_result r;
    CHECK(ecg_train(&g, &cfg, &tr, &val, &r, err, sizeof err) == 0, "train: %s", err);
    CHECK(r.best_val_macro_f1 > 0.8, "did not learn on windows: val macro-F1 %.3f", r.best_val_macro_f1);
    ecg_graph best;
    tiny_model(&best);
    snprintf(path, sizeof path, "%s/best.safetensors", dir);
    CHECK(ecg_safetensors_load(&best, path, 0, err, sizeof err) == 0 && test_same_params(&best, &g), "best weights: %s", err);
    ecg_metrics m;
    CHECK(ecg_evaluate(&g, &val, 32, 1, &m, NULL, err, sizeof err) == 0 && fabs(m.macro_f1 - r.best_val_macro_f1) < 1e-9,
          "g validates as the best epoch did: %.4f vs %.4f", m.macro_f1, r.best_val_macro_f1);

    cfg.out_dir = NULL;
    cfg.crop_graph = &wide;
    CHECK(ecg_train(&g, &cfg, &tr, &val, &r, err, sizeof err) == -1 && strstr(err, "depend on its input length"),
          "other parameters: %s", err);
    cfg.crop_graph = NULL;
    CHECK(ecg_train(&g, &cfg, &tr, &val, &r, err, sizeof err) == -1 && strstr(err, "model built for that length"),
          "no crop model: %s", err);
    cfg.crop = LEN + 1;
    cfg.crop_graph = &win;
    CHECK(ecg_train(&g, &cfg, &tr, &val, &r, err, sizeof err) == -1 && strstr(err, "crop of 25 samples is longer"), "long crop: %s", err);
    ecg_graph_free(&g);
    ecg_graph_free(&win);
    ecg_graph_free(&wide);
    ecg_graph_free(&best);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0, "cleanup");
}

/* The time warp: a ramp (channel 1 = -2 x channel 0) comes out as the ramp stretched about its
 * centre, dst[t] = c + (t - c) / f clamped to the ends, both channels alike; f is drawn from
 * [1 - warp, 1 + warp] and spans it over many draws; the same seed gives the same bytes. */
static void test_warp(void) {
    enum { N = 101 };
    const float warp = 0.2f;
    float src[2 * N], dst[2 * N], again[2 * N];
    for (int t = 0; t < N; t++) src[2 * t] = (float)t, src[2 * t + 1] = -2.0f * (float)t;
    double lo = 2, hi = 0, worst = 0;
    for (uint64_t seed = 0; seed < 400; seed++) {
        ecg_augment_warp(dst, src, N, 2, warp, seed);
        double f = 20.0 / (dst[2 * 60] - dst[2 * 40]); /* the stretch, from the ramp's new slope */
        lo = f < lo ? f : lo;
        hi = f > hi ? f : hi;
        for (int t = 0; t < N; t++) {
            double want = 50.0 + (t - 50.0) / f;
            want = want < 0 ? 0 : want > N - 1 ? N - 1 : want;
            double e0 = fabs(dst[2 * t] - want), e1 = fabs(dst[2 * t + 1] + 2.0 * want);
            worst = e0 > worst ? e0 : worst;
            worst = e1 / 2 > worst ? e1 / 2 : worst;
        }
    }
    CHECK(lo >= 1 - warp - 1e-4 && hi <= 1 + warp + 1e-4 && lo < 1 - 0.9 * warp && hi > 1 + 0.9 * warp,
          "stretch factors span [%.4f, %.4f], want about [%.2f, %.2f]", lo, hi, 1 - warp, 1 + warp);
    CHECK(worst < 1e-3, "warped ramp off by %.2g samples", worst);
    ecg_augment_warp(dst, src, N, 2, warp, 7);
    ecg_augment_warp(again, src, N, 2, warp, 7);
    CHECK(!memcmp(dst, again, sizeof dst), "one seed, two warps");
    float one = 3.0f, out = 0;
    ecg_augment_warp(&out, &one, 1, 1, warp, 7);
    CHECK(out == 3.0f, "a one-sample example warps to itself, got %g", out);
}

/* Training with --warp: the run still learns, is reproducible, and the warp reaches the examples
 * (other weights than without it). */
static void test_warp_training(void) {
    ecg_dataset tr, val;
    make_data(&tr, 96, 1, "train");
    make_data(&val, 48, 2, "val");
    char err[512];
    ecg_graph a, b, plain;
    CHECK(!tiny_model(&a) && !tiny_model(&b) && !tiny_model(&plain), "build");
    ecg_train_result ra, rb, rp;
    ecg_train_cfg cfg = small_cfg(NULL);
    CHECK(ecg_train(&plain, &cfg, &tr, &val, &rp, err, sizeof err) == 0, "train: %s", err);
    cfg.warp = 0.1f;
    CHECK(ecg_train(&a, &cfg, &tr, &val, &ra, err, sizeof err) == 0, "train with warp: %s", err);
    CHECK(ecg_train(&b, &cfg, &tr, &val, &rb, err, sizeof err) == 0, "train with warp again: %s", err);
    CHECK(ra.best_val_macro_f1 > 0.9, "did not learn with warp: val macro-F1 %.3f", ra.best_val_macro_f1);
    CHECK(test_same_params(&a, &b), "two warped runs with one seed differ");
    CHECK(!test_same_params(&a, &plain), "warp changed nothing");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    ecg_graph_free(&plain);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
}

/* Class weights on labels 60 a, 30 b, 10 c: inverse frequency 100/60, 100/30, 100/10, capped at
 * 3x the most common class's and (caps) b at 1.5x, normalised to mean 1; malformed caps and a
 * class the task lacks are refused. */
static void test_class_weights(void) {
    int y[100];
    for (int i = 0; i < 100; i++) y[i] = i < 60 ? 0 : i < 90 ? 1 : 2;
    ecg_dataset d = {.n = 100, .n_classes = CLASSES, .class_names = names, .y = y};
    float w[CLASSES];
    char err[256] = "";
    double a = 100.0 / 60, raw[CLASSES] = {a, 100.0 / 30, 100.0 / 10};
    double cases[][CLASSES] = {{raw[0], raw[1], raw[2]}, {raw[0], raw[1], 3 * a}, {raw[0], 1.5 * a, 3 * a}};
    const char *caps[] = {NULL, NULL, "b=1.5"};
    for (int k = 0; k < 3; k++) {
        CHECK(ecg_train_class_weights(&d, 1, k ? 3 : 0, caps[k], w, err, sizeof err) == 0, "case %d: %s", k, err);
        double sum = cases[k][0] + cases[k][1] + cases[k][2];
        for (int c = 0; c < CLASSES; c++)
            CHECK(fabs(w[c] - cases[k][c] * CLASSES / sum) < 1e-6, "case %d class %d: %g", k, c, w[c]);
    }
    CHECK(ecg_train_class_weights(&d, 2, 0, "c=1,a=2", w, err, sizeof err) == 0 && fabs(w[2] / w[0] - 1) < 1e-6,
          "sqrt weights with c capped at a's: %g %g", w[0], w[2]);
    const char *bad[] = {"d=2", "b", "b=0", "b=2x", "b=2,", "=2", "b=2,,c=1", "bb=2", ""};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err[0] = 0;
        CHECK(ecg_train_class_weights(&d, 1, 0, bad[k], w, err, sizeof err) == -1 && strstr(err, "CLASS=X"),
              "'%s' refused: %s", bad[k], err);
    }
}

int main(void) {
    RUN(test_learns_deterministic_resumable);
    RUN(test_shape_mismatch);
    RUN(test_resume_one_file_and_old_layout);
    RUN(test_checkpoint_epoch_minus_3);
    RUN(test_crop_start);
    RUN(test_crop_training);
    RUN(test_class_weights);
    RUN(test_warp);
    RUN(test_warp_training);
    return test_done();
}
