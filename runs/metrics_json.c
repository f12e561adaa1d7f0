/* Classification metrics as a printed table and as JSON (manifests, reports); an autoencoder's
 * reconstruction figures as JSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runs/manifest.h"

/* A metric in `width` columns, "-" when it is undefined (NaN: a class with no examples or no
 * predictions), as the report's tables print it. */
static void metric_print(FILE *f, int width, double v) {
    if (isfinite(v)) fprintf(f, "%*.4f", width, v);
    else fprintf(f, "%*s", width, "-");
}

void ecg_metrics_print(FILE *f, const ecg_metrics *m, const char *const *names) {
    fputs("accuracy ", f), metric_print(f, 0, m->accuracy);
    fputs("  macro-F1 ", f), metric_print(f, 0, m->macro_f1);
    fprintf(f, "  (%ld examples)\n", m->n);
    fprintf(f, "%-8s %8s %8s %8s %8s %8s\n", "class", "support", "Se", "PPV", "Sp", "F1");
    for (int c = 0; c < m->classes; c++) {
        long support = 0;
        for (int k = 0; k < m->classes; k++) support += m->confusion[c][k];
        fprintf(f, "%-8s %8ld", names[c], support);
        const double v[] = {m->sensitivity[c], m->ppv[c], m->specificity[c], m->f1[c]};
        for (int k = 0; k < 4; k++) fputc(' ', f), metric_print(f, 8, v[k]);
        fputc('\n', f);
    }
    fprintf(f, "confusion (rows true, columns predicted):\n%-8s", "");
    for (int c = 0; c < m->classes; c++) fprintf(f, " %8s", names[c]);
    fprintf(f, "\n");
    for (int c = 0; c < m->classes; c++) {
        fprintf(f, "%-8s", names[c]);
        for (int k = 0; k < m->classes; k++) fprintf(f, " %8ld", m->confusion[c][k]);
        fprintf(f, "\n");
    }
}

/* JSON has no NaN: an undefined metric is null. */
static void add_num(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

cJSON *ecg_metrics_json(const ecg_metrics *m, const char *const *names) {
    cJSON *o = cJSON_CreateObject(), *per = cJSON_CreateArray(), *conf = cJSON_CreateArray();
    if (!o || !per || !conf) {
        cJSON_Delete(o);
        cJSON_Delete(per);
        cJSON_Delete(conf);
        return NULL;
    }
    cJSON_AddNumberToObject(o, "examples", (double)m->n);
    add_num(o, "accuracy", m->accuracy);
    add_num(o, "macro_f1", m->macro_f1);
    for (int c = 0; c < m->classes; c++) {
        cJSON *k = cJSON_CreateObject(), *row = cJSON_CreateArray();
        long support = 0;
        for (int j = 0; j < m->classes; j++) {
            support += m->confusion[c][j];
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m->confusion[c][j]));
        }
        cJSON_AddStringToObject(k, "class", names[c]);
        cJSON_AddNumberToObject(k, "support", (double)support);
        add_num(k, "sensitivity", m->sensitivity[c]);
        add_num(k, "ppv", m->ppv[c]);
        add_num(k, "specificity", m->specificity[c]);
        add_num(k, "f1", m->f1[c]);
        cJSON_AddItemToArray(per, k);
        cJSON_AddItemToArray(conf, row);
    }
    cJSON_AddItemToObject(o, "per_class", per);
    cJSON_AddItemToObject(o, "confusion", conf);
    return o;
}

int ecg_metrics_from_json(const cJSON *o, int classes, ecg_metrics *m) {
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(o, "confusion");
    if (!cJSON_IsArray(conf) || cJSON_GetArraySize(conf) != classes) return -1;
    ecg_metrics_init(m, classes);
    for (int c = 0; c < classes; c++) {
        const cJSON *row = cJSON_GetArrayItem(conf, c);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != classes) return -1;
        for (int k = 0; k < classes; k++) {
            const cJSON *v = cJSON_GetArrayItem(row, k);
            /* a count of examples: at most 1e12, so the cast and the sum of 16 x 16 cells stay in range */
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e12) ||
                v->valuedouble != floor(v->valuedouble))
                return -1;
            m->confusion[c][k] = (long)v->valuedouble;
            m->n += m->confusion[c][k];
        }
    }
    ecg_metrics_finish(m);
    return 0;
}

int ecg_metrics_equal(const ecg_metrics *a, const ecg_metrics *b) {
    if (a->classes != b->classes || a->n != b->n) return 0;
    for (int c = 0; c < a->classes; c++)
        for (int k = 0; k < a->classes; k++)
            if (a->confusion[c][k] != b->confusion[c][k]) return 0;
    return 1;
}

/* The MSE of reconstructing every value of d as 0: the scale an autoencoder's MSE is read against
 * (1 for inputs of unit variance around 0). */
double ecg_zero_mse(const ecg_dataset *d) {
    size_t n = (size_t)d->n * (size_t)d->length * (size_t)d->channels;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)d->x[i] * d->x[i];
    return n ? s / (double)n : NAN;
}

/* An autoencoder's figures for one split, as the manifest's metrics.<split> (`ecgbench eval`
 * re-computes the test one). */
cJSON *ecg_reconstruction_json(const ecg_dataset *d, double mse) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "examples", d->n);
    cJSON_AddNumberToObject(o, "mse", mse);
    cJSON_AddNumberToObject(o, "zero_mse", ecg_zero_mse(d));
    return o;
}
