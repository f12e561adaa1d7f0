/* `ecgbench select`: the blind choice between recipe candidates (issue 20). Each candidate is a run
 * trained with `train --no-test`, seed 1 in its folder and, optionally, seeds 2..K in its seedK/
 * subfolders (the same recipe; on mitdb-aami each seed validates on its own DS1 records, so their
 * mean is a record-wise cross-validation). The candidate with the best mean validation score wins
 * (the task's score, else macro-F1; the first listed on a tie). Writes the selection log (every
 * candidate's every seed with its validation figures) and records the choice in the winner's
 * manifests. A candidate that has met the test split is refused: its choice would not be blind.
 * With cross-validation fold runs (`train --fold K`) in every candidate's foldK/ subfolders, the
 * criterion is instead the score of the validation confusions summed over the folds: every
 * training record judged once, by a model that never saw it; the seeds' runs are then only what
 * gets promoted. An autoencoder's candidates are ranked by validation reconstruction MSE instead
 * (the lowest wins; over folds, the MSE of every fold's validation examples together). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "models/models.h"
#include "report/csv.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/run_guard.h"

#define MAX_CANDIDATES 64
#define MAX_SEEDS 16
#define MAX_FOLDS 16

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench select --out FILE CANDIDATE_DIR...\n"
               "       ecgbench select --chosen FILE   print the options of the candidate a selection log chose\n"
               "  each CANDIDATE_DIR is a run trained with `ecgbench train ... --no-test --seed 1` on the same task\n"
               "  (or made from one with `ecgbench compress ... --no-test`),\n"
               "  with seeds 2..K of its recipe (if any) in CANDIDATE_DIR/seed2 .. seedK; every candidate must\n"
               "  have the same seeds. The best mean validation score over the seeds wins (the task's score, else\n"
               "  macro-F1; an autoencoder's lowest reconstruction MSE; the first on a tie). Writes the selection\n"
               "  log FILE (CSV, one row per candidate and seed) and a \"selection\" entry in the winner's\n"
               "  manifests, and prints the winner's folder last.\n"
               "  With runs of cross-validation folds (`train --fold K`, seed 1) in CANDIDATE_DIR/foldK, the same\n"
               "  folds in every candidate, the score of their validation confusions summed (an autoencoder's MSE\n"
               "  of their validation examples together) decides instead.\n");
}

typedef struct {
    char dir[1100];
    cJSON *man;
    const cJSON *val; /* metrics.val */
    double score;     /* validation score: the task's score or macro-F1, an autoencoder's MSE */
} seed_run;

typedef struct {
    seed_run s[MAX_SEEDS]; /* s[k]: seed k + 1 */
    int n_seeds;
    double mean; /* of s[].score */
    seed_run f[MAX_FOLDS]; /* the cross-validation folds' runs present, fold fold_id[k] in f[k] */
    int fold_id[MAX_FOLDS], n_folds;
    double pooled;    /* the score of the folds' validation confusions summed (NAN without folds) */
    double criterion; /* what ranks it: pooled with folds, else mean */
    int lower_wins;   /* an autoencoder, scored by its reconstruction MSE */
} candidate;

/* The training options of a run's command line, without what does not change the recipe (model,
 * task, data, output folder, seed, resume, progress): what another seed is trained with. */
static void recipe_of(const cJSON *man, char *out, size_t len) {
    static const char *const skip_with_value[] = {"--task", "--data", "--out", "--seed", "--epoch-limit", "--threads",
                                                  "--fold"};
    static const char *const skip[] = {"--quiet", "--no-test", "--resume"};
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s", ecg_json_str(cJSON_GetObjectItemCaseSensitive(man, "run"), "command", ""));
    out[0] = 0;
    int drop_next = 1; /* the first word: the command, "train" */
    for (char *save = NULL, *t = strtok_r(cmd, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int drop = drop_next;
        drop_next = 0;
        for (size_t i = 0; i < sizeof skip_with_value / sizeof *skip_with_value; i++)
            if (!strcmp(t, skip_with_value[i])) drop = drop_next = 1;
        for (size_t i = 0; i < sizeof skip / sizeof *skip; i++) drop |= !strcmp(t, skip[i]);
        if (!drop && !strcmp(t, ecg_json_str(man, "model", ""))) drop = 1; /* the model is its own column */
        if (drop) continue;
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", n ? " " : "", t);
    }
}

/* "mitdb-aami val split (9206 examples; records 101 106 ...; seed 1)" from the manifest's splits
 * ("cv2-val split" for a fold run). */
static void chosen_on(const cJSON *man, char *out, size_t len) {
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "splits"), "val");
    int n = snprintf(out, len, "%s %s split (%.0f examples", ecg_json_str(man, "task", ""), ecg_json_str(val, "split", "val"),
                     val ? ecg_json_num(val, "examples") : ecg_json_num(cJSON_GetObjectItemCaseSensitive(
                                                              cJSON_GetObjectItemCaseSensitive(man, "metrics"), "val"),
                                                          "examples"));
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(val, "record_ids"), *id;
    if (cJSON_IsArray(ids)) {
        n += snprintf(out + n, len - (size_t)n, "; records");
        cJSON_ArrayForEach(id, ids) if (n < (int)len) n += snprintf(out + n, len - (size_t)n, " %d", id->valueint);
    } else if (val && n < (int)len) {
        n += snprintf(out + n, len - (size_t)n, "; %.0f records", ecg_json_num(val, "records"));
    }
    if (n < (int)len) snprintf(out + n, len - (size_t)n, "; seed %.0f)", ecg_json_num(man, "seed"));
}

/* An autoencoder's run (its model's objective is reconstruction), ranked by reconstruction MSE. */
static int reconstructs(const cJSON *man) {
    return ecg_model_objective(ecg_json_str(man, "model", "")) == ECG_OBJECTIVE_RECONSTRUCT;
}

/* What ranks a run: an autoencoder's MSE, else the task's score, else macro-F1. */
static const char *score_name(const cJSON *man, const ecg_task *task) {
    if (reconstructs(man)) return "MSE (lowest wins)";
    return task->score_name ? task->score_name : "macro-F1";
}

static int load_seed(seed_run *c, const char *dir, const ecg_task **task, char *err, size_t errlen) {
    char path[1200];
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (!(c->man = ecg_read_json(path, err, errlen))) return -1;
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(c->man, "metrics");
    if (cJSON_GetObjectItemCaseSensitive(metrics, "test")) {
        snprintf(err, errlen, "%s has test metrics: candidates are made with --no-test, so the choice cannot "
                              "depend on the test split", path);
        return -1;
    }
    c->val = cJSON_GetObjectItemCaseSensitive(metrics, "val");
    const ecg_task *t = ecg_task_find(ecg_json_str(c->man, "task", ""));
    if (!c->val || !t) {
        snprintf(err, errlen, "%s: no validation metrics or an unknown task '%s'", path, ecg_json_str(c->man, "task", ""));
        return -1;
    }
    if (*task && *task != t) {
        snprintf(err, errlen, "%s is a %s run; the other candidates are %s", path, t->name, (*task)->name);
        return -1;
    }
    *task = t;
    if (reconstructs(c->man)) c->score = ecg_json_num(c->val, "mse");
    else if (t->score_name) c->score = ecg_json_num(cJSON_GetObjectItemCaseSensitive(c->man, "score"), "val");
    else c->score = ecg_json_num(c->val, "macro_f1");
    if (!isfinite(c->score)) {
        snprintf(err, errlen, "%s: no finite validation %s", path, score_name(c->man, t));
        return -1;
    }
    return 0;
}

/* dir/foldK for K = 1 .. MAX_FOLDS, those that hold a manifest: fold K's run of seed 1's recipe;
 * the candidate's criterion becomes the task's score (else macro-F1) of their validation
 * confusions summed. */
static int load_folds(candidate *c, const char *dir, const ecg_task *task, char *err, size_t errlen) {
    ecg_metrics sum;
    ecg_metrics_init(&sum, task->n_classes);
    double squared = 0, examples = 0; /* an autoencoder's: the folds' MSE times their examples, summed */
    c->n_folds = 0;
    for (int id = 1; id <= MAX_FOLDS; id++) {
        char sub[1200], path[1300];
        snprintf(sub, sizeof sub, "%s/fold%d", dir, id);
        snprintf(path, sizeof path, "%s/manifest.json", sub);
        if (access(path, F_OK) != 0) continue;
        seed_run *f = &c->f[c->n_folds];
        c->fold_id[c->n_folds++] = id;
        if (load_seed(f, sub, &task, err, errlen)) return -1;
        if (ecg_fold_run_check(f->man, id, sub, err, errlen) ||
            ecg_same_recipe_check(f->man, f->dir, c->s[0].man, c->s[0].dir, err, errlen))
            return -1;
        if (c->lower_wins) {
            squared += f->score * ecg_json_num(f->val, "examples");
            examples += ecg_json_num(f->val, "examples");
            continue;
        }
        ecg_metrics m;
        if (ecg_metrics_from_json(f->val, task->n_classes, &m)) {
            snprintf(err, errlen, "%s: no validation confusion of %d classes", path, task->n_classes);
            return -1;
        }
        for (int t = 0; t < task->n_classes; t++)
            for (int p = 0; p < task->n_classes; p++) sum.confusion[t][p] += m.confusion[t][p];
        sum.n += m.n;
    }
    if (!c->n_folds) return 0;
    ecg_metrics_finish(&sum);
    if (c->lower_wins) c->criterion = c->pooled = squared / examples;
    else c->criterion = c->pooled = task->score_name ? ecg_metrics_mean_f1(&sum, task->score_classes) : sum.macro_f1;
    return 0;
}

/* Seed 1 from dir, then dir/seed2, dir/seed3 ... while they hold a manifest: each must be the seed
 * its folder names and seed 1's recipe. */
static int load(candidate *c, const char *dir, const ecg_task **task, char *err, size_t errlen) {
    c->mean = 0;
    for (c->n_seeds = 0; c->n_seeds < MAX_SEEDS; c->n_seeds++) {
        int k = c->n_seeds;
        char sub[1200], path[1300];
        snprintf(sub, sizeof sub, k ? "%s/seed%d" : "%s", dir, k + 1);
        snprintf(path, sizeof path, "%s/manifest.json", sub);
        if (k && access(path, F_OK) != 0) break;
        if (load_seed(&c->s[k], sub, task, err, errlen)) return -1;
        /* a compressed candidate: its source's seed (the candidates compress one run) */
        int compressed = !k && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(c->s[k].man, "passes"));
        if (!compressed && ecg_json_num(c->s[k].man, "seed") != k + 1) {
            snprintf(err, errlen, "%s: trained with seed %.0f, expected %d (seed 1 in the candidate's folder, "
                     "seed K in its seedK/)", path, ecg_json_num(c->s[k].man, "seed"), k + 1);
            return -1;
        }
        if (k && ecg_same_recipe_check(c->s[k].man, c->s[k].dir, c->s[0].man, c->s[0].dir, err, errlen)) return -1;
        c->mean += c->s[k].score;
    }
    c->mean /= c->n_seeds;
    c->criterion = c->mean;
    c->lower_wins = reconstructs(c->s[0].man);
    c->pooled = NAN;
    return load_folds(c, dir, *task, err, errlen);
}

/* The epochs that made the candidate: a trained run's, or a compressed one's last fine-tuning (its
 * manifest keeps its source's epochs_run and best_epoch); NAN where no pass fine-tuned. */
static void own_epochs(const cJSON *man, double *epochs, double *best) {
    const cJSON *passes = cJSON_GetObjectItemCaseSensitive(man, "passes");
    *epochs = *best = NAN;
    if (!cJSON_IsArray(passes)) {
        *epochs = ecg_json_num(man, "epochs_run"), *best = ecg_json_num(man, "best_epoch");
        return;
    }
    for (int i = cJSON_GetArraySize(passes) - 1; i >= 0 && isnan(*epochs); i--) {
        const cJSON *p = cJSON_GetArrayItem(passes, i);
        *epochs = ecg_json_num(p, "finetune_epochs"), *best = ecg_json_num(p, "finetune_best_epoch");
    }
}

static void num_or_empty(ecg_csv *w, double v) {
    if (isnan(v)) ecg_csv_str(w, "");
    else ecg_csv_num(w, v);
}

static int write_log(const char *out, const candidate *c, int n, int best, const char *criterion, char *err,
                     size_t errlen) {
    static const char *const head[] = {"candidate", "model", "options", "seed", "fold", "epochs_run", "best_epoch",
                                       "val_examples", "val_accuracy", "val_macro_f1", "criterion", "val_score",
                                       "mean_val_score", "pooled_cv_score", "chosen", "chosen_on"};
    ecg_csv w;
    if (ecg_csv_open(&w, out) || ecg_csv_header(&w, head, (int)(sizeof head / sizeof *head))) {
        snprintf(err, errlen, "%s", w.err);
        if (w.f) ecg_csv_close(&w);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const char *name = strrchr(c[i].s[0].dir, '/');
        name = name && name[1] ? name + 1 : c[i].s[0].dir;
        for (int k = 0; k < c[i].n_seeds + c[i].n_folds; k++) { /* the seeds' rows, then the folds' */
            int fold = k < c[i].n_seeds ? 0 : c[i].fold_id[k - c[i].n_seeds];
            const seed_run *s = fold ? &c[i].f[k - c[i].n_seeds] : &c[i].s[k];
            char recipe[1024], on[512];
            recipe_of(s->man, recipe, sizeof recipe);
            chosen_on(s->man, on, sizeof on);
            ecg_csv_str(&w, name);
            ecg_csv_str(&w, ecg_json_str(s->man, "model", ""));
            ecg_csv_str(&w, recipe);
            ecg_csv_num(&w, ecg_json_num(s->man, "seed"));
            if (fold) ecg_csv_int(&w, fold);
            else ecg_csv_str(&w, "");
            double epochs, best_epoch;
            own_epochs(s->man, &epochs, &best_epoch);
            num_or_empty(&w, epochs);
            num_or_empty(&w, best_epoch);
            ecg_csv_num(&w, ecg_json_num(s->val, "examples"));
            num_or_empty(&w, ecg_json_num(s->val, "accuracy")); /* none for an autoencoder */
            num_or_empty(&w, ecg_json_num(s->val, "macro_f1"));
            ecg_csv_str(&w, criterion);
            ecg_csv_num(&w, s->score);
            ecg_csv_num(&w, c[i].mean);
            if (c[i].n_folds) ecg_csv_num(&w, c[i].pooled);
            else ecg_csv_str(&w, "");
            ecg_csv_int(&w, i == best);
            ecg_csv_str(&w, on);
            ecg_csv_end_row(&w);
        }
    }
    return ecg_csv_close_err(&w, err, errlen);
}

/* "mitdb-aami cv1-val cv2-val ... splits (5 folds, 51021 examples, 22 records; seed 1)": what
 * chose a candidate by its folds. */
static void folds_chosen_on(const candidate *c, char *out, size_t len) {
    double examples = 0, records = 0;
    int n = snprintf(out, len, "%s", ecg_json_str(c->s[0].man, "task", ""));
    for (int k = 0; k < c->n_folds; k++) {
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->f[k].man, "splits"), "val");
        examples += ecg_json_num(val, "examples");
        records += ecg_json_num(val, "records");
        if (n < (int)len) n += snprintf(out + n, len - (size_t)n, " cv%d-val", c->fold_id[k]);
    }
    if (n < (int)len)
        snprintf(out + n, len - (size_t)n, " splits (%d folds, %.0f examples, %.0f records; seed %.0f)", c->n_folds,
                 examples, records, ecg_json_num(c->f[0].man, "seed"));
}

/* The "selection" entry of each of the winner's manifests: the data that chose it (its own seed's
 * validation split, or the folds' splits) and how. */
static int record_choice(candidate *w, int n_candidates, const char *criterion, char *err, size_t errlen) {
    for (int k = 0; k < w->n_seeds; k++) {
        char on[512], path[1200];
        if (w->n_folds) folds_chosen_on(w, on, sizeof on);
        else chosen_on(w->s[k].man, on, sizeof on);
        cJSON *sel = cJSON_CreateObject();
        cJSON_AddNumberToObject(sel, "candidates", n_candidates);
        cJSON_AddNumberToObject(sel, "seeds", w->n_seeds);
        if (w->n_folds) cJSON_AddNumberToObject(sel, "folds", w->n_folds);
        cJSON_AddStringToObject(sel, "criterion", criterion);
        cJSON_AddStringToObject(sel, "chosen_on", on);
        cJSON_AddStringToObject(sel, "log", "selection.csv");
        cJSON_DeleteItemFromObjectCaseSensitive(w->s[k].man, "selection");
        cJSON_AddItemToObject(w->s[k].man, "selection", sel);
        snprintf(path, sizeof path, "%s/manifest.json", w->s[k].dir);
        if (ecg_write_json(path, w->s[k].man, err, errlen)) return -1;
    }
    return 0;
}

/* Prints the options of the chosen candidate in a selection log written above (its rows, one per
 * seed, all carry the same options): what `make train` must keep training that run with. */
static int print_chosen(const char *log) {
    ecg_csv_table t;
    char err[600];
    if (ecg_csv_read(log, &t, err, sizeof err)) {
        fprintf(stderr, "ecgbench select: %s\n", err);
        return 1;
    }
    int opt = ecg_csv_col(&t, "options"), chosen = ecg_csv_col(&t, "chosen"), rc = 1;
    const char *recipe = NULL;
    for (int r = 1; opt >= 0 && chosen >= 0 && r < t.n_rows; r++) {
        if (strcmp(t.rows[r][chosen], "1")) continue;
        if (recipe && strcmp(recipe, t.rows[r][opt])) {
            fprintf(stderr, "ecgbench select: %s: rows chosen with different options ('%s', line %d: '%s')\n", log,
                    recipe, t.lines[r], t.rows[r][opt]);
            goto done;
        }
        recipe = t.rows[r][opt];
    }
    if (!recipe) fprintf(stderr, "ecgbench select: %s: no 'options' and 'chosen' columns with a chosen row\n", log);
    else printf("%s\n", recipe), rc = 0;
done:
    ecg_csv_table_free(&t);
    return rc;
}

int ecg_cmd_select(int argc, char **argv) {
    static const struct option lo[] = {
        {"out", 1, 0, 'o'}, {"chosen", 1, 0, 'c'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *chosen_log = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'c') chosen_log = optarg;
        else if (c == 'h') return usage(stdout), 0;
        else return 2;
    }
    if (chosen_log) {
        if (!out && optind == argc) return print_chosen(chosen_log);
        fprintf(stderr, "ecgbench select: --chosen LOG takes nothing else\n");
        return 2;
    }
    int n = argc - optind;
    if (!out || n < 1 || n > MAX_CANDIDATES) {
        fprintf(stderr, "ecgbench select: give --out FILE and 1 to %d candidate folders\n", MAX_CANDIDATES);
        usage(stderr);
        return 2;
    }
    candidate *cand = calloc((size_t)n, sizeof *cand);
    if (!cand) {
        fprintf(stderr, "ecgbench select: out of memory\n");
        return 1;
    }
    const ecg_task *task = NULL;
    char err[1600];
    int rc = 1, best = 0;
    for (int i = 0; i < n; i++) {
        if (load(&cand[i], argv[optind + i], &task, err, sizeof err)) goto fail;
        if (cand[i].lower_wins != cand[0].lower_wins) {
            snprintf(err, sizeof err, "%s and %s: an autoencoder and a classifier are not candidates for one run",
                     argv[optind + i], argv[optind]);
            goto fail;
        }
        if (cand[i].n_seeds != cand[0].n_seeds || cand[i].n_folds != cand[0].n_folds ||
            memcmp(cand[i].fold_id, cand[0].fold_id, (size_t)cand[0].n_folds * sizeof *cand[0].fold_id)) {
            snprintf(err, sizeof err, "%s has %d seed(s) and %d fold(s), %s has %d and %d: candidates are compared "
                     "over the same seeds and folds (train the missing ones)", argv[optind + i], cand[i].n_seeds,
                     cand[i].n_folds, argv[optind], cand[0].n_seeds, cand[0].n_folds);
            goto fail;
        }
        if (cand[0].lower_wins ? cand[i].criterion < cand[best].criterion : cand[i].criterion > cand[best].criterion)
            best = i;
    }
    char criterion[120];
    const char *name = score_name(cand[0].s[0].man, task);
    if (cand[0].n_folds)
        snprintf(criterion, sizeof criterion, "%s of the validation %s over %d folds", name,
                 cand[0].lower_wins ? "examples together" : "confusions summed", cand[0].n_folds);
    else if (cand[0].n_seeds > 1) snprintf(criterion, sizeof criterion, "%s, mean of %d seeds", name, cand[0].n_seeds);
    else snprintf(criterion, sizeof criterion, "%s", name);
    if (write_log(out, cand, n, best, criterion, err, sizeof err) ||
        record_choice(&cand[best], n, criterion, err, sizeof err))
        goto fail;
    int digits = cand[0].lower_wins ? 6 : 4; /* an MSE is small */
    for (int i = 0; i < n; i++) {
        printf("%s %-28s val %s %.*f", i == best ? "*" : " ", cand[i].s[0].dir, criterion, digits, cand[i].criterion);
        for (int k = 0; cand[i].n_folds && k < cand[i].n_folds; k++)
            printf("%s%.*f%s", k ? " " : " (folds alone: ", digits, cand[i].f[k].score,
                   k + 1 < cand[i].n_folds ? "" : ")");
        if (cand[i].n_folds) printf(" (seeds' mean: %.*f)", digits, cand[i].mean);
        for (int k = 0; !cand[i].n_folds && cand[i].n_seeds > 1 && k < cand[i].n_seeds; k++)
            printf("%s%.*f%s", k ? " " : " (seeds: ", digits, cand[i].s[k].score, k + 1 < cand[i].n_seeds ? "" : ")");
        printf("%s\n", i == best ? "  (chosen)" : "");
    }
    char on[512];
    if (cand[best].n_folds) folds_chosen_on(&cand[best], on, sizeof on);
    else chosen_on(cand[best].s[0].man, on, sizeof on);
    printf("selection log: %s (chosen on the %s%s)\n%s\n", out, on,
           !cand[best].n_folds && cand[best].n_seeds > 1 ? " and its seeds' own" : "", cand[best].s[0].dir);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench select: %s\n", err);
done:
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < MAX_SEEDS; k++) cJSON_Delete(cand[i].s[k].man);
        for (int k = 0; k < MAX_FOLDS; k++) cJSON_Delete(cand[i].f[k].man);
    }
    free(cand);
    return rc;
}
