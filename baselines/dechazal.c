/* de Chazal et al. 2004's classifier: linear discriminants (baselines/dechazal_lda.c) on the
 * features of baselines/dechazal_features.c, trained with every class weighted as if the
 * classes were equally frequent; "fusion" is their two-lead configuration (one discriminant
 * per lead, sharing the RR and interval features, posteriors averaged). Plus leave-one-record-
 * out cross-validation (for choices made on DS1 alone) and the model as JSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines/dechazal.h"
#include "datasets/datasets.h"

/* The shared columns under o (RR, then the intervals when o says so). */
static int shared_cols(const ecg_dc_options *o, int *cols) {
    int p = 0;
    if (!strcmp(o->rr, "raw")) {
        for (int j = ECG_DC_PRE_RR; j <= ECG_DC_LOCAL_RR; j++) cols[p++] = j;
    } else if (!strcmp(o->rr, "ratio")) {
        for (int j = ECG_DC_PRE_RATIO; j <= ECG_DC_LOCAL_RATIO; j++) cols[p++] = j;
    } else {
        return 0;
    }
    if (o->intervals)
        for (int j = ECG_DC_QRS_DUR; j <= ECG_DC_P_FLAG; j++) cols[p++] = j;
    return p;
}

/* Columns of discriminant d under o; returns how many, 0 for unknown options. */
static int config_cols(const ecg_dc_options *o, int d, int *cols, int *n_lda) {
    int p = shared_cols(o, cols);
    if (!p) return 0;
    if (!strcmp(o->config, "fusion")) {
        *n_lda = 2;
        for (int j = 0; j < ECG_DC_MORPH; j++) cols[p++] = (d == 0 ? ECG_DC_LEAD1 : ECG_DC_LEAD2) + j;
    } else if (!strcmp(o->config, "lead1")) {
        *n_lda = 1;
        for (int j = 0; j < ECG_DC_MORPH; j++) cols[p++] = ECG_DC_LEAD1 + j;
    } else if (!strcmp(o->config, "all")) {
        *n_lda = 1;
        for (int j = 0; j < 2 * ECG_DC_MORPH; j++) cols[p++] = ECG_DC_LEAD1 + j;
    } else if (!strcmp(o->config, "rr")) {
        *n_lda = 1;
    } else {
        return 0;
    }
    return p;
}

void ecg_dc_options_name(const ecg_dc_options *o, char *buf, size_t n) {
    snprintf(buf, n, "%s/%s/%s/%s/%g", o->config, o->rr, o->intervals ? "int" : "noint", o->train_q ? "q" : "noq",
             o->ridge);
}

int ecg_dechazal_fit(const ecg_dc_beats *b, const unsigned char *use, const ecg_dc_options *o, ecg_dechazal *m,
                     char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    int cols[ECG_LDA_MAX_P], n_lda = 0;
    if (!config_cols(o, 0, cols, &n_lda)) {
        snprintf(err, errlen, "de Chazal: unknown options config '%s' (fusion, lead1, all, rr), rr '%s' (raw, ratio)",
                 o->config, o->rr);
        return -1;
    }
    m->opt = *o;
    m->n_lda = n_lda;
    unsigned char *mask = NULL; /* use, less the Q beats when they are not trained on */
    if (!o->train_q) {
        if (!(mask = malloc(b->n ? (size_t)b->n : 1))) {
            snprintf(err, errlen, "de Chazal: out of memory");
            return -1;
        }
        for (int i = 0; i < b->n; i++) mask[i] = (!use || use[i]) && b->y[i] != ECG_AAMI_Q;
        use = mask;
    }
    int rc = 0;
    for (int d = 0; d < n_lda && rc == 0; d++) {
        int p = config_cols(o, d, cols, &n_lda);
        rc = ecg_lda_fit(b->x, b->n, ECG_DC_N_FEATURES, use, cols, p, b->y, ECG_AAMI_N_CLASSES, 1, o->ridge,
                         &m->lda[d], err, errlen);
    }
    free(mask);
    return rc;
}

int ecg_dechazal_predict(const ecg_dechazal *m, const double *row) {
    double sum[ECG_LDA_MAX_K] = {0}, post[ECG_LDA_MAX_K];
    const int k = m->lda[0].k;
    for (int d = 0; d < m->n_lda; d++) {
        ecg_lda_posteriors(&m->lda[d], row, post);
        for (int c = 0; c < k; c++) sum[c] += post[c] / m->n_lda;
    }
    int best = 0;
    for (int c = 1; c < k; c++)
        if (sum[c] > sum[best]) best = c;
    return best;
}

void ecg_dechazal_evaluate(const ecg_dechazal *m, const ecg_dc_beats *b, ecg_metrics *out) {
    ecg_metrics_init(out, ECG_AAMI_N_CLASSES);
    for (int i = 0; i < b->n; i++)
        ecg_metrics_add(out, b->y[i], ecg_dechazal_predict(m, b->x + (size_t)i * ECG_DC_N_FEATURES));
    ecg_metrics_finish(out);
}

int ecg_dechazal_cv(const ecg_dc_beats *b, const ecg_dc_options *o, ecg_metrics *out, char *err, size_t errlen) {
    unsigned char *use = malloc(b->n ? (size_t)b->n : 1);
    if (!use) {
        snprintf(err, errlen, "de Chazal CV: out of memory");
        return -1;
    }
    ecg_metrics_init(out, ECG_AAMI_N_CLASSES);
    int rc = 0, done[256], n_done = 0;
    for (int i = 0; i < b->n && rc == 0; i++) {
        int seen = 0; /* one fold per record */
        for (int f = 0; f < n_done && !seen; f++) seen = done[f] == b->record[i];
        if (seen) continue;
        if (n_done == (int)(sizeof done / sizeof done[0])) {
            snprintf(err, errlen, "de Chazal CV: more than %d records", n_done);
            rc = -1;
            break;
        }
        const int held = done[n_done++] = b->record[i];
        for (int j = 0; j < b->n; j++) use[j] = b->record[j] != held;
        ecg_dechazal m;
        char e2[512];
        if (ecg_dechazal_fit(b, use, o, &m, e2, sizeof e2)) {
            snprintf(err, errlen, "de Chazal CV, fold without record %d: %s", held, e2);
            rc = -1;
            break;
        }
        for (int j = 0; j < b->n; j++)
            if (!use[j]) ecg_metrics_add(out, b->y[j], ecg_dechazal_predict(&m, b->x + (size_t)j * ECG_DC_N_FEATURES));
    }
    free(use);
    ecg_metrics_finish(out);
    return rc;
}

int ecg_dechazal_params(const ecg_dechazal *m) {
    int n = 0;
    for (int d = 0; d < m->n_lda; d++)
        for (int c = 0; c < m->lda[d].k; c++) n += m->lda[d].present[c] ? m->lda[d].p + 1 : 0;
    return n;
}

/* ---------------------------------------------------------------- JSON */

/* %.17g as raw JSON text: cJSON's own printing accepts a 1-ulp error, and the manifest's test
 * confusion must be reproduced exactly from the file. */
static cJSON *exact_number(double v) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

static cJSON *num_array(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, exact_number(v[i]));
    return a;
}

cJSON *ecg_dechazal_to_json(const ecg_dechazal *m) {
    cJSON *o = cJSON_CreateObject(), *lds = cJSON_CreateArray(), *cls = cJSON_CreateArray();
    if (!o || !lds || !cls) {
        cJSON_Delete(o);
        cJSON_Delete(lds);
        cJSON_Delete(cls);
        return NULL;
    }
    cJSON_AddStringToObject(o, "config", m->opt.config);
    cJSON_AddStringToObject(o, "rr", m->opt.rr);
    cJSON_AddBoolToObject(o, "intervals", m->opt.intervals);
    cJSON_AddBoolToObject(o, "train_q", m->opt.train_q);
    cJSON_AddItemToObject(o, "ridge", exact_number(m->opt.ridge));
    for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) cJSON_AddItemToArray(cls, cJSON_CreateString(ecg_aami_class_names[c]));
    cJSON_AddItemToObject(o, "classes", cls);
    for (int d = 0; d < m->n_lda; d++) {
        const ecg_lda *l = &m->lda[d];
        cJSON *e = cJSON_CreateObject(), *names = cJSON_CreateArray(), *pres = cJSON_CreateArray(),
              *w = cJSON_CreateArray();
        for (int j = 0; j < l->p; j++) {
            char nm[32];
            ecg_dechazal_feature_name(l->cols[j], nm, sizeof nm);
            cJSON_AddItemToArray(names, cJSON_CreateString(nm));
        }
        for (int c = 0; c < l->k; c++) {
            cJSON_AddItemToArray(pres, cJSON_CreateBool(l->present[c]));
            cJSON_AddItemToArray(w, num_array(l->w[c], l->p));
        }
        cJSON_AddItemToObject(e, "features", names);
        cJSON_AddItemToObject(e, "shift", num_array(l->shift, l->p));
        cJSON_AddItemToObject(e, "scale", num_array(l->scale, l->p));
        cJSON_AddItemToObject(e, "present", pres);
        cJSON_AddItemToObject(e, "weights", w);
        cJSON_AddItemToObject(e, "biases", num_array(l->b, l->k));
        cJSON_AddItemToArray(lds, e);
    }
    cJSON_AddItemToObject(o, "discriminants", lds);
    return o;
}

/* n numbers of array a into v; -1 when a is not an array of exactly n finite numbers. */
static int read_nums(const cJSON *a, double *v, int n) {
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return -1;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) return -1;
        v[i] = e->valuedouble;
    }
    return 0;
}

int ecg_dechazal_from_json(const cJSON *j, ecg_dechazal *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    const char *config = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "config"));
    const char *rr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "rr"));
    const cJSON *ridge = cJSON_GetObjectItemCaseSensitive(j, "ridge");
    const cJSON *iv = cJSON_GetObjectItemCaseSensitive(j, "intervals"), *tq = cJSON_GetObjectItemCaseSensitive(j, "train_q");
    const cJSON *lds = cJSON_GetObjectItemCaseSensitive(j, "discriminants");
    int cols[ECG_LDA_MAX_P], n_lda = 0;
    ecg_dc_options *o = &m->opt;
    snprintf(o->config, sizeof o->config, "%s", config ? config : "");
    snprintf(o->rr, sizeof o->rr, "%s", rr ? rr : "");
    o->intervals = cJSON_IsTrue(iv), o->train_q = cJSON_IsTrue(tq);
    if (!config || !rr || !cJSON_IsBool(iv) || !cJSON_IsBool(tq) || !config_cols(o, 0, cols, &n_lda) ||
        !cJSON_IsNumber(ridge) || !cJSON_IsArray(lds) || cJSON_GetArraySize(lds) != n_lda) {
        snprintf(err, errlen, "de Chazal model: needs config (fusion, lead1, all, rr), rr (raw, ratio), intervals and "
                 "train_q (true/false), ridge, and one discriminant per lead the config uses");
        return -1;
    }
    o->ridge = ridge->valuedouble;
    m->n_lda = n_lda;
    for (int d = 0; d < n_lda; d++) {
        ecg_lda *l = &m->lda[d];
        const cJSON *e = cJSON_GetArrayItem(lds, d);
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "weights");
        const cJSON *pres = cJSON_GetObjectItemCaseSensitive(e, "present");
        l->k = ECG_AAMI_N_CLASSES;
        l->p = config_cols(o, d, l->cols, &n_lda);
        int bad = read_nums(cJSON_GetObjectItemCaseSensitive(e, "shift"), l->shift, l->p) ||
                  read_nums(cJSON_GetObjectItemCaseSensitive(e, "scale"), l->scale, l->p) ||
                  read_nums(cJSON_GetObjectItemCaseSensitive(e, "biases"), l->b, l->k) || !cJSON_IsArray(w) ||
                  cJSON_GetArraySize(w) != l->k || !cJSON_IsArray(pres) || cJSON_GetArraySize(pres) != l->k;
        const cJSON *names = cJSON_GetObjectItemCaseSensitive(e, "features");
        bad = bad || !cJSON_IsArray(names) || cJSON_GetArraySize(names) != l->p;
        for (int jj = 0; !bad && jj < l->p; jj++) { /* the feature layout it was trained on */
            char nm[32];
            const char *got = cJSON_GetStringValue(cJSON_GetArrayItem(names, jj));
            ecg_dechazal_feature_name(l->cols[jj], nm, sizeof nm);
            bad = !got || strcmp(got, nm);
        }
        int seen = 0;
        for (int c = 0; !bad && c < l->k; c++) {
            const cJSON *pc = cJSON_GetArrayItem(pres, c);
            bad = !cJSON_IsBool(pc) || read_nums(cJSON_GetArrayItem(w, c), l->w[c], l->p);
            seen += l->present[c] = cJSON_IsTrue(pc);
        }
        for (int jj = 0; !bad && jj < l->p; jj++) bad = !(l->scale[jj] > 0);
        if (bad || seen < 2) {
            snprintf(err, errlen, "de Chazal model: discriminant %d is malformed (needs the %d feature names of "
                     "its config, as many shift/scale values > 0, %d biases, %d x %d weights, %d present flags, "
                     "2 or more present)", d, l->p, l->k, l->k, l->p, l->k);
            return -1;
        }
    }
    return 0;
}
