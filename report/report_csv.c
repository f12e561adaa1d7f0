/* The CSV files of `ecgbench report`: results.csv (one row per run, seed and latency setting),
 * per_class.csv (one row per run, seed and class) and sweep.csv (pruned variants beside their
 * source). A further seed of a run (report/report_seeds.c) has its own rows with its seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static long support(const ecg_metrics *m, int c) {
    long s = 0;
    for (int j = 0; j < m->classes; j++) s += m->confusion[c][j];
    return s;
}

const ecg_report_latency *ecg_report_latency_b1t1(const ecg_report_row *r) {
    for (int i = 0; i < r->n_lat; i++)
        if (r->lat[i].batch == 1 && r->lat[i].threads == 1) return &r->lat[i];
    return NULL;
}

static void num_or_empty(ecg_csv *w, double v, int have) {
    if (have) ecg_csv_num(w, v);
    else ecg_csv_str(w, "");
}

/* Counted on a front: a run's seed-1 row, no seed degenerate, with a score and (by latency) a b1
 * t1 latency. */
static int front_candidate(const ecg_report_row *rows, int n, const ecg_report_row *r, int by_latency) {
    char seeds[128];
    return !r->extra_seed && !ecg_report_degenerate_seeds(rows, n, r, seeds, sizeof seeds) && !isnan(r->balanced) &&
           (!by_latency || ecg_report_latency_b1t1(r));
}

/* On the class-balanced-score-vs-cost Pareto front of its dataset: no other candidate run of the
 * dataset scores at least as well at most the cost, and better in one (score: the mean over the
 * run's seeds; cost: batch-1 1-thread latency, or size). A run with a degenerate seed is no
 * candidate: never on the front, and it pushes no other run off it. */
int ecg_report_on_front(const ecg_report_row *rows, int n, const ecg_report_row *r, int by_latency) {
    if (!front_candidate(rows, n, r, by_latency)) return 0;
    double cost = by_latency ? ecg_report_latency_b1t1(r)->median_us : (double)r->size_bytes;
    double score = ecg_report_seed_stat(rows, n, r, REPORT_BALANCED, NULL).mean;
    for (int i = 0; i < n; i++) {
        const ecg_report_row *o = &rows[i];
        if (o == r || strcmp(o->task->name, r->task->name) || !front_candidate(rows, n, o, by_latency)) continue;
        double oc = by_latency ? ecg_report_latency_b1t1(o)->median_us : (double)o->size_bytes;
        double os = ecg_report_seed_stat(rows, n, o, REPORT_BALANCED, NULL).mean;
        if (os >= score && oc <= cost && (os > score || oc < cost)) return 0;
    }
    return 1;
}

double ecg_report_gflops(const ecg_report_row *r, int batch, double median_us) {
    return (double)r->flops * batch / (median_us * 1e-6) / 1e9;
}

static int write_results(const char *path, const ecg_report_row *rows, int n, double peak_gflops, char *err,
                         size_t errlen) {
    static const char *const cols[] = {
        "dataset", "split", "data_version", "sample", "model", "variant", "run", "seed", "metrics_from", "source",
        "examples", "accuracy",
        "macro_f1", "score_name", "score", "params", "nonzero_params", "flops", "flops_nonzero", "size_bytes",
        "batch", "threads", "latency_median_us", "latency_p90_us", "latency_p99_us", "latency_mean_us",
        "latency_stddev_us", "iterations", "init_ms", "gflops_per_s", "pct_of_core_peak", "peak_rss_kb", "weights_in_memory_bytes",
        "activations_in_memory_bytes", "pareto_latency", "pareto_size", "latency_flag", "balanced_score_name",
        "balanced_score", "majority_class", "majority_balanced_score", "majority_macro_f1", "majority_accuracy",
        "top_predicted_class", "top_predicted_share", "degenerate"};
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        for (int s = 0; s < (r->n_lat ? r->n_lat : 1); s++) {
            const ecg_report_latency *l = r->n_lat ? &r->lat[s] : NULL;
            ecg_csv_str(&w, r->task->name);
            ecg_csv_str(&w, r->split);
            ecg_csv_str(&w, r->data_version);
            ecg_csv_int(&w, r->sample);
            ecg_csv_str(&w, r->run->model);
            ecg_csv_str(&w, r->run->variant);
            ecg_csv_str(&w, r->run_name);
            ecg_csv_int(&w, r->seed);
            ecg_csv_str(&w, r->from_manifest ? "manifest" : "evaluated");
            ecg_csv_str(&w, r->source_name);
            ecg_csv_int(&w, r->m.n);
            ecg_csv_num(&w, r->m.accuracy);
            ecg_csv_num(&w, r->m.macro_f1);
            ecg_csv_str(&w, r->task->score_name ? r->task->score_name : "");
            num_or_empty(&w, r->score, r->task->score_name != NULL);
            /* a further seed's architecture figures are seed 1's: left empty on its row */
            num_or_empty(&w, (double)r->params, !r->from_manifest);
            num_or_empty(&w, (double)r->nonzero_params, !r->from_manifest);
            num_or_empty(&w, (double)r->flops, !r->from_manifest);
            num_or_empty(&w, (double)r->flops_nonzero, !r->from_manifest);
            num_or_empty(&w, (double)r->size_bytes, !r->from_manifest);
            num_or_empty(&w, l ? l->batch : 0, l != NULL);
            num_or_empty(&w, l ? l->threads : 0, l != NULL);
            num_or_empty(&w, l ? l->median_us : 0, l != NULL);
            num_or_empty(&w, l ? l->p90_us : 0, l != NULL);
            num_or_empty(&w, l ? l->p99_us : 0, l != NULL);
            num_or_empty(&w, l ? l->mean_us : 0, l != NULL);
            num_or_empty(&w, l ? l->stddev_us : 0, l != NULL);
            num_or_empty(&w, l ? (double)l->iterations : 0, l != NULL);
            num_or_empty(&w, l ? l->init_ms : 0, l != NULL);
            num_or_empty(&w, l ? ecg_report_gflops(r, l->batch, l->median_us) : 0, l != NULL);
            /* against the peak of the cores it ran on: threads x one core's */
            num_or_empty(&w, l ? 100 * ecg_report_gflops(r, l->batch, l->median_us) / (peak_gflops * l->threads) : 0, l && peak_gflops > 0);
            num_or_empty(&w, (double)r->peak_rss_kb, !r->extra_seed);
            num_or_empty(&w, (double)r->weights_in_memory, !r->from_manifest);
            num_or_empty(&w, (double)r->activations_in_memory, !r->extra_seed && r->activations_in_memory >= 0);
            int b1t1 = !l || (l->batch == 1 && l->threads == 1); /* the fronts are marked on one row per run */
            ecg_csv_int(&w, b1t1 && l && ecg_report_on_front(rows, n, r, 1));
            ecg_csv_int(&w, b1t1 && ecg_report_on_front(rows, n, r, 0));
            ecg_csv_str(&w, l ? l->flag : ""); /* bench/latency_check.c */
            /* report/report_degenerate.c */
            ecg_csv_str(&w, ecg_report_balanced_name(r->task));
            num_or_empty(&w, r->balanced, isfinite(r->balanced));
            ecg_csv_str(&w, r->class_names[r->majority_class]);
            num_or_empty(&w, r->majority_balanced, isfinite(r->majority_balanced));
            num_or_empty(&w, r->majority_macro_f1, isfinite(r->majority_macro_f1));
            num_or_empty(&w, r->majority_accuracy, isfinite(r->majority_accuracy));
            ecg_csv_str(&w, r->class_names[r->top_class]);
            num_or_empty(&w, r->top_share, isfinite(r->top_share));
            ecg_csv_int(&w, r->degenerate);
            ecg_csv_end_row(&w);
        }
    }
    return ecg_csv_close_err(&w, err, errlen);
}

static int write_per_class(const char *path, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    static const char *const cols[] = {"dataset", "split", "model", "variant", "run", "seed", "class", "support",
                                       "sensitivity", "ppv", "specificity", "f1"};
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        for (int c = 0; c < r->m.classes; c++) {
            ecg_csv_str(&w, r->task->name);
            ecg_csv_str(&w, r->split);
            ecg_csv_str(&w, r->run->model);
            ecg_csv_str(&w, r->run->variant);
            ecg_csv_str(&w, r->run_name);
            ecg_csv_int(&w, r->seed);
            ecg_csv_str(&w, r->class_names[c]);
            ecg_csv_int(&w, support(&r->m, c));
            ecg_csv_num(&w, r->m.sensitivity[c]);
            ecg_csv_num(&w, r->m.ppv[c]);
            ecg_csv_num(&w, r->m.specificity[c]);
            ecg_csv_num(&w, r->m.f1[c]);
            ecg_csv_end_row(&w);
        }
    }
    return ecg_csv_close_err(&w, err, errlen);
}

/* Every run's confusion matrix, one cell per row; fraction_of_true is the cell over its true
 * class's support (the row-normalised matrix the heat maps show). */
static int write_confusion(const char *path, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    static const char *const cols[] = {"dataset", "split", "model", "variant", "run", "seed", "true_class", "predicted_class",
                                       "true_index", "predicted_index", "count", "fraction_of_true", "sample"};
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i];
        for (int t = 0; t < r->m.classes; t++)
            for (int p = 0; p < r->m.classes; p++) {
                long sup = support(&r->m, t);
                ecg_csv_str(&w, r->task->name);
                ecg_csv_str(&w, r->split);
                ecg_csv_str(&w, r->run->model);
                ecg_csv_str(&w, r->run->variant);
                ecg_csv_str(&w, r->run_name);
                ecg_csv_int(&w, r->seed);
                ecg_csv_str(&w, r->class_names[t]);
                ecg_csv_str(&w, r->class_names[p]);
                ecg_csv_int(&w, t);
                ecg_csv_int(&w, p);
                ecg_csv_int(&w, r->m.confusion[t][p]);
                num_or_empty(&w, sup ? (double)r->m.confusion[t][p] / (double)sup : 0, sup > 0);
                ecg_csv_int(&w, r->sample);
                ecg_csv_end_row(&w);
            }
    }
    return ecg_csv_close_err(&w, err, errlen);
}

/* A pruned variant, or the trained run some pruned variant came from. */
static int in_sweep(const ecg_report_row *rows, int n, const ecg_report_row *r) {
    if (r->extra_seed) return 0; /* the pruned variants come from seed 1 */
    if (r->sparsity > 0) return 1;
    for (int i = 0; i < n; i++)
        if (rows[i].sparsity > 0 && !strcmp(rows[i].source_name, r->run_name)) return 1;
    return 0;
}

static int by_source_then_sparsity(const void *a, const void *b, void *rows_) {
    const ecg_report_row *rows = rows_, *x = &rows[*(const int *)a], *y = &rows[*(const int *)b];
    const char *sx = x->source_name[0] ? x->source_name : x->run_name;
    const char *sy = y->source_name[0] ? y->source_name : y->run_name;
    int c = strcmp(sx, sy);
    return c ? c : (x->sparsity > y->sparsity) - (x->sparsity < y->sparsity);
}

static int write_sweep(const char *path, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    static const char *const cols[] = {"dataset", "model", "source", "run", "sparsity", "accuracy", "macro_f1",
                                       "params", "nonzero_params", "flops_nonzero", "size_bytes",
                                       "latency_median_us_b1_t1", "latency_p90_us_b1_t1", "balanced_score_name",
                                       "balanced_score", "majority_balanced_score", "degenerate", "sample"};
    int *order = malloc(sizeof(int) * (size_t)(n + 1)), m = 0;
    if (!order) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (in_sweep(rows, n, &rows[i])) order[m++] = i;
    qsort_r(order, (size_t)m, sizeof *order, by_source_then_sparsity, (void *)rows);
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int k = 0; k < m; k++) {
        const ecg_report_row *r = &rows[order[k]];
        const ecg_report_latency *l = ecg_report_latency_b1t1(r);
        ecg_csv_str(&w, r->task->name);
        ecg_csv_str(&w, r->run->model);
        ecg_csv_str(&w, r->source_name[0] ? r->source_name : r->run_name);
        ecg_csv_str(&w, r->run_name);
        ecg_csv_num(&w, r->sparsity);
        ecg_csv_num(&w, r->m.accuracy);
        ecg_csv_num(&w, r->m.macro_f1);
        ecg_csv_int(&w, r->params);
        ecg_csv_int(&w, r->nonzero_params);
        ecg_csv_int(&w, r->flops_nonzero);
        ecg_csv_int(&w, r->size_bytes);
        num_or_empty(&w, l ? l->median_us : 0, l != NULL);
        num_or_empty(&w, l ? l->p90_us : 0, l != NULL);
        ecg_csv_str(&w, ecg_report_balanced_name(r->task));
        num_or_empty(&w, r->balanced, isfinite(r->balanced));
        num_or_empty(&w, r->majority_balanced, isfinite(r->majority_balanced));
        ecg_csv_int(&w, r->degenerate);
        ecg_csv_int(&w, r->sample);
        ecg_csv_end_row(&w);
    }
    free(order);
    return ecg_csv_close_err(&w, err, errlen);
}

int ecg_report_write_csv(const char *out, const ecg_report_row *rows, int n, double peak_gflops, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/results.csv", out);
    if (write_results(path, rows, n, peak_gflops, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/per_class.csv", out);
    if (write_per_class(path, rows, n, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/confusion.csv", out);
    if (write_confusion(path, rows, n, err, errlen)) return -1;
    snprintf(path, sizeof path, "%s/sweep.csv", out);
    return write_sweep(path, rows, n, err, errlen);
}
