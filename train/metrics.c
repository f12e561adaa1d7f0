/* Confusion matrix and the per-class metrics the reports print. */
#include <math.h>
#include <string.h>

#include "train/train.h"

void ecg_metrics_init(ecg_metrics *m, int classes) {
    memset(m, 0, sizeof *m);
    m->classes = classes < 1 ? 1 : classes > ECG_MAX_CLASSES ? ECG_MAX_CLASSES : classes;
}

int ecg_metrics_add(ecg_metrics *m, int truth, int predicted) {
    if (truth < 0 || truth >= m->classes || predicted < 0 || predicted >= m->classes) return -1;
    m->confusion[truth][predicted]++;
    m->n++;
    return 0;
}

static double ratio(long a, long b) { return b > 0 ? (double)a / (double)b : NAN; }

void ecg_metrics_finish(ecg_metrics *m) {
    long correct = 0;
    double f1_sum = 0;
    int present = 0;
    for (int c = 0; c < m->classes; c++) {
        long tp = m->confusion[c][c], actual = 0, predicted = 0;
        for (int k = 0; k < m->classes; k++) {
            actual += m->confusion[c][k];
            predicted += m->confusion[k][c];
        }
        long tn = m->n - actual - predicted + tp;
        correct += tp;
        m->sensitivity[c] = ratio(tp, actual);
        m->ppv[c] = ratio(tp, predicted);
        m->specificity[c] = ratio(tn, m->n - actual);
        double se = m->sensitivity[c], p = m->ppv[c];
        m->f1[c] = se > 0 && p > 0 ? 2 * se * p / (se + p) : 0.0;
        if (actual > 0) {
            f1_sum += m->f1[c];
            present++;
        }
    }
    m->accuracy = ratio(correct, m->n);
    m->macro_f1 = present ? f1_sum / present : NAN;
}

int ecg_argmax(const float *logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best] || isnan(logits[best])) best = i;
    return best;
}

double ecg_metrics_mean_f1(const ecg_metrics *m, int k) {
    double sum = 0;
    for (int c = 0; c < k && c < m->classes; c++) sum += m->f1[c];
    return k > 0 && k <= m->classes ? sum / k : NAN;
}
