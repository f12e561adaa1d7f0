/* `ecgbench results [DIR]`: the test-split results of every trained run under DIR (default
 * models/weights), one Markdown table per task, read from the runs' manifests. The README's
 * results tables are this command's output (a test keeps them in step), so no number in them is
 * typed by hand. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "datasets/datasets.h"
#include "models/models.h"

static double num_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str_of(const cJSON *o, const char *key) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : "?";
}

static void pct(char *buf, size_t n, double v) {
    if (isfinite(v)) snprintf(buf, n, "%.1f", 100 * v);
    else snprintf(buf, n, "-");
}

/* One task's table; returns the number of rows. */
static int print_task(const ecg_task *t, const ecg_run *runs, int n_runs) {
    int rows = 0;
    for (int r = 0; r < n_runs; r++) {
        const cJSON *m = runs[r].man;
        if (strcmp(str_of(m, "task"), t->name)) continue;
        ecg_metrics mt;
        const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "metrics"), "test");
        if (ecg_metrics_from_json(test, t->n_classes, &mt)) {
            fprintf(stderr, "ecgbench results: %s: no readable test metrics, left out\n", runs[r].dir);
            continue;
        }
        if (!rows++) {
            printf("**%s**, test split (%ld examples); data: %s\n\n| model | params | accuracy %% | macro-F1 |",
                   t->name, mt.n, str_of(m, "data_version"));
            if (t->score_name) printf(" %s |", t->score_name);
            const cJSON *per = cJSON_GetObjectItemCaseSensitive(test, "per_class");
            for (int c = 0; c < t->n_classes; c++)
                printf(" %s Se / PPV %% |", str_of(cJSON_GetArrayItem(per, c), "class"));
            printf(" epochs (best) | train ex/s |\n|---|---:|---:|---:|");
            if (t->score_name) printf("---:|");
            for (int c = 0; c < t->n_classes; c++) printf("---:|");
            printf("---:|---:|\n");
        }
        char a[16], se[16], ppv[16];
        pct(a, sizeof a, mt.accuracy);
        /* a compressed run (`ecgbench compress`) names its variant after the model: "efficientecg-s int8" */
        int compressed = strcmp(runs[r].variant, "f32") != 0;
        printf("| %s%s%s | %.0f | %s | %.3f |", str_of(m, "model"), compressed ? " " : "", compressed ? runs[r].variant : "",
               num_of(m, "params"), a, mt.macro_f1);
        if (t->score_name) printf(" %.3f |", ecg_metrics_mean_f1(&mt, t->score_classes));
        for (int c = 0; c < t->n_classes; c++) {
            pct(se, sizeof se, mt.sensitivity[c]);
            pct(ppv, sizeof ppv, mt.ppv[c]);
            printf(" %s / %s |", se, ppv);
        }
        if (compressed) printf(" - | - |\n"); /* fine-tuned at most, not trained here */
        else if (!isfinite(num_of(m, "epochs_run"))) printf(" - | - |\n"); /* not trained by epochs (the LDA baseline) */
        else {
            printf(" %.0f (%.0f) | %.0f", num_of(m, "epochs_run"), num_of(m, "best_epoch"),
                   num_of(m, "train_examples_per_second"));
            /* trained on windows (`train --crop`): its throughput is per window, not per example */
            double crop = num_of(cJSON_GetObjectItemCaseSensitive(m, "config"), "crop");
            if (isfinite(crop)) printf(" (%.0f-sample windows)", crop);
            printf(" |\n");
        }
    }
    if (rows) printf("\n");
    return rows;
}

int ecg_cmd_results(int argc, char **argv) {
    if (argc > 2 || (argc == 2 && !strcmp(argv[1], "--help"))) {
        int help = argc == 2;
        fprintf(help ? stdout : stderr,
                "usage: ecgbench results [DIR]\n  test-split results of every run under DIR (default "
                "models/weights), one Markdown table per task, from the manifests\n");
        return help ? 0 : 2;
    }
    const char *root = argc == 2 ? argv[1] : "models/weights";
    ecg_run *runs;
    int n;
    char err[1300];
    if (ecg_runs_list(root, &runs, &n, err, sizeof err)) {
        fprintf(stderr, "ecgbench results: %s\n", err);
        return 1;
    }
    int rows = 0;
    for (int i = 0; ecg_task_at(i); i++) rows += print_task(ecg_task_at(i), runs, n);
    if (!rows) printf("no trained runs under %s\n", root);
    ecg_runs_free(runs, n);
    return 0;
}
