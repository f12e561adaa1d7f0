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
    char *p = text ? strstr(text, "\"test\":") : NULL;
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

int main(void) {
    RUN(test_train_then_eval);
    return test_done();
}
