/* The report of `ecgbench report` and `ecgbench results` (cli/cmd_report.c, cli/cmd_results.c): its
 * rows, CSV files, tables, seed statistics and plot labels (the files of report/). */
#ifndef ECG_REPORT_H
#define ECG_REPORT_H

#include "report/csv.h"
#include "runs/runs.h"

#define REPORT_MAX_SETTINGS 8

/* One latency measurement of a run at one setting (from the latency CSV, when given). */
typedef struct {
    int batch, threads;
    double median_us, p90_us, p99_us, mean_us, stddev_us, init_ms;
    long long iterations;
    char flag[96]; /* why the figures look disturbed (bench/latency_check.c), "" when plausible */
} ecg_report_latency;

/* One run evaluated in this report. */
typedef struct {
    const ecg_run *run;
    const ecg_task *task;
    char run_name[256];        /* the run's folder name (a further seed: its run's, models/seeds/RUN) */
    int seed;                  /* the manifest's seed (seed 1: the run's folder under models/weights) */
    int extra_seed;            /* a further seed of a trained run, models/seeds/RUN/seedN (N >= 2): its
                                * accuracy figures only (no latency, layers or peak RSS: those are the
                                * architecture's, measured on seed 1) */
    int from_manifest;         /* a further seed whose weights are not committed (large runs): its metrics
                                * are its manifest's test metrics, not re-evaluated here */
    char source_name[256];     /* a compressed run's source folder name, "" for a trained one */
    char split[16];
    char data_version[160];
    int sample;                /* evaluated on the bundled sample, not the full data */
    ecg_metrics m;
    double score;              /* the task's headline score, NaN when it has none */
    /* Judged by ecg_report_judge (report/report_degenerate.c): the class-balanced score the plots and
     * fronts use, the same score of "always predict the test split's most common class", and
     * whether the run is degenerate (calls one class for almost everything). */
    double balanced;           /* the task's score when it has one, else macro-F1 */
    int majority_class;        /* the most common true class of the split */
    double majority_balanced, majority_macro_f1, majority_accuracy;
    int top_class;             /* the class predicted most often */
    double top_share;          /* of the predictions */
    int degenerate;
    char class_names[ECG_MAX_CLASSES][24];
    int64_t params, nonzero_params, flops, flops_nonzero;
    long size_bytes;           /* the weights file the manifest names */
    long peak_rss_kb;          /* of one batch-1 inference in a fresh process (ecg_peak_rss_kb) */
    int64_t weights_in_memory; /* bytes of the weights as the executor holds them (f32, or int8 + scales) */
    int64_t activations_in_memory; /* the executor's activation bytes at batch 1 (ecg_xnn_stats.value_bytes) */
    double sparsity;           /* pruned runs: the pass's target, else 0 */
    ecg_report_latency lat[REPORT_MAX_SETTINGS];   /* ecgbench's own (XNNPACK), per setting */
    int n_lat;
    double torch_eager_us, torch_script_us;     /* the PyTorch peer at batch 1, 1 thread; NaN: not timed */
    double ort_us;             /* ONNX Runtime on the run's ONNX export, batch 1, 1 thread; NaN or 0: not timed */
} ecg_report_row;

/* Latency CSVs given to the report: ecgbench's (latency_ecgbench.csv), the PyTorch peer's
 * (bench/peers/time_torch.py) and ONNX Runtime's (bench/peers/time_ort.js), as read. */
typedef struct {
    ecg_csv_table t[4];
    int n;
} ecg_report_latency_files;
/* Attaches each file's rows to the report rows of the same run. -1 with err on a malformed file. */
int ecg_report_attach_latency(const ecg_report_latency_files *f, ecg_report_row *rows, int n, char *err, size_t errlen);
/* OUT/latency.csv: every latency row of every file, the peers' with ecgbench's speedup over them. */
int ecg_report_write_latency(const char *out, const ecg_report_latency_files *f, const ecg_report_row *rows, int n, char *err,
                         size_t errlen);
/* How many rows of the files (those of this report's runs) look disturbed; the first, as
 * "RUN EXECUTOR bBATCH tTHREADS: reason", into first. */
int ecg_report_latency_flagged(const ecg_report_latency_files *f, const ecg_report_row *rows, int n, char *first, size_t len);

/* ---------------------------------------------------------------- seeds (report/report_seeds.c) */
#define REPORT_MAX_SEEDS 32
/* Further seeds of a trained run whose folder is dir (.../weights/RUN): every
 * seeds_root/RUN/seedN/manifest.json (N >= 2), by N. seeds_root NULL: the folder `seeds` beside
 * the run's root (models/weights/RUN -> models/seeds). Each must name the run's model and task and
 * seed N, and have been trained with the run's recipe (its manifest's "config" but data_dir and the
 * frozen part's run). 0 (n may be 0) or -1 with err. */
int ecg_report_find_seeds(const ecg_run *run, const char *seeds_root, ecg_run **seeds, int *n, char *err,
                      size_t errlen);
/* A run the tables show over its seeds: a trained run (f32, no "source": not a compressed
 * variant), its decision-offsets variant (`compress --offsets`, made for each of the run's seeds),
 * or a seed ensemble of it (`ensemble --make`; its further "seeds" are other ensembles). */
int ecg_report_is_trained_run(const ecg_run *r);
/* A further seed without weights (a large run's): its row from its manifest's metrics.test (class
 * names from per_class, metrics from the confusion matrix), marked from_manifest, named run_name.
 * 0, 1 when the manifest has no test metrics (trained blind), -1 with err when malformed. */
int ecg_report_row_from_manifest(const ecg_run *r, const char *run_name, ecg_report_row *row, char *err, size_t errlen);
/* A figure over seeds: mean and sample standard deviation (n - 1) of the finite values; n counts
 * them. sd is NaN when n < 2, mean NaN when n == 0. */
typedef struct {
    int n;
    double mean, sd;
} ecg_report_stat;
ecg_report_stat ecg_report_stat_of(const double *v, int n);
/* As the tables print it: "93.1" (one value), "93.1 ± 0.4" (mean ± sd), "-" (none); percent
 * scales by 100 with one decimal, else three decimals. */
void ecg_report_stat_format(char *buf, size_t len, ecg_report_stat s, int percent);
/* The rows of r's run: r (seed 1) and its further seeds' rows, by seed; r itself when it is a
 * further seed's row. Returns how many (<= REPORT_MAX_SEEDS). */
int ecg_report_seeds_of(const ecg_report_row *rows, int n, const ecg_report_row *r, const ecg_report_row **out);
/* A figure of a row: accuracy, the class-balanced score, macro-F1, or a class's sensitivity, PPV
 * or F1 (by class name). */
typedef enum { REPORT_ACCURACY, REPORT_BALANCED, REPORT_MACRO_F1, REPORT_SENSITIVITY, REPORT_PPV, REPORT_F1 } ecg_report_figure;
double ecg_report_figure_of(const ecg_report_row *r, ecg_report_figure f, const char *cls);
const char *ecg_report_figure_name(ecg_report_figure f);
/* The figure over r's seeds. */
ecg_report_stat ecg_report_seed_stat(const ecg_report_row *rows, int n, const ecg_report_row *r, ecg_report_figure f, const char *cls);
/* The run's degenerate seeds ("2, 3"; "" when none): a run is flagged when any seed is. */
int ecg_report_degenerate_seeds(const ecg_report_row *rows, int n, const ecg_report_row *r, char *buf, size_t len);
/* Paired t-test of b - a over the seeds both runs have (paired by seed number, figures finite in
 * both): k pairs, the mean difference, t and the two-sided p (GSL's t distribution, k - 1
 * degrees of freedom). k < 3: t and p NaN ("not tested"). Identical differences (sd 0): t
 * infinite, p 0 (or t 0, p 1 when all are 0). */
typedef struct {
    int k;
    double mean_diff, sd_diff, t, p;
} ecg_report_paired;
ecg_report_paired ecg_report_paired_t(const double *a, const double *b, int k);
ecg_report_paired ecg_report_paired_runs(const ecg_report_row *rows, int n, const ecg_report_row *a, const ecg_report_row *b,
                                 ecg_report_figure f, const char *cls);
/* The fusion ablation's runs (report/report_ablation.c): the backbone alone first, the others are
 * compared with it (the second lead is a task: the backbone on mitdb-aami-2lead). */
#define REPORT_ABLATION_VARIANTS 8
typedef struct {
    const char *model, *task, *features;
} ecg_report_ablation_variant;
extern const ecg_report_ablation_variant ecg_report_ablation[REPORT_ABLATION_VARIANTS];
/* Variant k's trained run among rows (seed 1, f32, not a recomputed source), or NULL. */
const ecg_report_row *ecg_report_ablation_row(const ecg_report_row *rows, int n, int k);
/* ablation.csv: each variant against the backbone alone, per figure: paired seeds, mean and sd of
 * the differences, t, p. 0 or -1 with err. */
int ecg_report_write_ablation(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen);
/* results_by_run.csv: per run (seed 1's row) and figure, its seeds' mean and sd. 0 or -1 with err. */
int ecg_report_write_by_run(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen);

/* reports/out/results.csv, per_class.csv, sweep.csv; peak_gflops is one core's (ecg_peak_gflops).
 * 0 ok, -1 with err. */
int ecg_report_write_csv(const char *out, const ecg_report_row *rows, int n, double peak_gflops, char *err, size_t errlen);
/* reports/out/tables.md and tables.tex. 0 ok, -1 with err. */
int ecg_report_write_tables(const char *out, const ecg_report_row *rows, int n, double peak_gflops, double peak_spread_pct,
                        char *err, size_t errlen);
/* Achieved GFLOP/s of a run at a batch size: dense FLOPs of the batch over the median latency. */
double ecg_report_gflops(const ecg_report_row *r, int batch, double median_us);
/* The batch-1, 1-thread latency of a row, or NULL. */
const ecg_report_latency *ecg_report_latency_b1t1(const ecg_report_row *r);

/* Labels of a scatter plot with a log10 x axis (report/plot_labels.c), in the plot area's pixels
 * (origin bottom left). */
typedef struct {
    double x_lo, x_hi, y_lo, y_hi;   /* axis ranges, data units */
    double y_step;                   /* between y tics (ecg_plot_frame_fit) */
    double width_px, height_px;      /* the plot area inside the canvas */
    double char_w_px, line_h_px;     /* of the label font */
    double marker_px;                /* a point's marker radius */
} ecg_plot_frame;
typedef struct {
    double x, y;
    const char *text;
} ecg_plot_point;
typedef struct {
    double x, y; /* the text's anchor, data units; the text is centred vertically on y */
    int align;   /* -1: text starts at x, 0: centred on x, 1: ends at x */
    int leader;  /* set away from its point: draw a line from the point to (leader_x, leader_y) */
    double leader_x, leader_y;
} ecg_plot_label;
/* Sets the ranges: whole decades of x and round steps of y covering the points, with room; a
 * y range at least 0.05 tall (one point, or points at one score, still get readable tics). */
void ecg_plot_frame_fit(ecg_plot_frame *f, const ecg_plot_point *p, int n);
/* A label per point, placed in index order (put the most important first), each where it
 * overlaps the labels before it, the points and the frame's edge least, and where its leader
 * line (when it has one) crosses no other point or label, nor a label's leader crosses it. */
void ecg_plot_place_labels(const ecg_plot_frame *f, const ecg_plot_point *p, int n, ecg_plot_label *out);
/* The pixel box {x0, y0, x1, y1} a placed label's text covers. */
void ecg_plot_label_box(const ecg_plot_frame *f, const ecg_plot_label *l, const char *text, double box_px[4]);
/* OUT/accuracy_{latency,size}_DATASET.labels.gp for reports/accuracy.gp: each plot's frame, its
 * label positions, its Pareto front (sorted by cost, to be drawn joined) and the majority-class
 * baseline. 0 ok, -1 with err. */
int ecg_report_write_plot_labels(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen);
/* The class-balanced score of a task (its own score, e.g. cinc2017's challenge F1, else
 * macro-F1) and its name. */
double ecg_report_balanced_score(const ecg_task *t, const ecg_metrics *m);
const char *ecg_report_balanced_name(const ecg_task *t);
/* Fills r's balanced score, majority-class baseline, top predicted class and degenerate flag
 * from r->m and r->task (report/report_degenerate.c states the rule). */
void ecg_report_judge(ecg_report_row *r);
/* "predicts N for 99.8%" or "no better than always predicting N": why r is degenerate. */
void ecg_report_degenerate_reason(const ecg_report_row *r, char *buf, size_t len);
/* On the class-balanced-score-vs-cost Pareto front of its dataset (cost: b1 t1 latency, or
 * size); degenerate runs are never on it and push no other run off it. */
int ecg_report_on_front(const ecg_report_row *rows, int n, const ecg_report_row *r, int by_latency);

/* ---------------------------------------------------------------- the whole report (report/report_run.c) */
#define ECG_REPORT_MAX_ROOTS 8
#define ECG_REPORT_LAYER_REPS 1000      /* efficientecg-s takes ~0.14 ms a run */
#define ECG_REPORT_LAYER_BUDGET_S 2.0   /* a slower model (a 30 s cinc2017 record) gets fewer runs, */
#define ECG_REPORT_LAYER_MIN_REPS 20    /* but never fewer than this */
typedef struct {
    const char *out;                                /* the reports' folder */
    const char *data;                               /* NULL: each task's data folder, else the sample */
    const char *roots[ECG_REPORT_MAX_ROOTS];        /* none: models/weights and models/compressed */
    int n_roots;
    const char *latency[4];                         /* latency CSVs to join */
    int n_latency;
    const char *seeds_root;                         /* NULL: beside each run's root */
    int no_seeds;                                   /* seed 1 only */
    int threads, layer_reps;
    int argc;                                       /* the command line, for run.json */
    char **argv;
    int force;                                      /* overwrite a finished report (OUT/run.json) */
} ecg_report_job;
/* Every run and seed evaluated, its layers timed and its peak RSS measured; the CSVs, tables,
 * plot labels and run.json written to job->out; progress on stderr, the summary on stdout. 0, or
 * -1 with err. run.json is written last and names every file of the report with its size and
 * SHA-256 ("files"): a folder without it is an unfinished report. A folder that holds one is
 * refused unless job->force (its run.json is then removed before the first file is replaced). */
int ecg_report_run(const ecg_report_job *job, char *err, size_t errlen);

#endif
