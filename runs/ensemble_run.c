/* ecg_ensemble_make (runs/pipelines.h): a seed ensemble as a run folder of its own. It holds no
 * weights: its manifest names the member runs (relative to its folder) with their weights'
 * SHA-256, and ecg_run_open_any opens them, so `ecgbench eval DIR --record` scores its test split once
 * like any blind run and `ecgbench eval DIR` re-checks it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "runs/files.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"
#include "runs/runs.h"

#define JUDGED_FILE "ensemble_judged.json"

/* out = the path of folder `to` relative to folder `from` (both exist): one ".." per folder of
 * `from` below the part the two share, then the rest of `to`. */
static int relative_path(const char *from, const char *to, char *out, size_t n, char *err, size_t errlen) {
    char a[PATH_MAX + 2], b[PATH_MAX + 2]; /* room for the slash added below */
    if (!realpath(from, a) || !realpath(to, b)) return snprintf(err, errlen, "cannot resolve %s or %s", from, to), -1;
    strcat(a, "/"), strcat(b, "/"); /* realpath gives no trailing slash; each component now ends in one */
    size_t common = 0;
    for (size_t i = 0; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/') common = i + 1;
    out[0] = 0;
    for (const char *p = a + common; *p; p++)
        if (*p == '/') strncat(out, "../", n - strlen(out) - 1);
    strncat(out, b + common, n - strlen(out) - 1);
    size_t len = strlen(out);
    if (len && out[len - 1] == '/') out[len - 1] = 0;
    if (!out[0]) snprintf(out, n, ".");
    return 0;
}

/* The members: trained classifier runs (not fold runs, not derived), one recipe, seeds of their own,
 * and the same test examples. */
static int members_check(const ecg_run *r, int n, const char *data, char *err, size_t errlen) {
    ecg_dataset d0 = {0};
    int rc = -1;
    for (int m = 0; m < n && rc < 0; m++) {
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(r[m].man, "config");
        if (strcmp(r[m].variant, "f32") || ecg_model_objective(r[m].model) != ECG_OBJECTIVE_CLASSIFY) {
            snprintf(err, errlen, "%s: a %s %s run; an ensemble's members are trained classifiers", r[m].dir,
                     r[m].model, r[m].variant);
            break;
        }
        if (cJSON_GetObjectItemCaseSensitive(cfg, "fold")) {
            snprintf(err, errlen, "%s is a cross-validation fold run: an ensemble's members are trained on the whole "
                                  "training split", r[m].dir);
            break;
        }
        if (ecg_seed_member_check(r, m, err, errlen)) break;
        /* a task whose test split depends on the seed (cinc2017) would score members on records
         * they trained on */
        ecg_dataset d = {0};
        int hit;
        if (ecg_task_load_cached(r[m].task, "test", data ? data : r[m].data_dir ? r[m].data_dir : ecg_default_data_dir(),
                                 r[m].seed, NULL, m ? &d : &d0, &hit, err, errlen))
            break;
        int same = !m || (d.n == d0.n && !memcmp(d.y, d0.y, sizeof *d.y * (size_t)d.n) &&
                          !memcmp(d.record, d0.record, sizeof *d.record * (size_t)d.n));
        ecg_dataset_free(&d);
        if (!same) {
            snprintf(err, errlen, "%s (seed %llu) and %s (seed %llu) are tested on other examples: on %s the test split "
                                  "depends on the seed, so no member may be scored where another trained",
                     r[0].dir, (unsigned long long)r[0].seed, r[m].dir, (unsigned long long)r[m].seed, r[m].task);
            break;
        }
        if (m == n - 1) rc = 0;
    }
    ecg_dataset_free(&d0);
    return rc;
}

/* The judgement on held-out folds (`ecgbench ensemble --out`): it must be of this recipe and say
 * the ensemble helped. */
static cJSON *judged_read(const char *path, const ecg_run *r0, char *err, size_t errlen) {
    cJSON *j = ecg_read_json(path, err, errlen);
    if (!j) return NULL;
    if (ecg_same_recipe_check(j, path, r0->man, r0->dir, err, errlen)) return cJSON_Delete(j), NULL;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "helps"))) {
        snprintf(err, errlen, "%s: the ensemble did not beat its members there (\"helps\": false); its run is not made",
                 path);
        return cJSON_Delete(j), NULL;
    }
    return j;
}

int ecg_ensemble_make(const char *dir, const char *const *from, int n, const char *judged, const char *data,
                      ecg_run_record run_info, char *err, size_t errlen) {
    ecg_run *r = calloc((size_t)(n > 0 ? n : 1), sizeof *r);
    cJSON *man = NULL, *j = NULL;
    int rc = -1, read = 0;
    static const char *const marks[] = {"manifest.json"};
    if (!r) return snprintf(err, errlen, "out of memory"), -1;
    if (n < 2 || n > ECG_RUN_MAX_MEMBERS) {
        snprintf(err, errlen, "an ensemble has 2 to %d members, not %d", ECG_RUN_MAX_MEMBERS, n);
        goto done;
    }
    for (; read < n; read++)
        if (ecg_run_read(from[read], &r[read], err, errlen)) goto done;
    if (members_check(r, n, data, err, errlen) || (judged && !(j = judged_read(judged, &r[0], err, errlen))) ||
        ecg_run_dir_guard(dir, marks, 1, 0, "an ensemble's folder is written once", err, errlen) ||
        ecg_mkdir_p(dir, err, errlen))
        goto done;
    man = cJSON_CreateObject();
    cJSON *ens = cJSON_AddObjectToObject(man, "ensemble"), *members = cJSON_AddArrayToObject(ens, "members");
    double params = 0, flops = 0;
    for (int m = 0; m < n; m++) {
        char rel[PATH_MAX], sha[65];
        int64_t bytes;
        if (relative_path(dir, from[m], rel, sizeof rel, err, errlen) ||
            ecg_run_weights_digest(&r[m], sha, &bytes, err, errlen))
            goto done;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "run", rel);
        cJSON_AddNumberToObject(e, "seed", (double)r[m].seed);
        cJSON_AddStringToObject(e, "weights_sha256", sha);
        cJSON_AddNumberToObject(e, "weights_bytes", (double)bytes);
        cJSON_AddItemToArray(members, e);
        params += ecg_json_num(r[m].man, "params");
        flops += ecg_json_num(r[m].man, "flops_per_example");
    }
    cJSON_AddStringToObject(ens, "combine", "the mean of the members' softmax probabilities, its arg-max");
    cJSON_AddStringToObject(man, "model", r[0].model);
    cJSON_AddStringToObject(man, "task", r[0].task);
    cJSON_AddStringToObject(man, "variant", "ensemble");
    cJSON_AddNumberToObject(man, "seed", (double)r[0].seed); /* its test split: every member's (checked) */
    cJSON_AddNumberToObject(man, "params", params);
    cJSON_AddNumberToObject(man, "flops_per_example", flops);
    static const char *const kept[] = {"config", "data_version", "epochs_run", "best_epoch", "train_examples_per_second"};
    for (size_t k = 0; k < sizeof kept / sizeof *kept; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(r[0].man, kept[k]);
        if (v) cJSON_AddItemToObject(man, kept[k], cJSON_Duplicate(v, 1));
    }
    /* how the recipe was chosen (its members'), and the folds' verdict on averaging its seeds */
    cJSON *sel = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r[0].man, "selection"), 1);
    const char *log = ecg_json_str(sel, "log", NULL);
    if (log) { /* the first member's selection log, from here */
        char path[PATH_MAX + 100];
        snprintf(path, sizeof path, "%s/%s", ecg_json_str(cJSON_GetArrayItem(members, 0), "run", "."), log);
        cJSON_ReplaceItemInObjectCaseSensitive(sel, "log", cJSON_CreateString(path));
    }
    if (j) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, JUDGED_FILE);
        if (ecg_write_json(path, j, err, errlen)) goto done;
        if (!sel) sel = cJSON_CreateObject();
        cJSON *e = cJSON_AddObjectToObject(sel, "ensemble");
        cJSON_AddStringToObject(e, "judged_in", JUDGED_FILE);
        cJSON_AddStringToObject(e, "criterion", ecg_json_str(j, "criterion", "?"));
        cJSON_AddNumberToObject(e, "score_ensemble", ecg_json_num(j, "score_ensemble"));
        cJSON_AddNumberToObject(e, "score_mean_of_members", ecg_json_num(j, "score_mean_of_members"));
    }
    if (sel) cJSON_AddItemToObject(man, "selection", sel);
    cJSON_AddObjectToObject(man, "metrics"); /* the test split: `ecgbench eval DIR --record`, once */
    cJSON *run = run_info.fn ? run_info.fn(run_info.ctx, 1) : NULL;
    if (run) cJSON_AddItemToObject(man, "run", run);
    const char *files[] = {JUDGED_FILE};
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if ((j && ecg_manifest_add_files(man, dir, files, 1, err, errlen)) || ecg_write_json(path, man, err, errlen)) goto done;
    rc = 0;
done:
    for (int m = 0; m < read; m++) ecg_run_free(&r[m]);
    free(r);
    cJSON_Delete(man), cJSON_Delete(j);
    return rc;
}
