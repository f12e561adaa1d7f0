/* The channel-pruning pass of `ecgbench compress` and what makes its runs loadable: a
 * channel-pruned graph cannot come from the model's builder alone, so the manifest's pass record
 * lists every pruned group with its channels before and after, and ecg_manifest_model_build
 * rebuilds the smaller graph from it (full model, same surgery keeping the first `after`
 * channels) before the weights file, which holds just the kept channels, is loaded over it. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runs/manifest.h"

/* Sized for one example of the task (the registry's defaults for the rest). */
ecg_model_cfg ecg_task_model_cfg(const ecg_task *t) {
    ecg_model_cfg c = ecg_model_cfg_default(t->length, t->channels, t->n_classes);
    c.n_features = t->n_features;
    c.feature_names = t->feature_names;
    return c;
}

cJSON *ecg_channel_pass(ecg_graph *g, const ecg_channel_cfg *cfg, char *err, size_t errlen) {
    ecg_channel_count *cs = NULL;
    int n = 0;
    int64_t params = ecg_graph_param_count(g), flops = ecg_graph_flops(g);
    if (ecg_channel_prune(g, cfg, &cs, &n, err, errlen)) return NULL;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "pass", "channel_prune");
    cJSON_AddNumberToObject(rec, "ratio", cfg->ratio);
    cJSON_AddStringToObject(rec, "rank", cfg->rank == ECG_CHANNEL_RANK_BN ? "bn" : "l1");
    cJSON_AddStringToObject(rec, "scope", cfg->residual ? "all" : "local");
    cJSON_AddNumberToObject(rec, "params_before", (double)params);
    cJSON_AddNumberToObject(rec, "params_after", (double)ecg_graph_param_count(g));
    cJSON_AddNumberToObject(rec, "flops_before", (double)flops);
    cJSON_AddNumberToObject(rec, "flops_after", (double)ecg_graph_flops(g));
    cJSON *groups = cJSON_AddArrayToObject(rec, "groups");
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", cs[i].name);
        cJSON_AddBoolToObject(e, "residual", cs[i].residual);
        cJSON_AddNumberToObject(e, "before", cs[i].before);
        cJSON_AddNumberToObject(e, "after", cs[i].after);
        cJSON_AddItemToArray(groups, e);
    }
    free(cs);
    return rec;
}

/* The counts of one channel_prune record. */
static int counts_of(const cJSON *rec, ecg_channel_count **out, int *n, char *err, size_t errlen) {
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(rec, "groups"), *e;
    *n = cJSON_GetArraySize(groups);
    if (!cJSON_IsArray(groups) || *n < 1 || !(*out = calloc((size_t)*n, sizeof **out))) {
        snprintf(err, errlen, "a channel_prune pass record without groups");
        return -1;
    }
    int i = 0;
    cJSON_ArrayForEach(e, groups) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "name"));
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "before"), *a = cJSON_GetObjectItemCaseSensitive(e, "after");
        /* both in range before any cast: (int)1e300 would be undefined */
        if (!name || !cJSON_IsNumber(b) || !cJSON_IsNumber(a) || !(a->valuedouble >= 1 && a->valuedouble <= 1 << 30) ||
            !(b->valuedouble >= 1 && b->valuedouble <= 1 << 30) || a->valuedouble != floor(a->valuedouble) ||
            b->valuedouble != floor(b->valuedouble)) {
            snprintf(err, errlen, "channel_prune group %d: needs a name and whole before/after counts", i);
            free(*out);
            *out = NULL;
            return -1;
        }
        snprintf((*out)[i].name, sizeof (*out)[i].name, "%s", name);
        (*out)[i].before = (int)b->valuedouble, (*out)[i].after = (int)a->valuedouble;
        i++;
    }
    return 0;
}

int ecg_manifest_model_build(const cJSON *man, const char *model, const ecg_model_cfg *mc, ecg_graph *g, char *err,
                             size_t errlen) {
    ecg_model_cfg c = *mc;
    double drop = cJSON_GetNumberValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "config"), "ecg_drop"));
    if (drop > 0 && drop < 1) c.ecg_drop = (float)drop; /* absent (NaN): none */
    if (ecg_model_build(model, &c, g, err, errlen)) return -1;
    const cJSON *passes = cJSON_GetObjectItemCaseSensitive(man, "passes"), *p;
    cJSON_ArrayForEach(p, passes) {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "pass"));
        if (!kind || strcmp(kind, "channel_prune")) continue;
        ecg_channel_count *cs = NULL;
        int n = 0;
        char msg[768];
        if (counts_of(p, &cs, &n, msg, sizeof msg) || ecg_channel_prune_rebuild(g, cs, n, msg, sizeof msg)) {
            snprintf(err, errlen, "rebuilding the channel-pruned %s from its manifest: %s", model, msg);
            free(cs);
            ecg_graph_free(g);
            return -1;
        }
        free(cs);
    }
    return 0;
}
