/* The committed weights (models/weights/MODEL-TASK/, MODEL-TASK-ensemble/): each folder is
 * complete, its manifest names what the folder name says, and `ecgbench eval DIR` reproduces the
 * manifest's test metrics exactly on the XNNPACK path whenever the task's full data is here
 * (`make data`). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../datasets/datasets.h"
#include "../runs/runs.h"
#include "harness.h"

#define WEIGHTS "models/weights"
#define COMPRESSED "models/compressed"

static const char *str_item(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItem(o, key)); }

/* Runs not re-evaluated because their task's full data is not here, and the data folders missing
 * ("mitdb cinc2017"): test_committed_weights is then skipped, naming them. */
static int runs_without_data;
static char data_missing[256];

/* A compressed variant was made from the weights its source holds now: a source retrained since
 * (a new recipe promoted) leaves the variant's figures describing a model no longer committed. */
static void check_source_weights(const char *dir, const cJSON *m, const char *src) {
    const char *want = str_item(m, "source_weights_sha256");
    CHECK(want != NULL, "%s: its manifest does not say which weights of %s it was made from (make compress redoes it)",
          dir, src ? src : "its source");
    if (!want || !src) return;
    char sha[65], err[512];
    int64_t bytes;
    ecg_run r = {0};
    if (ecg_run_read(src, &r, err, sizeof err) || ecg_run_weights_digest(&r, sha, &bytes, err, sizeof err))
        CHECK(0, "%s", err);
    else
        CHECK(!strcmp(sha, want), "%s: made from other weights of %s than those committed (sha256 %.12s..., now "
              "%.12s...): the source was retrained since; make compress redoes it", dir, src, want, sha);
    ecg_run_free(&r);
}

/* Checks one folder, a trained run or a seed ensemble of trained runs (models/weights) or a
 * compressed one (models/compressed); returns 1 if it was evaluated against the data. */
static int check_folder(const char *dir, const char *name, int trained) {
    char path[1024];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = test_read_file(path);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!m) {
        CHECK(0, "%s: manifest is not JSON", path);
        return 0;
    }
    const char *model = str_item(m, "model"), *task = str_item(m, "task"), *w = str_item(m, "weights");
    const char *variant = str_item(m, "variant");
    int ensemble = trained && variant && !strcmp(variant, "ensemble");
    /* a trained run holds its weights and training log; an ensemble holds none of its own, only the
     * verdict that chose to average its seeds */
    static const char *const run_files[] = {"weights.safetensors", "epochs.csv", NULL};
    static const char *const ens_files[] = {"ensemble_judged.json", NULL};
    for (const char *const *f = ensemble ? ens_files : run_files; trained && *f; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, *f);
        CHECK(access(path, R_OK) == 0, "%s: no %s", dir, *f);
    }
    char want[256];
    snprintf(want, sizeof want, "%s-%s%s", model ? model : "?", task ? task : "?", ensemble ? "-ensemble" : "");
    if (ensemble) { /* its members committed beside it */
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetObjectItem(m, "ensemble"), "members")) {
            snprintf(path, sizeof path, "%s/%s/manifest.json", dir, str_item(e, "run") ? str_item(e, "run") : "?");
            CHECK(access(path, R_OK) == 0, "%s: member %s is not committed", dir, path);
        }
    }
    if (trained) {
        CHECK(!strcmp(want, name), "%s: manifest says %s", dir, want);
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "train_examples_per_second")) > 0, "%s: no throughput", dir);
    } else { /* named after its source run, the source committed beside it */
        const char *src = str_item(m, "source");
        CHECK(!strncmp(name, want, strlen(want)), "%s: manifest says %s", dir, want);
        snprintf(path, sizeof path, "%s/manifest.json", src ? src : "?");
        CHECK(src && access(path, R_OK) == 0, "%s: its source run %s is not committed", dir, src ? src : "(none)");
        snprintf(path, sizeof path, "%s/%s", dir, w ? w : "?");
        CHECK(w && access(path, R_OK) == 0, "%s: no weights file %s", dir, w ? w : "(none)");
        check_source_weights(dir, m, src);
    }
    CHECK(str_item(cJSON_GetObjectItem(m, "run"), "git_commit") != NULL, "%s: no git commit", dir);
    const ecg_task *t = task ? ecg_task_find(task) : NULL;
    CHECK(t != NULL, "%s: unknown task %s", dir, task ? task : "(none)");
    int evaluated = 0;
    char data[1024], probe[128];
    snprintf(probe, sizeof probe, "%s", t && t->data_subdir ? t->data_subdir : "");
    char missing[128];
    int full_data_run = t && t->data_subdir &&
                        !strstr(str_item(m, "data_version") ? str_item(m, "data_version") : "", "SAMPLE");
    if (full_data_run && !test_find_data(probe, data, sizeof data, missing, sizeof missing)) {
        runs_without_data++;
        if (!strstr(data_missing, missing))
            snprintf(data_missing + strlen(data_missing), sizeof data_missing - strlen(data_missing), "%s%s/",
                     data_missing[0] ? " or " : "", missing);
    } else if (full_data_run) {
        /* The release binary when the Makefile names it: the same code without the sanitizers'
         * 10x slowdown, which a dozen models on the full test splits would not fit in CI. */
        const char *rel = getenv("ECGBENCH_RELEASE");
        if (rel && *rel) {
            char cmd[3300];
            snprintf(cmd, sizeof cmd, "'%s' eval '%s' --data '%s' >/dev/null", rel, dir, data);
            CHECK(system(cmd) == 0, "%s: %s eval does not reproduce the manifest", dir, rel);
        } else {
            char *eval[] = {"eval", (char *)dir, "--data", data};
            CHECK(ecg_cmd_eval(4, eval) == 0, "%s: ecgbench eval does not reproduce the manifest", dir);
        }
        evaluated = 1;
    }
    cJSON_Delete(m);
    return evaluated;
}

/* Every folder with a manifest under root; returns how many there were. */
static int check_tree(const char *root, int trained, int *evaluated) {
    DIR *d = opendir(root);
    if (!d) return 0;
    int folders = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char dir[512], man[600];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        snprintf(man, sizeof man, "%s/manifest.json", dir);
        if (e->d_name[0] == '.' || access(man, F_OK)) continue;
        folders++;
        *evaluated += check_folder(dir, e->d_name, trained);
    }
    closedir(d);
    return folders;
}

static void test_committed_weights(void) {
    if (!test_need_file(WEIGHTS)) return;
    int evaluated = 0, trained = check_tree(WEIGHTS, 1, &evaluated), compressed = check_tree(COMPRESSED, 0, &evaluated);
    printf("  %d trained (or ensemble) and %d compressed weight folders, %d re-evaluated on the full data\n", trained,
           compressed, evaluated);
    if (runs_without_data)
        test_skip("re-evaluating %d runs on the full data: no %s under $ECG_DATA_DIR, data/ or ../shared/data "
                  "(make data)",
                  runs_without_data, data_missing);
}

static void strip_trailing_newlines(char *s) {
    for (size_t n = strlen(s); n && s[n - 1] == '\n'; n--) s[n - 1] = 0;
}

/* The README's results block is `ecgbench results` verbatim, so no figure in it is typed by hand
 * and none goes stale when weights are retrained. */
static void test_readme_results_are_generated(void) {
    char *readme = test_read_file("README.md");
    if (!readme || !test_need_file(WEIGHTS)) {
        if (!readme) test_skip("no README.md (run from the repo root)");
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
