/* ecg_compress_run, the pipeline of `ecgbench compress DIR --out OUT [--prune S] [--int8]`
 * (runs/pipelines.h): compression passes over a trained run (DIR holds its manifest.json and weights, as `ecgbench train` writes them, or a compressed
 * run: its manifest rebuilds its graph), in this order:
 *   --channels R  channel (structured) pruning: a smaller dense graph whose "channel_prune" pass
 *               record rebuilds it on load (runs/manifest_model.c), fine-tuned unless --prune follows
 *   --prune S   magnitude pruning + fine-tuning: OUT/weights.sparse.safetensors (the size reports
 *               use; eval and predict read it) and OUT/weights.safetensors (the same weights dense
 *               f32, pruned ones exactly zero: PyTorch loads it unchanged)
 *   --fp16      all weights stored as fp16, a size-only variant (OUT/weights.f16.safetensors, which
 *               the manifest then names; inference runs f32 on the values read back)
 *   --int8      post-training int8 (on the pruned weights when --prune is given): batchnorm folded,
 *               calibration on the train split, the method picked on validation, then
 *               OUT/weights.int8.safetensors, which the manifest then names
 *   --offsets F alone: the decision offsets of an `ecgbench offsets` file (fitted on the recipe's
 *               cross-validation folds or the run's validation split) added to the classifier's
 *               bias: OUT/weights.safetensors,
 *               variant "offsets". Not compression, but the same derivation of one run from another
 * OUT/manifest.json holds the source's fields, "passes" (each pass and its parameters and what it
 * measured, in order), the variant name ("channels50", "pruned90", "pruned90+int8"), nonzero params,
 * sizes, and the test metrics of the result on the XNNPACK path (f32 or int8), so
 * `ecgbench eval OUT` re-checks them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress/compress.h"
#include "ops/atomic_file.h"
#include "ops/file_sha256.h"
#include "ops/rng.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"
#include "runs/runs.h"

/* The trained run being compressed, and what fine-tuning takes from it. */
typedef struct {
    ecg_run run;
    const char *data;
    int batch, class_weighted;
    float class_weight_cap, warp;
    const char *class_weight_caps; /* in run.man */
} source;

/* The MODEL --task --weights form: a manifest as a trained run's would say it. */
static cJSON *model_manifest(const ecg_compress_job *o) {
    cJSON *m = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "model", o->src);
    cJSON_AddStringToObject(m, "task", o->task);
    cJSON_AddStringToObject(m, "weights", o->weights);
    cJSON_AddNumberToObject(m, "seed", (double)o->seed);
    cJSON_AddNumberToObject(cfg, "batch", 64);
    cJSON_AddStringToObject(cfg, "class_weights", "none");
    cJSON_AddStringToObject(cfg, "data_dir", o->data ? o->data : ecg_default_data_dir());
    cJSON_AddItemToObject(m, "config", cfg);
    return m;
}

static int read_source(const ecg_compress_job *o, source *s, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", o->src);
    if (o->task) {
        if (!ecg_model_find(o->src)) return snprintf(err, errlen, "unknown model '%s' (ecgbench models lists them)", o->src), -1;
        if (ecg_run_from(&s->run, NULL, model_manifest(o), o->src, err, errlen)) return -1;
    } else if (ecg_run_read(o->src, &s->run, err, errlen)) {
        return -1;
    } else if (ecg_run_is_ensemble(&s->run)) {
        return snprintf(err, errlen, "%s is a seed ensemble: compress each of its members", o->src), -1;
    }
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(s->run.man, "config");
    const char *cw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "class_weights"));
    s->data = o->data ? o->data : s->run.data_dir ? s->run.data_dir : ecg_default_data_dir();
    double b = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "batch"));
    if (!(b >= 1)) {
        snprintf(err, errlen, "%s lacks config.batch", path);
        return -1;
    }
    s->batch = (int)b;
    s->class_weighted = cw && !strcmp(cw, "sqrt") ? 2 : cw && !strcmp(cw, "inverse") ? 1 : 0;
    s->class_weight_cap = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "class_weight_cap"));
    if (!(s->class_weight_cap > 0)) s->class_weight_cap = 0; /* absent (NaN): no cap */
    s->class_weight_caps = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "class_weight_caps"));
    s->warp = (float)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "warp"));
    if (!(s->warp > 0 && s->warp <= 0.5f)) s->warp = 0; /* absent (NaN): no warp */
    return 0;
}

/* Fine-tuning after a pass: every epoch is a candidate, the best on val is kept. */
static ecg_train_cfg finetune_cfg(const ecg_compress_job *o, const source *s) {
    ecg_train_cfg c = ecg_train_defaults();
    c.epochs = o->finetune_epochs, c.patience = o->finetune_epochs + 1, c.warmup_epochs = 0;
    c.batch = o->batch ? o->batch : s->batch, c.threads = o->threads, c.lr = o->lr, c.min_lr = o->lr / 100;
    c.class_weighted = s->class_weighted, c.class_weight_cap = s->class_weight_cap;
    c.class_weight_caps = s->class_weight_caps, c.warp = s->warp, c.seed = s->run.seed ^ 0x70726e65ULL; /* "prne": not the training draws */
    c.progress = o->quiet ? 0 : isatty(STDERR_FILENO) ? 2 : 1;
    return c;
}

/* Channel pruning; fine-tuned here unless magnitude pruning (which fine-tunes) follows. */
static cJSON *channel_pass(ecg_graph *g, const ecg_compress_job *o, const source *s, const ecg_dataset *tr, const ecg_dataset *val,
                           char *err, size_t errlen) {
    cJSON *rec = ecg_channel_pass(g, &o->ch, err, errlen);
    if (!rec || o->do_prune) return rec;
    ecg_train_cfg c = finetune_cfg(o, s);
    ecg_train_result res = {0};
    if (o->finetune_epochs > 0 && ecg_train(g, &c, tr, val, &res, err, errlen)) {
        cJSON_Delete(rec);
        return NULL;
    }
    cJSON_AddNumberToObject(rec, "finetune_epochs", o->finetune_epochs);
    cJSON_AddNumberToObject(rec, "finetune_lr", o->lr);
    cJSON_AddNumberToObject(rec, "finetune_best_epoch", res.best_epoch);
    return rec;
}

/* Prunes g and fine-tunes it on tr (epoch picked on val). Returns the pass record, NULL on error. */
static cJSON *prune_pass(ecg_graph *g, const ecg_compress_job *o, const source *s, const ecg_dataset *tr, const ecg_dataset *val,
                         char *err, size_t errlen) {
    ecg_pruner p;
    cJSON *rec = NULL;
    if (ecg_pruner_init(&p, g, o->prune, err, errlen)) return NULL;
    ecg_train_cfg c = finetune_cfg(o, s);
    long steps = tr->n / (c.batch < tr->n ? c.batch : tr->n);
    /* The gradual ramp ends after 2/3 of the fine-tuning epochs; the epoch kept is one after it. */
    int ramp_epochs = o->gradual ? (2 * o->finetune_epochs + 2) / 3 : 0;
    ecg_prune_schedule sched = {&p, 0, (long)ramp_epochs * steps - 1, steps / 8 > 0 ? steps / 8 : 1, 0.0,
                                o->prune.sparsity, 0};
    if (!o->gradual && ecg_prune_to(&p, o->prune.sparsity)) {
        snprintf(err, errlen, "pruning: out of memory");
        goto done;
    }
    if (!o->gradual) sched.begin = sched.end = -1; /* masks fixed: only re-applied after each step */
    c.after_step = ecg_prune_after_step, c.after_step_ctx = &sched;
    c.select_from_epoch = o->gradual ? ramp_epochs : 0;
    ecg_train_result res = {0};
    if (o->finetune_epochs > 0 && ecg_train(g, &c, tr, val, &res, err, errlen)) goto done;
    if (sched.failed) {
        snprintf(err, errlen, "pruning: out of memory updating the masks");
        goto done;
    }
    rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "pass", "magnitude_prune");
    cJSON_AddNumberToObject(rec, "sparsity", o->prune.sparsity);
    cJSON_AddStringToObject(rec, "scope", o->prune.global ? "global" : "layer");
    cJSON_AddStringToObject(rec, "schedule", o->gradual ? "cubic" : "one-shot");
    cJSON_AddBoolToObject(rec, "dense_first", o->prune.keep_first);
    cJSON_AddBoolToObject(rec, "dense_last", o->prune.keep_last);
    cJSON_AddNumberToObject(rec, "finetune_epochs", o->finetune_epochs);
    cJSON_AddNumberToObject(rec, "finetune_lr", o->lr);
    cJSON_AddNumberToObject(rec, "finetune_best_epoch", res.best_epoch);
    cJSON *layers = cJSON_AddArrayToObject(rec, "layers");
    for (int i = 0; i < p.n; i++) {
        ecg_layer_sparsity l = ecg_prune_layer(&p, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", l.name);
        cJSON_AddNumberToObject(e, "params", (double)l.numel);
        cJSON_AddNumberToObject(e, "nonzero", (double)l.nonzero);
        cJSON_AddItemToArray(layers, e);
    }
done:
    ecg_pruner_free(&p);
    return rec;
}

/* n examples of d picked without replacement by a seeded shuffle, copied out (features too). */
static int sample_examples(const ecg_dataset *d, int n, uint64_t seed, float **x, float **f) {
    size_t ex = (size_t)d->length * (size_t)d->channels, nf = (size_t)d->n_features;
    int *idx = malloc((size_t)d->n * sizeof(int));
    *x = malloc((size_t)n * ex * sizeof(float));
    *f = nf ? malloc((size_t)n * nf * sizeof(float)) : NULL;
    if (!idx || !*x || (nf && !*f)) {
        free(idx);
        return -1;
    }
    ecg_rng r = {ecg_hash64(seed, 0x63616c6962ull)}; /* "calib" */
    for (int i = 0; i < d->n; i++) idx[i] = i;
    for (int i = 0; i < n; i++) {
        int j = i + (int)(ecg_rng_next(&r) % (uint64_t)(d->n - i)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        memcpy(*x + (size_t)i * ex, d->x + (size_t)idx[i] * ex, ex * sizeof(float));
        if (nf) memcpy(*f + (size_t)i * nf, d->features + (size_t)idx[i] * nf, nf * sizeof(float));
    }
    free(idx);
    return 0;
}

/* The int8 pass on the inference graph gi (batchnorm folded): calibrates on train, quantizes with
 * each candidate method, keeps the one with the better validation macro-F1 in q, and records it
 * all in entry. */
static int pass_int8(ecg_graph *gi, ecg_qmodel *qm, const ecg_compress_job *o, uint64_t seed, const ecg_dataset *train,
                     const ecg_dataset *val, cJSON *entry, char *err, size_t errlen) {
    int n = o->calib < train->n ? o->calib : train->n;
    float *cx = NULL, *cf = NULL;
    ecg_act_ranges r = {0};
    int rc = -1;
    if (n < 1 || sample_examples(train, n, seed, &cx, &cf)) {
        snprintf(err, errlen, "int8: no calibration examples (train split has %d) or out of memory", train->n);
        goto done;
    }
    /* before calibration, so the ranges are those of the weights that will run */
    int wonly = ecg_weight_only_int8(gi);
    fprintf(stderr, "int8: calibrating on %d train examples\n", n);
    if (ecg_calibrate(gi, cx, cf, n, 64, o->percentile, &r, err, errlen)) goto done;
    ecg_calib_method methods[2] = {ECG_CALIB_MINMAX, ECG_CALIB_PERCENTILE};
    int first = !strcmp(o->calib_method, "percentile"), last = !strcmp(o->calib_method, "minmax") ? 0 : 1;
    cJSON *cands = cJSON_CreateArray();
    double best_f1 = -1;
    for (int k = first; k <= last; k++) {
        ecg_qmodel q;
        ecg_metrics m;
        if (ecg_quantize(gi, &r, methods[k], &q, err, errlen)) goto done_c;
        if (ecg_evaluate_q(gi, &q, val, 256, o->threads, &m, NULL, err, errlen)) {
            ecg_qmodel_free(&q);
            goto done_c;
        }
        fprintf(stderr, "int8: %s calibration: validation accuracy %.4f, macro-F1 %.4f\n",
                ecg_calib_method_name(methods[k]), m.accuracy, m.macro_f1);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "method", ecg_calib_method_name(methods[k]));
        cJSON_AddNumberToObject(c, "val_accuracy", m.accuracy);
        cJSON_AddNumberToObject(c, "val_macro_f1", m.macro_f1);
        cJSON_AddItemToArray(cands, c);
        if (m.macro_f1 > best_f1) { /* ties keep the first: min/max, the simpler one */
            best_f1 = m.macro_f1;
            ecg_qmodel_free(qm);
            *qm = q;
            cJSON_DeleteItemFromObjectCaseSensitive(entry, "calibration_method");
            cJSON_AddStringToObject(entry, "calibration_method", ecg_calib_method_name(methods[k]));
        } else {
            ecg_qmodel_free(&q);
        }
    }
    cJSON *cal = cJSON_AddObjectToObject(entry, "calibration");
    cJSON_AddStringToObject(cal, "split", "train");
    cJSON_AddNumberToObject(cal, "examples", n);
    cJSON_AddNumberToObject(cal, "seed", (double)seed);
    cJSON_AddNumberToObject(cal, "percentile", o->percentile);
    cJSON_AddStringToObject(cal, "selection", "validation macro-F1");
    cJSON_AddItemToObject(cal, "candidates", cands);
    cands = NULL;
    cJSON_AddStringToObject(entry, "weights", "symmetric int8: per output channel for conv1d (XNNPACK qc8), "
                                              "per tensor for linear (XNNPACK qs8)");
    cJSON_AddStringToObject(entry, "activations", "asymmetric per-tensor int8 (qs8)");
    cJSON_AddNumberToObject(entry, "int8_nodes", qm->n);
    cJSON_AddStringToObject(entry, "weight_only", "LSTM and attention weight matrices: int8 rows with a scale each, "
                                                  "run f32 on the dequantised values (no XNNPACK int8 operator)");
    cJSON_AddNumberToObject(entry, "weight_only_params", wonly);
    rc = 0;
done_c:
    cJSON_Delete(cands);
done:
    ecg_act_ranges_free(&r);
    free(cx);
    free(cf);
    return rc;
}

static int count_kind(const ecg_graph *g, ecg_op_kind k) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += g->nodes[i].kind == k;
    return c;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static int load_split(const source *s, const char *split, ecg_dataset *d, char *err, size_t errlen) {
    int hit;
    return ecg_task_load_cached(s->run.task, split, s->data, s->run.seed, NULL, d, &hit, err, errlen);
}

/* What the passes made, and what the manifest and the summary take from it. */
typedef struct {
    source s;
    ecg_dataset tr, val, test;
    ecg_graph g, gi;   /* the compressed model; int8: its inference graph */
    ecg_qmodel q;      /* int8: the int8 nodes */
    cJSON *passes;     /* this call's pass records, in order */
    char variant[64];  /* "channels50", "pruned90+int8", ... */
    int64_t params;    /* after channel pruning (magnitude pruning keeps the count, zeroing) */
    ecg_metrics mv, mt;
    char path[1200], sparse_path[1200], int8_path[1200], f16_path[1200];
} compressed;

static void variant_add(compressed *c, const char *fmt, double v) {
    size_t l = strlen(c->variant);
    if (l) snprintf(c->variant + l, sizeof c->variant - l, "+");
    l = strlen(c->variant);
    snprintf(c->variant + l, sizeof c->variant - l, fmt, v);
}

/* Batchnorm folded into an inference graph, then int8 (pass_int8), written and read back: the
 * metrics come from the file just written, so they are the file's. */
static int int8_passes(const ecg_compress_job *o, compressed *c, const char *const *meta, char *err, size_t errlen) {
    if (ecg_inference_graph(&c->gi, &c->g, err, errlen)) return -1;
    cJSON *fold = cJSON_CreateObject(), *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(fold, "pass", "bn_fold");
    cJSON_AddNumberToObject(fold, "batchnorms_folded",
                            count_kind(&c->g, ECG_OP_BATCHNORM) - count_kind(&c->gi, ECG_OP_BATCHNORM));
    cJSON_AddNumberToObject(fold, "dropouts_removed", count_kind(&c->g, ECG_OP_DROPOUT));
    cJSON_AddItemToArray(c->passes, fold);
    cJSON_AddStringToObject(entry, "pass", "int8");
    cJSON_AddItemToArray(c->passes, entry);
    if (pass_int8(&c->gi, &c->q, o, c->s.run.seed, &c->tr, &c->val, entry, err, errlen) ||
        ecg_int8_save(&c->gi, &c->q, c->int8_path, meta, 3, err, errlen))
        return -1;
    ecg_qmodel_free(&c->q);
    if (ecg_int8_load(&c->gi, &c->q, c->int8_path, err, errlen) ||
        ecg_evaluate_q(&c->gi, &c->q, &c->val, 256, o->threads, &c->mv, NULL, err, errlen) ||
        (!o->no_test && ecg_evaluate_q(&c->gi, &c->q, &c->test, 256, o->threads, &c->mt, NULL, err, errlen)))
        return -1;
    variant_add(c, "int8", 0);
    return 0;
}

/* The decision offsets of file (runs/fold_offsets.c) folded into the classifier's bias. They must
 * be fitted for this run's model, task, classes and recipe (on its own validation split when they
 * come from one run's), and have helped on held-out folds. */
static cJSON *offsets_pass(ecg_graph *g, const char *file, const source *s, const ecg_dataset *val, char *err,
                           size_t errlen) {
    cJSON *doc = ecg_read_json(file, err, errlen), *rec = NULL;
    if (!doc) return NULL;
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(doc, "offsets"),
                *names = cJSON_GetObjectItemCaseSensitive(doc, "classes");
    char va[200], vb[200];
    const char *key = ecg_config_diff(cJSON_GetObjectItemCaseSensitive(doc, "config"),
                                      cJSON_GetObjectItemCaseSensitive(s->run.man, "config"), ecg_same_recipe_setting,
                                      va, vb, sizeof va);
    double v[ECG_MAX_CLASSES];
    int k = cJSON_GetArraySize(off);
    if (strcmp(ecg_json_str(doc, "model", ""), s->run.model) || strcmp(ecg_json_str(doc, "task", ""), s->run.task)) {
        snprintf(err, errlen, "%s holds offsets for %s on %s, the run is %s on %s", file, ecg_json_str(doc, "model", "?"),
                 ecg_json_str(doc, "task", "?"), s->run.model, s->run.task);
        goto done;
    }
    if (key) {
        snprintf(err, errlen, "%s was fitted on folds of another recipe (%s %s there, %s in the run)", file, key, va, vb);
        goto done;
    }
    if (k != val->n_classes || cJSON_GetArraySize(names) != k) {
        snprintf(err, errlen, "%s holds %d offsets, the task has %d classes", file, k, val->n_classes);
        goto done;
    }
    for (int c = 0; c < k; c++) {
        const cJSON *x = cJSON_GetArrayItem(off, c);
        const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, c));
        if (!cJSON_IsNumber(x) || !name || strcmp(name, val->class_names[c])) {
            snprintf(err, errlen, "%s: offset %d is not a number for class %s", file, c, val->class_names[c]);
            goto done;
        }
        v[c] = x->valuedouble;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "applies"))) {
        snprintf(err, errlen, "%s: fitted without each fold, the offsets did not beat no offsets on it (%.4f against "
                              "%.4f), so they do not apply", file, ecg_json_num(doc, "score_leave_one_fold_out"),
                 ecg_json_num(doc, "score_without"));
        goto done;
    }
    char sha[65];
    int64_t bytes;
    const char *own = ecg_json_str(doc, "weights_sha256", NULL); /* fitted on one run's validation split */
    if (own && (ecg_file_sha256(s->run.weights, sha, &bytes, err, errlen) || strcmp(own, sha))) {
        snprintf(err, errlen, "%s was fitted on the validation split of another run (%s), whose validation records "
                              "may be this run's test records", file, ecg_json_str(doc, "from", "?"));
        goto done;
    }
    if (ecg_offsets_apply(g, v, k, err, errlen) || ecg_file_sha256(file, sha, &bytes, err, errlen)) goto done;
    rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "pass", "decision_offsets");
    cJSON_AddItemToObject(rec, "offsets", cJSON_Duplicate(off, 1));
    cJSON_AddItemToObject(rec, "classes", cJSON_Duplicate(names, 1));
    cJSON_AddStringToObject(rec, "file", file);
    cJSON_AddStringToObject(rec, "file_sha256", sha);
    cJSON_AddStringToObject(rec, "fitted_on", ecg_json_str(doc, "fitted_on", ""));
    cJSON_AddStringToObject(rec, "from", ecg_json_str(doc, "from", ""));
    const cJSON *f;
    cJSON *splits = cJSON_AddArrayToObject(rec, "fitted_on_splits");
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(doc, "folds"))
        cJSON_AddItemToArray(splits, cJSON_CreateString(ecg_json_str(f, "split", "")));
    cJSON_AddStringToObject(rec, "criterion", ecg_json_str(doc, "criterion", ""));
    cJSON_AddNumberToObject(rec, "score_without", ecg_json_num(doc, "score_without"));
    cJSON_AddNumberToObject(rec, "score_leave_one_fold_out", ecg_json_num(doc, "score_leave_one_fold_out"));
done:
    cJSON_Delete(doc);
    return rec;
}

/* The passes in their order, their files, and the result's val and test metrics. */
static int run_passes(const ecg_compress_job *o, compressed *c, char *err, size_t errlen) {
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->s.run.seed);
    const char *meta[] = {"model", c->s.run.model, "task", c->s.run.task, "seed", seed};
    if (o->do_channels) {
        cJSON *rec = channel_pass(&c->g, o, &c->s, &c->tr, &c->val, err, errlen);
        if (!rec) return -1;
        cJSON_AddItemToArray(c->passes, rec);
        variant_add(c, "channels%.0f", 100 * o->ch.ratio);
    }
    c->params = ecg_graph_param_count(&c->g);
    if (o->do_prune) {
        cJSON *rec = prune_pass(&c->g, o, &c->s, &c->tr, &c->val, err, errlen);
        if (!rec) return -1;
        cJSON_AddItemToArray(c->passes, rec);
        variant_add(c, "pruned%.0f", 100 * o->prune.sparsity);
    }
    if ((o->do_prune || o->do_channels) && (ecg_safetensors_save(&c->g, c->path, meta, 3, err, errlen) ||
                                            ecg_sparse_save(&c->g, c->sparse_path, meta, 3, err, errlen)))
        return -1;
    if (o->fp16) { /* the metrics below are those of the file's values */
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "pass", "fp16");
        cJSON_AddStringToObject(rec, "storage", "every param IEEE binary16 (round to nearest even); computed in f32");
        cJSON_AddItemToArray(c->passes, rec);
        if (ecg_fp16_save(&c->g, c->f16_path, meta, 3, err, errlen) || ecg_weights_load(&c->g, c->f16_path, err, errlen))
            return -1;
        variant_add(c, "fp16", 0);
    }
    if (o->offsets) {
        cJSON *rec = offsets_pass(&c->g, o->offsets, &c->s, &c->val, err, errlen);
        if (!rec) return -1;
        cJSON_AddItemToArray(c->passes, rec);
        variant_add(c, "offsets", 0);
        if (ecg_safetensors_save(&c->g, c->path, meta, 3, err, errlen)) return -1;
    }
    if (o->int8) return int8_passes(o, c, meta, err, errlen);
    return ecg_evaluate(&c->g, &c->val, 256, o->threads, &c->mv, NULL, err, errlen) ||
                   (!o->no_test && ecg_evaluate(&c->g, &c->test, 256, o->threads, &c->mt, NULL, err, errlen))
               ? -1
               : 0;
}

static const char *weights_path(const ecg_compress_job *o, const compressed *c) {
    return o->int8 ? c->int8_path : o->fp16 ? c->f16_path : o->offsets ? c->path : c->sparse_path;
}

/* The source's manifest, with what compression changed. */
static cJSON *manifest(const ecg_compress_job *o, compressed *c, const char *source_sha) {
    cJSON *man = cJSON_Duplicate(c->s.run.man, 1);
    const char *replaced[] = {"weights", "params",  "metrics", "score",  "run",
                              "passes",  "source",  "variant", "format", "flops_per_example",
                              "source_weights_sha256"};
    for (size_t i = 0; i < sizeof replaced / sizeof *replaced; i++) cJSON_DeleteItemFromObjectCaseSensitive(man, replaced[i]);
    cJSON_AddStringToObject(man, "weights", strrchr(weights_path(o, c), '/') + 1);
    if (o->int8) cJSON_AddStringToObject(man, "format", "int8");
    cJSON_AddStringToObject(man, "source", o->src);
    /* which weights of that run: a source retrained since leaves this variant stale (make compress
     * redoes it, test_weights refuses it) */
    cJSON_AddStringToObject(man, "source_weights_sha256", source_sha);
    cJSON_AddStringToObject(man, "variant", c->variant); /* the name reports give it, e.g. "pruned90+int8" */
    /* the source's passes first: a compressed source's graph is rebuilt from them */
    cJSON *all = cJSON_AddArrayToObject(man, "passes"), *prev;
    cJSON_ArrayForEach(prev, cJSON_GetObjectItemCaseSensitive(c->s.run.man, "passes"))
        cJSON_AddItemToArray(all, cJSON_Duplicate(prev, 1));
    while (cJSON_GetArraySize(c->passes) > 0) cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(c->passes, 0));
    cJSON_AddNumberToObject(man, "params", (double)c->params);
    cJSON_AddNumberToObject(man, "flops_per_example", (double)ecg_graph_flops(&c->g));
    cJSON_AddNumberToObject(man, "nonzero_params", (double)ecg_nonzero_params(&c->g));
    cJSON *size = cJSON_AddObjectToObject(man, "size_bytes");
    cJSON_AddNumberToObject(size, "source", (double)file_size(c->s.run.weights));
    if (o->do_prune || o->do_channels) {
        cJSON_AddNumberToObject(size, "dense_f32", (double)file_size(c->path));
        cJSON_AddNumberToObject(size, "sparse", (double)file_size(c->sparse_path));
    }
    if (o->fp16) cJSON_AddNumberToObject(size, "fp16", (double)file_size(c->f16_path));
    if (o->int8) {
        cJSON_AddNumberToObject(size, "int8", (double)file_size(c->int8_path));
        cJSON_AddNumberToObject(size, "int8_param_bytes", (double)ecg_qmodel_bytes(&c->gi, &c->q));
    }
    cJSON *run = o->run_info.fn ? o->run_info.fn(o->run_info.ctx, ecg_threads_for(o->threads)) : NULL;
    if (run) cJSON_AddItemToObject(man, "run", run);
    cJSON *metrics = cJSON_AddObjectToObject(man, "metrics");
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(&c->mv, c->val.class_names));
    if (!o->no_test) cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(&c->mt, c->test.class_names));
    const ecg_task *tk = ecg_task_find(c->s.run.task);
    if (tk->score_name) {
        cJSON *sc = cJSON_AddObjectToObject(man, "score");
        cJSON_AddStringToObject(sc, "name", tk->score_name);
        cJSON_AddNumberToObject(sc, "val", ecg_metrics_mean_f1(&c->mv, tk->score_classes));
        if (!o->no_test) cJSON_AddNumberToObject(sc, "test", ecg_metrics_mean_f1(&c->mt, tk->score_classes));
    }
    return man;
}

ecg_compress_job ecg_compress_defaults(void) {
    return (ecg_compress_job){.prune = {.global = 1}, .finetune_epochs = 2, .lr = 1e-4f, .calib = 512,
                              .calib_method = "auto", .percentile = 99.99, .seed = ECG_DEFAULT_SEED};
}

int ecg_compress_run(ecg_compress_job *o, char *err, size_t errlen) {
    compressed c = {.passes = cJSON_CreateArray()};
    cJSON *man = NULL;
    int rc = -1;
    static const char *const marks[] = {"manifest.json"};
    if (read_source(o, &c.s, err, errlen) ||
        ecg_run_dir_guard(o->out, marks, 1, o->force, "--force overwrites it", err, errlen) ||
        ecg_mkdir_p(o->out, err, errlen) || ecg_atomic_sweep(o->out, err, errlen) < 0 || /* a killed run's leftovers */
        load_split(&c.s, "train", &c.tr, err, errlen) || load_split(&c.s, "val", &c.val, err, errlen) ||
        (!o->no_test && load_split(&c.s, "test", &c.test, err, errlen)))
        goto done;
    ecg_model_cfg mc = ecg_task_model_cfg(ecg_task_find(c.s.run.task));
    mc.seed = c.s.run.seed;
    /* the source may itself be compressed: its manifest rebuilds its graph */
    if (ecg_manifest_model_build(c.s.run.man, c.s.run.model, &mc, &c.g, err, errlen) ||
        ecg_weights_load(&c.g, c.s.run.weights, err, errlen))
        goto done;
    snprintf(c.path, sizeof c.path, "%s/weights.safetensors", o->out);
    snprintf(c.sparse_path, sizeof c.sparse_path, "%s/weights.sparse.safetensors", o->out);
    snprintf(c.int8_path, sizeof c.int8_path, "%s/weights.int8.safetensors", o->out);
    snprintf(c.f16_path, sizeof c.f16_path, "%s/weights.f16.safetensors", o->out);
    char source_sha[65];
    int64_t source_bytes;
    if (ecg_run_weights_digest(&c.s.run, source_sha, &source_bytes, err, errlen) || run_passes(o, &c, err, errlen))
        goto done;
    man = manifest(o, &c, source_sha);
    char path[1200];
    /* written last, naming the weights it vouches for: new weights under the old manifest no longer
     * pass for the old run (runs/files.h) */
    const char *files[] = {strrchr(weights_path(o, &c), '/') + 1};
    snprintf(path, sizeof path, "%s/manifest.json", o->out);
    if (ecg_manifest_add_files(man, o->out, files, 1, err, errlen) || ecg_write_json(path, man, err, errlen)) goto done;
    if (o->log) {
        const ecg_dataset *shown = o->no_test ? &c.val : &c.test;
        fprintf(o->log, "%s on %s, %s: %lld of %lld params nonzero, %ld bytes (source %ld)\n%s (%s):\n",
                c.s.run.model, c.s.run.task, c.variant, (long long)ecg_nonzero_params(&c.g), (long long)c.params,
                file_size(weights_path(o, &c)), file_size(c.s.run.weights), o->no_test ? "val" : "test", shown->split);
        ecg_metrics_print(o->log, o->no_test ? &c.mv : &c.mt, shown->class_names);
        fprintf(o->log, "\nwrote %s and %s\n", weights_path(o, &c), path);
    }
    rc = 0;
done:
    cJSON_Delete(c.passes);
    cJSON_Delete(man);
    ecg_run_free(&c.s.run);
    ecg_qmodel_free(&c.q);
    ecg_graph_free(&c.gi);
    ecg_graph_free(&c.g);
    ecg_dataset_free(&c.tr);
    ecg_dataset_free(&c.val);
    ecg_dataset_free(&c.test);
    return rc;
}
