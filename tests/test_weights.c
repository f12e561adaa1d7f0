/* The committed weights (models/weights/MODEL-TASK/): each folder is complete, its manifest
 * names what the folder name says, and `ecgbench eval DIR` reproduces the manifest's test metrics
 * exactly on the XNNPACK path whenever the task's full data is here (`make data`). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "../datasets/datasets.h"
#include "harness.h"

#define WEIGHTS "models/weights"

static const char *str_item(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, key)); }

/* Checks one folder; returns 1 if it was evaluated against the data. */
static int check_folder(const char *dir, const char *name) {
    char path[1024];
    static const char *const files[] = {"weights.safetensors", "manifest.json", "epochs.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        CHECK(access(path, R_OK) == 0, "%s: no %s", dir, files[i]);
    }
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!m) {
        CHECK(0, "%s: manifest is not JSON", path);
        return 0;
    }
    const char *model = str_item(m, "model"), *task = str_item(m, "task");
    char want[256];
    snprintf(want, sizeof want, "%s-%s", model ? model : "?", task ? task : "?");
    CHECK(!strcmp(want, name), "%s: manifest says %s", dir, want);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "train_examples_per_second")) > 0, "%s: no throughput", dir);
    CHECK(str_item(cJSON_GetObjectItem(m, "run"), "git_commit") != NULL, "%s: no git commit", dir);
    const ecg_task *t = task ? ecg_task_find(task) : NULL;
    CHECK(t != NULL, "%s: unknown task %s", dir, task ? task : "(none)");
    int evaluated = 0;
    char data[1024], probe[128];
    snprintf(probe, sizeof probe, "%s", t && t->data_subdir ? t->data_subdir : "");
    if (t && t->data_subdir && !strstr(str_item(m, "data_version") ? str_item(m, "data_version") : "", "SAMPLE") &&
        test_data_dir(probe, data, sizeof data)) {
        char *eval[] = {"eval", (char *)dir, "--data", data};
        CHECK(ecg_cmd_eval(4, eval) == 0, "%s: ecgbench eval does not reproduce the manifest", dir);
        evaluated = 1;
    }
    cJSON_Delete(m);
    return evaluated;
}

static void test_committed_weights(void) {
    DIR *d = opendir(WEIGHTS);
    if (!d) {
        printf("  skipped %s: run from the repo root\n", __func__);
        return;
    }
    int folders = 0, evaluated = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char dir[512];
        snprintf(dir, sizeof dir, WEIGHTS "/%s", e->d_name);
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/manifest.json");
        if (e->d_name[0] == '.' || access(dir, F_OK)) continue;
        dir[strlen(dir) - strlen("/manifest.json")] = 0;
        folders++;
        evaluated += check_folder(dir, e->d_name);
    }
    closedir(d);
    printf("  %d weight folders, %d re-evaluated on the full data\n", folders, evaluated);
}

static void strip_trailing_newlines(char *s) {
    for (size_t n = strlen(s); n && s[n - 1] == '\n'; n--) s[n - 1] = 0;
}

/* The README's results block is `ecgbench results` verbatim, so no figure in it is typed by hand
 * and none goes stale when weights are retrained. */
static void test_readme_results_are_generated(void) {
    char *readme = test_read_file("README.md");
    if (!readme || access(WEIGHTS, F_OK)) {
        printf("  skipped %s: run from the repo root\n", __func__);
        free(readme);
        return;
    }
    static const char begin[] = "<!-- results:begin -->\n", end[] = "<!-- results:end -->";
    char *b = strstr(readme, begin), *e = b ? strstr(b, end) : NULL;
    CHECK(b && e, "README.md has no %s ... %s block", begin, end);
    if (!b || !e) goto out;
    char *argv[] = {"results", WEIGHTS};
    int rc;
    char *got = test_capture_stdout(ecg_cmd_results, 2, argv, &rc);
    CHECK(rc == 0, "ecgbench results failed");
    b += strlen(begin);
    *e = 0;
    strip_trailing_newlines(b);
    if (got) strip_trailing_newlines(got);
    CHECK(got && !strcmp(got, b), "README.md's results block differs from `ecgbench results` (paste its output "
          "between the markers):\n--- README\n%s--- ecgbench results\n%s", b, got ? got : "(none)");
    free(got);
out:
    free(readme);
}

int main(void) {
    RUN(test_readme_results_are_generated);
    RUN(test_committed_weights);
    return test_done();
}
