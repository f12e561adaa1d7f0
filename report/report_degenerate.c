/* Degenerate runs and the class-balanced score of `ecgbench report`. On mitdb-aami 89% of the
 * DS2 beats are N, so a model that calls every beat N has accuracy 0.89: accuracy alone would put
 * it among the good runs. The plots and Pareto fronts therefore use a class-balanced score (the
 * task's own, else macro-F1), and a run is DEGENERATE when either
 *   - one class gets >= 97% of its predictions while that class is < 97% of the truth, or
 *   - its class-balanced score or its macro-F1 is not above that of the majority-class baseline:
 *     "always predict the most common class of the test split" (on mitdb-aami DS2, always N:
 *     macro-F1 0.19).
 * A degenerate run is marked in results.csv, the tables and the plots, and is never on a front. */
#include <math.h>
#include <string.h>

#include "report/report.h"

#define DEGENERATE_SHARE 0.97

double ecg_report_balanced_score(const ecg_task *t, const ecg_metrics *m) {
    return t->score_name ? ecg_metrics_mean_f1(m, t->score_classes) : m->macro_f1;
}

const char *ecg_report_balanced_name(const ecg_task *t) { return t->score_name ? t->score_name : "macro-F1"; }

void ecg_report_judge(ecg_report_row *r) {
    const ecg_metrics *m = &r->m;
    long truth[ECG_MAX_CLASSES] = {0}, predicted[ECG_MAX_CLASSES] = {0};
    for (int t = 0; t < m->classes; t++)
        for (int p = 0; p < m->classes; p++) truth[t] += m->confusion[t][p], predicted[p] += m->confusion[t][p];
    int maj = 0, top = 0;
    for (int c = 1; c < m->classes; c++) {
        if (truth[c] > truth[maj]) maj = c;
        if (predicted[c] > predicted[top]) top = c;
    }
    /* the baseline's metrics, computed as a run's are: every example predicted as maj */
    ecg_metrics b;
    ecg_metrics_init(&b, m->classes);
    for (int t = 0; t < m->classes; t++) b.confusion[t][maj] = truth[t];
    b.n = m->n;
    ecg_metrics_finish(&b);
    r->balanced = ecg_report_balanced_score(r->task, m);
    r->majority_class = maj;
    r->majority_balanced = ecg_report_balanced_score(r->task, &b);
    r->majority_macro_f1 = b.macro_f1;
    r->majority_accuracy = b.accuracy;
    r->top_class = top;
    r->top_share = m->n ? (double)predicted[top] / (double)m->n : NAN;
    double top_truth = m->n ? (double)truth[top] / (double)m->n : NAN;
    int one_class = r->top_share >= DEGENERATE_SHARE && top_truth < DEGENERATE_SHARE;
    /* written as "not above" so that a NaN score also counts as no better */
    int no_better = !(r->balanced > r->majority_balanced) || !(m->macro_f1 > b.macro_f1);
    r->degenerate = m->n > 0 && (one_class || no_better);
}

void ecg_report_degenerate_reason(const ecg_report_row *r, char *buf, size_t len) {
    const char *top = r->class_names[r->top_class], *maj = r->class_names[r->majority_class];
    if (!r->degenerate) snprintf(buf, len, "%s", "");
    else if (r->top_share >= DEGENERATE_SHARE)
        snprintf(buf, len, "predicts %s for %.1f%%", top, 100 * r->top_share);
    else
        snprintf(buf, len, "%s %.3f, no better than always predicting %s (%.3f)", ecg_report_balanced_name(r->task),
                 r->balanced, maj, r->majority_balanced);
}
