/* Every stored metric against the recomputed one (see metrics_check.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runs/metrics_check.h"

/* 1 when the stored JSON value is the figure v: null for NaN / inf, else a number within 1e-9. */
static int same(const cJSON *j, double v) {
    if (!isfinite(v)) return cJSON_IsNull(j);
    if (!cJSON_IsNumber(j)) return 0;
    return fabs(j->valuedouble - v) <= 1e-9 * fmax(1.0, fabs(v));
}

static int differ(char *err, size_t errlen, const char *what, const cJSON *j, double v) {
    char stored[64];
    if (!j) snprintf(stored, sizeof stored, "nothing");
    else if (cJSON_IsNull(j)) snprintf(stored, sizeof stored, "null");
    else if (cJSON_IsNumber(j)) snprintf(stored, sizeof stored, "%.10g", j->valuedouble);
    else snprintf(stored, sizeof stored, "a non-number");
    snprintf(err, errlen, "%s: stored %s, recomputed %.10g", what, stored, v);
    return -1;
}

int ecg_metrics_check_json(const cJSON *stored, const ecg_metrics *m, const char *const *names, char *err,
                           size_t errlen) {
    if (!cJSON_IsObject(stored)) return snprintf(err, errlen, "no stored metrics object"), -1;
    const struct {
        const char *key;
        double v;
    } top[] = {{"examples", (double)m->n}, {"accuracy", m->accuracy}, {"macro_f1", m->macro_f1}};
    for (size_t i = 0; i < sizeof top / sizeof *top; i++) {
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(stored, top[i].key);
        if (!j || !same(j, top[i].v)) return differ(err, errlen, top[i].key, j, top[i].v);
    }
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(stored, "per_class");
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(stored, "confusion");
    if (!cJSON_IsArray(per) || cJSON_GetArraySize(per) != m->classes)
        return snprintf(err, errlen, "per_class: stored %d classes, recomputed %d",
                        cJSON_IsArray(per) ? cJSON_GetArraySize(per) : 0, m->classes), -1;
    if (!cJSON_IsArray(conf) || cJSON_GetArraySize(conf) != m->classes)
        return snprintf(err, errlen, "confusion: stored %d rows, recomputed %d",
                        cJSON_IsArray(conf) ? cJSON_GetArraySize(conf) : 0, m->classes), -1;
    for (int c = 0; c < m->classes; c++) {
        const cJSON *k = cJSON_GetArrayItem(per, c), *row = cJSON_GetArrayItem(conf, c);
        const char *cls = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "class"));
        if (!cls || (names && names[c] && strcmp(cls, names[c])))
            return snprintf(err, errlen, "per_class[%d]: stored class '%s', recomputed '%s'", c, cls ? cls : "(none)",
                            names && names[c] ? names[c] : "?"), -1;
        long support = 0;
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != m->classes)
            return snprintf(err, errlen, "confusion row %d (%s): not %d numbers", c, cls, m->classes), -1;
        for (int j = 0; j < m->classes; j++) {
            support += m->confusion[c][j];
            const cJSON *v = cJSON_GetArrayItem(row, j);
            if (!same(v, (double)m->confusion[c][j])) {
                char what[96];
                snprintf(what, sizeof what, "confusion[%s][%s]", cls, names && names[j] ? names[j] : "?");
                return differ(err, errlen, what, v, (double)m->confusion[c][j]);
            }
        }
        const struct {
            const char *key;
            double v;
        } fig[] = {{"support", (double)support}, {"sensitivity", m->sensitivity[c]}, {"ppv", m->ppv[c]},
                   {"specificity", m->specificity[c]}, {"f1", m->f1[c]}};
        for (size_t i = 0; i < sizeof fig / sizeof *fig; i++) {
            const cJSON *j = cJSON_GetObjectItemCaseSensitive(k, fig[i].key);
            if (!j || !same(j, fig[i].v)) {
                char what[96];
                snprintf(what, sizeof what, "%s %s", cls, fig[i].key);
                return differ(err, errlen, what, j, fig[i].v);
            }
        }
    }
    return 0;
}
