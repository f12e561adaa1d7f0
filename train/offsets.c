/* Decision offsets: one number per class added to a classifier's logits before the arg-max, fitted
 * on held-out predictions (the out-of-fold logits of a recipe's cross-validation runs) to raise
 * the task's score, and folded into the classifier's bias so the run stays a plain model.
 * A net trained with class weights calls rare classes at a rate its training patients set; the
 * offsets move that operating point on patients it never saw, and only there. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/train.h"

/* The grid each offset is searched on, in logits; wide enough for any trade a softmax makes. */
#define OFFSET_MIN (-8.0)
#define OFFSET_STEP 0.05
#define OFFSET_STEPS 321 /* -8 .. +8 */
#define MAX_PASSES 50

double ecg_offsets_score(const ecg_metrics *m, int score_classes) {
    return score_classes ? ecg_metrics_mean_f1(m, score_classes) : m->macro_f1;
}

void ecg_offsets_confusion(const float *logits, const int *labels, long n, int classes, const double *off,
                           ecg_metrics *m) {
    ecg_metrics_init(m, classes);
    for (long i = 0; i < n; i++) {
        const float *z = logits + i * classes;
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (z[c] + off[c] > z[best] + off[best]) best = c; /* first on ties, as ecg_argmax */
        ecg_metrics_add(m, labels[i], best);
    }
    ecg_metrics_finish(m);
}

/* The best value of off[c] on the grid with the other offsets held: each example's best other
 * class is computed once, then every grid value costs one pass over the examples. Keeps off[c]
 * unless a value scores strictly higher (so ties stay put and the search ends). */
static int improve_class(const float *logits, const int *labels, long n, int classes, int score_classes, double *off,
                         int c, double *score, int *other) {
    for (long i = 0; i < n; i++) {
        const float *z = logits + i * classes;
        int o = c == 0 ? 1 : 0;
        for (int k = o + 1; k < classes; k++)
            if (k != c && z[k] + off[k] > z[o] + off[o]) o = k;
        other[i] = o;
    }
    double best = *score, best_v = off[c];
    for (int s = 0; s < OFFSET_STEPS; s++) {
        double v = OFFSET_MIN + s * OFFSET_STEP;
        ecg_metrics m;
        ecg_metrics_init(&m, classes);
        for (long i = 0; i < n; i++) {
            const float *z = logits + i * classes;
            int o = other[i];
            double zc = z[c] + v, zo = z[o] + off[o];
            ecg_metrics_add(&m, labels[i], zc > zo || (zc == zo && c < o) ? c : o);
        }
        ecg_metrics_finish(&m);
        double sc = ecg_offsets_score(&m, score_classes);
        if (sc > best + 1e-12) best = sc, best_v = v;
    }
    if (best_v == off[c]) return 0;
    off[c] = best_v, *score = best;
    return 1;
}

int ecg_offsets_fit(const float *logits, const int *labels, long n, int classes, int score_classes,
                    const unsigned char *fit, double *off, int *work) {
    for (int c = 0; c < classes; c++) off[c] = 0;
    if (classes < 2 || n < 1) return 0;
    ecg_metrics m;
    ecg_offsets_confusion(logits, labels, n, classes, off, &m);
    double score = ecg_offsets_score(&m, score_classes);
    int passes = 0, moved = 1;
    /* class 0 stays at 0: adding one number to every logit changes nothing */
    while (moved && passes < MAX_PASSES) {
        moved = 0;
        for (int c = 1; c < classes; c++)
            if (fit[c]) moved |= improve_class(logits, labels, n, classes, score_classes, off, c, &score, work);
        passes++;
    }
    return passes;
}

int ecg_offsets_apply(ecg_graph *g, const double *off, int classes, char *err, size_t errlen) {
    const ecg_value *out = g->output >= 0 ? &g->values[g->output] : NULL;
    const ecg_node *n = out && out->producer >= 0 ? &g->nodes[out->producer] : NULL;
    if (!n || n->kind != ECG_OP_LINEAR || !n->a.has_bias || n->n_param < 2) {
        snprintf(err, errlen, "the model's output is not a linear layer with a bias, so there is no classifier bias to "
                              "move");
        return -1;
    }
    ecg_param *b = &g->params[n->param[1]];
    if (ecg_shape_numel(&b->shape) != classes) {
        snprintf(err, errlen, "%s has %lld values, the offsets are for %d classes", b->name,
                 (long long)ecg_shape_numel(&b->shape), classes);
        return -1;
    }
    for (int c = 0; c < classes; c++) {
        if (!isfinite(off[c])) {
            snprintf(err, errlen, "offset %d is not finite", c);
            return -1;
        }
        b->data[c] += (float)off[c];
    }
    return 0;
}
