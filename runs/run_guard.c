/* What may be written into a run folder (runs/run_guard.h): a finished or half-trained run is not
 * overwritten unless asked (--force), and a resumed training is the one that was started (the
 * configuration it recorded in config.json). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runs/files.h"
#include "runs/run_guard.h"

static int has(const char *dir, const char *file) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

int ecg_run_dir_guard(const char *dir, const char *const *marks, int n_marks, int force, const char *how,
                      char *err, size_t errlen) {
    if (force) return 0;
    for (int i = 0; i < n_marks; i++)
        if (has(dir, marks[i])) {
            snprintf(err, errlen, "%s holds a run (%s); %s", dir, marks[i], how);
            return -1;
        }
    return 0;
}

/* a value in messages */
static void show(const cJSON *v, char *buf, size_t n) {
    if (cJSON_IsNumber(v)) { /* a float setting as given (0.001, not 0.0010000000474974513) */
        snprintf(buf, n, "%.6g", v->valuedouble);
        return;
    }
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(buf, n, "%s", s ? s : "(none)");
    cJSON_free(s);
}

const char *ecg_config_diff(const cJSON *a, const cJSON *b, int (*equal)(const char *key, const cJSON *x, const cJSON *y),
                            char *va, char *vb, size_t len) {
    for (int side = 0; side < 2; side++) {
        const cJSON *from = side ? b : a, *other = side ? a : b;
        for (const cJSON *k = from ? from->child : NULL; k; k = k->next) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(other, k->string);
            const cJSON *x = side ? o : k, *y = side ? k : o;
            if (equal ? equal(k->string, x, y) : o && cJSON_Compare(k, o, 1)) continue;
            show(x, va, len);
            show(y, vb, len);
            return k->string;
        }
    }
    return NULL;
}

int ecg_same_recipe_setting(const char *key, const cJSON *x, const cJSON *y) {
    if (!strcmp(key, "data_dir") || !strcmp(key, "fold")) return 1; /* where the data sat, which part of it */
    if (!x || !y) return 0;
    if (strcmp(key, "init_from")) return cJSON_Compare(x, y, 1);
    return cJSON_Compare(cJSON_GetObjectItemCaseSensitive(x, "model"), cJSON_GetObjectItemCaseSensitive(y, "model"), 1) &&
           cJSON_Compare(cJSON_GetObjectItemCaseSensitive(x, "frozen"), cJSON_GetObjectItemCaseSensitive(y, "frozen"), 1);
}

int ecg_same_recipe_check(const cJSON *man, const char *dir, const cJSON *ref, const char *ref_dir, char *err,
                          size_t errlen) {
    char va[200], vb[200];
    const char *key = NULL;
    for (const char *const *f = (const char *const[]){"model", "task", NULL}; *f && !key; f++)
        if (strcmp(ecg_json_str(ref, *f, ""), ecg_json_str(man, *f, ""))) {
            key = *f;
            snprintf(va, sizeof va, "%s", ecg_json_str(ref, *f, ""));
            snprintf(vb, sizeof vb, "%s", ecg_json_str(man, *f, ""));
        }
    if (!key)
        key = ecg_config_diff(cJSON_GetObjectItemCaseSensitive(ref, "config"),
                              cJSON_GetObjectItemCaseSensitive(man, "config"), ecg_same_recipe_setting, va, vb, sizeof va);
    if (key) snprintf(err, errlen, "%s is not the recipe of %s (%s %s against %s)", dir, ref_dir, key, vb, va);
    return key ? -1 : 0;
}

int ecg_run_config_check(const char *dir, const cJSON *config, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/" ECG_RUN_CONFIG, dir);
    if (access(path, F_OK) != 0) return 1;
    cJSON *stored = ecg_read_json(path, err, errlen);
    if (!stored) return -1;
    char here[200], there[200];
    const char *key = ecg_config_diff(config, stored, NULL, here, there, sizeof here);
    if (key)
        snprintf(err, errlen, "--resume: %s is %s in %s, %s in this command; a resumed run must be the one started "
                 "(--force starts over)", key, there, path, here);
    cJSON_Delete(stored);
    return key ? -1 : 0;
}

int ecg_run_config_write(const char *dir, const cJSON *config, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/" ECG_RUN_CONFIG, dir);
    return ecg_write_json(path, config, err, errlen);
}

int ecg_fold_run_check(const cJSON *man, int id, const char *what, char *err, size_t errlen) {
    const cJSON *fold = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "config"), "fold");
    const char *split =
        ecg_json_str(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "splits"), "val"), "split", "");
    char want[32];
    snprintf(want, sizeof want, "cv%d-val", id);
    if (!cJSON_IsNumber(fold) || fold->valuedouble != id || strcmp(split, want)) {
        snprintf(err, errlen, "%s: not a run of cross-validation fold %d (train --fold %d)", what, id, id);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "metrics"), "test")) {
        snprintf(err, errlen, "%s has test metrics: fold runs are trained with --no-test", what);
        return -1;
    }
    return 0;
}
