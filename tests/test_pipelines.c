/* The two run pipelines as C calls (runs/pipelines.h), on the bundled sample: ecg_train_run writes
 * a run whose manifest's test metrics are those the run store re-evaluates from its weights, and
 * ecg_compress_run prunes and quantises it in the fixed pass order, picks the int8 method its
 * manifest says was best on validation, and records the int8 file's own test metrics. Errors
 * come back in err, with nothing written. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runs/files.h"
#include "../runs/manifest.h"
#include "../runs/pipelines.h"
#include "../runs/runs.h"
#include "harness.h"

static const char *DATA = "datasets/sample";
static int record_calls, record_threads;

/* A stand-in for the machine record: says it was asked for, and with which thread count. */
static cJSON *fake_record(void *ctx, int threads) {
    (void)ctx;
    record_calls++;
    record_threads = threads;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "by", "test_pipelines");
    return o;
}

/* The run at dir re-evaluated by the run store on its test split, against its manifest's. */
static void check_test_metrics(const char *dir, const char *what) {
    char err[1400];
    ecg_run r = {0};
    ecg_run_model m = {0};
    ecg_dataset d = {0};
    ecg_metrics now, stored;
    int hit;
    int ok = !ecg_run_read(dir, &r, err, sizeof err) && !ecg_run_open(&r, &m, err, sizeof err) &&
             !ecg_task_load_cached(r.task, "test", DATA, r.seed, NULL, &d, &hit, err, sizeof err) &&
             !ecg_run_evaluate(&m, &d, 2, &now, err, sizeof err);
    CHECK(ok, "%s: re-evaluating the run failed: %s", what, err);
    if (ok) {
        const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(r.man, "metrics"), "test");
        CHECK(!ecg_metrics_from_json(t, d.n_classes, &stored), "%s: no test metrics in the manifest", what);
        CHECK(ecg_metrics_equal(&now, &stored), "%s: the manifest's test metrics are not the run's", what);
        CHECK(now.n == d.n, "%s: %ld of %d test examples", what, now.n, d.n);
    }
    ecg_dataset_free(&d);
    ecg_run_model_free(&m);
    if (r.man) ecg_run_free(&r);
}

static const char *str(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, key)); }

static void check_compressed(const char *dir) {
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man != NULL, "compress wrote no manifest: %s", err);
    if (!man) return;
    CHECK(str(man, "variant") && !strcmp(str(man, "variant"), "pruned50+int8"), "variant %s", str(man, "variant"));
    CHECK(str(man, "weights") && !strcmp(str(man, "weights"), "weights.int8.safetensors"), "weights %s",
          str(man, "weights"));
    const char *order[] = {"magnitude_prune", "bn_fold", "int8"};
    const cJSON *passes = cJSON_GetObjectItem(man, "passes");
    CHECK(cJSON_GetArraySize(passes) == 3, "%d passes, not 3", cJSON_GetArraySize(passes));
    for (int i = 0; i < 3 && i < cJSON_GetArraySize(passes); i++)
        CHECK(!strcmp(str(cJSON_GetArrayItem(passes, i), "pass"), order[i]), "pass %d is %s, not %s", i,
              str(cJSON_GetArrayItem(passes, i), "pass"), order[i]);
    /* the method kept is the candidate with the best validation macro-F1 (the first on a tie) */
    const cJSON *int8 = cJSON_GetArrayItem(passes, 2), *c, *best = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(int8, "calibration"), "candidates"))
        if (!best || ecg_json_num(c, "val_macro_f1") > ecg_json_num(best, "val_macro_f1")) best = c;
    CHECK(best && str(int8, "calibration_method") && !strcmp(str(int8, "calibration_method"), str(best, "method")),
          "calibration method %s is not the best candidate's", str(int8, "calibration_method"));
    double params = ecg_json_num(man, "params"), nonzero = ecg_json_num(man, "nonzero_params");
    CHECK(nonzero < 0.6 * params && nonzero > 0.4 * params, "%.0f of %.0f params nonzero after pruning to 50%%",
          nonzero, params);
    const char *by = str(cJSON_GetObjectItem(man, "run"), "by");
    CHECK(by && !strcmp(by, "test_pipelines"), "the run record is not the one given");
    cJSON_Delete(man);
    check_test_metrics(dir, "compress");
}

static void test_train_then_compress(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_pipelines_XXXXXX", cache[64], run[64], comp[64], path[128], err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(comp, sizeof comp, "%s/pruned", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    FILE *log = tmpfile();

    ecg_train_job job = {.model = "efficientecg-s", .task = "mitdb-aami", .data = DATA, .out = run, .log = log};
    job.cfg = ecg_train_defaults();
    job.cfg.epochs = 1, job.cfg.threads = 2;
    job.run_info = (ecg_run_record){fake_record, NULL};
    CHECK(ecg_train_run(&job, err, sizeof err) == 0, "train: %s", err);
    CHECK(record_calls == 1 && record_threads == 2, "the run record was asked for %d times, threads %d", record_calls,
          record_threads);
    char said[4096] = "", want[160];
    size_t n = log ? (rewind(log), fread(said, 1, sizeof said - 1, log)) : 0;
    said[n] = 0;
    snprintf(want, sizeof want, "wrote %s/weights.safetensors, %s/manifest.json", run, run);
    CHECK(strstr(said, want) != NULL, "the log does not end with the files: %s", said);
    snprintf(path, sizeof path, "%s/manifest.json", run);
    cJSON *man = ecg_read_json(path, err, sizeof err);
    CHECK(man && !strcmp(str(man, "model"), "efficientecg-s") && !strcmp(str(man, "task"), "mitdb-aami") &&
              ecg_json_num(man, "seed") == (double)job.cfg.seed && ecg_json_num(man, "epochs_run") == 1,
          "manifest fields");
    CHECK(man && ecg_json_num(cJSON_GetObjectItem(cJSON_GetObjectItem(man, "splits"), "test"), "examples") == 371,
          "the sample's test split is 371 beats");
    cJSON_Delete(man);
    check_test_metrics(run, "train");

    ecg_compress_job cj = ecg_compress_defaults();
    cj.src = run, cj.out = comp, cj.do_prune = 1, cj.prune.sparsity = 0.5, cj.int8 = 1, cj.finetune_epochs = 1;
    cj.calib = 64, cj.threads = 2, cj.quiet = 1;
    cj.run_info = (ecg_run_record){fake_record, NULL};
    CHECK(ecg_compress_run(&cj, err, sizeof err) == 0, "compress: %s", err);
    check_compressed(comp);
    if (log) fclose(log);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

static void test_errors(void) {
    char dir[] = "/tmp/ecgbench_pipelines_XXXXXX", out[64], path[128], err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(out, sizeof out, "%s/run", dir);
    ecg_train_job job = {.model = "no-such-model", .task = "mitdb-aami", .data = DATA, .out = out};
    job.cfg = ecg_train_defaults();
    job.cfg.epochs = 1;
    setenv("ECG_CACHE_DIR", dir, 1);
    CHECK(ecg_train_run(&job, err, sizeof err) == -1 && strstr(err, "no-such-model"), "unknown model: '%s'", err);
    snprintf(path, sizeof path, "%s/manifest.json", out);
    CHECK(access(path, F_OK) != 0, "a manifest was written for a failed run");
    ecg_compress_job cj = ecg_compress_defaults();
    snprintf(path, sizeof path, "%s/missing", dir);
    cj.src = path, cj.out = out, cj.int8 = 1;
    err[0] = 0;
    CHECK(ecg_compress_run(&cj, err, sizeof err) == -1 && strstr(err, "missing"), "missing source: '%s'", err);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_errors);
    RUN(test_train_then_compress);
    return test_done();
}
