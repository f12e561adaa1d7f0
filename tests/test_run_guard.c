/* The recipe check (runs/run_guard.c) that select, offsets and ensemble rely on to compare seeds and
 * folds of one recipe: another model, task or setting is named with both values; where the data
 * sat, which fold, and the frozen part's run are not another recipe; a key one side lacks is. */
#include <cjson/cJSON.h>
#include <string.h>

#include "harness.h"
#include "runs/run_guard.h"

static cJSON *manifest(const char *model, const char *task, const char *config) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "model", model);
    cJSON_AddStringToObject(m, "task", task);
    cJSON_AddItemToObject(m, "config", cJSON_Parse(config));
    return m;
}

#define BASE "\"epochs\": 12, \"lr\": 0.0003, \"class_weights\": \"sqrt\""

static void expect(const char *what, cJSON *man, cJSON *ref, const char *want) {
    char err[600] = "";
    int rc = ecg_same_recipe_check(man, "runs/b", ref, "runs/a", err, sizeof err);
    if (!want) CHECK(rc == 0, "%s: refused (%s)", what, err);
    else CHECK(rc == -1 && strstr(err, want), "%s: rc %d, \"%s\" (want \"%s\")", what, rc, err, want);
    cJSON_Delete(man);
    cJSON_Delete(ref);
}

static void test_same_recipe(void) {
    const char *m = "efficientecg-fusion-rr", *t = "mitdb-aami-template";
    expect("itself", manifest(m, t, "{" BASE "}"), manifest(m, t, "{" BASE "}"), NULL);
    expect("another fold, another data folder", manifest(m, t, "{" BASE ", \"fold\": 2, \"data_dir\": \"/x\"}"),
           manifest(m, t, "{" BASE ", \"fold\": 1, \"data_dir\": \"data\"}"), NULL);
    expect("the frozen part of another seed",
           manifest(m, t, "{" BASE ", \"init_from\": {\"model\": \"ae\", \"frozen\": 3, \"run\": \"s2\", \"sha256\": \"b\"}}"),
           manifest(m, t, "{" BASE ", \"init_from\": {\"model\": \"ae\", \"frozen\": 3, \"run\": \"s1\", \"sha256\": \"a\"}}"), NULL);
}

static void test_other_recipe(void) {
    const char *m = "efficientecg-fusion-rr", *t = "mitdb-aami-template";
    expect("another model", manifest("resnet1d", t, "{" BASE "}"), manifest(m, t, "{" BASE "}"),
           "runs/b is not the recipe of runs/a (model resnet1d against efficientecg-fusion-rr)");
    expect("another task", manifest(m, "mitdb-aami", "{" BASE "}"), manifest(m, t, "{" BASE "}"),
           "(task mitdb-aami against mitdb-aami-template)");
    expect("another learning rate", manifest(m, t, "{\"epochs\": 12, \"lr\": 0.001, \"class_weights\": \"sqrt\"}"),
           manifest(m, t, "{" BASE "}"), "(lr 0.001 against 0.0003)");
    expect("a setting only one side has", manifest(m, t, "{" BASE ", \"warp\": 0.1}"), manifest(m, t, "{" BASE "}"),
           "(warp 0.1 against (none))");
    expect("another frozen part", manifest(m, t, "{" BASE ", \"init_from\": {\"model\": \"ae\", \"frozen\": 2}}"),
           manifest(m, t, "{" BASE ", \"init_from\": {\"model\": \"ae\", \"frozen\": 3}}"), "init_from");
}

int main(void) {
    RUN(test_same_recipe);
    RUN(test_other_recipe);
    return test_done();
}
