/* The paper-style tables of `ecgbench report`, in Markdown (tables.md) and LaTeX (tables.tex).
 * A table is built once as text cells and rendered twice, so the two files always agree. Every
 * cell is a figure of this report's rows (the CSVs hold the same numbers unrounded). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/report.h"

#define MAX_COLS 16
#define CELL 48

typedef struct {
    char title[256];
    char note[1024];
    char foot[512]; /* one line under the table: what its marks mean */
    char degenerate[1024]; /* a line under the table naming its degenerate runs (bench/report_degenerate.c) */
    int n_cols, n_rows, cap;
    char head[MAX_COLS][CELL];
    char (*cells)[MAX_COLS][CELL];
} table;

static void cellf(char *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cellf(char *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c, CELL, fmt, ap);
    va_end(ap);
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

#define SAMPLE_BANNER "**Bundled sample data, not the full set: these figures are a smoke test, not results.** "

static int any_sample(const report_row *rows, int n) {
    for (int i = 0; i < n; i++)
        if (rows[i].sample) return 1;
    return 0;
}

/* The data the rows of a task were evaluated on, said at the top of its table, with what always
 * predicting the split's most common class scores (the floor a degenerate run sits on). */
static void data_note(table *t, const report_row *rows, int n, const char *task) {
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        if (task && strcmp(r->task->name, task)) continue;
        snprintf(t->note, sizeof t->note, "%sData: %s, %s split. Always predicting its most common class, %s, "
                 "scores accuracy %.1f%%, %s %.3f.",
                 r->sample ? SAMPLE_BANNER : "", r->data_version, r->split, r->class_names[r->majority_class],
                 100 * r->majority_accuracy, report_balanced_name(r->task), r->majority_balanced);
        return;
    }
    if (any_sample(rows, n)) snprintf(t->note, sizeof t->note, "%s", SAMPLE_BANNER); /* no run of the task */
}

/* A table of runs from every task: the banner when any of them ran on the sample. */
static void sample_note(table *t, const report_row *rows, int n) {
    if (any_sample(rows, n)) snprintf(t->note, sizeof t->note, "%s", SAMPLE_BANNER);
}

/* The run's name for a table cell, "(degenerate)" after it when it is; the run is named in the
 * line under the table with what it predicts. */
static void name_cell(table *t, char *c, const char *name, const report_row *r) {
    if (!r->degenerate) {
        cellf(c, "%s", name);
        return;
    }
    cellf(c, "%s (degenerate)", name);
    char why[200];
    report_degenerate_reason(r, why, sizeof why);
    size_t k = strlen(t->degenerate);
    if (!k)
        k = (size_t)snprintf(t->degenerate, sizeof t->degenerate,
                             "Degenerate (one class gets at least 97%% of the predictions while it is under 97%% of the truth, "
                             "or the class-balanced score or macro-F1 is not above always predicting the most common "
                             "class; never on a Pareto front):");
    if (k < sizeof t->degenerate)
        snprintf(t->degenerate + k, sizeof t->degenerate - k, "%s %s %s: %s", k > 0 && t->degenerate[k - 1] == ':' ?
                 "" : ";", r->run->model, r->run->variant, why);
}

static void md_escape(FILE *f, const char *s) {
    for (; *s; s++) fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, f);
}

static void tex_escape(FILE *f, const char *s) {
    for (; *s; s++) {
        if (strchr("&%$#_{}", *s)) fprintf(f, "\\%c", *s);
        else if (*s == '~') fputs("\\textasciitilde{}", f);
        else if (*s == '^') fputs("\\textasciicircum{}", f);
        else if (*s == '\\') fputs("\\textbackslash{}", f);
        else if (*s == '*') continue; /* Markdown emphasis */
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

/* What every table is built from: the report's rows and the machine's measured core peak. */
typedef struct {
    const report_row *rows;
    int n;
    double peak_gflops, peak_spread_pct;
} report_set;

/* A latency figure, marked with a dagger when bench/latency_check.c flagged its row; the first
 * flag's reason goes into the note under the table. */
static void latency_cell(table *t, char *c, const report_row *r, const report_latency *l) {
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

static int is_trained(const report_row *r) { return !strcmp(r->run->variant, "f32") && !r->source_name[0]; }

static int class_index(const report_row *r, const char *name) {
    for (int c = 0; c < r->m.classes; c++)
        if (!strcmp(r->class_names[c], name)) return c;
    return -1;
}

/* Accuracy and N, S, V, F Se/PPV/F1 of the trained runs of an AAMI task (mitdb-aami or its intra split). */
static int aami_table(table *t, const report_set *in, const char *task, const char *title) {
    const report_row *rows = in->rows;
    int n = in->n;
    static const char *const cls[] = {"N", "S", "V", "F"};
    const char *cols[3 + 3 * 4];
    char names[12][CELL];
    cols[0] = "model", cols[1] = "accuracy %", cols[2] = "macro-F1";
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++) {
            cellf(names[3 * k + j], "%s %s", cls[k], j == 0 ? "Se %" : j == 1 ? "PPV %" : "F1");
            cols[3 + 3 * k + j] = names[3 * k + j];
        }
    head(t, title, cols, 15);
    data_note(t, rows, n, task);
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        if (strcmp(r->task->name, task) || !is_trained(r)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        name_cell(t, c[0], r->run->model, r);
        pct(c[1], r->m.accuracy);
        f3(c[2], r->m.macro_f1);
        for (int k = 0; k < 4; k++) {
            int j = class_index(r, cls[k]);
            pct(c[3 + 3 * k], j >= 0 ? r->m.sensitivity[j] : NAN);
            pct(c[4 + 3 * k], j >= 0 ? r->m.ppv[j] : NAN);
            f3(c[5 + 3 * k], j >= 0 ? r->m.f1[j] : NAN);
        }
    }
    return 0;
}

static int inter_patient(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami",
                      "MIT-BIH arrhythmia, inter-patient (trained on DS1, tested on DS2), AAMI classes");
}

static int intra_patient(table *t, const report_set *in) {
    return aami_table(t, in, "mitdb-aami-intra",
                      "MIT-BIH arrhythmia, intra-patient (a random 80/20 split of all beats: every patient is seen "
                      "in training, so this is optimistic; reported because many papers do), AAMI classes");
}

static int cinc(table *t, const report_set *in) {
    const report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "F1 Normal", "F1 AF", "F1 Other", "F1 Noisy", "challenge F1",
                                       "accuracy %"};
    head(t, "PhysioNet/CinC 2017 (held-out fold): F1 per class and the challenge F1 (mean of Normal, AF, Other)",
         cols, 7);
    data_note(t, rows, n, "cinc2017");
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        if (strcmp(r->task->name, "cinc2017") || !is_trained(r)) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        name_cell(t, c[0], r->run->model, r);
        for (int k = 0; k < 4; k++) f3(c[1 + k], k < r->m.classes ? r->m.f1[k] : NAN);
        f3(c[5], r->score);
        pct(c[6], r->m.accuracy);
    }
    return 0;
}

static int ablation(table *t, const report_set *in) {
    const report_row *rows = in->rows;
    int n = in->n;
    static const struct {
        const char *model, *features;
    } v[] = {{"efficientecg-fusion-none", "none (backbone only)"},
             {"efficientecg-fusion-agesex", "age, sex"},
             {"efficientecg-fusion-rr", "RR intervals"},
             {"efficientecg-fusion", "age, sex, RR intervals"}};
    static const char *const cols[] = {"patient features", "model", "accuracy %", "macro-F1", "S Se %", "S PPV %",
                                       "V Se %", "V PPV %"};
    head(t, "Fusion ablation on MIT-BIH inter-patient: which patient features the cross-attention sees", cols, 8);
    data_note(t, rows, n, "mitdb-aami");
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        for (int i = 0; i < n; i++) {
            const report_row *r = &rows[i];
            if (strcmp(r->task->name, "mitdb-aami") || !is_trained(r) || strcmp(r->run->model, v[k].model)) continue;
            char (*c)[CELL] = add_row(t);
            if (!c) return -1;
            int s = class_index(r, "S"), ve = class_index(r, "V");
            cellf(c[0], "%s", v[k].features);
            name_cell(t, c[1], r->run->model, r);
            pct(c[2], r->m.accuracy);
            f3(c[3], r->m.macro_f1);
            pct(c[4], s >= 0 ? r->m.sensitivity[s] : NAN);
            pct(c[5], s >= 0 ? r->m.ppv[s] : NAN);
            pct(c[6], ve >= 0 ? r->m.sensitivity[ve] : NAN);
            pct(c[7], ve >= 0 ? r->m.ppv[ve] : NAN);
        }
    return 0;
}

static int efficiency(table *t, const report_set *in) {
    const report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "variant", "task", "params", "nonzero params", "MFLOPs",
                                       "MFLOPs (nonzero)", "size KiB", "peak RSS KiB", "latency b1 t1 median us"};
    head(t, "Efficiency: parameters, FLOPs per example (a multiply-add is 2 FLOPs), weights file size, peak memory of "
            "one inference, latency", cols, 10);
    sample_note(t, rows, n);
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        const report_latency *l = report_latency_b1t1(r);
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

static const report_row *find_run(const report_row *rows, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].run_name, name)) return &rows[i];
    return NULL;
}

static int compression(table *t, const report_set *in) {
    const report_row *rows = in->rows;
    int n = in->n;
    static const char *const cols[] = {"model", "variant", "task", "accuracy %", "source accuracy %", "macro-F1",
                                       "source macro-F1", "nonzero params", "size KiB", "source size KiB"};
    head(t, "Compression: each compressed variant beside the trained run it came from", cols, 10);
    sample_note(t, rows, n);
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i], *s = r->source_name[0] ? find_run(rows, n, r->source_name) : NULL;
        if (!r->source_name[0]) continue;
        char (*c)[CELL] = add_row(t);
        if (!c) return -1;
        cellf(c[0], "%s", r->run->model);
        name_cell(t, c[1], r->run->variant, r);
        cellf(c[2], "%s", r->task->name);
        pct(c[3], r->m.accuracy);
        pct(c[4], s ? s->m.accuracy : NAN);
        f3(c[5], r->m.macro_f1);
        f3(c[6], s ? s->m.macro_f1 : NAN);
        cellf(c[7], "%lld", (long long)r->nonzero_params);
        cellf(c[8], "%.1f", (double)r->size_bytes / 1024);
        if (s) cellf(c[9], "%.1f", (double)s->size_bytes / 1024);
        else cellf(c[9], "-");
    }
    return 0;
}

static int peer(table *t, const report_set *in) {
    const report_row *rows = in->rows;
    int n = in->n;
    double peak_gflops = in->peak_gflops;
    static const char *const cols[] = {"model", "variant", "task", "ecgbench us", "PyTorch eager us",
                                       "speed-up vs eager", "TorchScript us", "speed-up vs TorchScript",
                                       "ecgbench GFLOP/s", "% of core peak"};
    head(t, "ecgbench (XNNPACK) against PyTorch on this machine: batch 1, 1 thread, median latency", cols, 10);
    int k = snprintf(t->note, sizeof t->note,
                     "%sSpeed-up vs X: X's median latency over ecgbench's (above 1: ecgbench is faster).",
                     any_sample(rows, n) ? SAMPLE_BANNER : "");
    if (peak_gflops > 0 && k > 0 && (size_t)k < sizeof t->note)
        snprintf(t->note + k, sizeof t->note - (size_t)k,
                 " Core peak: %.1f GFLOP/s \u00b1 %.1f%%, one core's f32 FMA rate measured by this report (the "
                 "spread of its best timings; run.json).",
                 peak_gflops, in->peak_spread_pct);
    for (int i = 0; i < n; i++) {
        const report_row *r = &rows[i];
        const report_latency *l = report_latency_b1t1(r);
        if (!l || (isnan(r->torch_eager_us) && isnan(r->torch_script_us))) continue;
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
        double gflops = report_gflops(r, l->batch, l->median_us);
        cellf(c[8], "%.2f", gflops);
        if (peak_gflops > 0) cellf(c[9], "%.1f", 100 * gflops / peak_gflops);
        else cellf(c[9], "-");
    }
    return 0;
}

int report_write_tables(const char *out, const report_row *rows, int n, double peak_gflops, double peak_spread_pct,
                        char *err, size_t errlen) {
    int (*const build[])(table *, const report_set *) = {inter_patient, intra_patient, cinc, ablation, efficiency,
                                                         compression, peer};
    enum { N_TABLES = sizeof build / sizeof *build };
    const report_set in = {rows, n, peak_gflops, peak_spread_pct};
    table t[N_TABLES];
    memset(t, 0, sizeof t);
    int rc = -1;
    char md[1200], tex[1200];
    snprintf(md, sizeof md, "%s/tables.md", out);
    snprintf(tex, sizeof tex, "%s/tables.tex", out);
    FILE *fm = fopen(md, "w"), *ft = fopen(tex, "w");
    if (!fm || !ft) {
        snprintf(err, errlen, "cannot write %s", !fm ? md : tex);
        goto done;
    }
    fputs("# ecgbench tables\n\nGenerated by `ecgbench report`; every figure is from this run (results.csv and "
          "per_class.csv hold them unrounded).\n\n", fm);
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
    rc = 0;
done:
    if (fm && fclose(fm) && !rc) rc = -1, snprintf(err, errlen, "cannot write %s", md);
    if (ft && fclose(ft) && !rc) rc = -1, snprintf(err, errlen, "cannot write %s", tex);
    for (int i = 0; i < N_TABLES; i++) free(t[i].cells);
    return rc;
}
