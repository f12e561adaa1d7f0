/* ecg_fit_offsets (runs/pipelines.h): decision offsets fitted on held-out predictions. From a recipe
 * candidate's cross-validation folds: each fold run (`train --fold K`) predicts its own validation
 * records, which it never trained on; the pooled out-of-fold logits are every training record
 * judged once. Or from one trained run: its validation split, cut into folds by record. The offsets
 * (train/offsets.c) are fitted on the pooled logits; a second fit per fold, on the other folds
 * alone and scored on that fold, says what they are worth on records they were not fitted on: that
 * figure, not the in-sample one, decides which classes get one and whether they apply. No test
 * split is loaded. */
#include <cjson/cJSON.h>

#include "ops/file_sha256.h"
#include "runs/files.h"
#include "runs/fold_pool.h"
#include "runs/manifest.h"
#include "runs/pipelines.h"

/* A class with fewer held-out examples keeps offset 0 (DS1 holds 8 Q beats; cinc2017's validation
 * splits about 28 Noisy and 74 AF records). */
#define MIN_SUPPORT 20

static cJSON *offsets_json(const double *off, int classes) {
    cJSON *a = cJSON_CreateArray();
    for (int c = 0; c < classes; c++) cJSON_AddItemToArray(a, cJSON_CreateNumber(off[c]));
    return a;
}

cJSON *ecg_fit_offsets(const char *from, const char *data, int threads, FILE *log, char *err, size_t errlen) {
    ecg_fold_pool p = {0};
    cJSON *doc = cJSON_CreateObject();
    int ok = 0;
    if (ecg_fold_pool_load(&p, from, 1, data, threads, log, err, errlen)) goto done;
    cJSON_AddItemToObject(doc, "folds", p.folds);
    p.folds = NULL;
    const ecg_run *first = &p.first;
    int by_record = p.by_record;
    if (by_record) { /* its validation records are its own: another seed's may be this one's test records */
        char sha[65];
        int64_t bytes;
        if (ecg_file_sha256(first->weights, sha, &bytes, err, errlen)) goto done;
        cJSON_AddStringToObject(doc, "weights_sha256", sha);
    }
    cJSON_AddStringToObject(doc, "fitted_on", by_record ? "validation split" : "cross-validation folds");
    const ecg_task *task = ecg_task_find(first->task);
    int classes = p.classes, sc = task->score_name ? task->score_classes : 0;
    ecg_offsets_cv cv;
    if (ecg_offsets_fit_cv(p.z, p.y, p.fold, p.n, classes, sc, MIN_SUPPORT, &cv)) {
        snprintf(err, errlen, "fitting the offsets: out of memory");
        goto done;
    }
    double s0 = ecg_offsets_score(&cv.without, sc), s1 = ecg_offsets_score(&cv.in_sample, sc),
           s2 = ecg_offsets_score(&cv.held_out, sc);
    const char *names[ECG_MAX_CLASSES];
    for (int c = 0; c < classes; c++) names[c] = p.names[c];
    cJSON *cn = cJSON_CreateArray();
    for (int c = 0; c < classes; c++) cJSON_AddItemToArray(cn, cJSON_CreateString(names[c]));
    cJSON_AddStringToObject(doc, "model", first->model);
    cJSON_AddStringToObject(doc, "task", first->task);
    cJSON_AddStringToObject(doc, "from", from);
    /* the recipe (fold aside): compress applies the offsets only to a run of it */
    cJSON_AddItemToObject(doc, "config", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(first->man, "config"), 1));
    cJSON_AddItemToObject(doc, "classes", cn);
    cJSON_AddStringToObject(doc, "criterion", task->score_name ? task->score_name : "macro-F1");
    cJSON_AddStringToObject(doc, "fit", "coordinate ascent of the criterion over offsets[1..] on a 0.05 grid in "
                                        "[-8, 8], offsets[0] = 0, on the folds' validation logits pooled, of the classes kept by backward "
                                        "elimination on the leave-one-fold-out score");
    cJSON_AddNumberToObject(doc, "min_support", MIN_SUPPORT); /* fewer examples of a class: its offset stays 0 */
    cJSON *fitted = cJSON_AddArrayToObject(doc, "classes_fitted");
    for (int c = 0; c < classes; c++)
        if (cv.fitted[c]) cJSON_AddItemToArray(fitted, cJSON_CreateString(names[c]));
    cJSON *steps = cJSON_AddArrayToObject(doc, "elimination");
    for (int k = 0; k < cv.n_dropped; k++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "left_at_zero", names[cv.dropped[k]]);
        cJSON_AddNumberToObject(st, "score_leave_one_fold_out", cv.dropped_score[k]);
        cJSON_AddItemToArray(steps, st);
    }
    cJSON_AddItemToObject(doc, "offsets", offsets_json(cv.off, classes));
    cJSON_AddNumberToObject(doc, "score_without", s0);
    cJSON_AddNumberToObject(doc, "score_in_sample", s1);
    cJSON_AddNumberToObject(doc, "score_leave_one_fold_out", s2);
    /* the offsets apply only if, fitted without a fold, they beat no offsets on it */
    cJSON_AddBoolToObject(doc, "applies", s2 > s0);
    cJSON_AddItemToObject(doc, "without", ecg_metrics_json(&cv.without, names));
    cJSON_AddItemToObject(doc, "in_sample", ecg_metrics_json(&cv.in_sample, names));
    cJSON_AddItemToObject(doc, "leave_one_fold_out", ecg_metrics_json(&cv.held_out, names));
    if (log) {
        fprintf(log, "%s on %s, %d folds, %ld examples; %s of the validation confusions summed:\n", first->model, first->task,
                p.n_folds, p.n, task->score_name ? task->score_name : "macro-F1");
        fprintf(log, "  without offsets %.4f; with them %.4f (fitted on all folds), %.4f (each fold scored with "
                     "offsets fitted on the others)\n  offsets:", s0, s1, s2);
        for (int c = 0; c < classes; c++) fprintf(log, " %s %+.2f", names[c], cv.off[c]);
        const cJSON *st;
        cJSON_ArrayForEach(st, steps)
            fprintf(log, "\n  %s left at 0: held out, the others' offsets score %.4f without it", ecg_json_str(st, "left_at_zero", "?"),
                    ecg_json_num(st, "score_leave_one_fold_out"));
        fprintf(log, "\noffsets help: %s\n", s2 > s0 ? "yes" : "no");
    }
    ok = 1;
done:
    ecg_fold_pool_free(&p);
    if (!ok) cJSON_Delete(doc), doc = NULL;
    return doc;
}
