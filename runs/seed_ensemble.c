/* ecg_ensemble_cv (runs/pipelines.h): is an ensemble of one recipe's seeds worth its cost? Judged
 * on the seeds' cross-validation fold runs, DS1 alone: each fold's validation records are predicted
 * by every seed's run of that fold (none trained on them), the members' softmax probabilities are
 * averaged, and the pooled confusion of that average is scored against each seed's own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runs/files.h"
#include "runs/fold_pool.h"
#include "runs/manifest.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"

void ecg_ensemble_logits(const float *const *z, int members, long n, int classes, float *out) {
    for (long i = 0; i < n; i++) {
        double mean[ECG_MAX_CLASSES] = {0};
        for (int m = 0; m < members; m++) {
            const float *x = z[m] + i * classes;
            double top = x[0], sum = 0;
            for (int c = 1; c < classes; c++) top = x[c] > top ? x[c] : top;
            for (int c = 0; c < classes; c++) sum += exp((double)x[c] - top);
            for (int c = 0; c < classes; c++) mean[c] += exp((double)x[c] - top) / sum / members;
        }
        /* the log keeps the arg-max and reads as logits; a probability of 0 (underflow) stays finite */
        for (int c = 0; c < classes; c++) out[i * classes + c] = (float)log(mean[c] > 1e-300 ? mean[c] : 1e-300);
    }
}

/* What the ensemble is judged by: the task's score over its first score_classes classes (0:
 * macro-F1), or, when mask is set, the mean F1 of the classes in it. */
typedef struct {
    int score_classes;
    unsigned mask;
    char name[200];
} criterion;

static double score(const criterion *c, const ecg_metrics *m) {
    if (!c->mask) return ecg_offsets_score(m, c->score_classes);
    double sum = 0;
    int k = 0;
    for (int i = 0; i < m->classes; i++)
        if (c->mask >> i & 1) sum += m->f1[i], k++;
    return sum / k;
}

/* The criterion: the task's, or the mean F1 of the classes named in list ("N,S,V"), looked up in
 * the class names of run r's validation metrics. */
static int criterion_parse(criterion *c, const char *list, const ecg_run *r, char *err, size_t errlen) {
    const ecg_task *task = ecg_task_find(r->task);
    c->score_classes = task && task->score_name ? task->score_classes : 0;
    c->mask = 0;
    snprintf(c->name, sizeof c->name, "%s", task && task->score_name ? task->score_name : "macro-F1");
    if (!list) return 0;
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "metrics"), "val"), "per_class");
    int n = cJSON_GetArraySize(pc);
    snprintf(c->name, sizeof c->name, "mean F1 of %s", list);
    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");
        int found = -1;
        for (int i = 0; i < n && i < ECG_MAX_CLASSES && found < 0; i++) {
            const char *name = ecg_json_str(cJSON_GetArrayItem(pc, i), "class", "");
            if (strlen(name) == len && !strncmp(name, s, len)) found = i;
        }
        if (found < 0 || c->mask >> found & 1) {
            snprintf(err, errlen, "--classes %s: '%.*s' is %s of %s's classes", list, (int)len, s,
                     found < 0 ? "not one" : "named twice among", r->dir);
            return -1;
        }
        c->mask |= 1u << found;
        s += len + (s[len] == ',');
    }
    if (!c->mask) return snprintf(err, errlen, "--classes names no class"), -1;
    return 0;
}

/* Before any member is predicted: each member's first fold run is read, and must be the first
 * member's recipe with a seed of its own. */
static int members_check(const char *const *from, int n, const char *classes, criterion *crit, char *err, size_t errlen) {
    ecg_run *r = calloc((size_t)n, sizeof *r);
    int rc = -1;
    if (!r) return snprintf(err, errlen, "out of memory"), -1;
    for (int m = 0; m < n; m++) {
        char dir[1200], path[1300];
        int id = 1;
        for (; id <= ECG_OFFSETS_MAX_FOLDS; id++) {
            snprintf(dir, sizeof dir, "%s/fold%d", from[m], id);
            snprintf(path, sizeof path, "%s/manifest.json", dir);
            if (access(path, F_OK) == 0) break;
        }
        if (id > ECG_OFFSETS_MAX_FOLDS) {
            snprintf(err, errlen, "%s holds no cross-validation fold run (foldK/ from `train --fold K`)", from[m]);
            goto done;
        }
        if (ecg_run_read(dir, &r[m], err, errlen)) goto done;
        if (!m) {
            if (criterion_parse(crit, classes, &r[0], err, errlen)) goto done;
            continue;
        }
        if (ecg_seed_member_check(r, m, err, errlen)) goto done;
    }
    rc = 0;
done:
    for (int m = 0; m < n; m++) ecg_run_free(&r[m]);
    free(r);
    return rc;
}

/* The confusion of the pooled examples of fold k (0: every fold) under logits z (n x classes). */
static ecg_metrics fold_confusion(const ecg_fold_pool *p, const float *z, int k) {
    ecg_metrics m;
    ecg_metrics_init(&m, p->classes);
    for (long i = 0; i < p->n; i++)
        if (!k || p->fold[i] == k) ecg_metrics_add(&m, p->y[i], ecg_argmax(z + i * p->classes, p->classes));
    ecg_metrics_finish(&m);
    return m;
}

cJSON *ecg_ensemble_cv(const char *const *from, int n, const char *classes, const char *data, int threads, FILE *log,
                       char *err, size_t errlen) {
    ecg_fold_pool *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    const float **z = calloc((size_t)(n > 0 ? n : 1), sizeof *z);
    float *ez = NULL;
    cJSON *doc = cJSON_CreateObject(), *members = cJSON_AddArrayToObject(doc, "members");
    int ok = 0;
    if (!p || !z || !doc) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    criterion crit;
    if (n < 2) {
        snprintf(err, errlen, "an ensemble needs at least 2 members, got %d", n);
        goto done;
    }
    if (members_check(from, n, classes, &crit, err, errlen)) goto done;
    for (int m = 0; m < n; m++) {
        if (log) fprintf(log, "member %d: %s\n", m + 1, from[m]);
        if (ecg_fold_pool_load(&p[m], from[m], 0, data, threads, log, err, errlen)) goto done;
        z[m] = p[m].z;
        if (!m) continue;
        /* the same folds of the same records, in the same order */
        if (p[m].n != p[0].n || memcmp(p[m].y, p[0].y, sizeof *p[0].y * (size_t)p[0].n) ||
            memcmp(p[m].fold, p[0].fold, sizeof *p[0].fold * (size_t)p[0].n)) {
            snprintf(err, errlen, "%s: its fold runs do not validate on %s's folds, example for example", from[m], from[0]);
            goto done;
        }
    }
    const ecg_fold_pool *p0 = &p[0];
    const char *names[ECG_MAX_CLASSES];
    for (int c = 0; c < p0->classes; c++) names[c] = p0->names[c];
    ez = malloc(sizeof *ez * (size_t)p0->n * (size_t)p0->classes);
    if (!ez) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    ecg_ensemble_logits(z, n, p0->n, p0->classes, ez);

    /* pooled over the folds, and fold by fold (paired: the ensemble against its members' mean) */
    double mean = 0;
    for (int m = 0; m < n; m++) {
        ecg_metrics mm = fold_confusion(&p[m], z[m], 0);
        double s = score(&crit, &mm);
        mean += s / n;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "from", from[m]);
        cJSON_AddNumberToObject(o, "seed", (double)p[m].first.seed);
        cJSON_AddNumberToObject(o, "score", s);
        cJSON_AddItemToObject(o, "folds", p[m].folds);
        p[m].folds = NULL;
        cJSON_AddItemToObject(o, "pooled", ecg_metrics_json(&mm, names));
        cJSON_AddItemToArray(members, o);
        if (log) fprintf(log, "seed %llu (%s): %.4f\n", (unsigned long long)p[m].first.seed, from[m], s);
    }
    ecg_metrics em = fold_confusion(p0, ez, 0);
    double es = score(&crit, &em);
    cJSON *by_fold = cJSON_CreateArray();
    int better = 0, folds = 0;
    for (int k = 1; k <= ECG_OFFSETS_MAX_FOLDS; k++) {
        long seen = 0;
        for (long i = 0; i < p0->n && !seen; i++) seen = p0->fold[i] == k;
        if (!seen) continue;
        ecg_metrics fm = fold_confusion(p0, ez, k);
        double fe = score(&crit, &fm), fmean = 0;
        for (int m = 0; m < n; m++) {
            ecg_metrics one = fold_confusion(&p[m], z[m], k);
            fmean += score(&crit, &one) / n;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "fold", k);
        cJSON_AddNumberToObject(o, "score_ensemble", fe);
        cJSON_AddNumberToObject(o, "score_mean_of_members", fmean);
        cJSON_AddItemToArray(by_fold, o);
        folds++, better += fe > fmean;
    }
    cJSON_AddStringToObject(doc, "model", p0->first.model);
    cJSON_AddStringToObject(doc, "task", p0->first.task);
    cJSON_AddItemToObject(doc, "config", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(p0->first.man, "config"), 1));
    cJSON_AddStringToObject(doc, "criterion", crit.name);
    cJSON_AddStringToObject(doc, "combine", "the mean of the members' softmax probabilities, its arg-max");
    cJSON_AddStringToObject(doc, "judged_on", "the members' cross-validation fold runs' validation confusions summed");
    cJSON_AddNumberToObject(doc, "score_mean_of_members", mean);
    cJSON_AddNumberToObject(doc, "score_ensemble", es);
    cJSON_AddNumberToObject(doc, "folds_ensemble_better", better);
    cJSON_AddItemToObject(doc, "by_fold", by_fold);
    /* the ensemble is worth its members' cost only if it beats what one seed scores on average */
    cJSON_AddBoolToObject(doc, "helps", es > mean);
    cJSON_AddItemToObject(doc, "ensemble", ecg_metrics_json(&em, names));
    if (log) {
        fprintf(log, "%s on %s, %d seeds, %d folds, %ld examples; %s of the validation confusions summed:\n"
                     "  one seed %.4f on average, the ensemble %.4f (better on %d of %d folds)\nensemble helps: %s\n",
                p0->first.model, p0->first.task, n, folds, p0->n, crit.name, mean, es,
                better, folds, es > mean ? "yes" : "no");
    }
    ok = 1;
done:
    for (int m = 0; p && m < n; m++) ecg_fold_pool_free(&p[m]);
    free(p), free(z), free(ez);
    if (!ok) cJSON_Delete(doc), doc = NULL;
    return doc;
}
