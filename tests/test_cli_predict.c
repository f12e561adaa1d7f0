/* `ecgbench data export` then `ecgbench predict`: with freshly initialised weights the logits are
 * the eval path's (ecg_evaluate) bit for bit; wrong shapes, dtypes, missing tensors and wrong
 * weights are errors naming the problem, not crashes. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../datasets/datasets.h"
#include "../runs/manifest.h"
#include "../runs/runs.h"
#include "harness.h"
#include "ops/safetensors.h"

static char dir[] = "/tmp/ecgbench_predict_XXXXXX";

static void path_in(const char *name, char *buf, size_t n) { snprintf(buf, n, "%s/%s", dir, name); }

/* Builds MODEL for TASK (seed 7), saves its weights to `wpath`, and evaluates it on the first
 * `limit` examples of the split through ecg_evaluate (batch 4, one thread) into *logits. */
static int reference(const char *model, const char *task, const char *split, const char *data, int limit,
                     const char *wpath, float **logits, int *n, int *k) {
    ecg_dataset d = {0};
    ecg_graph g = {0};
    char err[1024];
    int hit, rc = -1;
    if (ecg_task_load_cached(task, split, data, 1, NULL, &d, &hit, err, sizeof err)) goto out;
    if (d.n > limit) d.n = limit;
    ecg_model_cfg mc = ecg_model_cfg_default(d.length, d.channels, d.n_classes);
    mc.n_features = d.n_features;
    mc.feature_names = d.feature_names;
    mc.seed = 7;
    if (ecg_model_build(model, &mc, &g, err, sizeof err) || ecg_safetensors_save(&g, wpath, NULL, 0, err, sizeof err))
        goto out;
    *logits = malloc((size_t)d.n * (size_t)d.n_classes * sizeof **logits);
    ecg_metrics m;
    if (!*logits || ecg_evaluate(&g, &d, 4, 1, &m, *logits, err, sizeof err)) goto out;
    *n = d.n;
    *k = d.n_classes;
    rc = 0;
out:
    CHECK(rc == 0, "%s on %s: %s", model, task, err);
    ecg_graph_free(&g);
    ecg_dataset_free(&d);
    return rc;
}

/* Export + predict of `model` equals the eval path. */
static void check_same(const char *model, const char *task, const char *data, int limit) {
    char in[256], w[256], out[256], lim[16], err[1024];
    path_in("in.safetensors", in, sizeof in);
    path_in("w.safetensors", w, sizeof w);
    path_in("logits.safetensors", out, sizeof out);
    snprintf(lim, sizeof lim, "%d", limit);
    float *want = NULL;
    int n = 0, k = 0;
    if (reference(model, task, "test", data, limit, w, &want, &n, &k)) {
        free(want);
        return;
    }
    char *exp[] = {"export", (char *)task, "--split", "test", "--data", (char *)data, "--limit", lim, "--out", in};
    CHECK(ecg_cmd_data_export(10, exp) == 0, "export %s", task);
    char *pred[] = {"predict", (char *)model, "--task", (char *)task, "--weights", w, "--input", in,
                    "--out", out, "--threads", "1", "--batch", "4"};
    CHECK(ecg_cmd_predict(14, pred) == 0, "predict %s", model);
    ecg_st_file f;
    if (ecg_st_read(&f, out, err, sizeof err)) {
        CHECK(0, "read logits: %s", err);
        free(want);
        return;
    }
    const ecg_st_tensor *t = ecg_st_find(&f, "logits");
    CHECK(t && t->dtype == ECG_DT_F32 && t->rank == 2 && t->shape[0] == n && t->shape[1] == k,
          "%s: logits tensor missing or not F32 [%d, %d]", model, n, k);
    if (t && t->nbytes == (size_t)n * (size_t)k * sizeof(float)) {
        float *got = malloc(t->nbytes);
        memcpy(got, t->data, t->nbytes);
        CHECK(memcmp(got, want, t->nbytes) == 0, "%s: predict's logits differ from the eval path's", model);
        free(got);
    }
    ecg_st_free(&f);
    free(want);
}

static void test_export_predict_matches_eval(void) {
    check_same("efficientecg-s", "synthetic", "data", 6);
    check_same("bilstm", "synthetic", "data", 5);
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return; /* the fusion case below */
    check_same("efficientecg-fusion", "mitdb-aami", "datasets/sample", 5); /* takes "features" too */
}

/* The export's tensors: x [N, T, C], y I64 [N], features [N, F]; --limit keeps the first N. */
static void test_export_contents(void) {
    char in[256], err[1024];
    path_in("syn.safetensors", in, sizeof in);
    char *exp[] = {"export", "synthetic", "--split", "test", "--limit", "3", "--out", in};
    CHECK(ecg_cmd_data_export(8, exp) == 0, "export");
    ecg_dataset d = {0};
    int hit;
    CHECK(ecg_task_load_cached("synthetic", "test", "data", 1, NULL, &d, &hit, err, sizeof err) == 0, "%s", err);
    ecg_st_file f;
    if (ecg_st_read(&f, in, err, sizeof err)) {
        CHECK(0, "%s", err);
        ecg_dataset_free(&d);
        return;
    }
    const ecg_st_tensor *x = ecg_st_find(&f, "x"), *y = ecg_st_find(&f, "y"), *ft = ecg_st_find(&f, "features");
    CHECK(x && x->rank == 3 && x->shape[0] == 3 && x->shape[1] == d.length && x->shape[2] == d.channels, "x shape");
    CHECK(y && y->dtype == ECG_DT_I64 && y->rank == 1 && y->shape[0] == 3, "y");
    CHECK(ft && ft->rank == 2 && ft->shape[0] == 3 && ft->shape[1] == d.n_features, "features");
    if (x && x->nbytes == 3 * (size_t)d.length * sizeof(float))
        CHECK(memcmp(x->data, d.x, x->nbytes) == 0, "x is not the split's first examples");
    for (int i = 0; y && i < 3; i++) {
        int64_t v;
        memcpy(&v, y->data + 8 * i, 8);
        CHECK(v == d.y[i], "y[%d] = %lld, expected %d", i, (long long)v, d.y[i]);
    }
    ecg_st_free(&f);
    ecg_dataset_free(&d);
    char *bad[][8] = {{"export", "synthetic", "--split", "test"},
                      {"export", "synthetic", "--split", "test", "--limit", "0", "--out", in},
                      {"export", "no-such-task", "--split", "test", "--out", in}};
    int argc[] = {4, 8, 6};
    for (int i = 0; i < 3; i++) CHECK(ecg_cmd_data_export(argc[i], bad[i]) == 2, "bad export %d accepted", i);
    char *nosplit[] = {"export", "synthetic", "--split", "nope", "--out", in};
    CHECK(ecg_cmd_data_export(6, nosplit) == 1, "unknown split");
}

/* An input file with the given x shape (F32 zeros), and optionally features [fn, fw]. */
static void write_input(const char *path, ecg_dtype dt, int rank, const int64_t *shape, int fn, int fw) {
    ecg_st_tensor t[2];
    memset(t, 0, sizeof t);
    size_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= (size_t)shape[i];
    snprintf(t[0].name, sizeof t[0].name, "x");
    t[0].dtype = dt;
    t[0].rank = rank;
    memcpy(t[0].shape, shape, (size_t)rank * sizeof *shape);
    t[0].nbytes = numel * ecg_dtype_size(dt);
    void *zx = calloc(numel ? numel : 1, 8), *zf = calloc((size_t)(fn * fw) + 1, 4);
    t[0].data = zx;
    int n = 1;
    if (fn > 0) {
        snprintf(t[1].name, sizeof t[1].name, "features");
        t[1].dtype = ECG_DT_F32;
        t[1].rank = 2;
        t[1].shape[0] = fn;
        t[1].shape[1] = fw;
        t[1].nbytes = (size_t)(fn * fw) * 4;
        t[1].data = zf;
        n = 2;
    }
    char err[512];
    CHECK(ecg_st_write(path, t, n, NULL, 0, err, sizeof err) == 0, "write input: %s", err);
    free(zx);
    free(zf);
}

static void expect_predict_fails(const char *model, const char *task, const char *w, const char *in) {
    char out[256];
    path_in("bad_logits.safetensors", out, sizeof out);
    unlink(out);
    char *pred[] = {"predict", (char *)model, "--task", (char *)task, "--weights", (char *)w,
                    "--input", (char *)in, "--out", out};
    CHECK(ecg_cmd_predict(10, pred) == 1, "predict %s on %s accepted a bad input", model, in);
    CHECK(access(out, F_OK) != 0, "an output was written after an error");
}

static void test_predict_rejects(void) {
    char w[256], wfus[256], in[256];
    path_in("w_lstm.safetensors", w, sizeof w);
    path_in("w_fusion.safetensors", wfus, sizeof wfus);
    path_in("bad_in.safetensors", in, sizeof in);
    const ecg_task *mit = ecg_task_find("mitdb-aami");
    ecg_graph g;
    char err[512];
    ecg_model_cfg mc = ecg_model_cfg_default(mit->length, mit->channels, mit->n_classes);
    mc.n_features = mit->n_features;
    mc.feature_names = mit->feature_names;
    CHECK(ecg_model_build("lstm", &mc, &g, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_save(&g, w, NULL, 0, err, sizeof err) == 0, "%s", err);
    ecg_graph_free(&g);
    CHECK(ecg_model_build("efficientecg-fusion", &mc, &g, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_save(&g, wfus, NULL, 0, err, sizeof err) == 0, "%s", err);
    ecg_graph_free(&g);

    int64_t ok[3] = {2, mit->length, mit->channels}, short_t[3] = {2, 100, 1}, two_leads[3] = {2, mit->length, 2},
            rank2[2] = {2, mit->length}, empty[3] = {0, mit->length, 1};
    write_input(in, ECG_DT_F32, 3, short_t, 0, 0);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    write_input(in, ECG_DT_F32, 3, two_leads, 0, 0);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    write_input(in, ECG_DT_F32, 2, rank2, 0, 0);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    write_input(in, ECG_DT_F32, 3, empty, 0, 0);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    write_input(in, ECG_DT_I32, 3, ok, 0, 0);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    /* the fusion model needs features [N, 12] */
    write_input(in, ECG_DT_F32, 3, ok, 0, 0);
    expect_predict_fails("efficientecg-fusion", "mitdb-aami", wfus, in);
    write_input(in, ECG_DT_F32, 3, ok, 2, 3);
    expect_predict_fails("efficientecg-fusion", "mitdb-aami", wfus, in);
    write_input(in, ECG_DT_F32, 3, ok, 3, mit->n_features);
    expect_predict_fails("efficientecg-fusion", "mitdb-aami", wfus, in);
    /* the right input passes ... */
    write_input(in, ECG_DT_F32, 3, ok, 2, mit->n_features);
    char out[256];
    path_in("ok_logits.safetensors", out, sizeof out);
    char *pred[] = {"predict", "efficientecg-fusion", "--task", "mitdb-aami", "--weights", wfus, "--input", in,
                    "--out", out};
    CHECK(ecg_cmd_predict(10, pred) == 0, "a good input was rejected");
    /* ... but not with another model's weights, nor a missing input file */
    expect_predict_fails("efficientecg-fusion", "mitdb-aami", w, in);
    expect_predict_fails("bilstm", "mitdb-aami", w, in);
    path_in("absent.safetensors", in, sizeof in);
    expect_predict_fails("lstm", "mitdb-aami", w, in);
    char *usage1[] = {"predict", "lstm", "--task", "mitdb-aami"};
    CHECK(ecg_cmd_predict(4, usage1) == 2, "missing options");
    char *usage2[] = {"predict", "lstm", "--task", "no-task", "--weights", w, "--input", in, "--out", out};
    CHECK(ecg_cmd_predict(10, usage2) == 2, "unknown task");
    char *usage3[] = {"predict", "lstm", "--task", "mitdb-aami", "--weights", w, "--input", in, "--out", out,
                      "--batch", "0"};
    CHECK(ecg_cmd_predict(12, usage3) == 2, "batch 0");
}

/* Runs predict with stderr captured into a file; returns the message (free it) and rc in *rc. */
static char *predict_stderr(char **argv, int argc, int *rc) {
    char errf[256];
    path_in("stderr.txt", errf, sizeof errf);
    fflush(stderr);
    int saved = dup(2), fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    *rc = ecg_cmd_predict(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return test_read_file(errf);
}

/* NaN (and inf) in x or in the features: a clear error naming the tensor and the example, exit 1
 * and no output (it used to give -inf logits and exit 0). */
static void test_predict_nan_input(void) {
    char wfus[256], in[256], out[256];
    path_in("w_fusion_nan.safetensors", wfus, sizeof wfus);
    path_in("nan_in.safetensors", in, sizeof in);
    path_in("nan_logits.safetensors", out, sizeof out);
    const ecg_task *mit = ecg_task_find("mitdb-aami");
    ecg_graph g;
    char err[512];
    ecg_model_cfg mc = ecg_model_cfg_default(mit->length, mit->channels, mit->n_classes);
    mc.n_features = mit->n_features;
    mc.feature_names = mit->feature_names;
    CHECK(ecg_model_build("efficientecg-fusion", &mc, &g, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_save(&g, wfus, NULL, 0, err, sizeof err) == 0, "%s", err);
    ecg_graph_free(&g);
    int n = 3, len = mit->length, nf = mit->n_features;
    float *x = calloc((size_t)n * (size_t)len, sizeof *x), *f = calloc((size_t)n * (size_t)nf, sizeof *f);
    const struct {
        int in_x, at;
        float v;
        const char *want;
    } cases[] = {{1, len + 17, NAN, "example 1"}, {1, 2 * len, INFINITY, "example 2"}, {0, nf + 2, NAN, "example 1"}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        memset(x, 0, (size_t)n * (size_t)len * sizeof *x);
        memset(f, 0, (size_t)n * (size_t)nf * sizeof *f);
        (cases[c].in_x ? x : f)[cases[c].at] = cases[c].v;
        ecg_st_tensor t[2];
        memset(t, 0, sizeof t);
        snprintf(t[0].name, sizeof t[0].name, "x");
        t[0].dtype = ECG_DT_F32, t[0].rank = 3, t[0].shape[0] = n, t[0].shape[1] = len, t[0].shape[2] = 1;
        t[0].data = (const uint8_t *)x, t[0].nbytes = (size_t)n * (size_t)len * 4;
        snprintf(t[1].name, sizeof t[1].name, "features");
        t[1].dtype = ECG_DT_F32, t[1].rank = 2, t[1].shape[0] = n, t[1].shape[1] = nf;
        t[1].data = (const uint8_t *)f, t[1].nbytes = (size_t)n * (size_t)nf * 4;
        CHECK(ecg_st_write(in, t, 2, NULL, 0, err, sizeof err) == 0, "%s", err);
        unlink(out);
        char *pred[] = {"predict", "efficientecg-fusion", "--task", "mitdb-aami", "--weights", wfus, "--input", in,
                        "--out", out};
        int rc = -1;
        char *msg = predict_stderr(pred, 10, &rc);
        CHECK(rc == 1 && msg && strstr(msg, cases[c].in_x ? "'x'" : "'features'") && strstr(msg, cases[c].want) &&
                  (strstr(msg, "NaN") || strstr(msg, "inf")),
              "case %zu: rc %d, message %s", c, rc, msg ? msg : "(none)");
        CHECK(access(out, F_OK) != 0, "case %zu: logits written for a NaN input", c);
        free(msg);
    }
    free(x);
    free(f);
}

/* The F32 values of tensor `name` of f (copied: file data need not be aligned), NULL when it is not
 * F32 [n, length, channels]. */
static float *f32_nlc(const ecg_st_file *f, const char *name, int n, int length, int channels) {
    const ecg_st_tensor *t = ecg_st_find(f, name);
    if (!t || t->dtype != ECG_DT_F32 || t->rank != 3 || t->shape[0] != n || t->shape[1] != length ||
        t->shape[2] != channels)
        return NULL;
    float *v = malloc(t->nbytes);
    if (v) ecg_st_copy_f32(v, t->data, t->nbytes / sizeof(float));
    return v;
}

/* An autoencoder (lstm-ae trained 1 epoch on the sample): predict writes its "reconstruction"
 * F32 [N, T, C] and no logits, and the MSE of it against the input file is eval's MSE
 * (ecg_evaluate_mse) on the same examples, exactly: the same executor, batch and threads, summed in
 * the same order. 20 examples in batches of 8: the last batch is zero-padded. */
static void test_predict_autoencoder(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    enum { N = 20 };
    char run[256], in[256], out[256], w[300], man[300], err[1300];
    path_in("ae_run", run, sizeof run);
    path_in("ae_in.safetensors", in, sizeof in);
    path_in("ae_out.safetensors", out, sizeof out);
    snprintf(w, sizeof w, "%s/weights.safetensors", run);
    snprintf(man, sizeof man, "%s/manifest.json", run);
    char *train[] = {"train", "lstm-ae", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "1", "--out", run, "--quiet"};
    char *exp[] = {"export", "mitdb-aami", "--split", "test", "--data", "datasets/sample", "--limit", "20",
                   "--out", in};
    char *pred[] = {"predict", "lstm-ae", "--task", "mitdb-aami", "--weights", w, "--manifest", man, "--input", in,
                    "--out", out, "--threads", "1", "--batch", "8"};
    if (ecg_cmd_train(13, train) || ecg_cmd_data_export(10, exp) || ecg_cmd_predict(16, pred)) {
        CHECK(0, "train lstm-ae, export or predict failed");
        return;
    }
    ecg_run r = {0};
    ecg_run_model rm = {0};
    ecg_dataset d = {0};
    ecg_st_file fin = {0}, fout = {0};
    float *x = NULL, *y = NULL;
    double want = NAN;
    int hit;
    if (ecg_run_read(run, &r, err, sizeof err) ||
        ecg_task_load_cached(r.task, "test", "datasets/sample", r.seed, NULL, &d, &hit, err, sizeof err) ||
        ecg_run_open(&r, &rm, err, sizeof err) || ecg_st_read(&fin, in, err, sizeof err) ||
        ecg_st_read(&fout, out, err, sizeof err)) {
        CHECK(0, "%s", err);
        goto done;
    }
    if (d.n > N) d.n = N;
    CHECK(ecg_evaluate_mse(&rm.g, NULL, &d, 8, 1, &want, err, sizeof err) == 0, "eval's MSE: %s", err);
    x = f32_nlc(&fin, "x", N, d.length, d.channels);
    y = f32_nlc(&fout, "reconstruction", N, d.length, d.channels);
    CHECK(y, "no reconstruction F32 [%d, %d, %d] in %s", N, d.length, d.channels, out);
    CHECK(!ecg_st_find(&fout, "logits"), "an autoencoder's output written as logits");
    if (x && y) {
        size_t numel = (size_t)N * (size_t)d.length * (size_t)d.channels;
        double sum = 0;
        for (size_t i = 0; i < numel; i++) {
            double e = (double)y[i] - (double)x[i];
            sum += e * e;
        }
        CHECK(sum / (double)numel == want, "predict's reconstruction has MSE %.12g, eval's is %.12g",
              sum / (double)numel, want);
    }
done:
    free(x);
    free(y);
    ecg_st_free(&fin);
    ecg_st_free(&fout);
    ecg_dataset_free(&d);
    ecg_run_model_free(&rm);
    ecg_run_free(&r);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char cache[64];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    RUN(test_export_contents);
    RUN(test_export_predict_matches_eval);
    RUN(test_predict_rejects);
    RUN(test_predict_nan_input);
    RUN(test_predict_autoencoder);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("could not remove %s\n", dir);
    return test_done();
}
