/* A model's trained part from another run (runs/model_part.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "ops/file_sha256.h"
#include "runs/model_part.h"
#include "runs/runs.h"

int ecg_part_source(const char *model, const char *task, uint64_t seed, const char *dir, cJSON **source, char *err,
                    size_t errlen) {
    *source = NULL;
    const ecg_model_def *m = ecg_model_find(model);
    if (!m) return 0; /* the build names the unknown model */
    if (!m->part_model) {
        if (!dir) return 0;
        snprintf(err, errlen, "--init-from: %s has no part trained by another model to fill", model);
        return -1;
    }
    if (!dir) {
        snprintf(err, errlen, "%s holds %s's trained encoder, frozen (its params '%s*'): give --init-from a finished %s "
                 "run of task %s and seed %llu", model, m->part_model, m->part_prefix, m->part_model, task,
                 (unsigned long long)seed);
        return -1;
    }
    ecg_run r;
    if (ecg_run_read(dir, &r, err, errlen)) return -1;
    int rc = -1;
    char sha[65];
    int64_t bytes;
    if (strcmp(r.model, m->part_model) || strcmp(r.variant, "f32"))
        snprintf(err, errlen, "--init-from %s: holds a run of %s (%s), not an f32 run of %s", dir, r.model, r.variant,
                 m->part_model);
    else if (strcmp(r.task, task) || r.seed != seed)
        snprintf(err, errlen, "--init-from %s: trained on %s with seed %llu; this run is %s with seed %llu, and only the "
                 "same task and seed (the same splits) keep this run's validation and test examples out of the part's "
                 "training", dir, r.task, (unsigned long long)r.seed, task, (unsigned long long)seed);
    else if (!ecg_file_sha256(r.weights, sha, &bytes, err, errlen))
        rc = 0;
    if (rc == 0) {
        *source = cJSON_CreateObject();
        cJSON_AddStringToObject(*source, "run", dir);
        cJSON_AddStringToObject(*source, "model", r.model);
        cJSON_AddStringToObject(*source, "weights_sha256", sha);
        cJSON_AddStringToObject(*source, "frozen", m->part_prefix);
    }
    ecg_run_free(&r);
    return rc;
}

/* Copies src's tensors into g's params named prefix + their names; fills filled[] for those. */
static long long copy_part(ecg_graph *g, const ecg_graph *src, const char *prefix, char *filled, const char *dir,
                           char *err, size_t errlen) {
    long long values = 0;
    for (int i = 0; i < src->n_params; i++) {
        const ecg_param *s = &src->params[i];
        char name[ECG_NAME_LEN * 2], a[64], b[64];
        snprintf(name, sizeof name, "%s%s", prefix, s->name);
        int j = ecg_param_find(g, name);
        if (j < 0) continue; /* a part of the source this model does not hold */
        ecg_param *p = &g->params[j];
        if (!ecg_shape_eq(&p->shape, &s->shape)) {
            snprintf(err, errlen, "--init-from %s: %s is %s there, %s here as %s", dir, s->name,
                     ecg_shape_str(&s->shape, a, sizeof a), ecg_shape_str(&p->shape, b, sizeof b), name);
            return -1;
        }
        memcpy(p->data, s->data, (size_t)ecg_shape_numel(&s->shape) * sizeof(float));
        filled[j] = 1;
        values += ecg_shape_numel(&s->shape);
    }
    return values;
}

long long ecg_part_fill(ecg_graph *g, const char *model, const char *dir, char *err, size_t errlen) {
    const ecg_model_def *m = ecg_model_find(model);
    if (!m || !m->part_model) return 0;
    ecg_run r;
    ecg_run_model src;
    if (ecg_run_read(dir, &r, err, errlen)) return -1;
    int opened = !ecg_run_open(&r, &src, err, errlen);
    long long values = -1;
    char *filled = opened ? calloc((size_t)g->n_params + 1, 1) : NULL;
    if (filled) values = copy_part(g, &src.g, m->part_prefix, filled, dir, err, errlen);
    else if (opened) snprintf(err, errlen, "out of memory");
    for (int j = 0; values >= 0 && j < g->n_params; j++)
        if (g->params[j].frozen && !filled[j]) {
            snprintf(err, errlen, "--init-from %s: no tensor there for %s (this model's %s part)", dir,
                     g->params[j].name + strlen(m->part_prefix), m->part_prefix);
            values = -1;
        }
    free(filled);
    if (opened) ecg_run_model_free(&src);
    ecg_run_free(&r);
    return values;
}
