/* What a run's manifest.json holds beyond its name and weights, written by training and
 * compression and read by everything that loads a run: the test metrics (runs/metrics_json.c)
 * and the channel-pruning passes that size its graph (runs/manifest_model.c). */
#ifndef ECG_RUNS_MANIFEST_H
#define ECG_RUNS_MANIFEST_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "compress/compress.h"
#include "datasets/datasets.h"
#include "train/train.h"

/* ---------------------------------------------------------------- metrics (runs/metrics_json.c) */
void ecg_metrics_print(FILE *f, const ecg_metrics *m, const char *const *class_names);
/* {examples, accuracy, macro_f1, per_class: [{class, support, sensitivity, ppv, specificity, f1}],
 * confusion: [[..]]}; undefined metrics are null. NULL when out of memory. */
cJSON *ecg_metrics_json(const ecg_metrics *m, const char *const *class_names);
/* Rebuilds metrics from the "confusion" of such an object. 0 ok, -1 malformed. */
int ecg_metrics_from_json(const cJSON *o, int classes, ecg_metrics *m);
/* Same confusion matrix (so every derived figure is the same). */
int ecg_metrics_equal(const ecg_metrics *a, const ecg_metrics *b);
/* An autoencoder's figures on split d, as its manifest's metrics.<split>: {examples, mse,
 * zero_mse}, zero_mse being the MSE of reconstructing every value as 0 (ecg_zero_mse: the scale
 * mse is read against, 1 for inputs of unit variance around 0). */
cJSON *ecg_reconstruction_json(const ecg_dataset *d, double mse);
double ecg_zero_mse(const ecg_dataset *d);

/* ---------------------------------------------------------------- the model of a run (runs/manifest_model.c) */
/* A model config sized for one example of task t (length, leads, classes, features). */
ecg_model_cfg ecg_task_model_cfg(const ecg_task *t);
/* Channel-prunes g (ecg_channel_prune) and returns the pass record for a manifest's "passes":
 * {pass: "channel_prune", ratio, rank, scope, params/flops before and after, groups: [{name,
 * residual, before, after}]}. NULL with err (g unchanged). */
cJSON *ecg_channel_pass(ecg_graph *g, const ecg_channel_cfg *cfg, char *err, size_t errlen);
/* Builds `model` as a run's manifest describes it: the registry's graph (with the run's
 * config.ecg_drop, so compress's fine-tuning keeps it; inference ignores it), then every
 * channel_prune pass in man's "passes" re-applied from its counts, so the run's weights file loads
 * over it (man may be NULL: the plain model). 0, or -1 with err (g freed). */
int ecg_manifest_model_build(const cJSON *man, const char *model, const ecg_model_cfg *mc, ecg_graph *g, char *err,
                             size_t errlen);

#endif
