/* Decision offsets: one number per class added to a classifier's logits before the arg-max, fitted
 * on held-out predictions (the out-of-fold logits of a recipe's cross-validation runs, or a run's
 * validation split) to raise the task's score, and folded into the classifier's bias so the run
 * stays a plain model.
 * A net trained with class weights calls rare classes at a rate its training patients set; the
 * offsets move that operating point on patients it never saw, and only there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The distinct fold ids of fold[0..n) in order of first appearance; returns how many (at most max). */
static int fold_ids(const int *fold, long n, int *ids, int max) {
    int k = 0;
    for (long i = 0; i < n; i++) {
        int j = 0;
        while (j < k && ids[j] != fold[i]) j++;
        if (j == k && k < max) ids[k++] = fold[i];
    }
    return k;
}

/* Which classes a fit on the examples outside fold *skip (skip NULL: on all) adjusts: those of want
 * with at least min_support examples there. */
static void fit_mask(const int *y, const int *fold, long n, int classes, const int *skip, long min_support,
                     const unsigned char *want, unsigned char *fit) {
    long support[ECG_MAX_CLASSES] = {0};
    for (long i = 0; i < n; i++)
        if ((!skip || fold[i] != *skip) && y[i] >= 0 && y[i] < classes) support[y[i]]++;
    for (int c = 0; c < classes; c++) fit[c] = want[c] && support[c] >= min_support;
}

typedef struct {
    const float *z;
    const int *y, *fold;
    long n;
    int classes, score_classes, n_folds, ids[ECG_OFFSETS_MAX_FOLDS];
    long min_support;
    float *zs;       /* n x classes: the other folds' logits, then the held-out fold's */
    int *ys, *work;  /* n each */
} cv_data;

/* The offsets of the classes in want fitted on every fold but k, applied to fold k, for each k:
 * their confusions summed. */
static void held_out(cv_data *d, const unsigned char *want, ecg_metrics *sum) {
    int classes = d->classes;
    ecg_metrics_init(sum, classes);
    for (int k = 0; k < d->n_folds; k++) {
        long n_rest = 0, n_k = 0;
        for (int pass = 0; pass < 2; pass++) /* the other folds first, then fold k at the end */
            for (long i = 0; i < d->n; i++) {
                if ((d->fold[i] == d->ids[k]) != pass) continue;
                long at = pass ? n_rest + n_k++ : n_rest++;
                memcpy(d->zs + at * classes, d->z + i * classes, sizeof *d->zs * (size_t)classes);
                d->ys[at] = d->y[i];
            }
        double off[ECG_MAX_CLASSES];
        unsigned char fit[ECG_MAX_CLASSES];
        ecg_metrics m;
        fit_mask(d->y, d->fold, d->n, classes, &d->ids[k], d->min_support, want, fit);
        ecg_offsets_fit(d->zs, d->ys, n_rest, classes, d->score_classes, fit, off, d->work);
        ecg_offsets_confusion(d->zs + n_rest * classes, d->ys + n_rest, n_k, classes, off, &m);
        for (int t = 0; t < classes; t++)
            for (int q = 0; q < classes; q++) sum->confusion[t][q] += m.confusion[t][q];
        sum->n += m.n;
    }
    ecg_metrics_finish(sum);
}

int ecg_offsets_fit_cv(const float *z, const int *y, const int *fold, long n, int classes, int score_classes,
                       long min_support, ecg_offsets_cv *out) {
    memset(out, 0, sizeof *out);
    cv_data d = {.z = z, .y = y, .fold = fold, .n = n, .classes = classes, .score_classes = score_classes,
                 .min_support = min_support};
    d.n_folds = fold_ids(fold, n, d.ids, ECG_OFFSETS_MAX_FOLDS);
    if (d.n_folds < 2 || classes < 2 || classes > ECG_MAX_CLASSES) return -1;
    d.zs = malloc(sizeof *d.zs * (size_t)n * (size_t)classes);
    d.ys = malloc(sizeof *d.ys * (size_t)n);
    d.work = malloc(sizeof *d.work * (size_t)n);
    int rc = -1;
    if (!d.zs || !d.ys || !d.work) goto done;
    /* backward elimination on the held-out score: while leaving one more class at 0 raises it, the
     * class whose removal raises it most is left out (a class whose examples are one patient's, as
     * DS1's F, fits an offset that does not carry to the others) */
    unsigned char want[ECG_MAX_CLASSES];
    for (int c = 0; c < classes; c++) want[c] = c > 0;
    held_out(&d, want, &out->held_out);
    double best = ecg_offsets_score(&out->held_out, score_classes);
    for (;;) {
        int drop = -1;
        ecg_metrics m, drop_m;
        double drop_score = best;
        for (int c = 1; c < classes; c++) {
            if (!want[c]) continue;
            want[c] = 0;
            held_out(&d, want, &m);
            want[c] = 1;
            if (ecg_offsets_score(&m, score_classes) > drop_score) drop = c, drop_score = ecg_offsets_score(&m, score_classes), drop_m = m;
        }
        if (drop < 0) break;
        want[drop] = 0, best = drop_score, out->held_out = drop_m;
        out->dropped[out->n_dropped] = drop, out->dropped_score[out->n_dropped++] = best;
    }
    double zero[ECG_MAX_CLASSES] = {0};
    fit_mask(y, fold, n, classes, NULL, min_support, want, out->fitted);
    ecg_offsets_confusion(z, y, n, classes, zero, &out->without);
    ecg_offsets_fit(z, y, n, classes, score_classes, out->fitted, out->off, d.work);
    ecg_offsets_confusion(z, y, n, classes, out->off, &out->in_sample);
    out->n_folds = d.n_folds;
    rc = 0;
done:
    free(d.zs), free(d.ys), free(d.work);
    return rc;
}
