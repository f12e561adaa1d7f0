/* `ecgbench train` then `ecgbench eval` on the bundled sample: the manifest records what was run
 * and eval reproduces its test metrics exactly; bad arguments are usage errors, not crashes. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "harness.h"
#include "../report/csv.h"
#include "../runs/files.h"

static void test_train_then_eval(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_cli_XXXXXX", cache[64];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--batch", "64", "--threads", "2", "--out", dir, "--quiet"};
    CHECK(ecg_cmd_train(15, train) == 0, "train failed");
    char path[128];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    CHECK(m != NULL, "no manifest");
    if (m) {
        const cJSON *run = cJSON_GetObjectItem(m, "run"), *test = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "test");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "model")), "efficientecg-s"), "model");
        CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(run, "git_commit")) != NULL, "no git commit recorded");
        CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(m, "data_version")), "SAMPLE") != NULL, "data version");
        /* the sample's test split is record 100's first 5 minutes: 367 N + 4 S beats */
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(test, "examples")) == 371, "test examples");
    }
    cJSON_Delete(m);
    free(text);
    char *eval[] = {"eval", dir};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the manifest");
    /* a tampered manifest is caught */
    text = test_read_file(path);
    char *p = text ? strstr(text, "\"metrics\":") : NULL;
    p = p ? strstr(p, "\"test\":") : NULL;
    p = p ? strstr(p, "\"confusion\"") : NULL;
    p = p ? strstr(p, "[[") : NULL;
    if (p) {
        char orig = p[2];
        p[2] = orig == '9' ? '8' : '9';
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        CHECK(ecg_cmd_eval(2, eval) == 1, "eval accepted a different confusion matrix");
        p[2] = orig; /* back; then an edited accuracy beside the true matrix */
        char *test_at = strstr(strstr(text, "\"metrics\":"), "\"test\":");
        char *acc = test_at ? strstr(test_at, "\"accuracy\":") : NULL;
        if (acc) {
            acc += strlen("\"accuracy\":");
            while (*acc == ' ' || *acc == '\t') acc++;
            if (acc[0] == '1') acc[0] = '0';       /* 1 -> 0 */
            else acc[2] = acc[2] == '9' ? '1' : '9'; /* 0.9x -> 0.1x, else 0.9x */
            f = fopen(path, "w");
            fputs(text, f);
            fclose(f);
            CHECK(ecg_cmd_eval(2, eval) == 1, "eval accepted an edited accuracy beside a true confusion matrix");
        }
        CHECK(acc != NULL, "no test accuracy in the manifest");
    }
    free(text);
    char *bad1[] = {"train", "efficientecg-s"};
    CHECK(ecg_cmd_train(2, bad1) == 2, "train without a task");
    char *bad2[] = {"train", "no-such-model", "--task", "mitdb-aami", "--data", "datasets/sample", "--out", dir, "--quiet"};
    CHECK(ecg_cmd_train(9, bad2) == 1, "unknown model");
    char *bad3[] = {"train", "resnet1d", "--task", "mitdb-aami", "--lr", "-1"};
    CHECK(ecg_cmd_train(6, bad3) == 2, "negative lr");
    char *bad4[] = {"train", "resnet1d", "--task", "mitdb-aami", "--warp", "0.1", "--no-augment"};
    CHECK(ecg_cmd_train(7, bad4) == 2, "--warp with --no-augment");
    char *bad5[] = {"train", "resnet1d", "--task", "mitdb-aami", "--warp", "0.7"};
    CHECK(ecg_cmd_train(6, bad5) == 2, "--warp 0.7");
    char *bad6[] = {"train", "efficientecg-fusion-rr", "--task", "mitdb-aami", "--ecg-drop", "1"};
    CHECK(ecg_cmd_train(6, bad6) == 2, "--ecg-drop 1");
    char never[160];
    snprintf(never, sizeof never, "%s/never", dir);
    char *bad7[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--out", never, "--quiet",
                    "--ecg-drop", "0.5"};
    CHECK(ecg_cmd_train(11, bad7) == 1 && access(never, F_OK) != 0,
          "--ecg-drop on a model without ECG tokens: not refused, or refused after making its folder");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

static cJSON *read_manifest(const char *dir) {
    char path[128];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    return m;
}

/* The blind protocol: a candidate trained with --no-test never meets the test split; `eval
 * --record` scores it once, after which only re-checks are allowed. */
static void test_blind_candidate(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_blind_XXXXXX", cache[64];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "1", "--out", dir, "--quiet", "--no-test", "--warp", "0.1"};
    CHECK(ecg_cmd_train(16, train) == 0, "train --no-test failed");
    cJSON *m = read_manifest(dir);
    const cJSON *warp = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "warp");
    CHECK(warp && fabs(cJSON_GetNumberValue(warp) - 0.1) < 1e-6, "the manifest's config does not record --warp");
    const cJSON *metrics = cJSON_GetObjectItem(m, "metrics"), *splits = cJSON_GetObjectItem(m, "splits");
    CHECK(cJSON_GetObjectItem(metrics, "val") && !cJSON_GetObjectItem(metrics, "test"), "val metrics only");
    CHECK(cJSON_GetObjectItem(splits, "val") && !cJSON_GetObjectItem(splits, "test"), "the test split was loaded");
    /* the sample's validation split is one record (see datasets/sample/README.md) */
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(splits, "val"), "records")) == 1 &&
              cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(splits, "val"), "record_ids")) == 1,
          "validation records not listed");
    cJSON_Delete(m);
    char *eval[] = {"eval", dir}, *record[] = {"eval", dir, "--record"};
    CHECK(ecg_cmd_eval(2, eval) == 1, "eval scored a run that has no test metrics");
    CHECK(ecg_cmd_eval(3, record) == 0, "eval --record failed");
    m = read_manifest(dir);
    const cJSON *test = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "test");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(test, "examples")) == 371, "recorded test examples");
    CHECK(cJSON_GetObjectItem(m, "test_scored") != NULL, "no record of the scoring");
    cJSON_Delete(m);
    CHECK(ecg_cmd_eval(2, eval) == 0, "the recorded metrics do not re-check");
    CHECK(ecg_cmd_eval(3, record) == 1, "the test split was scored twice");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* mitdb-aami-2lead through the CLI: a fusion model trains 1 epoch on x [252, 2] (both leads of
 * the sample), eval reproduces it, predict runs it on the task's exported examples and refuses
 * it on the one-lead task (its stem takes 2 channels), and export-onnx writes it. */
static void test_train_two_leads(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_2lead_XXXXXX", cache[64], in[80], out[80], weights[80], onnx[80];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "efficientecg-fusion", "--task", "mitdb-aami-2lead", "--data", "datasets/sample",
                     "--epochs", "1", "--threads", "2", "--out", dir, "--quiet", "--ecg-drop", "0.3"};
    CHECK(ecg_cmd_train(15, train) == 0, "train on two leads failed");
    cJSON *m = read_manifest(dir);
    const cJSON *drop = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "ecg_drop");
    CHECK(drop && fabs(cJSON_GetNumberValue(drop) - 0.3) < 1e-6, "the manifest's config does not record --ecg-drop");
    const cJSON *test = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "test");
    const char *task = cJSON_GetStringValue(cJSON_GetObjectItem(m, "task")),
               *version = cJSON_GetStringValue(cJSON_GetObjectItem(m, "data_version"));
    CHECK(task && !strcmp(task, "mitdb-aami-2lead"), "task %s", task ? task : "(none)");
    CHECK(version && strstr(version, "leads MLII"), "data version does not name the leads: %s",
          version ? version : "(none)");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(test, "examples")) == 371, "test examples");
    cJSON_Delete(m);
    char *eval[] = {"eval", dir};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the two-lead run");
    snprintf(in, sizeof in, "%s/x.safetensors", dir);
    snprintf(out, sizeof out, "%s/logits.safetensors", dir);
    snprintf(weights, sizeof weights, "%s/weights.safetensors", dir);
    snprintf(onnx, sizeof onnx, "%s/model.onnx", dir);
    char *export[] = {"export", "mitdb-aami-2lead", "--split", "test", "--data", "datasets/sample", "--limit", "8",
                      "--out", in};
    CHECK(ecg_cmd_data_export(10, export) == 0, "data export");
    char *predict[] = {"predict", "efficientecg-fusion", "--task", "mitdb-aami-2lead", "--weights", weights,
                       "--input", in, "--out", out};
    CHECK(ecg_cmd_predict(10, predict) == 0, "predict on two leads");
    predict[3] = "mitdb-aami";
    CHECK(ecg_cmd_predict(10, predict) != 0, "predict ran two-lead weights as a one-lead model");
    char *to_onnx[] = {"export-onnx", dir, "--out", onnx};
    CHECK(ecg_cmd_export_onnx(4, to_onnx) == 0 && access(onnx, F_OK) == 0, "export-onnx");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* Two candidates (1 and 2 epochs) on the sample: select logs both with their validation macro-F1,
 * marks the better one (computed here from the manifests) and records the choice in its manifest;
 * a candidate that met the test split is refused. */
static void test_select(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_select_XXXXXX", cache[64], a[64], b[64], log[80];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(a, sizeof a, "%s/one-epoch", dir);
    snprintf(b, sizeof b, "%s/two-epochs", dir);
    snprintf(log, sizeof log, "%s/selection.csv", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *ta[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                  "--threads", "1", "--out", a, "--quiet", "--no-test"};
    char *tb[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "2",
                  "--threads", "1", "--out", b, "--quiet", "--no-test", "--class-weights", "none"};
    CHECK(ecg_cmd_train(14, ta) == 0 && ecg_cmd_train(16, tb) == 0, "training the candidates failed");
    cJSON *ma = read_manifest(a), *mb = read_manifest(b);
    double fa = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(ma, "metrics"), "val"), "macro_f1"));
    double fb = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mb, "metrics"), "val"), "macro_f1"));
    cJSON_Delete(ma);
    cJSON_Delete(mb);
    const char *winner = fb > fa ? b : a, *loser = fb > fa ? a : b;
    char *sel[] = {"select", "--out", log, a, b};
    CHECK(ecg_cmd_select(5, sel) == 0, "select failed");
    ecg_csv_table t = {0};
    char err[512];
    CHECK(ecg_csv_read(log, &t, err, sizeof err) == 0, "selection log: %s", err);
    int chosen = ecg_csv_col(&t, "chosen"), options = ecg_csv_col(&t, "options"), on = ecg_csv_col(&t, "chosen_on");
    CHECK(t.n_rows == 3 && chosen >= 0 && options >= 0 && on >= 0, "log has %d rows", t.n_rows);
    if (t.n_rows == 3 && chosen >= 0 && options >= 0 && on >= 0) {
        CHECK(!strcmp(t.rows[1][chosen], fb > fa ? "0" : "1") && !strcmp(t.rows[2][chosen], fb > fa ? "1" : "0"),
              "the better validation macro-F1 (%.4f vs %.4f) is not the one chosen", fa, fb);
        CHECK(!strcmp(t.rows[2][options], "--epochs 2 --class-weights none"), "recipe '%s'", t.rows[2][options]);
        CHECK(strstr(t.rows[1][on], "val split") && strstr(t.rows[1][on], "seed 1"), "chosen_on '%s'", t.rows[1][on]);
    }
    ecg_csv_table_free(&t);
    cJSON *mw = read_manifest(winner), *ml = read_manifest(loser);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(mw, "selection"), "candidates")) == 2 &&
              !cJSON_GetObjectItem(ml, "selection"), "the choice is not recorded in the winner's manifest alone");
    cJSON_Delete(mw);
    cJSON_Delete(ml);
    char *record[] = {"eval", (char *)winner, "--record"};
    CHECK(ecg_cmd_eval(3, record) == 0, "eval --record");
    CHECK(ecg_cmd_select(5, sel) == 1, "select took a candidate that has met the test split");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* An lstm candidate of one epoch on the sample, blind, with the seed and class weighting given. */
static int train_candidate(const char *out, const char *seed, const char *class_weights) {
    char *argv[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                    "--threads", "1", "--out", (char *)out, "--quiet", "--no-test", "--seed", (char *)seed,
                    "--class-weights", (char *)class_weights};
    return ecg_cmd_train(18, argv);
}

/* Rewrites a validation figure (macro_f1, mse) in a run's manifest, so that which candidate wins is known. */
static void set_val(const char *dir, const char *key, double v) {
    char path[160];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char err[256];
    cJSON *m = read_manifest(dir);
    cJSON_SetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "val"), key), v);
    CHECK(m && ecg_write_json(path, m, err, sizeof err) == 0, "rewriting %s: %s", path, err);
    cJSON_Delete(m);
}

/* Candidates with seeds 1 and 2 (seed 2 in seed2/): select compares the mean over the seeds, not
 * seed 1 alone (the figures are set so that the two disagree), logs a row per candidate and seed
 * and records the choice in each of the winner's manifests; a candidate with other seeds than the
 * rest, or a seed of another recipe, is refused. */
static void test_select_seeds(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_select_XXXXXX", cache[64], a[64], a2[72], b[64], b2[72], c[64], log[80];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(a, sizeof a, "%s/a", dir), snprintf(a2, sizeof a2, "%s/seed2", a);
    snprintf(b, sizeof b, "%s/b", dir), snprintf(b2, sizeof b2, "%s/seed2", b);
    snprintf(c, sizeof c, "%s/c", dir);
    snprintf(log, sizeof log, "%s/selection.csv", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    CHECK(!train_candidate(a, "1", "sqrt") && !train_candidate(a2, "2", "sqrt") && !train_candidate(b, "1", "none") &&
              !train_candidate(b2, "2", "none") && !train_candidate(c, "1", "none"),
          "training the candidates failed");
    set_val(a, "macro_f1", 0.9), set_val(a2, "macro_f1", 0.1); /* a: best seed 1, mean 0.5 */
    set_val(b, "macro_f1", 0.6), set_val(b2, "macro_f1", 0.6);  /* b: mean 0.6 */
    char *sel[] = {"select", "--out", log, a, b};
    CHECK(ecg_cmd_select(5, sel) == 0, "select failed");
    ecg_csv_table t = {0};
    char err[512];
    CHECK(ecg_csv_read(log, &t, err, sizeof err) == 0, "selection log: %s", err);
    int cand = ecg_csv_col(&t, "candidate"), seed = ecg_csv_col(&t, "seed"), mean = ecg_csv_col(&t, "mean_val_score"),
        chosen = ecg_csv_col(&t, "chosen");
    CHECK(t.n_rows == 5 && cand >= 0 && seed >= 0 && mean >= 0 && chosen >= 0, "log has %d rows", t.n_rows);
    if (t.n_rows == 5 && cand >= 0 && seed >= 0 && mean >= 0 && chosen >= 0) {
        static const char *const want[4][4] = {{"a", "1", "0.5", "0"}, {"a", "2", "0.5", "0"},
                                                {"b", "1", "0.6", "1"}, {"b", "2", "0.6", "1"}};
        for (int i = 0; i < 4; i++)
            CHECK(!strcmp(t.rows[i + 1][cand], want[i][0]) && !strcmp(t.rows[i + 1][seed], want[i][1]) &&
                      fabs(atof(t.rows[i + 1][mean]) - atof(want[i][2])) < 1e-9 &&
                      !strcmp(t.rows[i + 1][chosen], want[i][3]),
                  "log row %d: %s seed %s mean %s chosen %s", i + 1, t.rows[i + 1][cand], t.rows[i + 1][seed],
                  t.rows[i + 1][mean], t.rows[i + 1][chosen]);
    }
    ecg_csv_table_free(&t);
    cJSON *m1 = read_manifest(b), *m2 = read_manifest(b2), *ma = read_manifest(a);
    const cJSON *s1 = cJSON_GetObjectItem(m1, "selection"), *s2 = cJSON_GetObjectItem(m2, "selection");
    CHECK(s1 && s2 && !cJSON_GetObjectItem(ma, "selection"), "the choice is not in each of the winner's manifests");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(s2, "seeds")) == 2 &&
              strstr(cJSON_GetStringValue(cJSON_GetObjectItem(s2, "chosen_on")), "seed 2"),
          "seed 2's selection entry does not name its own validation split");
    cJSON_Delete(m1), cJSON_Delete(m2), cJSON_Delete(ma);
    char *uneven[] = {"select", "--out", log, a, b, c};
    CHECK(ecg_cmd_select(6, uneven) == 1, "select compared a one-seed candidate with two-seed ones");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir %s", a2, a2);
    CHECK(system(cmd) == 0, "rm");
    CHECK(!train_candidate(a2, "2", "none"), "training a seed of another recipe");
    CHECK(ecg_cmd_select(5, sel) == 1, "select averaged a seed of another recipe (class weights none) into a's");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* An lstm run of one epoch on the sample's cross-validation fold `fold` (2: train on 208, validate
 * on 119; 3: the other way round), blind, with the class weighting given. */
static int train_fold(const char *out, const char *fold, const char *class_weights) {
    char *argv[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                    "--threads", "1", "--out", (char *)out, "--quiet", "--fold", (char *)fold,
                    "--class-weights", (char *)class_weights};
    return ecg_cmd_train(17, argv);
}

/* Macro-F1 of the validation confusions of the runs in dirs summed, computed here from the
 * definition (F1 = 2 TP / (2 TP + FP + FN), 0 without a true positive, averaged over the classes
 * that have true examples). */
static double pooled_macro_f1(const char *const *dirs, int n) {
    long conf[5][5] = {{0}};
    for (int r = 0; r < n; r++) {
        cJSON *m = read_manifest(dirs[r]);
        const cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "val"), "confusion");
        for (int t = 0; t < 5; t++)
            for (int p = 0; p < 5; p++) conf[t][p] += (long)cJSON_GetArrayItem(cJSON_GetArrayItem(rows, t), p)->valuedouble;
        cJSON_Delete(m);
    }
    double sum = 0;
    int present = 0;
    for (int c = 0; c < 5; c++) {
        long tp = conf[c][c], fp = 0, fn = 0;
        for (int k = 0; k < 5; k++) fp += k != c ? conf[k][c] : 0, fn += k != c ? conf[c][k] : 0;
        if (tp + fn == 0) continue;
        present++;
        sum += tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
    }
    return sum / present;
}

/* Makes a run's validation confusion perfect (every example on the diagonal, the counts per true
 * class kept), so that which candidate wins is known. */
static void set_val_perfect(const char *dir) {
    char path[160], err[256];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    cJSON *m = read_manifest(dir);
    cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "val"), "confusion");
    for (int t = 0; t < cJSON_GetArraySize(rows); t++) {
        cJSON *row = cJSON_GetArrayItem(rows, t);
        double n = 0;
        for (int p = 0; p < cJSON_GetArraySize(row); p++) n += cJSON_GetArrayItem(row, p)->valuedouble;
        for (int p = 0; p < cJSON_GetArraySize(row); p++) cJSON_SetNumberValue(cJSON_GetArrayItem(row, p), p == t ? n : 0);
    }
    CHECK(m && ecg_write_json(path, m, err, sizeof err) == 0, "rewriting %s: %s", path, err);
    cJSON_Delete(m);
}

/* Rewrites an offsets file's offsets and "applies" (so that what compress does with them is known). */
static void set_offsets(const char *from, const char *to, double s_offset, int applies) {
    char err[256];
    cJSON *d = ecg_read_json(from, err, sizeof err);
    cJSON *off = cJSON_GetObjectItem(d, "offsets");
    for (int c = 0; c < cJSON_GetArraySize(off); c++) cJSON_SetNumberValue(cJSON_GetArrayItem(off, c), c == 1 ? s_offset : 0);
    cJSON_ReplaceItemInObject(d, "applies", cJSON_CreateBool(applies));
    CHECK(d && ecg_write_json(to, d, err, sizeof err) == 0, "rewriting %s: %s", to, err);
    cJSON_Delete(d);
}

/* `ecgbench offsets` on candidate a's two fold runs: the score without offsets is the pooled
 * macro-F1 of the folds' manifests, the in-sample fit is no worse, "applies" follows the
 * leave-one-fold-out score; candidate b, whose fold 2 manifest no longer matches its weights, is
 * refused. `compress --offsets` folds given offsets into the classifier (+100 on S: every
 * validation beat called S), eval re-checks the result, and offsets that do not apply, offsets of
 * another recipe, or --offsets beside another pass are refused. */
static void check_offsets(const char *dir, const char *a, const char *b, double pa) {
    char file[100], forced[100], out[100], *fit[] = {"offsets", "--out", file, (char *)a, "--threads", "1"};
    snprintf(file, sizeof file, "%s/offsets.json", dir);
    snprintf(forced, sizeof forced, "%s/forced.json", dir);
    snprintf(out, sizeof out, "%s/a-offsets", dir);
    CHECK(ecg_cmd_offsets(6, fit) == 0, "offsets on candidate a failed");
    char err[256];
    cJSON *d = ecg_read_json(file, err, sizeof err);
    const cJSON *off = cJSON_GetObjectItem(d, "offsets");
    double s0 = cJSON_GetNumberValue(cJSON_GetObjectItem(d, "score_without")),
           s1 = cJSON_GetNumberValue(cJSON_GetObjectItem(d, "score_in_sample")),
           s2 = cJSON_GetNumberValue(cJSON_GetObjectItem(d, "score_leave_one_fold_out"));
    CHECK(cJSON_GetArraySize(off) == 5 && cJSON_GetArrayItem(off, 0)->valuedouble == 0 && fabs(s0 - pa) < 1e-9 &&
              s1 >= s0 && cJSON_IsTrue(cJSON_GetObjectItem(d, "applies")) == (s2 > s0) &&
              cJSON_GetArraySize(cJSON_GetObjectItem(d, "folds")) == 2,
          "offsets file: %d offsets, without %.6f (pooled %.6f), in-sample %.6f, held-out %.6f", cJSON_GetArraySize(off),
          s0, pa, s1, s2);
    /* a class left at 0 by the elimination is not fitted and has offset 0 */
    const cJSON *st, *cls = cJSON_GetObjectItem(d, "classes"), *fitted = cJSON_GetObjectItem(d, "classes_fitted");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(d, "elimination")) && cJSON_IsArray(fitted), "no elimination log");
    cJSON_ArrayForEach(st, cJSON_GetObjectItem(d, "elimination")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(st, "left_at_zero"));
        for (int c = 0; name && c < cJSON_GetArraySize(cls); c++)
            if (!strcmp(name, cJSON_GetArrayItem(cls, c)->valuestring))
                CHECK(cJSON_GetArrayItem(off, c)->valuedouble == 0, "class %s left at 0 has offset %g", name,
                      cJSON_GetArrayItem(off, c)->valuedouble);
        const cJSON *f;
        cJSON_ArrayForEach(f, fitted) CHECK(!name || strcmp(name, f->valuestring), "class %s both fitted and left at 0", name);
    }
    cJSON_Delete(d);
    char *fit_b[] = {"offsets", "--out", file, (char *)b}; /* getopt reorders argv: a new one per call */
    CHECK(ecg_cmd_offsets(4, fit_b) == 1, "offsets accepted a fold run whose manifest its weights do not reproduce");

    set_offsets(file, forced, 100, 1);
    char *cal[] = {"compress", (char *)a, "--offsets", forced, "--out", out, "--threads", "1", "--quiet"};
    CHECK(ecg_cmd_compress(9, cal) == 0, "compress --offsets failed");
    cJSON *m = read_manifest(out);
    const cJSON *passes = cJSON_GetObjectItem(m, "passes");
    const cJSON *rows = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "val"), "confusion");
    long off_s = 0, all = 0;
    for (int t = 0; t < cJSON_GetArraySize(rows); t++)
        for (int p = 0; p < 5; p++) {
            long v = (long)cJSON_GetArrayItem(cJSON_GetArrayItem(rows, t), p)->valuedouble;
            all += v, off_s += p != 1 ? v : 0;
        }
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "variant")), "offsets") &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(passes, cJSON_GetArraySize(passes) - 1),
                                                               "pass")), "decision_offsets") &&
              all > 0 && off_s == 0,
          "the offsets run: variant, pass record, or %ld of %ld validation beats not called S", off_s, all);
    cJSON_Delete(m);
    char *eval[] = {"eval", out};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the offsets run");
    char out2[120], man2[140];
    snprintf(out2, sizeof out2, "%s/refused", dir);
    snprintf(man2, sizeof man2, "%s/manifest.json", out2);
    char *cal_a[] = {"compress", (char *)a, "--offsets", forced, "--out", out2, "--quiet"};
    set_offsets(file, forced, 1, 0);
    CHECK(ecg_cmd_compress(7, cal_a) == 1 && access(man2, F_OK) != 0, "offsets that do not apply were applied");
    set_offsets(file, forced, 1, 1);
    char *cal_b[] = {"compress", (char *)b, "--offsets", forced, "--out", out2, "--quiet"};
    CHECK(ecg_cmd_compress(7, cal_b) == 1 && access(man2, F_OK) != 0, "offsets fitted on another recipe's folds were applied");
    char *both[] = {"compress", (char *)a, "--offsets", forced, "--int8", "--out", out2};
    CHECK(ecg_cmd_compress(7, both) == 2, "--offsets with --int8 accepted");
}

/* Cross-validation folds: `train --fold K` trains on the fold's training records and validates on
 * its own, never loads the test split, and is refused where the task has no folds; `eval --record`
 * refuses a fold run; `select` with fold runs in every candidate ranks them by the macro-F1 of
 * their summed validation confusions (computed here), logs a row per seed and fold, and refuses
 * candidates whose folds differ. */
static void test_select_folds(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_folds_XXXXXX", cache[64], cand[2][64], f[2][2][80], log[80], cmd[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(log, sizeof log, "%s/selection.csv", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    static const char *const weights[2] = {"sqrt", "none"};
    for (int c = 0; c < 2; c++) {
        snprintf(cand[c], sizeof cand[c], "%s/%c", dir, 'a' + c);
        snprintf(f[c][0], sizeof f[c][0], "%s/fold2", cand[c]);
        snprintf(f[c][1], sizeof f[c][1], "%s/fold3", cand[c]);
        CHECK(!train_candidate(cand[c], "1", weights[c]) && !train_fold(f[c][0], "2", weights[c]) &&
                  !train_fold(f[c][1], "3", weights[c]),
              "training candidate %c failed", 'a' + c);
    }
    cJSON *m = read_manifest(f[0][0]);
    const cJSON *splits = cJSON_GetObjectItem(m, "splits");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "fold")) == 2 &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(splits, "val"), "split")), "cv2-val") &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(splits, "train"), "split")), "cv2-train") &&
              !cJSON_GetObjectItem(splits, "test") && !cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "test"),
          "a fold run's manifest: its fold, its splits, no test split");
    cJSON_Delete(m);
    char cinc[80], *on_cinc[] = {"train", "lstm", "--task", "cinc2017", "--out", cinc, "--fold", "1", "--epochs", "1"};
    snprintf(cinc, sizeof cinc, "%s/cinc", dir);
    CHECK(ecg_cmd_train(10, on_cinc) == 1 && access(cinc, F_OK) != 0, "--fold on a task without folds");
    char *record[] = {"eval", f[0][0], "--record"};
    CHECK(ecg_cmd_eval(3, record) == 1, "eval --record scored a fold run on the test split");

    set_val_perfect(f[1][0]); /* b wins on its folds, whatever its seed run's score */
    char *sel[] = {"select", "--out", log, cand[0], cand[1]};
    CHECK(ecg_cmd_select(5, sel) == 0, "select failed");
    const char *const fa[2] = {f[0][0], f[0][1]}, *const fb[2] = {f[1][0], f[1][1]};
    double pa = pooled_macro_f1(fa, 2), pb = pooled_macro_f1(fb, 2);
    int winner = 1;
    CHECK(pb > pa, "pooled macro-F1: a %.4f, b %.4f", pa, pb);
    ecg_csv_table t = {0};
    char err[512];
    CHECK(ecg_csv_read(log, &t, err, sizeof err) == 0, "selection log: %s", err);
    int cn = ecg_csv_col(&t, "candidate"), fold = ecg_csv_col(&t, "fold"), pooled = ecg_csv_col(&t, "pooled_cv_score"),
        chosen = ecg_csv_col(&t, "chosen"), options = ecg_csv_col(&t, "options");
    CHECK(t.n_rows == 7 && cn >= 0 && fold >= 0 && pooled >= 0 && chosen >= 0 && options >= 0, "log has %d rows", t.n_rows);
    for (int r = 1; t.n_rows == 7 && cn >= 0 && fold >= 0 && pooled >= 0 && chosen >= 0 && options >= 0 && r < 7; r++) {
        int c = (r - 1) / 3;
        static const char *const want_fold[3] = {"", "2", "3"};
        CHECK(!strcmp(t.rows[r][cn], c ? "b" : "a") && !strcmp(t.rows[r][fold], want_fold[(r - 1) % 3]) &&
                  fabs(atof(t.rows[r][pooled]) - (c ? pb : pa)) < 1e-6 && atoi(t.rows[r][chosen]) == (c == winner) &&
                  !strstr(t.rows[r][options], "--fold"),
              "log row %d: %s fold '%s' pooled %s (want %.6f) chosen %s", r, t.rows[r][cn], t.rows[r][fold],
              t.rows[r][pooled], c ? pb : pa, t.rows[r][chosen]);
    }
    ecg_csv_table_free(&t);
    m = read_manifest(cand[winner]);
    const cJSON *s = cJSON_GetObjectItem(m, "selection");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(s, "folds")) == 2 &&
              strstr(cJSON_GetStringValue(cJSON_GetObjectItem(s, "chosen_on")), "cv2-val cv3-val"),
          "the winner's selection entry does not name its folds");
    cJSON_Delete(m);
    check_offsets(dir, cand[0], cand[1], pa);
    /* a plain run in each candidate's fold4/ is no fold run: select and offsets both refuse it */
    for (int c = 0; c < 2; c++) {
        snprintf(cmd, sizeof cmd, "mkdir %s/fold4 && cp %s/manifest.json %s/weights.safetensors %s/fold4/", cand[c],
                 cand[c], cand[c], cand[c]);
        CHECK(system(cmd) == 0, "copy a run into fold4");
    }
    char file[100], *fit[] = {"offsets", "--out", file, cand[0]}, *sel2[] = {"select", "--out", log, cand[0], cand[1]};
    snprintf(file, sizeof file, "%s/fold4.json", dir);
    CHECK(ecg_cmd_select(5, sel2) == 1 && ecg_cmd_offsets(4, fit) == 1 && access(file, F_OK) != 0,
          "a plain run in fold4/ was taken for a fold run");
    snprintf(cmd, sizeof cmd, "rm -rf %s/fold4 %s/fold4 %s", cand[0], cand[1], f[1][1]);
    CHECK(system(cmd) == 0, "rm");
    CHECK(ecg_cmd_select(5, sel) == 1, "select compared candidates over different folds");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* An lstm-ae candidate of one epoch on the sample, blind: seed 1, or cross-validation fold `fold`. */
static int train_autoencoder(const char *out, const char *fold, const char *lr) {
    char *argv[] = {"train", "lstm-ae", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                    "--threads", "1", "--out", (char *)out, "--quiet", "--no-test", "--lr", (char *)lr,
                    fold ? "--fold" : NULL, (char *)fold};
    return ecg_cmd_train(fold ? 18 : 16, argv);
}

static double val_examples(const char *dir) {
    cJSON *m = read_manifest(dir);
    double n = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "val"), "examples"));
    cJSON_Delete(m);
    return n;
}

/* Autoencoder candidates are ranked by validation MSE, the lowest winning: without folds by the
 * seed runs' MSE, with folds by the MSE of the folds' validation examples together (the folds'
 * MSE weighted by their examples, computed here), and the log leaves the classifier columns
 * empty; an autoencoder and a classifier are refused as candidates of one run. */
static void test_select_autoencoder(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_select_ae_XXXXXX", cache[64], cand[2][64], f[2][2][80], log[80], lstm[64], cmd[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(log, sizeof log, "%s/selection.csv", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    static const char *const lr[2] = {"1e-3", "3e-4"};
    for (int c = 0; c < 2; c++) {
        snprintf(cand[c], sizeof cand[c], "%s/%c", dir, 'a' + c);
        CHECK(!train_autoencoder(cand[c], NULL, lr[c]), "training candidate %c failed", 'a' + c);
    }
    set_val(cand[0], "mse", 0.03), set_val(cand[1], "mse", 0.02); /* b: the lower seed-run MSE */
    char *sel[] = {"select", "--out", log, cand[0], cand[1]};
    CHECK(ecg_cmd_select(5, sel) == 0, "select failed");
    ecg_csv_table t = {0};
    char err[512];
    CHECK(ecg_csv_read(log, &t, err, sizeof err) == 0, "selection log: %s", err);
    int chosen = ecg_csv_col(&t, "chosen"), f1 = ecg_csv_col(&t, "val_macro_f1"), score = ecg_csv_col(&t, "val_score");
    CHECK(t.n_rows == 3 && chosen >= 0 && f1 >= 0 && score >= 0, "log has %d rows", t.n_rows);
    if (t.n_rows == 3 && chosen >= 0 && f1 >= 0 && score >= 0)
        CHECK(!strcmp(t.rows[1][chosen], "0") && !strcmp(t.rows[2][chosen], "1") && !t.rows[1][f1][0] &&
                  fabs(atof(t.rows[2][score]) - 0.02) < 1e-12,
              "the lower MSE is not chosen (chosen %s %s, macro-F1 '%s', score %s)", t.rows[1][chosen],
              t.rows[2][chosen], t.rows[1][f1], t.rows[2][score]);
    ecg_csv_table_free(&t);

    /* folds 2 (326 validation examples) and 3 (518): a's are the lower MSE of their examples
     * together, though b's seed run and b's unweighted mean of the folds are the lower */
    static const double mse[2][2] = {{0.05, 0.01}, {0.02, 0.03}};
    double pooled[2];
    for (int c = 0; c < 2; c++) {
        double sq = 0, n = 0;
        for (int k = 0; k < 2; k++) {
            snprintf(f[c][k], sizeof f[c][k], "%s/fold%d", cand[c], k + 2);
            CHECK(!train_autoencoder(f[c][k], k ? "3" : "2", lr[c]), "training fold %d of %c failed", k + 2, 'a' + c);
            set_val(f[c][k], "mse", mse[c][k]);
            sq += mse[c][k] * val_examples(f[c][k]), n += val_examples(f[c][k]);
        }
        pooled[c] = sq / n;
    }
    CHECK(pooled[0] < pooled[1], "the sample's folds do not make a the lower (%.4f against %.4f)", pooled[0], pooled[1]);
    CHECK(ecg_cmd_select(5, sel) == 0, "select over folds failed");
    CHECK(ecg_csv_read(log, &t, err, sizeof err) == 0, "selection log: %s", err);
    int pooled_col = ecg_csv_col(&t, "pooled_cv_score");
    chosen = ecg_csv_col(&t, "chosen");
    CHECK(t.n_rows == 7 && pooled_col >= 0 && chosen >= 0, "log has %d rows", t.n_rows);
    for (int r = 1; t.n_rows == 7 && pooled_col >= 0 && chosen >= 0 && r < 7; r++)
        CHECK(fabs(atof(t.rows[r][pooled_col]) / pooled[(r - 1) / 3] - 1) < 1e-5 && atoi(t.rows[r][chosen]) == (r <= 3),
              "log row %d: pooled %s (want %.6f), chosen %s", r, t.rows[r][pooled_col], pooled[(r - 1) / 3],
              t.rows[r][chosen]);
    ecg_csv_table_free(&t);

    snprintf(lstm, sizeof lstm, "%s/lstm", dir);
    CHECK(!train_candidate(lstm, "1", "none"), "training the lstm failed");
    snprintf(cmd, sizeof cmd, "rm -rf %s/fold2 %s/fold3 %s/fold2 %s/fold3", cand[0], cand[0], cand[1], cand[1]);
    CHECK(system(cmd) == 0, "rm");
    char *mixed[] = {"select", "--out", log, cand[0], lstm};
    CHECK(ecg_cmd_select(5, mixed) == 1, "an autoencoder and a classifier were compared as candidates");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

/* `ecgbench offsets` on one trained run (a cinc2017 crnn on the sample): its validation split is
 * cut into folds by record (4 records, 4 folds), the score without offsets is the run's own
 * validation score, and the file names the run's weights: compress applies it to that run and
 * refuses another seed's, whose validation records are not the same. A mitdb-aami run whose
 * validation split is one record cannot be cut. */
static void test_offsets_on_a_run(void) {
    if (!test_need_file("datasets/sample/cinc2017/training2017/REFERENCE.csv")) return;
    char dir[] = "/tmp/ecgbench_run_offsets_XXXXXX", cache[64], run[2][80], file[80], forced[80], out[80], one[80];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    for (int k = 0; k < 2; k++) {
        snprintf(run[k], sizeof run[k], "%s/seed%d", dir, k + 1);
        char *train[] = {"train", "crnn", "--task", "cinc2017", "--data", "datasets/sample", "--epochs", "1", "--crop",
                         "3000", "--threads", "1", "--no-test", "--quiet", "--seed", k ? "2" : "1", "--out", run[k]};
        CHECK(ecg_cmd_train(18, train) == 0, "training seed %d failed", k + 1);
    }
    snprintf(file, sizeof file, "%s/offsets.json", dir);
    snprintf(forced, sizeof forced, "%s/forced.json", dir);
    snprintf(out, sizeof out, "%s/seed1-offsets", dir);
    char *fit[] = {"offsets", "--out", file, run[0], "--threads", "1"};
    CHECK(ecg_cmd_offsets(6, fit) == 0, "offsets on a run failed");
    char err[256];
    cJSON *d = ecg_read_json(file, err, sizeof err), *m = read_manifest(run[0]);
    double s0 = cJSON_GetNumberValue(cJSON_GetObjectItem(d, "score_without")),
           val = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "score"), "val"));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "folds"), 0),
                                                   "folds_by_record")) == 4 &&
              cJSON_GetStringValue(cJSON_GetObjectItem(d, "weights_sha256")) &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "fitted_on")), "validation split") &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(d, "criterion")), "challenge F1") && fabs(s0 - val) < 1e-9,
          "offsets of a run: 4 folds by record, its weights named, its validation score %.6f (file says %.6f)", val, s0);
    cJSON_Delete(d);
    cJSON_Delete(m);
    set_offsets(file, forced, 0.5, 1);
    char *own[] = {"compress", run[0], "--offsets", forced, "--out", out, "--quiet"};
    CHECK(ecg_cmd_compress(7, own) == 0, "compress with the run's own offsets failed");
    m = read_manifest(out);
    const cJSON *passes = cJSON_GetObjectItem(m, "passes");
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(passes, cJSON_GetArraySize(passes) - 1),
                                                           "fitted_on")), "validation split"),
          "the pass record does not say where the offsets were fitted");
    cJSON_Delete(m);
    strcat(out, "2");
    char *other[] = {"compress", run[1], "--offsets", forced, "--out", out, "--quiet"};
    CHECK(ecg_cmd_compress(7, other) == 1, "offsets fitted on seed 1's validation split were applied to seed 2");

    snprintf(one, sizeof one, "%s/mitdb", dir);
    char *mitdb[] = {"train", "lstm", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "1", "--no-test", "--quiet", "--out", one};
    char *fit_one[] = {"offsets", "--out", file, one};
    CHECK(ecg_cmd_train(14, mitdb) == 0 && ecg_cmd_offsets(4, fit_one) == 1,
          "a validation split of one record was cut into folds");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_train_then_eval);
    RUN(test_blind_candidate);
    RUN(test_select);
    RUN(test_select_seeds);
    RUN(test_select_folds);
    RUN(test_select_autoencoder);
    RUN(test_offsets_on_a_run);
    RUN(test_train_two_leads);
    return test_done();
}
