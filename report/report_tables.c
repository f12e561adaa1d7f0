/* The paper-style tables of `ecgbench report`, in Markdown (tables.md) and LaTeX (tables.tex).
 * A table is built once as text cells and rendered twice, so the two files always agree. Every
 * cell is a figure of this report's rows (the CSVs hold the same numbers unrounded). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ops/atomic_file.h"
#include "report/report.h"
#include "runs/files.h"

#define MAX_COLS 20
#define CELL 96

typedef struct {
    char title[256];
    char note[1024];
    char foot[512]; /* one line under the table: what its marks mean */
    char degenerate[1024]; /* a line under the table naming its degenerate runs (report/report_degenerate.c) */
    int n_cols, n_rows, cap;
    char head[MAX_COLS][CELL];
    char (*cells)[MAX_COLS][CELL];
} table;

static void cellf(char *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cellf(char *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c, CELL, fmt, ap);
    va_end(ap);
    if (n >= CELL) memcpy(c + CELL - 4, "...", 4); /* a cut cell says so */
}

static void pct(char *c, double v) {
    if (isfinite(v)) cellf(c, "%.1f", 100 * v);
    else cellf(c, "-");
}

/* A figure, or "-" when there is none (NaN: not measured). */
static void num_cell(char *c, const char *fmt, double v) __attribute__((format(printf, 2, 0)));
static void num_cell(char *c, const char *fmt, double v) {
    if (isfinite(v)) snprintf(c, CELL, fmt, v);
    else cellf(c, "-");
}

static void f3(char *c, double v) {
    if (isfinite(v)) cellf(c, "%.3f", v);
    else cellf(c, "-");
}

/* A figure over seeds: "mean ± sd" (x100 with one decimal when pct), the value alone when only
 * one seed has it (never a made-up "± 0"), "-" when none has. */
static void stat_cell(char *c, ecg_report_stat s, int pct) { ecg_report_stat_format(c, CELL, s, pct); }

static void head(table *t, const char *title, const char *const *cols, int n) {
    memset(t, 0, sizeof *t);
    snprintf(t->title, sizeof t->title, "%s", title);
    t->n_cols = n;
    for (int i = 0; i < n; i++) cellf(t->head[i], "%s", cols[i]);
}

/* A new empty row, or NULL when out of memory. */
static char (*add_row(table *t))[CELL] {
    if (t->n_rows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        void *p = realloc(t->cells, sizeof *t->cells * (size_t)cap);
        if (!p) return NULL;
        t->cells = p, t->cap = cap;
    }
    memset(t->cells[t->n_rows], 0, sizeof *t->cells);
    return t->cells[t->n_rows++];
}

/* What every table is built from: the report's rows (a run's further seeds among them, marked
 * extra_seed) and the machine's measured core peak. */
typedef struct {
    const ecg_report_row *rows;
    int n;
    double peak_gflops, peak_spread_pct;
} report_set;

#define SAMPLE_BANNER "**Bundled sample data, not the full set: these figures are a smoke test, not results.** "

static int any_sample(const ecg_report_row *rows, int n) {
    for (int i = 0; i < n; i++)
        if (rows[i].sample) return 1;
    return 0;
}

/* The data the rows of a task were evaluated on, said at the top of its table, with what always
 * predicting the split's most common class scores (the floor a degenerate run sits on). */
static void data_note(table *t, const ecg_report_row *rows, int n, const char *task) {
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        if (task && strcmp(r->task->name, task)) continue;
        snprintf(t->note, sizeof t->note, "%sData: %s, %s split. Always predicting its most common class, %s, "
                 "scores accuracy %.1f%%, %s %.3f.",
                 r->sample ? SAMPLE_BANNER : "", r->data_version, r->split, r->class_names[r->majority_class],
                 100 * r->majority_accuracy, ecg_report_balanced_name(r->task), r->majority_balanced);
        return;
    }
    if (any_sample(rows, n)) snprintf(t->note, sizeof t->note, "%s", SAMPLE_BANNER); /* no run of the task */
}

/* A table of runs from every task: the banner when any of them ran on the sample. */
static void sample_note(table *t, const ecg_report_row *rows, int n) {
    if (any_sample(rows, n)) snprintf(t->note, sizeof t->note, "%s", SAMPLE_BANNER);
}

/* The run's name for a table cell, "(degenerate)" after it when any of its seeds is; the run (and
 * seed, when it has several) is named in the line under the table with what it predicts. */
static void name_cell(table *t, const report_set *in, char *c, const char *name, const ecg_report_row *r) {
    const ecg_report_row *s[REPORT_MAX_SEEDS];
    int n_seeds = ecg_report_seeds_of(in->rows, in->n, r, s);
    for (int i = 0; i < n_seeds; i++)
        if (s[i]->degenerate) r = s[i];
    if (!r->degenerate) {
        cellf(c, "%s", name);
        return;
    }
    cellf(c, "%s (degenerate)", name);
    char why[200], seeds[160] = "";
    ecg_report_degenerate_reason(r, why, sizeof why);
    if (n_seeds > 1) {
        char list[128];
        ecg_report_degenerate_seeds(in->rows, in->n, s[0], list, sizeof list);
        snprintf(seeds, sizeof seeds, " (degenerate seeds: %s of %d; seed %d)", list, n_seeds, r->seed);
    }
    size_t k = strlen(t->degenerate);
    if (!k)
        k = (size_t)snprintf(t->degenerate, sizeof t->degenerate,
                             "Degenerate (one class gets at least 97%% of the predictions while it is under 97%% of the truth, "
                             "or the class-balanced score or macro-F1 is not above always predicting the most common "
                             "class; never on a Pareto front):");
    if (k < sizeof t->degenerate)
        snprintf(t->degenerate + k, sizeof t->degenerate - k, "%s %s %s%s: %s", k > 0 && t->degenerate[k - 1] == ':' ?
                 "" : ";", r->run->model, r->run->variant, seeds, why);
}

static void md_escape(FILE *f, const char *s) {
    for (; *s; s++) fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, f);
}

static void tex_escape(FILE *f, const char *s) {
    for (; *s; s++) {
        if (strchr("&%$#_{}", *s)) fprintf(f, "\\%c", *s);
        else if (*s == '~') fputs("\\textasciitilde{}", f);
        else if (*s == '<' || *s == '>') fprintf(f, "$%c$", *s); /* "n < 3": text-mode < prints as an inverted ! */
        else if (*s == '^') fputs("\\textasciicircum{}", f);
        else if (*s == '\\') fputs("\\textbackslash{}", f);
        else if (*s == '*' && s[1] == '*') s++; /* Markdown bold; a single * (p < 0.05) stays */
        else if (!strncmp(s, "\u2020", 3)) fputs("\\dag{}", f), s += 2; /* UTF-8 dagger, plus-minus */
        else if (!strncmp(s, "\u00b1", 2)) fputs("$\\pm$", f), s += 1;
        else fputc(*s, f);
    }
}

static void render_md(FILE *f, const table *t) {
    fprintf(f, "## %s\n\n", t->title);
    if (t->note[0]) fprintf(f, "%s\n\n", t->note);
    if (!t->n_rows) {
        fprintf(f, "(no runs)\n\n");
        return;
    }
    for (int c = 0; c < t->n_cols; c++) fputs("| ", f), md_escape(f, t->head[c]), fputc(' ', f);
    fputs("|\n", f);
    for (int c = 0; c < t->n_cols; c++) fputs(c ? "|---:" : "|---", f);
    fputs("|\n", f);
    for (int r = 0; r < t->n_rows; r++) {
        for (int c = 0; c < t->n_cols; c++) fputs("| ", f), md_escape(f, t->cells[r][c]), fputc(' ', f);
        fputs("|\n", f);
    }
    fputc('\n', f);
    if (t->foot[0]) fprintf(f, "%s\n\n", t->foot);
    if (t->degenerate[0]) fprintf(f, "%s\n\n", t->degenerate);
}

static void render_tex(FILE *f, const table *t) {
    fputs("\\begin{table}[ht]\n\\centering\n\\caption{", f);
    tex_escape(f, t->title);
    if (t->note[0]) fputs(" ", f), tex_escape(f, t->note);
    fputs("}\n\\begin{tabular}{l", f);
    for (int c = 1; c < t->n_cols; c++) fputc('r', f);
    fputs("}\n\\hline\n", f);
    for (int c = 0; c < t->n_cols; c++) fputs(c ? " & " : "", f), tex_escape(f, t->head[c]);
    fputs(" \\\\\n\\hline\n", f);
    for (int r = 0; r < t->n_rows; r++) {
        for (int c = 0; c < t->n_cols; c++) fputs(c ? " & " : "", f), tex_escape(f, t->cells[r][c]);
        fputs(" \\\\\n", f);
    }
    fputs("\\hline\n\\end{tabular}\n", f);
    if (t->foot[0]) fputs("\\par\\smallskip{\\footnotesize ", f), tex_escape(f, t->foot), fputs("}\n", f);
    if (t->degenerate[0])
        fputs("\\par\\smallskip{\\footnotesize ", f), tex_escape(f, t->degenerate), fputs("}\n", f);
    fputs("\\end{table}\n\n", f);
}

/* A latency figure, marked with a dagger when bench/latency_check.c flagged its row; the first
 * flag's reason goes into the note under the table. */
static void latency_cell(table *t, char *c, const ecg_report_row *r, const ecg_report_latency *l) {
    if (!l) {
        cellf(c, "-");
        return;
    }
    cellf(c, l->flag[0] ? "%.1f \u2020" : "%.1f", l->median_us);
    if (l->flag[0] && !t->foot[0])
        snprintf(t->foot, sizeof t->foot,
                 "\u2020 Latency looks disturbed (first: %s, %s): re-run on a quiet machine; latency_flag in results.csv "
                 "and latency.csv says why for each row.",
                 r->run_name, l->flag);
}

/* A decision-offsets variant: the trained run with its classifier's decision moved (`compress
 * --offsets`), shown beside the run in the accuracy tables rather than among the compressions. */
static int is_offsets(const ecg_report_row *r) { return !strcmp(r->run->variant, "offsets"); }

/* A seed-1 row the accuracy tables show, each over its seeds: a trained run or its offsets variant. */
static int is_trained(const ecg_report_row *r) {
    return !r->extra_seed && ecg_report_is_trained_run(r->run);
}

/* The model cell of an accuracy table: "MODEL", "MODEL + offsets", or "MODEL, ensemble of K seeds". */
static void model_cell(table *t, const report_set *in, char *c, const ecg_report_row *r) {
    char name[CELL];
    if (ecg_run_is_ensemble(r->run))
        snprintf(name, sizeof name, "%s, ensemble of %d seeds", r->run->model, cJSON_GetArraySize(ecg_run_members(r->run)));
    else snprintf(name, sizeof name, "%s%s", r->run->model, is_offsets(r) ? " + offsets" : "");
    name_cell(t, in, c, name, r);
}

static ecg_report_stat seed_stat(const report_set *in, const ecg_report_row *r, ecg_report_figure f, const char *cls) {
    return ecg_report_seed_stat(in->rows, in->n, r, f, cls);
}

/* The "seeds" cell: how many seeds the row's figures are over, "+m" for those whose metrics are
 * their manifest's (weights not committed, not re-evaluated). */
static void seeds_cell(char *c, const report_set *in, const ecg_report_row *r) {
    const ecg_report_row *s[REPORT_MAX_SEEDS];
    int k = ecg_report_seeds_of(in->rows, in->n, r, s), m = 0;
    for (int i = 0; i < k; i++) m += s[i]->from_manifest;
    if (m) cellf(c, "%d (%d m)", k, m);
    else cellf(c, "%d", k);
}

/* The "chosen on" cell: what chose the run's recipe and how many candidates were tried, from the
 * selection log in its folder (selection.csv: a row per candidate and seed, and per fold when the
 * candidates were cross-validated, chosen = 1 on the winner, chosen_on naming the data; `ecgbench
 * select`), e.g. "val split (3 candidates)"; "-" without one. */
static void recipe_chosen_on(char *c, const ecg_report_row *r) {
    char path[1200], err[256];
    ecg_csv_table t;
    cellf(c, "-");
    /* the manifest names its log (an ensemble's is its first member's); else the run's own */
    const cJSON *sel = cJSON_GetObjectItemCaseSensitive(r->run->man, "selection");
    snprintf(path, sizeof path, "%s/%s", r->run->dir, ecg_json_str(sel, "log", "selection.csv"));
    FILE *f = fopen(path, "r");
    if (!f) return;
    fclose(f);
    if (ecg_csv_read(path, &t, err, sizeof err)) {
        cellf(c, "? (unreadable selection.csv)");
        return;
    }
    int chosen = ecg_csv_col(&t, "chosen"), on = ecg_csv_col(&t, "chosen_on"), fold = ecg_csv_col(&t, "fold");
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sel, "chosen_on"));
    /* by folds, the manifest names them all; else a chosen seed row names its split */
    int by_folds = 0;
    for (int i = 1; fold >= 0 && i < t.n_rows; i++) by_folds |= t.rows[i][fold][0] != 0;
    for (int i = 1; !by_folds && chosen >= 0 && on >= 0 && i < t.n_rows; i++)
        if (!strcmp(t.rows[i][chosen], "1")) data = t.rows[i][on];
    char what[CELL] = "?";
    if (data) {
        /* "mitdb-aami val split (9206 examples; ...)" -> "val split" */
        size_t k = strlen(r->task->name);
        if (!strncmp(data, r->task->name, k) && data[k] == ' ') data += k + 1;
        snprintf(what, sizeof what, "%.*s", (int)strcspn(data, "("), data);
        for (size_t e = strlen(what); e > 0 && what[e - 1] == ' '; e--) what[e - 1] = 0;
    }
    /* a row per candidate and seed (and fold): count the distinct candidates and one candidate's rows */
    int name = ecg_csv_col(&t, "candidate"), candidates = 0, seeds = 0, folds = 0;
    for (int i = 1; i < t.n_rows; i++) {
        int seen = 0;
        for (int j = 1; j < i && name >= 0; j++) seen |= !strcmp(t.rows[i][name], t.rows[j][name]);
        candidates += !seen;
        int first = name >= 0 && !strcmp(t.rows[i][name], t.rows[1][name]), is_fold = fold >= 0 && t.rows[i][fold][0];
        seeds += first && !is_fold;
        folds += first && is_fold;
    }
    const char *s = candidates == 1 ? "" : "s";
    if (folds) cellf(c, "%s (%d candidate%s x %d folds)", what, candidates, s, folds);
    else if (seeds > 1) cellf(c, "%s (%d candidate%s x %d seeds)", what, candidates, s, seeds);
    else cellf(c, "%s (%d candidate%s)", what, candidates, s);
    ecg_csv_table_free(&t);
}

static const ecg_report_row *find_run(const ecg_report_row *rows, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!rows[i].extra_seed && !strcmp(rows[i].run_name, name)) return &rows[i];
    return NULL;
}

/* The "chosen on" cell of a row; an offsets variant's is its source run's, then where the offsets
 * were fitted (its manifest's decision_offsets pass): "val split (3 candidates) + offsets on
 * cross-validation folds". */
static void chosen_on_cell(char *c, const report_set *in, const ecg_report_row *r) {
    const cJSON *judged = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->run->man, "selection"), "ensemble");
    if (ecg_run_is_ensemble(r->run)) { /* + whether averaging the seeds was judged on held-out folds */
        char recipe[CELL];
        recipe_chosen_on(recipe, r);
        if (judged) cellf(c, "%s + its seeds' average judged on held-out folds", recipe);
        else cellf(c, "%s + its seeds' average not judged", recipe);
        return;
    }
    if (!is_offsets(r)) {
        recipe_chosen_on(c, r);
        return;
    }
    const ecg_report_row *s = find_run(in->rows, in->n, r->source_name);
    const char *on = "?";
    const cJSON *pass;
    cJSON_ArrayForEach(pass, cJSON_GetObjectItemCaseSensitive(r->run->man, "passes"))
        if (!strcmp(ecg_json_str(pass, "pass", ""), "decision_offsets")) on = ecg_json_str(pass, "fitted_on", "?");
    char recipe[CELL] = "?";
    if (s) recipe_chosen_on(recipe, s);
    if (!strcmp(recipe, "-")) cellf(c, "offsets on %s", on); /* the recipe had no selection log */
    else cellf(c, "%s + offsets on %s", recipe, on);
}

#define SEEDS_NOTE " Figures are mean \u00b1 sample sd over the run's seeds (column seeds; one seed: its value alone); " \
                   "\"m\": seeds whose weights are not committed, their manifest's test metrics, not re-evaluated. " \
                   "Chosen on: the data that chose the recipe and the candidates tried (the run's selection.csv), " \
                   "\"-\" without a selection log."

static void seeds_note(table *t) {
    size_t k = strlen(t->note);
    snprintf(t->note + k, sizeof t->note - k, "%s", SEEDS_NOTE);
}

/* Accuracy and N, S, V, F Se/PPV/F1 of the trained runs of an AAMI task (mitdb-aami, its two-lead
 * variants or its intra split). */
static int aami_table(table *t, const report_set *in, const char *task, const char *title) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    static const char *const cls[] = {"N", "S", "V", "F"};
    const char *cols[5 + 3 * 4];
    char names[12][CELL];
    cols[0] = "model", cols[1] = "seeds", cols[2] = "accuracy %", cols[3] = "macro-F1";
    cols[4 + 3 * 4] = "chosen on";
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++) {
            cellf(names[3 * k + j], "%s %s", cls[k], j == 0 ? "Se %" : j == 1 ? "PPV %" : "F1");
            cols[4 + 3 * k + j] = names[3 * k + j];
        }
    head(t, title, cols, 17);
    data_note(t, rows, n, task);
    seeds_note(t);
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        if (strcmp(r->task->name, task) || !is_trained(r)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        model_cell(t, in, c[0], r);
        seeds_cell(c[1], in, r);
        stat_cell(c[2], seed_stat(in, r, REPORT_ACCURACY, NULL), 1);
        stat_cell(c[3], seed_stat(in, r, REPORT_MACRO_F1, NULL), 0);
        for (int k = 0; k < 4; k++) {
            stat_cell(c[4 + 3 * k], seed_stat(in, r, REPORT_SENSITIVITY, cls[k]), 1);
            stat_cell(c[5 + 3 * k], seed_stat(in, r, REPORT_PPV, cls[k]), 1);
            stat_cell(c[6 + 3 * k], seed_stat(in, r, REPORT_F1, cls[k]), 0);
        }
        chosen_on_cell(c[16], in, r);
    }
    return 0;
}

static int inter_patient(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami",
                      "MIT-BIH arrhythmia, inter-patient (trained on DS1, tested on DS2), lead MLII, AAMI classes");
}

/* The two-lead tasks get tables of their own: their runs see another input, so ranking them in
 * the one-lead table would mix two experiments. */
static int two_leads(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami-2lead",
                      "MIT-BIH arrhythmia, two leads, inter-patient (trained on DS1, tested on DS2): MLII and the "
                      "record's other lead (V1 in 38 of the 44 records, V2, V4 or V5 in the others), AAMI classes");
}

static int two_leads_v1(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami-2lead-v1",
                      "MIT-BIH arrhythmia, two leads, inter-patient: MLII and V1, on the 38 records that have V1 "
                      "(100, 103, 117, 123 of DS2 and 114, 124 of DS1 dropped), AAMI classes");
}

static int with_template(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami-template",
                      "MIT-BIH arrhythmia, inter-patient (trained on DS1, tested on DS2), lead MLII and MLII minus the "
                      "record's median beat (from beat positions, never labels), AAMI classes");
}

static int two_leads_template(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami-2lead-template",
                      "MIT-BIH arrhythmia, two leads, inter-patient (trained on DS1, tested on DS2): MLII, the "
                      "record's other lead and MLII minus the record's median beat, AAMI classes");
}

static int intra_patient(table *t, const report_set *in) {
    int rc = aami_table(t, in, "mitdb-aami-intra",
                        "MIT-BIH arrhythmia, intra-patient (a random 80/20 split of all beats: every patient is seen "
                        "in training, so this is optimistic; reported because many papers do), AAMI classes");
    size_t k = strlen(t->note);
    snprintf(t->note + k, sizeof t->note - k, " The split is drawn with the run's seed: each seed is tested on its "
             "own 20%%, so the sd includes the choice of split.");
    return rc;
}

static int cinc(table *t, const report_set *in) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "seeds", "F1 Normal", "F1 AF", "F1 Other", "F1 Noisy", "challenge F1",
                                       "accuracy %", "chosen on"};
    head(t, "PhysioNet/CinC 2017 (held-out fold): F1 per class and the challenge F1 (mean of Normal, AF, Other)",
         cols, 9);
    data_note(t, rows, n, "cinc2017");
    seeds_note(t);
    size_t k = strlen(t->note);
    snprintf(t->note + k, sizeof t->note - k, " The held-out fold is drawn with the run's seed: each seed is tested "
             "on its own fold, so the sd includes the choice of fold.");
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        if (strcmp(r->task->name, "cinc2017") || !is_trained(r)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        model_cell(t, in, c[0], r);
        seeds_cell(c[1], in, r);
        for (int j = 0; j < 4; j++)
            stat_cell(c[2 + j], j < r->m.classes ? seed_stat(in, r, REPORT_F1, r->class_names[j]) : (ecg_report_stat){0, NAN, NAN}, 0);
        stat_cell(c[6], seed_stat(in, r, REPORT_BALANCED, NULL), 0);
        stat_cell(c[7], seed_stat(in, r, REPORT_ACCURACY, NULL), 1);
        chosen_on_cell(c[8], in, r);
    }
    return 0;
}

static const ecg_report_row *ablation_row(const report_set *in, int k) {
    return ecg_report_ablation_row(in->rows, in->n, k);
}

/* The ablation's model cell: the model, and its task where it is not the table's (the second lead). */
static void ablation_name_cell(table *t, const report_set *in, char *c, const ecg_report_row *r) {
    char name[160];
    if (strcmp(r->task->name, ecg_report_ablation[0].task))
        snprintf(name, sizeof name, "%s on %s", r->run->model, r->task->name);
    else
        snprintf(name, sizeof name, "%s", r->run->model);
    name_cell(t, in, c, name, r);
}

static int ablation(table *t, const report_set *in) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"inputs", "model", "seeds", "accuracy %", "macro-F1", "S Se %",
                                       "S PPV %", "V Se %", "V PPV %", "chosen on"};
    head(t, "Fusion ablation on MIT-BIH inter-patient: which inputs the fusion model sees beside the ECG beat", cols, 10);
    data_note(t, rows, n, "mitdb-aami");
    seeds_note(t);
    for (int k = 0; k < REPORT_ABLATION_VARIANTS; k++) {
        const ecg_report_row *r = ablation_row(in, k);
        if (!r) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", ecg_report_ablation[k].features);
        ablation_name_cell(t, in, c[1], r);
        seeds_cell(c[2], in, r);
        stat_cell(c[3], seed_stat(in, r, REPORT_ACCURACY, NULL), 1);
        stat_cell(c[4], seed_stat(in, r, REPORT_MACRO_F1, NULL), 0);
        stat_cell(c[5], seed_stat(in, r, REPORT_SENSITIVITY, "S"), 1);
        stat_cell(c[6], seed_stat(in, r, REPORT_PPV, "S"), 1);
        stat_cell(c[7], seed_stat(in, r, REPORT_SENSITIVITY, "V"), 1);
        stat_cell(c[8], seed_stat(in, r, REPORT_PPV, "V"), 1);
        chosen_on_cell(c[9], in, r);
    }
    return 0;
}

/* Each fusion variant against the backbone alone: the mean paired difference over the seeds both
 * have and whether it exceeds the spread between seeds (a paired t-test, report/report_seeds.c). */
static int ablation_tests(table *t, const report_set *in) {
    static const char *const cols[] = {"inputs", "model", "paired seeds", "accuracy diff pts", "p",
                                       "macro-F1 diff", "p", "S Se diff pts", "p", "V Se diff pts", "p"};
    const ecg_report_row *base = ablation_row(in, 0);
    int k_all = -1; /* the pairs' count when every row has the same, else -2 */
    for (int k = 1; base && k < REPORT_ABLATION_VARIANTS; k++) {
        const ecg_report_row *r = ablation_row(in, k);
        if (!r) continue;
        int pairs = ecg_report_paired_runs(in->rows, in->n, base, r, REPORT_ACCURACY, NULL).k;
        k_all = k_all == -1 || k_all == pairs ? pairs : -2;
    }
    char title[256], over[64];
    if (k_all >= 0) snprintf(over, sizeof over, "%d seeds", k_all);
    else snprintf(over, sizeof over, "the seeds both runs have (column paired seeds)");
    snprintf(title, sizeof title, "Fusion ablation: each variant minus the backbone alone (%s), paired t-test over %s",
             ecg_report_ablation[0].model, over);
    head(t, title, cols, 11);
    data_note(t, in->rows, in->n, "mitdb-aami");
    size_t len = strlen(t->note);
    snprintf(t->note + len, sizeof t->note - len,
             " Differences are means over the seeds both runs have, paired by seed number (the test split, DS2, is "
             "the same for every seed); p: two-sided, paired t-test over those seeds (t with k - 1 degrees of "
             "freedom); \"n < 3, not tested\" with fewer than 3 pairs. ablation.csv holds t, the sd of the "
             "differences and the seeds.");
    snprintf(t->foot, sizeof t->foot, "* p < 0.05: the difference exceeds the spread between seeds.");
    static const struct {
        ecg_report_figure f;
        const char *cls;
        int pct;
    } fig[] = {{REPORT_ACCURACY, NULL, 1}, {REPORT_BALANCED, NULL, 0}, {REPORT_SENSITIVITY, "S", 1},
               {REPORT_SENSITIVITY, "V", 1}};
    for (int k = 1; base && k < REPORT_ABLATION_VARIANTS; k++) {
        const ecg_report_row *r = ablation_row(in, k);
        if (!r) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", ecg_report_ablation[k].features);
        ablation_name_cell(t, in, c[1], r);
        for (int j = 0; j < 4; j++) {
            ecg_report_paired p = ecg_report_paired_runs(in->rows, in->n, base, r, fig[j].f, fig[j].cls);
            if (j == 0) cellf(c[2], "%d", p.k);
            if (!isfinite(p.mean_diff)) cellf(c[3 + 2 * j], "-");
            else cellf(c[3 + 2 * j], fig[j].pct ? "%+.1f" : "%+.3f", (fig[j].pct ? 100 : 1) * p.mean_diff);
            if (p.k < 3) cellf(c[4 + 2 * j], "n < 3, not tested");
            else cellf(c[4 + 2 * j], p.p < 0.05 ? "%.3f *" : "%.3f", p.p);
        }
    }
    return 0;
}

static int efficiency(table *t, const report_set *in) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "variant", "task", "params", "nonzero params", "MFLOPs",
                                       "MFLOPs (nonzero)", "size KiB", "peak RSS KiB", "latency b1 t1 median us"};
    head(t, "Efficiency: parameters, FLOPs per example (a multiply-add is 2 FLOPs), weights file size, peak memory of "
            "one inference, latency", cols, 10);
    sample_note(t, rows, n);
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        const ecg_report_latency *l = ecg_report_latency_b1t1(r);
        if (r->extra_seed) continue; /* the architecture's figures: seed 1's */
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", r->run->model);
        cellf(c[1], "%s", r->run->variant);
        cellf(c[2], "%s", r->task->name);
        cellf(c[3], "%lld", (long long)r->params);
        cellf(c[4], "%lld", (long long)r->nonzero_params);
        cellf(c[5], "%.1f", (double)r->flops / 1e6);
        cellf(c[6], "%.1f", (double)r->flops_nonzero / 1e6);
        cellf(c[7], "%.1f", (double)r->size_bytes / 1024);
        cellf(c[8], "%ld", r->peak_rss_kb);
        latency_cell(t, c[9], r, l);
    }
    return 0;
}

static int compression(table *t, const report_set *in) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "variant", "task", "accuracy %", "source accuracy %", "macro-F1",
                                       "source macro-F1", "nonzero params", "size KiB", "source size KiB",
                                       "recipe chosen on"};
    head(t, "Compression: each compressed variant beside the trained run it came from", cols, 11);
    sample_note(t, rows, n);
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i], *s = r->source_name[0] ? find_run(rows, n, r->source_name) : NULL;
        if (!r->source_name[0] || is_offsets(r)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", r->run->model);
        name_cell(t, in, c[1], r->run->variant, r);
        cellf(c[2], "%s", r->task->name);
        pct(c[3], r->m.accuracy);
        pct(c[4], s ? s->m.accuracy : NAN);
        f3(c[5], r->m.macro_f1);
        f3(c[6], s ? s->m.macro_f1 : NAN);
        cellf(c[7], "%lld", (long long)r->nonzero_params);
        cellf(c[8], "%.1f", (double)r->size_bytes / 1024);
        if (s) cellf(c[9], "%.1f", (double)s->size_bytes / 1024);
        else cellf(c[9], "-");
        recipe_chosen_on(c[10], r); /* "-": the one recipe of scripts/compress.sh's table */
    }
    return 0;
}

static int peer(table *t, const report_set *in) {
    const ecg_report_row *rows = in->rows;
    int n = in->n;
    double peak_gflops = in->peak_gflops;
    static const char *const cols[] = {"model", "variant", "task", "ecgbench us", "PyTorch eager us",
                                       "speed-up vs eager", "TorchScript us", "speed-up vs TorchScript",
                                       "ONNX Runtime us", "speed-up vs ONNX Runtime", "ecgbench GFLOP/s",
                                       "% of core peak"};
    head(t, "ecgbench (XNNPACK) against PyTorch and ONNX Runtime on this machine: batch 1, 1 thread, median latency",
         cols, 12);
    int k = snprintf(t->note, sizeof t->note,
                     "%sSpeed-up vs X: X's median latency over ecgbench's (above 1: ecgbench is faster).",
                     any_sample(rows, n) ? SAMPLE_BANNER : "");
    if (peak_gflops > 0 && k > 0 && (size_t)k < sizeof t->note)
        snprintf(t->note + k, sizeof t->note - (size_t)k,
                 " Core peak: %.1f GFLOP/s \u00b1 %.1f%%, one core's f32 FMA rate measured by this report (the "
                 "spread of its best timings; run.json).",
                 peak_gflops, in->peak_spread_pct);
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        const ecg_report_latency *l = ecg_report_latency_b1t1(r);
        int ort = r->ort_us > 0; /* NaN or 0: not timed */
        if (r->extra_seed || !l || (isnan(r->torch_eager_us) && isnan(r->torch_script_us) && !ort)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", r->run->model);
        cellf(c[1], "%s", r->run->variant);
        cellf(c[2], "%s", r->task->name);
        latency_cell(t, c[3], r, l);
        num_cell(c[4], "%.1f", r->torch_eager_us);
        num_cell(c[5], "%.2f", r->torch_eager_us / l->median_us);
        num_cell(c[6], "%.1f", r->torch_script_us);
        num_cell(c[7], "%.2f", r->torch_script_us / l->median_us);
        num_cell(c[8], "%.1f", ort ? r->ort_us : NAN);
        num_cell(c[9], "%.2f", ort ? r->ort_us / l->median_us : NAN);
        double gflops = ecg_report_gflops(r, l->batch, l->median_us);
        cellf(c[10], "%.2f", gflops);
        if (peak_gflops > 0) cellf(c[11], "%.1f", 100 * gflops / peak_gflops);
        else cellf(c[11], "-");
    }
    return 0;
}

int ecg_report_write_tables(const char *out, const ecg_report_row *rows, int n, double peak_gflops, double peak_spread_pct,
                        char *err, size_t errlen) {
    int (*const build[])(table *, const report_set *) = {inter_patient, two_leads, two_leads_v1, with_template,
                                                         two_leads_template, intra_patient, cinc, ablation, ablation_tests,
                                                         efficiency, compression, peer};
    enum { N_TABLES = sizeof build / sizeof *build };
    const report_set in = {rows, n, peak_gflops, peak_spread_pct};
    table t[N_TABLES];
    memset(t, 0, sizeof t);
    int rc = -1;
    char md[1200], tex[1200];
    snprintf(md, sizeof md, "%s/tables.md", out);
    snprintf(tex, sizeof tex, "%s/tables.tex", out);
    ecg_atomic_file am = {0}, at = {0};
    if (ecg_atomic_open(&am, md, err, errlen) || ecg_atomic_open(&at, tex, err, errlen)) goto done;
    FILE *fm = am.f, *ft = at.f;
    fputs("# ecgbench tables\n\nGenerated by `ecgbench report`; every figure is from this run (results.csv and "
          "per_class.csv hold them unrounded, per seed; results_by_run.csv the means and sds over seeds), except "
          "seeds counted \"m\" (weights not committed: their manifest's test metrics).\n\n", fm);
    if (any_sample(rows, n)) fputs(SAMPLE_BANNER "\n\n", fm);
    fputs("% Generated by ecgbench report; every figure is from this run (see results.csv, per_class.csv).\n", ft);
    for (int i = 0; i < N_TABLES; i++) {
        if (build[i](&t[i], &in)) {
            snprintf(err, errlen, "out of memory building the tables");
            goto done;
        }
        render_md(fm, &t[i]);
        render_tex(ft, &t[i]);
    }
    /* each renamed into place only when written whole */
    rc = ecg_atomic_commit(&am, err, errlen) || ecg_atomic_commit(&at, err, errlen) ? -1 : 0;
done:
    ecg_atomic_abort(&am);
    ecg_atomic_abort(&at);
    for (int i = 0; i < N_TABLES; i++) free(t[i].cells);
    return rc;
}
