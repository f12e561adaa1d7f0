/* What may be written into a run folder (runs/run_guard.c): no overwriting without --force, and a
 * resume only of the run that was started. */
#ifndef ECG_RUNS_RUN_GUARD_H
#define ECG_RUNS_RUN_GUARD_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The configuration a training records when it starts, beside its checkpoints. */
#define ECG_RUN_CONFIG "config.json"

/* 0 when dir holds none of the files marks[0..n) (or force); else -1, err naming the file and
 * ending with how (e.g. "--force overwrites it"). */
int ecg_run_dir_guard(const char *dir, const char *const *marks, int n_marks, int force, const char *how,
                      char *err, size_t errlen);
/* Compares two training configurations key by key, every key of either side (a key only one side
 * has differs too); `equal` (NULL: cJSON_Compare) decides a key, x or y NULL where a side lacks it.
 * Returns the first key that differs, with its value in a and in b as text (va, vb: "0.001", not
 * the float's 0.0010000000474974513; "(none)" where absent), or NULL when they agree. */
const char *ecg_config_diff(const cJSON *a, const cJSON *b, int (*equal)(const char *key, const cJSON *x, const cJSON *y),
                            char *va, char *vb, size_t len);
/* An `equal` for ecg_config_diff between seeds of one recipe: data_dir (where the data sat) and,
 * in init_from, the run and checksum of the frozen part (each seed trains on its own seed's part)
 * do not make another recipe. */
int ecg_same_recipe_setting(const char *key, const cJSON *x, const cJSON *y);
/* 0 when the run of manifest man (in dir) is the recipe of the run of manifest ref (in ref_dir): the
 * same model, task and config up to ecg_same_recipe_setting (another seed or fold of it); else -1,
 * err naming the first setting that differs and both values. */
int ecg_same_recipe_check(const cJSON *man, const char *dir, const cJSON *ref, const char *ref_dir, char *err,
                          size_t errlen);
/* 0 when man is the manifest of a `train --fold id` run: config.fold = id, validated on the cv<id>-val
 * split, no test metrics; else -1, err naming what (its folder). */
int ecg_fold_run_check(const cJSON *man, int id, const char *what, char *err, size_t errlen);
/* Compares config (an object) with DIR/config.json key by key: 0 the same, 1 no config.json (a run
 * started before they were written), -1 with err naming the first key that differs and both values. */
int ecg_run_config_check(const char *dir, const cJSON *config, char *err, size_t errlen);
/* Writes DIR/config.json (atomically). */
int ecg_run_config_write(const char *dir, const cJSON *config, char *err, size_t errlen);

#endif
