/* Finished runs on disk: a folder with manifest.json and the weights it names (written by
 * `ecgbench train` or `ecgbench compress`). Reading them, listing a tree of them, and building
 * the model a run describes with its weights loaded. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress.h"
#include "ops/file_sha256.h"
#include "ops/rng.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"
#include "runs/runs.h"

static int model_rank(const char *name) {
    for (int i = 0; ecg_model_at(i); i++)
        if (!strcmp(ecg_model_at(i)->name, name)) return i;
    return 1000;
}

int ecg_run_from(ecg_run *r, const char *dir, cJSON *man, const char *what, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir ? dir : "");
    r->man = man;
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(r->man, "seed");
    r->model = ecg_json_str(r->man, "model", NULL);
    r->task = ecg_json_str(r->man, "task", NULL);
    r->variant = ecg_json_str(r->man, "variant", NULL);
    if (!r->variant) r->variant = "f32"; /* a trained run, uncompressed */
    const char *w = ecg_json_str(r->man, "weights", ecg_run_is_ensemble(r) ? "" : NULL);
    if (!r->model || !r->task || !w || !cJSON_IsNumber(sd)) {
        snprintf(err, errlen, "%s lacks model, task, weights or seed", what);
        ecg_run_free(r);
        return -1;
    }
    /* the seeds train takes; a cast of 1e400 (inf) or -1 to uint64 would be undefined */
    if (!(sd->valuedouble >= 0 && sd->valuedouble <= 1e15) || sd->valuedouble != floor(sd->valuedouble)) {
        snprintf(err, errlen, "%s: seed %g is not a whole number in [0, 1e15]", what, sd->valuedouble);
        ecg_run_free(r);
        return -1;
    }
    r->seed = (uint64_t)sd->valuedouble;
    r->data_dir = ecg_json_str(cJSON_GetObjectItemCaseSensitive(r->man, "config"), "data_dir", NULL);
    r->model_rank = model_rank(r->model);
    if (!*w) r->weights[0] = 0;
    else if (dir) snprintf(r->weights, sizeof r->weights, "%s/%s", dir, w);
    else snprintf(r->weights, sizeof r->weights, "%s", w);
    return 0;
}

int ecg_runs_verbose;

/* ecg_run_read; *bad_files set when it failed because the files do not match the manifest. */
static int run_read(const char *dir, ecg_run *r, int *bad_files, char *err, size_t errlen) {
    char path[1200];
    memset(r, 0, sizeof *r);
    *bad_files = 0;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    cJSON *man = ecg_read_json(path, err, errlen);
    if (!man) return -1;
    int files = ecg_manifest_check_files(man, dir, path, err, errlen);
    if (files < 0) {
        *bad_files = 1;
        cJSON_Delete(man);
        return -1;
    }
    if (files > 0 && ecg_runs_verbose)
        fprintf(stderr, "warning: %s names no files (written before manifests vouched for them): its weights are "
                        "taken unchecked\n", path);
    return ecg_run_from(r, dir, man, path, err, errlen);
}

int ecg_run_read(const char *dir, ecg_run *r, char *err, size_t errlen) {
    int bad_files;
    return run_read(dir, r, &bad_files, err, errlen);
}

void ecg_run_free(ecg_run *r) {
    cJSON_Delete(r->man);
    r->man = NULL;
}

int ecg_run_model_parts(const ecg_run_model *m) { return m->n_members ? m->n_members : 1; }
const ecg_run_model *ecg_run_model_part(const ecg_run_model *m, int i) { return m->n_members ? &m->members[i] : m; }

int ecg_seed_member_check(const ecg_run *r, int m, char *err, size_t errlen) {
    if (m && ecg_same_recipe_check(r[m].man, r[m].dir, r[0].man, r[0].dir, err, errlen)) return -1;
    for (int j = 0; j < m; j++)
        if (r[j].seed == r[m].seed) {
            snprintf(err, errlen, "%s and %s are both seed %llu: an ensemble's members are other seeds", r[j].dir,
                     r[m].dir, (unsigned long long)r[m].seed);
            return -1;
        }
    return 0;
}

int ecg_run_is_ensemble(const ecg_run *r) { return r->variant && !strcmp(r->variant, "ensemble"); }

const cJSON *ecg_run_members(const ecg_run *r) {
    if (!ecg_run_is_ensemble(r)) return NULL;
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "ensemble"), "members");
}

int ecg_run_weights_digest(const ecg_run *r, char hex[65], int64_t *bytes, char *err, size_t errlen) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "files"),
                                                      ecg_json_str(r->man, "weights", ""));
    const char *sha = ecg_json_str(f, "sha256", NULL);
    double b = ecg_json_num(f, "bytes");
    if (sha && strlen(sha) == 64 && b >= 0) { /* checked against the file by ecg_run_read: not hashed again */
        snprintf(hex, 65, "%s", sha);
        *bytes = (int64_t)b;
        return 0;
    }
    if (access(r->weights, R_OK) == 0) return ecg_file_sha256(r->weights, hex, bytes, err, errlen);
    return snprintf(err, errlen, "%s: no weights here and no SHA-256 of them in its manifest", r->dir), -1;
}

/* An ensemble's members, each read from its folder (relative to the ensemble's), checked to carry
 * the weights the ensemble recorded, and opened. */
static int open_members(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen) {
    const cJSON *members = ecg_run_members(r);
    int n = cJSON_GetArraySize(members);
    if (n < 2 || n > ECG_RUN_MAX_MEMBERS)
        return snprintf(err, errlen, "%s: an ensemble's manifest names %d members (2 to %d)", r->dir, n, ECG_RUN_MAX_MEMBERS), -1;
    if (!(m->members = calloc((size_t)n, sizeof *m->members))) return snprintf(err, errlen, "out of memory"), -1;
    m->n_members = n;
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(members, i);
        const char *rel = ecg_json_str(e, "run", NULL), *want = ecg_json_str(e, "weights_sha256", NULL);
        char dir[1100];
        ecg_run mr;
        if (!rel || !want) return snprintf(err, errlen, "%s: member %d lacks its run or weights_sha256", r->dir, i + 1), -1;
        snprintf(dir, sizeof dir, "%s/%s", r->dir, rel);
        if (ecg_run_read(dir, &mr, err, errlen)) return -1;
        char got[65];
        int64_t bytes;
        int rc = -1;
        if (ecg_run_is_ensemble(&mr) || strcmp(mr.model, r->model) || strcmp(mr.task, r->task) ||
            ecg_model_objective(mr.model) != ECG_OBJECTIVE_CLASSIFY)
            snprintf(err, errlen, "%s: member %s is not a %s run on %s", r->dir, dir, r->model, r->task);
        else if (ecg_run_weights_digest(&mr, got, &bytes, err, errlen)) (void)0;
        else if (strcmp(got, want))
            snprintf(err, errlen, "%s: member %s holds other weights (SHA-256 %.12s...) than the ensemble was made of "
                                  "(%.12s...)", r->dir, dir, got, want);
        else rc = ecg_run_open(&mr, &m->members[i], err, errlen);
        ecg_run_free(&mr);
        if (rc) return -1;
    }
    return 0;
}

int ecg_run_open_any(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen) {
    if (!ecg_run_is_ensemble(r)) return ecg_run_open(r, m, err, errlen);
    memset(m, 0, sizeof *m);
    if (!open_members(r, m, err, errlen)) return 0;
    ecg_run_model_free(m);
    return -1;
}

int ecg_run_open(const ecg_run *r, ecg_run_model *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (ecg_run_is_ensemble(r))
        return snprintf(err, errlen, "%s is a seed ensemble (its members' softmax averaged), not one model: this works "
                                     "on one of its members", r->dir), -1;
    const ecg_task *t = ecg_task_lookup(r->task, err, errlen);
    if (!t) return -1;
    ecg_model_cfg mc = ecg_task_model_cfg(t);
    int is8 = ecg_int8_file_is(r->weights, err, errlen);
    /* a channel-pruned run's graph is rebuilt from its manifest's pass record */
    if (is8 < 0 || ecg_manifest_model_build(r->man, r->model, &mc, &m->g, err, errlen)) return -1;
    m->int8 = is8;
    /* int8: the inference graph (batchnorm folded) with the int8 nodes of the file; else the
     * model with its weights, dense or sparse file */
    if (is8 ? ecg_inference_graph(&m->gi, &m->g, err, errlen) || ecg_int8_load(&m->gi, &m->q, r->weights, err, errlen)
            : ecg_weights_load(&m->g, r->weights, err, errlen)) {
        ecg_run_model_free(m);
        return -1;
    }
    return 0;
}

void ecg_run_model_free(ecg_run_model *m) {
    for (int i = 0; i < m->n_members; i++) ecg_run_model_free(&m->members[i]);
    free(m->members);
    m->members = NULL, m->n_members = 0;
    ecg_qmodel_free(&m->q);
    ecg_graph_free(&m->gi);
    ecg_graph_free(&m->g);
}

/* An ensemble's prediction: every member's logits, combined by ecg_ensemble_logits. */
static int predict_members(const ecg_run_model *m, const ecg_dataset *d, int batch, int threads, ecg_metrics *out,
                           float *logits, char *err, size_t errlen) {
    size_t per = (size_t)d->n * (size_t)d->n_classes;
    float *all = malloc(sizeof *all * per * (size_t)(m->n_members + 1));
    const float **z = malloc(sizeof *z * (size_t)m->n_members);
    int rc = -1;
    if (!all || !z) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    ecg_metrics one;
    for (int i = 0; i < m->n_members; i++) {
        z[i] = all + per * (size_t)i;
        if (ecg_run_predict(&m->members[i], d, batch, threads, &one, all + per * (size_t)i, err, errlen)) goto done;
    }
    float *mean = all + per * (size_t)m->n_members;
    ecg_ensemble_logits(z, m->n_members, d->n, d->n_classes, mean);
    ecg_metrics_init(out, d->n_classes);
    for (long i = 0; i < d->n; i++) ecg_metrics_add(out, d->y[i], ecg_argmax(mean + i * d->n_classes, d->n_classes));
    ecg_metrics_finish(out);
    if (logits) memcpy(logits, mean, sizeof *mean * per);
    rc = 0;
done:
    free(all), free(z);
    return rc;
}

int ecg_run_predict(const ecg_run_model *m, const ecg_dataset *d, int batch, int threads, ecg_metrics *out,
                    float *logits, char *err, size_t errlen) {
    if (m->n_members) return predict_members(m, d, batch, threads, out, logits, err, errlen);
    return m->int8 ? ecg_evaluate_q(&m->gi, &m->q, d, batch, threads, out, logits, err, errlen)
                   : ecg_evaluate(&m->g, d, batch, threads, out, logits, err, errlen);
}

int ecg_run_reconstruct(const ecg_run_model *m, const ecg_dataset *d, int batch, int threads, float *out, char *err,
                        size_t errlen) {
    if (m->n_members) return snprintf(err, errlen, "a seed ensemble is made of classifiers: it reconstructs nothing"), -1;
    return ecg_reconstruct(m->int8 ? &m->gi : &m->g, m->int8 ? &m->q : NULL, d, batch, threads, out, err, errlen);
}

int ecg_run_evaluate(const ecg_run_model *m, const ecg_dataset *d, int threads, ecg_metrics *out, char *err,
                     size_t errlen) {
    return ecg_run_predict(m, d, 256, threads, out, NULL, err, errlen);
}

ecg_xnn *ecg_run_executor(const ecg_run_model *m, int batch, int threads, char *err, size_t errlen) {
    if (m->n_members) {
        snprintf(err, errlen, "a seed ensemble has no single executor: its %d members run one after another",
                 m->n_members);
        return NULL;
    }
    return m->int8 ? ecg_xnn_create_q(&m->gi, &m->q, batch, threads, 0, err, errlen)
                   : ecg_xnn_create(&m->g, batch, threads, ecg_run_xnn_flags(&m->g), err, errlen);
}

void ecg_run_fill_inputs(const ecg_run_model *m, ecg_xnn *x, int batch) {
    const ecg_graph *g = m->int8 ? &m->gi : &m->g;
    ecg_rng r = {0x1a7e};
    for (int i = 0; i < g->n_inputs; i++) {
        float *in = ecg_xnn_input(x, i);
        size_t n = (size_t)batch * (size_t)ecg_shape_numel(&g->values[g->inputs[i]].shape);
        for (size_t k = 0; k < n; k++) in[k] = i == 0 ? ecg_rng_normal(&r) : 0.0f;
    }
}

unsigned ecg_run_xnn_flags(const ecg_graph *g) {
    return (double)ecg_nonzero_params(g) < 0.9 * (double)ecg_graph_param_count(g) ? ECG_XNN_SPARSE : 0u;
}

static int by_model(const void *a, const void *b) {
    const ecg_run *x = a, *y = b;
    return x->model_rank != y->model_rank ? x->model_rank - y->model_rank : strcmp(x->dir, y->dir);
}

int ecg_runs_list(const char *root, ecg_run **runs, int *n, char *err, size_t errlen) {
    DIR *d = opendir(root);
    *runs = NULL, *n = 0;
    if (!d) {
        snprintf(err, errlen, "cannot open %s", root);
        return -1;
    }
    int cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char dir[1024], path[1100];
        if (e->d_name[0] == '.') continue;
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        snprintf(path, sizeof path, "%s/manifest.json", dir);
        FILE *f = fopen(path, "rb");
        if (!f) continue; /* not a finished run */
        fclose(f);
        if (*n == cap) {
            ecg_run *p = realloc(*runs, sizeof *p * (size_t)(cap = cap ? 2 * cap : 16));
            if (!p) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            *runs = p;
        }
        int bad_files;
        if (run_read(dir, &(*runs)[*n], &bad_files, err, errlen)) {
            if (bad_files) { /* not a finished run: skipped, loudly; anything else stops the listing */
                fprintf(stderr, "warning: skipped %s: %s\n", dir, err);
                continue;
            }
            rc = -1;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc) ecg_runs_free(*runs, *n), *runs = NULL, *n = 0;
    else if (*n > 1) qsort(*runs, (size_t)*n, sizeof **runs, by_model);
    return rc;
}

void ecg_runs_free(ecg_run *runs, int n) {
    for (int i = 0; i < n; i++) ecg_run_free(&runs[i]);
    free(runs);
}

void ecg_runs_keep_classifiers(ecg_run *runs, int *n, const char *who) {
    int kept = 0;
    for (int i = 0; i < *n; i++) {
        if (ecg_model_objective(runs[i].model) == ECG_OBJECTIVE_CLASSIFY) {
            runs[kept++] = runs[i];
            continue;
        }
        fprintf(stderr, "%s: left out %s: %s is an autoencoder (no classes); `ecgbench results` lists its "
                        "reconstruction MSE\n", who, runs[i].dir, runs[i].model);
        ecg_run_free(&runs[i]);
    }
    *n = kept;
}

int ecg_runs_gather(const char *const *roots, int n_roots, ecg_run **runs, int *n, char *err, size_t errlen) {
    static const char *const defaults[] = {"models/weights", "models/compressed"};
    int dflt = n_roots == 0;
    if (dflt) roots = defaults, n_roots = 2;
    *runs = NULL, *n = 0;
    for (int i = 0; i < n_roots; i++) {
        if (dflt && i > 0 && access(roots[i], F_OK)) continue; /* no compressed variants yet */
        ecg_run *part;
        int k;
        if (ecg_runs_list(roots[i], &part, &k, err, errlen)) goto fail;
        ecg_run *all = realloc(*runs, sizeof *all * (size_t)(*n + k + 1));
        if (!all) {
            ecg_runs_free(part, k);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        *runs = all;
        memcpy(*runs + *n, part, sizeof *part * (size_t)k); /* the manifests move over */
        *n += k;
        free(part);
    }
    return 0;
fail:
    ecg_runs_free(*runs, *n);
    *runs = NULL, *n = 0;
    return -1;
}
