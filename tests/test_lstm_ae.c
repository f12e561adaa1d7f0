/* lstm-ae, the LSTM autoencoder (models/lstm_ae.c), and the reconstruction objective: its shapes
 * and parameter count, its code node, the trainer learning to reconstruct synthetic beats far
 * better than the constant reconstructions (all zeros, the per-sample mean), a stopped and resumed
 * run ending as an uninterrupted one, and `ecgbench train`
 * then `ecgbench eval` / `results` on the bundled sample (the manifest's test MSE reproduced, a
 * tampered one caught, a --no-test run recorded once), and `ecgbench reconstruct` (each class's
 * median beat, its figures, a classifier refused). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "harness.h"
#include "report/csv.h"
#include "runs/manifest.h"
#include "runs/runs.h"
#include "train/train.h"

static int build(int length, int channels, ecg_graph *g, char *err, size_t errlen) {
    ecg_model_cfg c = ecg_model_cfg_default(length, channels, 5);
    c.seed = 3;
    return ecg_model_build("lstm-ae", &c, g, err, errlen);
}

/* Parameters for one lead, by hand (PyTorch counts both LSTM biases):
 *   encoder  LSTM(12, 64)   4*64*12 + 4*64*64 + 2*4*64 = 3072 + 16384 + 512 = 19968
 *   code     Linear(64, 16) 64*16 + 16                                    =  1040
 *   decoder_pos [1, 21, 16]                                                =   336
 *   decoder  LSTM(16, 64)   4*64*16 + 4*64*64 + 2*4*64 = 4096 + 16384 + 512 = 20992
 *   head     Linear(64, 12) 64*12 + 12                                     =   780   -> 43116 */
static void test_shapes_count_and_code(void) {
    ecg_graph g;
    char err[512] = "", s[64];
    CHECK(ecg_model_objective("lstm-ae") == ECG_OBJECTIVE_RECONSTRUCT, "lstm-ae is not an autoencoder");
    CHECK(ecg_model_objective("lstm") == ECG_OBJECTIVE_CLASSIFY, "lstm is not a classifier");
    if (build(252, 1, &g, err, sizeof err)) {
        CHECK(0, "build: %s", err);
        return;
    }
    ecg_shape want = ecg_shape2(252, 1), code = ecg_shape1(16);
    CHECK(ecg_shape_eq(&g.values[g.output].shape, &want), "output %s, want [252, 1]",
          ecg_shape_str(&g.values[g.output].shape, s, sizeof s));
    CHECK(ecg_graph_param_count(&g) == 43116, "%lld parameters, want 43116", (long long)ecg_graph_param_count(&g));
    int found = 0;
    for (int i = 0; i < g.n_nodes; i++)
        if (!strcmp(g.nodes[i].name, ECG_AE_CODE_NODE)) {
            found = 1;
            CHECK(ecg_shape_eq(&g.values[g.nodes[i].out].shape, &code), "code %s, want [16]",
                  ecg_shape_str(&g.values[g.nodes[i].out].shape, s, sizeof s));
        }
    CHECK(found, "no node named '%s'", ECG_AE_CODE_NODE);
    ecg_graph_free(&g);
    if (!build(600, 2, &g, err, sizeof err)) { /* two leads, a longer window: the same rule */
        want = ecg_shape2(600, 2);
        CHECK(ecg_shape_eq(&g.values[g.output].shape, &want), "output %s, want [600, 2]",
              ecg_shape_str(&g.values[g.output].shape, s, sizeof s));
        ecg_graph_free(&g);
    } else {
        CHECK(0, "build [600, 2]: %s", err);
    }
    CHECK(build(250, 1, &g, err, sizeof err) == -1 && strstr(err, "multiple of the 12-sample frame"),
          "a 250-sample window built: '%s'", err);
}

/* The MSE of the best constant reconstructions of d: all zeros, and each sample position's mean
 * over the examples (no autoencoder needed to reach it). */
static void constant_mses(const ecg_dataset *d, double *zeros, double *mean) {
    size_t ex = (size_t)d->length * (size_t)d->channels;
    double z = 0, v = 0;
    for (size_t j = 0; j < ex; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < d->n; i++) {
            double x = d->x[(size_t)i * ex + j];
            s += x, s2 += x * x;
        }
        z += s2 / d->n;
        v += s2 / d->n - (s / d->n) * (s / d->n);
    }
    *zeros = z / (double)ex;
    *mean = v / (double)ex;
}

/* Trained on 300 synthetic beats for 12 epochs, lstm-ae reconstructs the held-out synthetic test
 * beats with an MSE well below the per-position mean's (and so below all zeros'); the weights it
 * keeps are the best validation epoch's. */
static void test_learns_synthetic_beats(void) {
    ecg_dataset tr, te;
    char err[512] = "";
    if (ecg_task_synthetic_load(NULL, "train", 1, &tr, err, sizeof err) ||
        ecg_task_synthetic_load(NULL, "test", 1, &te, err, sizeof err)) {
        CHECK(0, "synthetic: %s", err);
        return;
    }
    tr.n = 300; /* enough to learn the shapes, quick under the sanitizers */
    double zeros, mean;
    constant_mses(&te, &zeros, &mean);
    ecg_graph g;
    CHECK(build(tr.length, tr.channels, &g, err, sizeof err) == 0, "build: %s", err);
    ecg_train_cfg c = ecg_train_defaults();
    c.objective = ECG_OBJECTIVE_RECONSTRUCT;
    c.epochs = 12;
    c.batch = 16;
    c.lr = 3e-3f;
    c.threads = 2;
    c.augment = 0;
    c.eval_batch = 64;
    ecg_train_result res;
    double before = NAN, after = NAN, val = NAN;
    CHECK(ecg_evaluate_mse(&g, NULL, &te, 64, 2, &before, err, sizeof err) == 0, "mse before: %s", err);
    CHECK(ecg_train(&g, &c, &tr, &te, &res, err, sizeof err) == 0, "train: %s", err);
    CHECK(ecg_evaluate_mse(&g, NULL, &te, 64, 2, &after, err, sizeof err) == 0, "mse after: %s", err);
    CHECK(ecg_evaluate_mse(&g, NULL, &te, c.eval_batch, 2, &val, err, sizeof err) == 0 && val == res.best_val_mse,
          "kept weights give %.9g, the best epoch's validation MSE was %.9g", val, res.best_val_mse);
    printf("    test MSE %.5f before, %.5f after %d epochs (best %d); all zeros %.5f, per-position mean %.5f\n", before,
           after, res.epochs_run, res.best_epoch, zeros, mean);
    CHECK(after < 0.5 * mean && mean <= zeros, "MSE %.5f is not well below the per-position mean's %.5f", after, mean);
    CHECK(after < 0.5 * before, "MSE %.5f -> %.5f: it did not learn", before, after);
    /* a classifier's check refuses the autoencoder, naming what does not fit */
    CHECK(ecg_check_model_fits_for(&g, &te, ECG_OBJECTIVE_CLASSIFY, err, sizeof err) == -1 &&
              strstr(err, "does not fit the 5 classes"),
          "an autoencoder fits as a classifier: '%s'", err);
    ecg_graph_free(&g);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&te);
}

/* Stopped after 2 of 4 epochs and resumed from its checkpoint (a freshly built model), an
 * autoencoder's run ends as an uninterrupted one does: the same weights bit for bit, best epoch
 * and best validation MSE (the checkpoint carries it). */
static void test_resume_matches_uninterrupted(void) {
    ecg_dataset tr, va;
    char err[512] = "", d1[] = "/tmp/ecgbench_aer_XXXXXX", d2[] = "/tmp/ecgbench_aer_XXXXXX";
    CHECK(mkdtemp(d1) && mkdtemp(d2), "mkdtemp");
    if (ecg_task_synthetic_load(NULL, "train", 2, &tr, err, sizeof err) ||
        ecg_task_synthetic_load(NULL, "test", 2, &va, err, sizeof err)) {
        CHECK(0, "synthetic: %s", err);
        return;
    }
    tr.n = 96, va.n = 48;
    ecg_graph a, b;
    CHECK(build(tr.length, 1, &a, err, sizeof err) == 0 && build(tr.length, 1, &b, err, sizeof err) == 0, "%s", err);
    ecg_train_cfg c = ecg_train_defaults();
    c.objective = ECG_OBJECTIVE_RECONSTRUCT;
    c.epochs = 4, c.batch = 16, c.lr = 3e-3f, c.threads = 2, c.eval_batch = 48, c.out_dir = d1;
    ecg_train_result ra, rb;
    CHECK(ecg_train(&a, &c, &tr, &va, &ra, err, sizeof err) == 0, "train: %s", err);
    c.out_dir = d2, c.epoch_limit = 2;
    CHECK(ecg_train(&b, &c, &tr, &va, &rb, err, sizeof err) == 0 && rb.epochs_run == 2, "part 1: %s", err);
    ecg_graph_free(&b);
    CHECK(build(tr.length, 1, &b, err, sizeof err) == 0, "%s", err);
    c.resume = 1;
    CHECK(ecg_train(&b, &c, &tr, &va, &rb, err, sizeof err) == 0, "resume: %s", err);
    CHECK(rb.epochs_run == 4 && rb.best_epoch == ra.best_epoch && rb.best_val_mse == ra.best_val_mse,
          "resumed: %d epochs, best %d (MSE %.9g); uninterrupted best %d (%.9g)", rb.epochs_run, rb.best_epoch,
          rb.best_val_mse, ra.best_epoch, ra.best_val_mse);
    CHECK(test_same_params(&a, &b), "the stopped and resumed run ends with other weights");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&va);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", d1, d2);
    CHECK(system(cmd) == 0, "cleanup");
}

static cJSON *read_manifest(const char *dir) {
    char path[256];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    return m;
}

static double split_mse(const cJSON *m, const char *split) {
    const cJSON *o = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), split);
    const cJSON *v = cJSON_GetObjectItem(o, "mse");
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Rewrites DIR's manifest with metrics.test.mse scaled by f. */
static void scale_test_mse(const char *dir, double f) {
    cJSON *m = read_manifest(dir);
    cJSON *test = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "test");
    if (test) cJSON_ReplaceItemInObject(test, "mse", cJSON_CreateNumber(split_mse(m, "test") * f));
    char path[256], *text = cJSON_Print(m);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *fp = fopen(path, "w");
    if (fp && text) fputs(text, fp);
    if (fp) fclose(fp);
    free(text);
    cJSON_Delete(m);
}

/* The per-beat MSE of every test beat of run dir, on the path reconstruct uses. */
static double *beat_mses(const char *dir, ecg_dataset *d) {
    ecg_run r = {0};
    ecg_run_model rm = {0};
    char err[1300];
    int hit;
    double *mse = NULL;
    float *out = NULL;
    if (ecg_run_read(dir, &r, err, sizeof err) ||
        ecg_task_load_cached(r.task, "test", "datasets/sample", r.seed, NULL, d, &hit, err, sizeof err) ||
        ecg_run_open(&r, &rm, err, sizeof err)) {
        CHECK(0, "%s", err);
        goto done;
    }
    size_t ex = (size_t)d->length * (size_t)d->channels;
    out = malloc(sizeof *out * ex * (size_t)d->n);
    mse = calloc((size_t)d->n, sizeof *mse);
    CHECK(out && mse && !ecg_reconstruct(&rm.g, NULL, d, 64, 1, out, err, sizeof err), "reconstruct: %s", err);
    for (size_t i = 0; mse && out && i < ex * (size_t)d->n; i++) {
        double e = (double)out[i] - d->x[i];
        mse[i / ex] += e * e / (double)ex;
    }
done:
    free(out);
    ecg_run_model_free(&rm);
    ecg_run_free(&r);
    return mse;
}

/* `ecgbench reconstruct`: a block of rows per class, the beat at the class's median error (as many
 * of its beats below it as above), input as the data holds it, the block's own MSE as stated, and
 * the whole split's MSE as the manifest's; a classifier's run refused. */
static void check_reconstruct(const char *dir, const char *root, double test_mse) {
    char csv[160], want[64];
    snprintf(csv, sizeof csv, "%s/reconstruction.csv", root);
    char *argv[] = {"reconstruct", (char *)dir, "--out", csv};
    int rc = -1;
    char *out = test_capture_stdout(ecg_cmd_reconstruct, 4, argv, &rc);
    snprintf(want, sizeof want, "%.5f", test_mse);
    CHECK(rc == 0 && out && strstr(out, "\nall ") && strstr(strstr(out, "\nall "), want),
          "reconstruct (rc %d) does not give the manifest's test MSE %s:\n%s", rc, want, out ? out : "(none)");
    free(out);
    ecg_dataset d = {0};
    double *mse = beat_mses(dir, &d);
    ecg_csv_table t = {0};
    char err[512];
    CHECK(ecg_csv_read(csv, &t, err, sizeof err) == 0, "%s", err);
    int c_cls = ecg_csv_col(&t, "class"), c_ex = ecg_csv_col(&t, "example"), c_med = ecg_csv_col(&t, "class_median_mse"),
        c_s = ecg_csv_col(&t, "sample"), c_in = ecg_csv_col(&t, "input"), c_out = ecg_csv_col(&t, "reconstruction");
    CHECK(c_cls >= 0 && c_ex >= 0 && c_med >= 0 && c_s >= 0 && c_in >= 0 && c_out >= 0, "columns missing");
    int blocks = 0, classes_present = 0;
    for (int c = 0; c < d.n_classes; c++)
        for (int i = 0; i < d.n; i++)
            if (d.y[i] == c) {
                classes_present++;
                break;
            }
    for (int row = 1; mse && c_out >= 0 && row + d.length - 1 < t.n_rows; row += d.length, blocks++) {
        double ex, med, sq = 0;
        ecg_csv_number(t.rows[row][c_ex], &ex);
        ecg_csv_number(t.rows[row][c_med], &med);
        int e = (int)ex, below = 0, above = 0, cls = d.y[e];
        CHECK(!strcmp(t.rows[row][c_cls], d.class_names[cls]), "row %d: example %d is %s", row, e, d.class_names[cls]);
        for (int s = 0; s < d.length; s++) {
            double in, rec;
            ecg_csv_number(t.rows[row + s][c_in], &in);
            ecg_csv_number(t.rows[row + s][c_out], &rec);
            CHECK(fabs(in - d.x[(size_t)e * (size_t)d.length + (size_t)s]) <= 1e-5 * (1 + fabs(in)), "input differs");
            sq += (in - rec) * (in - rec) / d.length;
        }
        CHECK(fabs(sq - med) <= 1e-3 * med && fabs(mse[e] - med) <= 1e-5 * med, "class %s: the rows' MSE %g, the "
              "beat's %g, stated %g", d.class_names[cls], sq, mse[e], med);
        for (int i = 0; i < d.n; i++)
            if (d.y[i] == cls && i != e) below += mse[i] < mse[e], above += mse[i] > mse[e];
        CHECK(below <= above && above <= below + 1, "class %s: %d beats below the median one, %d above",
              d.class_names[cls], below, above);
    }
    CHECK(classes_present > 0 && blocks == classes_present && t.n_rows == 1 + blocks * d.length, "%d blocks of %d rows for %d classes",
          blocks, d.length, classes_present);
    ecg_csv_table_free(&t);
    free(mse);
    ecg_dataset_free(&d);
    char *cls[] = {"reconstruct", "models/weights/efficientecg-s-mitdb-aami", "--out", csv};
    out = test_capture_stdout(ecg_cmd_reconstruct, 4, cls, &rc);
    CHECK(rc == 1, "reconstruct accepted a classifier's run (rc %d)", rc);
    free(out);
}

static void test_cli_train_eval_results(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char root[] = "/tmp/ecgbench_ae_XXXXXX", dir[96], blind[96], cache[96], path[128], weights[96], seed2[96];
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    snprintf(weights, sizeof weights, "%s/weights", root);
    snprintf(dir, sizeof dir, "%s/weights/ae", root);
    snprintf(seed2, sizeof seed2, "%s/seeds/ae/seed2", root);
    snprintf(blind, sizeof blind, "%s/ae-blind", root);
    snprintf(cache, sizeof cache, "%s/cache", root);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "lstm-ae", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                     "--batch", "64", "--threads", "2", "--out", dir, "--quiet"};
    CHECK(ecg_cmd_train(15, train) == 0, "train failed");
    cJSON *m = read_manifest(dir);
    CHECK(m != NULL, "no manifest");
    const cJSON *obj = cJSON_GetObjectItem(m, "objective");
    CHECK(cJSON_IsString(obj) && !strcmp(obj->valuestring, "reconstruction"), "objective not recorded");
    for (int i = 0; i < 3; i++) {
        const char *split = (const char *[]){"train", "val", "test"}[i];
        CHECK(isfinite(split_mse(m, split)) && split_mse(m, split) >= 0, "%s MSE %g", split, split_mse(m, split));
    }
    cJSON_Delete(m);
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    char *csv = test_read_file(path);
    CHECK(csv && strstr(csv, ",examples_per_second,val_mse\n1,") && strstr(csv, "\n2,"), "epochs.csv: %s",
          csv ? csv : "(none)");
    free(csv);
    char *eval[] = {"eval", dir};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the manifest's test MSE");
    scale_test_mse(dir, 1.001);
    CHECK(ecg_cmd_eval(2, eval) == 1, "eval accepted a test MSE 0.1%% off");
    scale_test_mse(dir, 1 / 1.001);
    m = read_manifest(dir);
    check_reconstruct(dir, root, split_mse(m, "test"));
    cJSON_Delete(m);
    /* results: the autoencoders' table, mean +- sd of the manifests' MSEs over the run's two seeds
     * (the seeds folder beside weights/), and no classification table */
    char *t2[] = {"train", "lstm-ae", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                  "--batch", "64", "--threads", "2", "--out", seed2, "--quiet", "--seed", "2"}; /* seed 1's recipe */
    CHECK(ecg_cmd_train(17, t2) == 0, "train seed 2 failed");
    cJSON *m2 = read_manifest(seed2);
    m = read_manifest(dir);
    double a = split_mse(m, "test"), b = split_mse(m2, "test"), mean = (a + b) / 2, sd = fabs(a - b) / sqrt(2);
    cJSON_Delete(m);
    cJSON_Delete(m2);
    char want[160];
    snprintf(want, sizeof want, "| lstm-ae | mitdb-aami | 2 | 43116 |");
    char *results[] = {"results", weights};
    int rc = -1;
    char *out = test_capture_stdout(ecg_cmd_results, 2, results, &rc);
    CHECK(rc == 0 && out && strstr(out, "**autoencoders**") && strstr(out, want) && !strstr(out, "accuracy"),
          "results (rc %d):\n%s", rc, out ? out : "(none)");
    snprintf(want, sizeof want, "| %.5f \u00b1 %.5f |", mean, sd);
    CHECK(out && strstr(out, want), "results lack the test MSE over 2 seeds, %s:\n%s", want, out ? out : "(none)");
    free(out);
    /* a blind run: no test MSE until --record scores it, once */
    char *tb[] = {"train", "lstm-ae", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                  "--batch", "64", "--threads", "2", "--out", blind, "--quiet", "--no-test"};
    CHECK(ecg_cmd_train(16, tb) == 0, "train --no-test failed");
    m = read_manifest(blind);
    CHECK(isnan(split_mse(m, "test")) && isfinite(split_mse(m, "val")), "--no-test run has a test MSE");
    cJSON_Delete(m);
    char *eb[] = {"eval", blind}, *rb[] = {"eval", blind, "--record"};
    CHECK(ecg_cmd_eval(2, eb) == 1, "eval checked a run without test metrics");
    CHECK(ecg_cmd_eval(3, rb) == 0, "eval --record failed");
    CHECK(ecg_cmd_eval(2, eb) == 0, "the recorded test MSE does not re-check");
    CHECK(ecg_cmd_eval(3, rb) == 1, "the test split was scored twice");
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "cleanup");
}

int main(void) {
    RUN(test_shapes_count_and_code);
    RUN(test_learns_synthetic_beats);
    RUN(test_resume_matches_uninterrupted);
    RUN(test_cli_train_eval_results);
    return test_done();
}
