/* `ecgbench train` then `ecgbench eval` on the bundled sample: the manifest records what was run
 * and eval reproduces its test metrics exactly; bad arguments are usage errors, not crashes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "harness.h"

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
        p[2] = p[2] == '9' ? '8' : '9';
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        CHECK(ecg_cmd_eval(2, eval) == 1, "eval accepted a different confusion matrix");
    }
    free(text);
    char *bad1[] = {"train", "efficientecg-s"};
    CHECK(ecg_cmd_train(2, bad1) == 2, "train without a task");
    char *bad2[] = {"train", "no-such-model", "--task", "mitdb-aami", "--data", "datasets/sample", "--out", dir, "--quiet"};
    CHECK(ecg_cmd_train(9, bad2) == 1, "unknown model");
    char *bad3[] = {"train", "resnet1d", "--task", "mitdb-aami", "--lr", "-1"};
    CHECK(ecg_cmd_train(6, bad3) == 2, "negative lr");
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
                     "--threads", "1", "--out", dir, "--quiet", "--no-test"};
    CHECK(ecg_cmd_train(14, train) == 0, "train --no-test failed");
    cJSON *m = read_manifest(dir);
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

int main(void) {
    RUN(test_train_then_eval);
    RUN(test_blind_candidate);
    return test_done();
}
