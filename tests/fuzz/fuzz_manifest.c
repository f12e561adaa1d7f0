/* libFuzzer target: a run's manifest.json as eval, predict, results and the report read it: the
 * run loader (ecg_read_json, ecg_run_read), the model the run describes (ecg_manifest_model_build:
 * the registry model, rebuilt channel-pruned from the pass record when there is one; the files the
 * manifest vouches for checked against the folder's weights.safetensors, FUZZ_WEIGHTS), the
 * report's row from the stored test metrics (ecg_report_row_from_manifest) and eval's re-check of
 * them (ecg_metrics_check_json). Beyond the sanitizers: every error has a message; a run that
 * loads has its fields; a row that loads has a consistent confusion matrix and passes its own
 * re-check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/metrics_check.h"

/* the folder's weights file (tests/fuzz/gen_seeds.sh writes manifests that vouch for it) */
#define FUZZ_WEIGHTS "fuzz weights\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[64], path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_manifest_%ld", (long)getpid());
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/weights.safetensors", dir);
        FILE *w = fopen(path, "wb"); /* what a manifest's "files" is checked against */
        if (w) fputs(FUZZ_WEIGHTS, w), fclose(w);
        snprintf(path, sizeof path, "%s/manifest.json", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    ecg_run r;
    char err[1400] = "";
    if (ecg_run_read(dir, &r, err, sizeof err)) {
        if (!err[0]) __builtin_trap();
        return 0;
    }
    if (!r.model || !r.task || !r.variant || !r.weights[0]) __builtin_trap();
    const ecg_task *t = ecg_task_lookup(r.task, err, sizeof err);
    /* The model is built only for a manifest with passes (the channel-pruned rebuild reads them):
     * otherwise the build depends on the model's name alone, and would take most of the time. */
    if (t && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.man, "passes")) > 0) {
        ecg_model_cfg mc = ecg_task_model_cfg(t);
        ecg_graph g;
        err[0] = 0;
        if (ecg_manifest_model_build(r.man, r.model, &mc, &g, err, sizeof err) == 0) {
            if (g.err[0] || g.n_params <= 0) __builtin_trap();
            ecg_graph_free(&g);
        } else if (!err[0]) {
            __builtin_trap();
        }
    }
    ecg_report_row row;
    err[0] = 0;
    int rc = ecg_report_row_from_manifest(&r, "fuzz", &row, err, sizeof err);
    if (rc < 0 && !err[0]) __builtin_trap();
    if (rc == 0) {
        const ecg_metrics *m = &row.m;
        if (m->classes < 2 || m->classes > ECG_MAX_CLASSES) __builtin_trap();
        int64_t total = 0;
        for (int i = 0; i < m->classes; i++)
            for (int j = 0; j < m->classes; j++) {
                if (m->confusion[i][j] < 0) __builtin_trap();
                total += m->confusion[i][j];
            }
        if (total != m->n) __builtin_trap();
        const char *names[ECG_MAX_CLASSES];
        for (int i = 0; i < m->classes; i++) names[i] = row.class_names[i];
        const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r.man, "metrics"), "test");
        err[0] = 0;
        if (ecg_metrics_check_json(test, m, names, err, sizeof err) && !err[0]) __builtin_trap();
    }
    ecg_run_free(&r);
    return 0;
}
