/* `ecgbench results [DIR]`: the test-split results of every trained run under DIR (default
 * models/weights), one Markdown table per task, read from the runs' manifests: with further seeds
 * (the `seeds` folder beside DIR, models/seeds/RUN/seedN), each figure is the mean ± sample
 * standard deviation over them. The README's results tables are this command's output (a test
 * keeps them in step), so no number in them is typed by hand. Autoencoders (lstm-ae) have no
 * classes: they are left out of those tables and get one of their own, their reconstruction MSE. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "cli/cli.h"
#include "datasets/datasets.h"
#include "models/models.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/runs.h"

/* A figure over the seeds as the tables print it (ecg_report_stat_format). */
static void cell(char *buf, size_t n, const double *v, int k, int percent) {
    ecg_report_stat_format(buf, n, ecg_report_stat_of(v, k), percent);
}

/* A run's manifests: seed 1's (the run's own), then each further seed's (models/seeds/RUN/seedK, of
 * the same variant); returns how many. */
static int seed_manifests(const ecg_run *run, ecg_run **seeds, int *n_seeds, const cJSON **man) {
    char err[1300];
    *seeds = NULL, *n_seeds = 0;
    if (ecg_report_find_seeds(run, NULL, seeds, n_seeds, err, sizeof err))
        fprintf(stderr, "ecgbench results: %s\n", err);
    int k = 0;
    man[k++] = run->man;
    for (int i = 0; i < *n_seeds && k < REPORT_MAX_SEEDS; i++) man[k++] = (*seeds)[i].man;
    return k;
}

/* The test metrics of a run's seeds: seed 1's (the run's own) then each further seed's; returns how
 * many, 0 when seed 1 has none. A further seed without readable test metrics is left out, said. */
static int seed_metrics(const ecg_run *run, const ecg_task *t, ecg_metrics *m) {
    ecg_run *seeds;
    int n_seeds, k = 0;
    const cJSON *man[REPORT_MAX_SEEDS];
    int n = seed_manifests(run, &seeds, &n_seeds, man);
    for (int i = 0; i < n; i++) {
        const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man[i], "metrics"), "test");
        if (ecg_metrics_from_json(test, t->n_classes, &m[k])) {
            fprintf(stderr, "ecgbench results: %s: no readable test metrics, left out\n", i ? seeds[i - 1].dir : run->dir);
            if (i == 0) break; /* without seed 1's, the run has no row */
        } else {
            k++;
        }
    }
    ecg_runs_free(seeds, n_seeds);
    return k;
}

/* How the run's recipe was chosen: "blind (N candidates)" when `ecgbench select` (or the baseline's
 * DS1 cross-validation) picked it on validation data and scored the test split once, its manifest's
 * "selection" ("blind (N candidates x K folds)" when cross-validation folds ranked them); "not
 * blind" for a recipe fixed before that protocol, which may have been shaped by earlier test figures. */
static const char *recipe_cell(char *buf, size_t n, const cJSON *man) {
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(man, "selection");
    double k = ecg_json_num(sel, "candidates"), folds = ecg_json_num(sel, "folds");
    if (isfinite(k) && isfinite(folds)) snprintf(buf, n, "blind (%.0f candidate%s x %.0f folds)", k, k == 1 ? "" : "s", folds);
    else if (isfinite(k)) snprintf(buf, n, "blind (%.0f candidate%s)", k, k == 1 ? "" : "s");
    else snprintf(buf, n, "not blind");
    return buf;
}

/* One task's table; returns the number of rows. */
static int print_task(const ecg_task *t, const ecg_run *runs, int n_runs) {
    int rows = 0;
    for (int r = 0; r < n_runs; r++) {
        const cJSON *m = runs[r].man;
        if (strcmp(ecg_json_str(m, "task", "?"), t->name)) continue;
        if (ecg_model_objective(runs[r].model) != ECG_OBJECTIVE_CLASSIFY) continue; /* print_autoencoders */
        ecg_metrics ms[REPORT_MAX_SEEDS];
        int k = seed_metrics(&runs[r], t, ms);
        if (!k) continue;
        const ecg_metrics *mt = &ms[0];
        if (!rows++) {
            printf("**%s**, test split (%ld examples); data: %s\n\n| model | seeds | params | accuracy %% | macro-F1 |",
                   t->name, mt->n, ecg_json_str(m, "data_version", "?"));
            if (t->score_name) printf(" %s |", t->score_name);
            const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "metrics"), "test");
            const cJSON *per = cJSON_GetObjectItemCaseSensitive(test, "per_class");
            for (int c = 0; c < t->n_classes; c++)
                printf(" %s Se / PPV %% |", ecg_json_str(cJSON_GetArrayItem(per, c), "class", "?"));
            printf(" epochs (best) | train ex/s | recipe |\n|---|---:|---:|---:|---:|");
            if (t->score_name) printf("---:|");
            for (int c = 0; c < t->n_classes; c++) printf("---:|");
            printf("---:|---:|---|\n");
        }
        double v[4][REPORT_MAX_SEEDS];
        char a[32], f1[32], sc[32], se[32], ppv[32];
        for (int i = 0; i < k; i++)
            v[0][i] = ms[i].accuracy, v[1][i] = ms[i].macro_f1,
            v[2][i] = t->score_name ? ecg_metrics_mean_f1(&ms[i], t->score_classes) : NAN;
        cell(a, sizeof a, v[0], k, 1);
        cell(f1, sizeof f1, v[1], k, 0);
        /* a compressed run (`ecgbench compress`) names its variant after the model: "efficientecg-s int8";
         * decision offsets (`compress --offsets`) keep the trained run's training and recipe columns */
        int ensemble = ecg_run_is_ensemble(&runs[r]), derived = strcmp(runs[r].variant, "f32") != 0,
            compressed = derived && strcmp(runs[r].variant, "offsets") && !ensemble;
        char variant[64] = "";
        if (ensemble) /* a seed ensemble keeps its members' training and recipe columns */
            snprintf(variant, sizeof variant, " ensemble of %d", cJSON_GetArraySize(ecg_run_members(&runs[r])));
        else if (derived) snprintf(variant, sizeof variant, " %s", runs[r].variant);
        printf("| %s%s | %d | %.0f | %s | %s |", ecg_json_str(m, "model", "?"), variant, k, ecg_json_num(m, "params"), a, f1);
        if (t->score_name) cell(sc, sizeof sc, v[2], k, 0), printf(" %s |", sc);
        for (int c = 0; c < t->n_classes; c++) {
            for (int i = 0; i < k; i++) v[0][i] = ms[i].sensitivity[c], v[1][i] = ms[i].ppv[c];
            cell(se, sizeof se, v[0], k, 1);
            cell(ppv, sizeof ppv, v[1], k, 1);
            printf(" %s / %s |", se, ppv);
        }
        if (compressed) printf(" - | - |"); /* fine-tuned at most, not trained here */
        else if (!isfinite(ecg_json_num(m, "epochs_run"))) printf(" - | - |"); /* not trained by epochs (the LDA baseline) */
        else {
            printf(" %.0f (%.0f) | %.0f", ecg_json_num(m, "epochs_run"), ecg_json_num(m, "best_epoch"),
                   ecg_json_num(m, "train_examples_per_second"));
            /* trained on windows (`train --crop`): its throughput is per window, not per example */
            double crop = ecg_json_num(cJSON_GetObjectItemCaseSensitive(m, "config"), "crop");
            if (isfinite(crop)) printf(" (%.0f-sample windows)", crop);
            printf(" |");
        }
        char recipe[64];
        printf(" %s", compressed ? "-" : recipe_cell(recipe, sizeof recipe, m));
        const cJSON *pass;
        cJSON_ArrayForEach(pass, cJSON_GetObjectItemCaseSensitive(m, "passes"))
            if (!strcmp(ecg_json_str(pass, "pass", ""), "decision_offsets"))
                printf(" + offsets fitted on its %s", ecg_json_str(pass, "fitted_on", "?"));
        const cJSON *judged = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "selection"), "ensemble");
        if (judged) printf(" + averaging its seeds judged on held-out folds (%s)", ecg_json_str(judged, "criterion", "?"));
        else if (ensemble) printf(" + averaging its seeds not judged");
        printf(" |\n");
    }
    if (rows) printf("\n");
    return rows;
}

/* An MSE over the seeds from their manifests' metrics.<split>.<key> (test_share: test mse / test
 * zero_mse, in %): "0.00851" (one value), "0.00851 ± 0.00030" (mean ± sd), "-" when no seed has it
 * (a split not scored: --no-test). */
static const char *mse_cell(char *buf, size_t n, const cJSON *const *man, int k, const char *split, const char *key,
                            int test_share) {
    double v[REPORT_MAX_SEEDS] = {0};
    int m = 0;
    for (int i = 0; i < k; i++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man[i], "metrics"), split);
        double x = ecg_json_num(s, key), zero = ecg_json_num(s, "zero_mse");
        if (test_share) x = zero > 0 ? 100 * x / zero : NAN;
        if (isfinite(x)) v[m++] = x;
    }
    ecg_report_stat st = ecg_report_stat_of(v, m);
    const char *f = test_share ? "%.1f" : "%.5f";
    if (!m) snprintf(buf, n, "-");
    else if (m == 1) snprintf(buf, n, f, st.mean);
    else snprintf(buf, n, test_share ? "%.1f \u00b1 %.1f" : "%.5f \u00b1 %.5f", st.mean, st.sd);
    return buf;
}

/* The autoencoders' table (every task): reconstruction MSE per split, beside the MSE of
 * reconstructing every value as 0 (the scale to read it against), mean ± sd over the seeds.
 * Returns the number of rows. */
static int print_autoencoders(const ecg_run *runs, int n_runs) {
    int rows = 0;
    for (int r = 0; r < n_runs; r++) {
        if (ecg_model_objective(runs[r].model) != ECG_OBJECTIVE_RECONSTRUCT) continue;
        if (!rows++)
            printf("**autoencoders**, reconstruction MSE (all zeros: the MSE of reconstructing every value as 0; "
                   "unexplained: test MSE / all zeros, the share of the test beats' energy the reconstruction "
                   "misses)\n\n"
                   "| model | task | seeds | params | train MSE | val MSE | test MSE | test all zeros | unexplained %% | "
                   "epochs (best) | recipe |\n"
                   "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        ecg_run *seeds;
        int n_seeds;
        const cJSON *man[REPORT_MAX_SEEDS];
        int k = seed_manifests(&runs[r], &seeds, &n_seeds, man);
        char tr[48], va[48], te[48], z[48], share[48], recipe[64];
        printf("| %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %.0f (%.0f) | %s |\n", runs[r].model, runs[r].task, k,
               ecg_json_num(runs[r].man, "params"), mse_cell(tr, sizeof tr, man, k, "train", "mse", 0),
               mse_cell(va, sizeof va, man, k, "val", "mse", 0), mse_cell(te, sizeof te, man, k, "test", "mse", 0),
               mse_cell(z, sizeof z, man, k, "test", "zero_mse", 0), mse_cell(share, sizeof share, man, k, "test", "mse", 1),
               ecg_json_num(runs[r].man, "epochs_run"), ecg_json_num(runs[r].man, "best_epoch"),
               recipe_cell(recipe, sizeof recipe, runs[r].man));
        ecg_runs_free(seeds, n_seeds);
    }
    if (rows) printf("\n");
    return rows;
}

int ecg_cmd_results(int argc, char **argv) {
    if (argc > 2 || (argc == 2 && !strcmp(argv[1], "--help"))) {
        int help = argc == 2;
        fprintf(help ? stdout : stderr,
                "usage: ecgbench results [DIR]\n  test-split results of every run under DIR (default "
                "models/weights), one Markdown table per task, from the manifests;\n  with further seeds "
                "(the seeds folder beside DIR) each figure is mean ± sd over them\n");
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
    rows += print_autoencoders(runs, n);
    if (!rows) printf("no trained runs under %s\n", root);
    ecg_runs_free(runs, n);
    return 0;
}
