/* `ecgbench compress --int8` then `ecgbench eval` on the bundled sample: the manifest records the
 * passes, the int8 file is the model size, and eval reproduces the int8 test metrics exactly;
 * bad arguments are usage errors, not crashes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "harness.h"

static void test_compress_then_eval(void) {
    if (access("datasets/sample/mitdb/SAMPLE", F_OK)) {
        printf("  skipped %s: run from the repo root\n", __func__);
        return;
    }
    char dir[] = "/tmp/ecgbench_cq_XXXXXX", cache[64], wpath[96], out[96], path[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    /* f32 weights of an untrained model sized for the task (what compress reads is a file) */
    const ecg_task *t = ecg_task_find("mitdb-aami");
    ecg_model_cfg mc = ecg_task_model_cfg(t);
    ecg_graph g;
    char err[512];
    CHECK(ecg_model_build("efficientecg-s", &mc, &g, err, sizeof err) == 0, "%s", err);
    snprintf(wpath, sizeof wpath, "%s/f32.safetensors", dir);
    CHECK(ecg_safetensors_save(&g, wpath, NULL, 0, err, sizeof err) == 0, "%s", err);
    ecg_graph_free(&g);
    snprintf(out, sizeof out, "%s/int8", dir);
    char *cmd[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--weights", wpath,
                   "--int8", "--calib", "64", "--threads", "2", "--out", out};
    CHECK(ecg_cmd_compress(15, cmd) == 0, "compress failed");
    snprintf(path, sizeof path, "%s/manifest.json", out);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    CHECK(m != NULL, "no manifest");
    if (m) {
        const cJSON *passes = cJSON_GetObjectItem(m, "passes");
        CHECK(cJSON_GetArraySize(passes) == 2, "passes: bn-fold, int8");
        const cJSON *q = cJSON_GetArrayItem(passes, 1), *cal = cJSON_GetObjectItem(q, "calibration");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(q, "name")) ?: "", "int8"), "int8 pass name");
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(cal, "examples")) == 64, "calibration examples");
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cal, "candidates")) == 2, "two calibration candidates (auto)");
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(q, "int8_nodes")) > 10, "int8 nodes");
        /* the recorded size is the int8 file's, about a quarter of the f32 file */
        snprintf(path, sizeof path, "%s/weights.int8.safetensors", out);
        struct stat a, b;
        CHECK(stat(path, &a) == 0 && stat(wpath, &b) == 0, "files");
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "size_bytes")) == (double)a.st_size, "size_bytes");
        CHECK(a.st_size < 0.3 * b.st_size, "int8 file %lld bytes vs f32 %lld", (long long)a.st_size, (long long)b.st_size);
    }
    cJSON_Delete(m);
    free(text);
    char *eval[] = {"eval", out};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the int8 manifest");
    char *bad1[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--weights", wpath, "--out", out};
    CHECK(ecg_cmd_compress(8, bad1) == 2, "no pass chosen");
    char *bad2[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--weights", wpath, "--out", out, "--int8",
                    "--calib-method", "median"};
    CHECK(ecg_cmd_compress(11, bad2) == 2, "unknown calibration method");
    char *bad3[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--weights",
                    "/nonexistent.safetensors", "--out", out, "--int8"};
    CHECK(ecg_cmd_compress(11, bad3) == 1, "missing weights");
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_compress_then_eval);
    return test_done();
}
