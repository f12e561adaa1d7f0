/* `ecgbench select`: the blind choice between recipe candidates (issue 20). Each candidate is a run
 * trained with `train --no-test`; the one with the best validation score wins (the task's score,
 * else macro-F1; the first listed on a tie). Writes the selection log (every candidate with its
 * validation figures) and records the choice in the winner's manifest. A candidate that has met
 * the test split is refused: its choice would not be blind. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "report/csv.h"
#include "runs/files.h"
#include "runs/manifest.h"

#define MAX_CANDIDATES 64

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench select --out FILE CANDIDATE_DIR...\n"
               "  each CANDIDATE_DIR is a run trained with `ecgbench train ... --no-test` on the same task; the\n"
               "  best validation score wins (the task's score, else macro-F1; the first on a tie). Writes the\n"
               "  selection log FILE (CSV, one row per candidate) and a \"selection\" entry in the winner's\n"
               "  manifest, and prints the winner's folder last.\n");
}

typedef struct {
    const char *dir;
    cJSON *man;
    const cJSON *val; /* metrics.val */
    double score;
} candidate;

/* The training options of a run's command line, without what does not change the recipe (model,
 * task, data, output folder, seed, resume, progress): what another seed is trained with. */
static void recipe_of(const cJSON *man, char *out, size_t len) {
    static const char *const skip_with_value[] = {"--task", "--data", "--out", "--seed", "--epoch-limit", "--threads"};
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

/* "val (9206 examples; records 101 106 ...; seed 1)" from the manifest's splits. */
static void chosen_on(const cJSON *man, char *out, size_t len) {
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "splits"), "val");
    int n = snprintf(out, len, "%s val split (%.0f examples", ecg_json_str(man, "task", ""),
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

static int load(candidate *c, const char *dir, const ecg_task **task, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    c->dir = dir;
    if (!(c->man = ecg_read_json(path, err, errlen))) return -1;
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(c->man, "metrics");
    if (cJSON_GetObjectItemCaseSensitive(metrics, "test")) {
        snprintf(err, errlen, "%s has test metrics: candidates are trained with --no-test, so the choice cannot "
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
    c->score = t->score_name ? ecg_json_num(cJSON_GetObjectItemCaseSensitive(c->man, "score"), "val")
                             : ecg_json_num(c->val, "macro_f1");
    if (!isfinite(c->score)) {
        snprintf(err, errlen, "%s: no finite validation %s", path, t->score_name ? t->score_name : "macro-F1");
        return -1;
    }
    return 0;
}

static int write_log(const char *out, const candidate *c, int n, int best, const char *score_name, char *err,
                     size_t errlen) {
    static const char *const head[] = {"candidate", "model", "options", "seed", "epochs_run", "best_epoch",
                                       "val_examples", "val_accuracy", "val_macro_f1", "criterion", "val_score",
                                       "chosen", "chosen_on"};
    ecg_csv w;
    if (ecg_csv_open(&w, out) || ecg_csv_header(&w, head, (int)(sizeof head / sizeof *head))) {
        snprintf(err, errlen, "%s", w.err);
        if (w.f) ecg_csv_close(&w);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char recipe[1024], on[512];
        recipe_of(c[i].man, recipe, sizeof recipe);
        chosen_on(c[i].man, on, sizeof on);
        const char *name = strrchr(c[i].dir, '/');
        name = name && name[1] ? name + 1 : c[i].dir;
        ecg_csv_str(&w, name);
        ecg_csv_str(&w, ecg_json_str(c[i].man, "model", ""));
        ecg_csv_str(&w, recipe);
        ecg_csv_num(&w, ecg_json_num(c[i].man, "seed"));
        ecg_csv_num(&w, ecg_json_num(c[i].man, "epochs_run"));
        ecg_csv_num(&w, ecg_json_num(c[i].man, "best_epoch"));
        ecg_csv_num(&w, ecg_json_num(c[i].val, "examples"));
        ecg_csv_num(&w, ecg_json_num(c[i].val, "accuracy"));
        ecg_csv_num(&w, ecg_json_num(c[i].val, "macro_f1"));
        ecg_csv_str(&w, score_name);
        ecg_csv_num(&w, c[i].score);
        ecg_csv_int(&w, i == best);
        ecg_csv_str(&w, on);
        ecg_csv_end_row(&w);
    }
    return ecg_csv_close_err(&w, err, errlen);
}

int ecg_cmd_select(int argc, char **argv) {
    static const struct option lo[] = {{"out", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'h') return usage(stdout), 0;
        else return 2;
    }
    int n = argc - optind;
    if (!out || n < 1 || n > MAX_CANDIDATES) {
        fprintf(stderr, "ecgbench select: give --out FILE and 1 to %d candidate folders\n", MAX_CANDIDATES);
        usage(stderr);
        return 2;
    }
    candidate cand[MAX_CANDIDATES] = {0};
    const ecg_task *task = NULL;
    char err[1600];
    int rc = 1, best = 0;
    for (int i = 0; i < n; i++) {
        if (load(&cand[i], argv[optind + i], &task, err, sizeof err)) goto fail;
        if (cand[i].score > cand[best].score) best = i;
    }
    const char *score_name = task->score_name ? task->score_name : "macro-F1";
    if (write_log(out, cand, n, best, score_name, err, sizeof err)) goto fail;
    char on[512], path[1200];
    chosen_on(cand[best].man, on, sizeof on);
    cJSON *sel = cJSON_CreateObject();
    cJSON_AddNumberToObject(sel, "candidates", n);
    cJSON_AddStringToObject(sel, "criterion", score_name);
    cJSON_AddStringToObject(sel, "chosen_on", on);
    cJSON_AddStringToObject(sel, "log", "selection.csv");
    cJSON_DeleteItemFromObjectCaseSensitive(cand[best].man, "selection");
    cJSON_AddItemToObject(cand[best].man, "selection", sel);
    snprintf(path, sizeof path, "%s/manifest.json", cand[best].dir);
    if (ecg_write_json(path, cand[best].man, err, sizeof err)) goto fail;
    for (int i = 0; i < n; i++)
        printf("%s %-28s val %s %.4f%s\n", i == best ? "*" : " ", cand[i].dir, score_name, cand[i].score,
               i == best ? "  (chosen)" : "");
    printf("selection log: %s (chosen on the %s)\n%s\n", out, on, cand[best].dir);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench select: %s\n", err);
done:
    for (int i = 0; i < n; i++) cJSON_Delete(cand[i].man);
    return rc;
}
