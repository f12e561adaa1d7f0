/* ecg_train_run: the pipeline of `ecgbench train` (runs/pipelines.h). Trains on the task's train
 * split, selects the epoch with the best validation macro-F1, evaluates it on val and test
 * through the XNNPACK executor (an autoencoder, by its registry kind: the lowest validation MSE,
 * and the reconstruction MSE on train, val and test), and writes OUT/weights.safetensors and
 * OUT/manifest.json (config, seed, data version, run metadata, metrics). Checkpoints and epochs.csv go to OUT too;
 * cfg.resume continues a killed run. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ops/atomic_file.h"

#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/model_part.h"
#include "runs/pipelines.h"
#include "runs/run_guard.h"

/* The run's configuration; part: the "init_from" record of its trained part (runs/model_part.h), or NULL. */
static cJSON *config_json(const ecg_train_job *job, const ecg_train_cfg *c, const cJSON *part) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "epochs", c->epochs);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "warmup_epochs", c->warmup_epochs);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddNumberToObject(j, "min_lr", c->min_lr);
    cJSON_AddNumberToObject(j, "weight_decay", c->adamw.weight_decay);
    cJSON_AddNumberToObject(j, "patience", c->patience);
    cJSON_AddBoolToObject(j, "augment", c->augment);
    cJSON_AddStringToObject(j, "class_weights", c->class_weighted == 2 ? "sqrt" : c->class_weighted ? "inverse" : "none");
    if (c->class_weight_cap > 0) cJSON_AddNumberToObject(j, "class_weight_cap", c->class_weight_cap);
    if (c->class_weight_caps) cJSON_AddStringToObject(j, "class_weight_caps", c->class_weight_caps);
    if (c->crop > 0) cJSON_AddNumberToObject(j, "crop", c->crop);
    if (c->warp > 0) cJSON_AddNumberToObject(j, "warp", c->warp);
    if (job->ecg_drop > 0) cJSON_AddNumberToObject(j, "ecg_drop", job->ecg_drop);
    if (job->fold > 0) cJSON_AddNumberToObject(j, "fold", job->fold);
    cJSON_AddStringToObject(j, "data_dir", job->data);
    if (part) cJSON_AddItemToObject(j, "init_from", cJSON_Duplicate(part, 1));
    return j;
}

/* What a split held: its examples and source records, listed when few (mitdb-aami's 4 validation
 * records), so a run's manifest says which patients chose its epoch and recipe. */
static cJSON *split_json(const ecg_dataset *d) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "split", d->split);
    cJSON_AddNumberToObject(j, "examples", d->n);
    if (!d->record) return j;
    enum { LISTED = 32 };
    int ids[LISTED], distinct = 0; /* the loaders read record by record, so a record's examples are contiguous */
    for (int i = 0; i < d->n; i++)
        if (i == 0 || d->record[i] != d->record[i - 1]) {
            if (distinct < LISTED) ids[distinct] = d->record[i];
            distinct++;
        }
    cJSON_AddNumberToObject(j, "records", distinct);
    if (distinct <= LISTED) cJSON_AddItemToObject(j, "record_ids", cJSON_CreateIntArray(ids, distinct));
    return j;
}

/* What one training left to write down. */
typedef struct {
    ecg_dataset tr, val, test;
    ecg_graph g, win;
    ecg_train_result res;
    ecg_metrics mv, mt;    /* classifiers */
    double mse[3];         /* autoencoders: train, val, test reconstruction MSE (test NaN with --no-test) */
    cJSON *part;           /* where the model's trained part comes from (config "init_from"), or NULL */
} trained;

/* The chosen epoch's figures, by objective: an autoencoder's reconstruction MSE on each split
 * (train unaugmented, as val and test), a classifier's metrics on val and test. */
static int score_splits(const ecg_train_job *job, trained *t, char *err, size_t errlen) {
    const ecg_train_cfg *c = &job->cfg;
    switch (c->objective) {
    case ECG_OBJECTIVE_RECONSTRUCT:
        t->mse[2] = NAN;
        return ecg_evaluate_mse(&t->g, NULL, &t->tr, c->eval_batch, c->threads, &t->mse[0], err, errlen) ||
                       ecg_evaluate_mse(&t->g, NULL, &t->val, c->eval_batch, c->threads, &t->mse[1], err, errlen) ||
                       (!job->no_test &&
                        ecg_evaluate_mse(&t->g, NULL, &t->test, c->eval_batch, c->threads, &t->mse[2], err, errlen))
                   ? -1
                   : 0;
    case ECG_OBJECTIVE_CLASSIFY:
        break;
    }
    return ecg_evaluate(&t->g, &t->val, c->eval_batch, c->threads, &t->mv, NULL, err, errlen) ||
                   (!job->no_test &&
                    ecg_evaluate(&t->g, &t->test, c->eval_batch, c->threads, &t->mt, NULL, err, errlen))
               ? -1
               : 0;
}

/* --ecg-drop needs a model with ECG tokens (the fusion models; ecg_model_build refuses the others):
 * checked before the run's folder is touched. An unknown task is left to the training's own error. */
static int check_ecg_drop(const ecg_train_job *job, char *err, size_t errlen) {
    const ecg_task *t = job->ecg_drop > 0 ? ecg_task_find(job->task) : NULL;
    if (!t) return 0;
    ecg_model_cfg c = ecg_task_model_cfg(t);
    c.ecg_drop = job->ecg_drop;
    ecg_graph g;
    if (ecg_model_build(job->model, &c, &g, err, errlen)) return -1;
    ecg_graph_free(&g);
    return 0;
}

/* A fold must be one of the task's cross-validation folds; a fold run is a recipe candidate, so it
 * never meets the test split. Checked before the run's folder is touched; an unknown task is left
 * to the training's own error. */
static int check_fold(ecg_train_job *job, char *err, size_t errlen) {
    const ecg_task *t = job->fold > 0 ? ecg_task_find(job->task) : NULL;
    if (!t) return 0;
    if (job->fold > t->cv_folds) {
        if (t->cv_folds) snprintf(err, errlen, "--fold %d: task %s has folds 1 to %d", job->fold, t->name, t->cv_folds);
        else snprintf(err, errlen, "--fold: task %s has no cross-validation folds", t->name);
        return -1;
    }
    job->no_test = 1;
    return 0;
}

/* split: "train", "val" or "test"; with a fold, train and val are the fold's. */
static int load_split(const ecg_train_job *job, const char *split, ecg_dataset *d, char *err, size_t errlen) {
    int hit;
    char fold_split[32];
    if (job->fold > 0 && strcmp(split, "test")) {
        snprintf(fold_split, sizeof fold_split, "cv%d-%s", job->fold, split);
        split = fold_split;
    }
    return ecg_task_load_cached(job->task, split, job->data, job->cfg.seed, NULL, d, &hit, err, errlen);
}

/* The splits, the model (and its copy for --crop windows), training, and the chosen epoch's
 * metrics. */
static int train_and_evaluate(ecg_train_job *job, trained *t, char *err, size_t errlen) {
    if (load_split(job, "train", &t->tr, err, errlen) || load_split(job, "val", &t->val, err, errlen) ||
        (!job->no_test && load_split(job, "test", &t->test, err, errlen)))
        return -1;
    ecg_model_cfg mc = ecg_model_cfg_default(t->tr.length, t->tr.channels, t->tr.n_classes);
    mc.seed = job->cfg.seed;
    mc.n_features = t->tr.n_features;
    mc.feature_names = t->tr.feature_names;
    mc.ecg_drop = job->ecg_drop;
    if (ecg_model_build(job->model, &mc, &t->g, err, errlen)) return -1;
    long long part_values = t->part ? ecg_part_fill(&t->g, job->model, job->init_from, err, errlen) : 0;
    if (part_values < 0) return -1;
    if (job->cfg.crop == t->tr.length) job->cfg.crop = 0; /* a window of the whole example */
    if (job->cfg.crop > 0 && job->cfg.crop < t->tr.length) { /* the same model for the training windows */
        mc.length = job->cfg.crop;
        if (ecg_model_build(job->model, &mc, &t->win, err, errlen)) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (for --crop %d)", job->cfg.crop);
            return -1;
        }
        job->cfg.crop_graph = &t->win;
    }
    if (job->log)
        fprintf(job->log, "%s on %s: %d train / %d val / %d test examples%s [%d, %d], %lld parameters\ndata: %s\n",
                job->model, job->task, t->tr.n, t->val.n, t->test.n, job->no_test ? " (not loaded: --no-test)" : "",
                t->tr.length, t->tr.channels, (long long)ecg_graph_param_count(&t->g), t->tr.data_version);
    if (job->log && t->part)
        fprintf(job->log, "frozen: %lld of them, from %s\n", part_values, job->init_from);
    if (ecg_train(&t->g, &job->cfg, &t->tr, &t->val, &t->res, err, errlen)) return -1;
    if (job->cfg.comm && job->cfg.comm->rank) return 0; /* rank 0 scores and writes the run */
    return score_splits(job, t, err, errlen);
}

/* metrics (and the task's score) by objective. */
static void add_metrics(cJSON *man, const ecg_train_job *job, const trained *t) {
    cJSON *metrics = cJSON_AddObjectToObject(man, "metrics");
    if (job->cfg.objective == ECG_OBJECTIVE_RECONSTRUCT) {
        cJSON_AddItemToObject(metrics, "train", ecg_reconstruction_json(&t->tr, t->mse[0]));
        cJSON_AddItemToObject(metrics, "val", ecg_reconstruction_json(&t->val, t->mse[1]));
        if (!job->no_test) cJSON_AddItemToObject(metrics, "test", ecg_reconstruction_json(&t->test, t->mse[2]));
        return;
    }
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(&t->mv, t->val.class_names));
    if (!job->no_test) cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(&t->mt, t->test.class_names));
    const ecg_task *tk = ecg_task_find(job->task);
    if (tk && tk->score_name) {
        cJSON *sc = cJSON_AddObjectToObject(man, "score");
        cJSON_AddStringToObject(sc, "name", tk->score_name);
        cJSON_AddNumberToObject(sc, "val", ecg_metrics_mean_f1(&t->mv, tk->score_classes));
        if (!job->no_test) cJSON_AddNumberToObject(sc, "test", ecg_metrics_mean_f1(&t->mt, tk->score_classes));
    }
}

static cJSON *manifest(ecg_train_job *job, const trained *t) {
    cJSON *man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "model", job->model);
    cJSON_AddStringToObject(man, "task", job->task);
    /* absent: a classifier (every manifest older than the autoencoder is one) */
    if (job->cfg.objective != ECG_OBJECTIVE_CLASSIFY)
        cJSON_AddStringToObject(man, "objective", ecg_objective_name(job->cfg.objective));
    cJSON_AddStringToObject(man, "weights", "weights.safetensors");
    cJSON_AddNumberToObject(man, "seed", (double)job->cfg.seed);
    cJSON_AddNumberToObject(man, "params", (double)ecg_graph_param_count(&t->g));
    cJSON_AddNumberToObject(man, "flops_per_example", (double)ecg_graph_flops(&t->g));
    cJSON_AddItemToObject(man, "config", config_json(job, &job->cfg, t->part));
    cJSON_AddNumberToObject(man, "epochs_run", t->res.epochs_run);
    cJSON_AddNumberToObject(man, "best_epoch", t->res.best_epoch);
    cJSON_AddNumberToObject(man, "train_examples_per_second", t->res.examples_per_second);
    if (job->cfg.comm) { /* a data-parallel run over MPI ranks, and what summing over them cost */
        cJSON *mpi = cJSON_AddObjectToObject(man, "mpi");
        cJSON_AddNumberToObject(mpi, "ranks", job->cfg.comm->ranks);
        cJSON_AddNumberToObject(mpi, "shards_per_rank", t->res.shards);
        cJSON_AddNumberToObject(mpi, "step_seconds", t->res.step_seconds);
        cJSON_AddNumberToObject(mpi, "gradient_bytes", (double)t->res.gradient_bytes);
        cJSON_AddNumberToObject(mpi, "wait_seconds", t->res.wait_seconds);
        cJSON_AddNumberToObject(mpi, "allreduce_seconds", t->res.allreduce_seconds);
        cJSON_AddNumberToObject(mpi, "logit_gather_seconds", t->res.gather_seconds);
    }
    cJSON_AddStringToObject(man, "data_version", t->tr.data_version);
    cJSON *splits = cJSON_AddObjectToObject(man, "splits");
    cJSON_AddItemToObject(splits, "train", split_json(&t->tr));
    cJSON_AddItemToObject(splits, "val", split_json(&t->val));
    if (!job->no_test) cJSON_AddItemToObject(splits, "test", split_json(&t->test));
    cJSON *run = job->run_info.fn ? job->run_info.fn(job->run_info.ctx, ecg_threads_for(job->cfg.threads)) : NULL;
    if (run) cJSON_AddItemToObject(man, "run", run);
    add_metrics(man, job, t);
    return man;
}

/* The figures shown: the test split's, or the validation split's when the test split was not loaded. */
static void summary(const ecg_train_job *job, const trained *t) {
    FILE *f = job->log;
    if (job->cfg.objective == ECG_OBJECTIVE_RECONSTRUCT) {
        fprintf(f, "best epoch %d of %d (validation MSE %.5f); trained at %.0f examples/s on %d threads\n\n"
                   "reconstruction MSE: train %.5f, val %.5f", t->res.best_epoch, t->res.epochs_run, t->mse[1],
                t->res.examples_per_second, ecg_threads_for(job->cfg.threads), t->mse[0], t->mse[1]);
        if (!job->no_test) fprintf(f, ", test %.5f", t->mse[2]);
        fprintf(f, " (all zeros: %.5f)\n", ecg_zero_mse(job->no_test ? &t->val : &t->test));
        fprintf(f, "\nwrote %s/weights.safetensors, %s/manifest.json\n", job->out, job->out);
        return;
    }
    const ecg_dataset *shown_split = job->no_test ? &t->val : &t->test;
    const ecg_metrics *shown = job->no_test ? &t->mv : &t->mt;
    fprintf(f, "best epoch %d of %d (validation macro-F1 %.4f); trained at %.0f examples/s on %d threads\n\n%s (%s):\n",
            t->res.best_epoch, t->res.epochs_run, t->mv.macro_f1, t->res.examples_per_second,
            ecg_threads_for(job->cfg.threads), job->no_test ? "validation" : "test", shown_split->split);
    ecg_metrics_print(f, shown, shown_split->class_names);
    const ecg_task *tk = ecg_task_find(job->task);
    if (tk && tk->score_name) fprintf(f, "%s %.4f\n", tk->score_name, ecg_metrics_mean_f1(shown, tk->score_classes));
    fprintf(f, "\nwrote %s/weights.safetensors, %s/manifest.json\n", job->out, job->out);
}

/* A fresh start removes an earlier run's checkpoints, the one a resume reads first: killed before
 * its first checkpoint, the new run must not be resumed from the old one's (under the new
 * config.json). The earlier manifest stays: it vouches for the earlier weights and epochs.csv until
 * the new ones replace them, and for nothing after. */
static int remove_checkpoints(const char *dir, char *err, size_t errlen) {
    static const char *const files[] = {"last_optim.safetensors", "best.safetensors", "last.safetensors"};
    for (int i = 0; i < 3; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The folder is ours: it holds no run (unless --force or --resume), a resume is of the run started
 * there (its config.json), a fresh start leaves no earlier checkpoint, a killed writer's temporary
 * files are gone, and config.json records this run. */
static int claim_folder(ecg_train_job *job, const cJSON *part, char *err, size_t errlen) {
    static const char *const marks[] = {"manifest.json", "last_optim.safetensors", "last.safetensors"};
    if (job->force && job->cfg.resume) {
        snprintf(err, errlen, "--force starts over, --resume continues: give one");
        return -1;
    }
    if (ecg_run_dir_guard(job->out, marks, 3, job->force || job->cfg.resume,
                          "--resume continues it, --force starts over", err, errlen) ||
        ecg_atomic_sweep(job->out, err, errlen) < 0 || (!job->cfg.resume && remove_checkpoints(job->out, err, errlen)))
        return -1;
    cJSON *c = config_json(job, &job->cfg, part);
    cJSON_AddStringToObject(c, "model", job->model);
    cJSON_AddStringToObject(c, "task", job->task);
    cJSON_AddNumberToObject(c, "seed", (double)job->cfg.seed);
    int rc = job->cfg.resume ? ecg_run_config_check(job->out, c, err, errlen) : 0;
    if (rc == 1)
        fprintf(stderr, "warning: %s has no " ECG_RUN_CONFIG " (started by an older ecgbench): the resumed "
                        "configuration is not checked\n", job->out);
    if (rc >= 0) rc = ecg_run_config_write(job->out, c, err, errlen);
    cJSON_Delete(c);
    return rc;
}

int ecg_train_run(ecg_train_job *job, char *err, size_t errlen) {
    trained t = {0};
    cJSON *man = NULL;
    char path[1200], seed[32];
    int rc = -1;
    job->cfg.out_dir = job->out;
    job->cfg.objective = ecg_model_objective(job->model); /* what it is trained for comes from its kind */
    int writer = !job->cfg.comm || job->cfg.comm->rank == 0; /* rank 0 claims the folder and writes the run */
    if (check_ecg_drop(job, err, errlen) || check_fold(job, err, errlen) ||
        ecg_part_source(job->model, job->task, job->cfg.seed, job->init_from, &t.part, err, errlen) ||
        ecg_mkdir_p(job->out, err, errlen) || (writer && claim_folder(job, t.part, err, errlen)) ||
        train_and_evaluate(job, &t, err, errlen))
        goto done;
    if (!writer) {
        rc = 0;
        goto done;
    }
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)job->cfg.seed);
    const char *meta[] = {"model", job->model, "task", job->task, "seed", seed};
    snprintf(path, sizeof path, "%s/weights.safetensors", job->out);
    if (ecg_safetensors_save(&t.g, path, meta, 3, err, errlen)) goto done;
    man = manifest(job, &t);
    /* written last, naming what it vouches for: the folder is a finished run only when they match */
    const char *files[] = {"weights.safetensors", "epochs.csv"};
    snprintf(path, sizeof path, "%s/manifest.json", job->out);
    if (ecg_manifest_add_files(man, job->out, files, 2, err, errlen) || ecg_write_json(path, man, err, errlen))
        goto done;
    if (job->log) summary(job, &t);
    rc = 0;
done:
    job->cfg.crop_graph = NULL; /* t.win goes now */
    cJSON_Delete(man);
    cJSON_Delete(t.part);
    ecg_graph_free(&t.g);
    ecg_graph_free(&t.win);
    ecg_dataset_free(&t.tr);
    ecg_dataset_free(&t.val);
    ecg_dataset_free(&t.test);
    return rc;
}
