/* The training losses. Softmax cross-entropy (classifiers): torch.nn.CrossEntropyLoss(weight=class_weight) with
 * reduction 'mean', i.e. sum_i w[y_i] * nll_i / sum_i w[y_i], nll_i = logsumexp(z_i) - z_i[y_i].
 * Computed in double with the row maximum subtracted (no overflow for large logits). Mean squared
 * error (autoencoders, reconstructing their input): see loss.h. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>

#include "loss.h"

static void fill_nan(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = NAN;
}

/* 1 when every label is a class and no logit is NaN: the loss is then defined. */
static int xent_inputs_valid(const float *logits, const int *labels, int batch, int classes) {
    for (int i = 0; i < batch; i++)
        if (labels[i] < 0 || labels[i] >= classes) return 0;
    for (size_t i = 0; i < (size_t)batch * (size_t)classes; i++)
        if (isnan(logits[i])) return 0;
    return 1;
}

static double row_max(const float *z, int classes) {
    double m = z[0];
    for (int j = 1; j < classes; j++) m = fmax(m, z[j]);
    return m;
}

double ecg_softmax_xent(const float *logits, const int *labels, const float *class_weight, int batch,
                        int classes, float *dlogits) {
    if (batch < 1 || classes < 1 || !logits || !labels) return NAN;
    size_t total = (size_t)batch * (size_t)classes;
    if (!xent_inputs_valid(logits, labels, batch, classes)) {
        if (dlogits) fill_nan(dlogits, total);
        return NAN;
    }
    double weight_sum = 0, loss = 0;
    for (int i = 0; i < batch; i++) weight_sum += class_weight ? class_weight[labels[i]] : 1.0;
    for (int i = 0; i < batch; i++) {
        const float *z = logits + (size_t)i * (size_t)classes;
        double m = row_max(z, classes), sum = 0;
        for (int j = 0; j < classes; j++) sum += exp(z[j] - m);
        double lse = m + log(sum), wi = class_weight ? class_weight[labels[i]] : 1.0;
        loss += wi * (lse - z[labels[i]]);
        if (!dlogits) continue;
        /* d loss / d z_ij = w_i / W * (softmax_ij - [j == y_i]) */
        float *d = dlogits + (size_t)i * (size_t)classes;
        for (int j = 0; j < classes; j++)
            d[j] = (float)(wi / weight_sum * (exp(z[j] - lse) - (j == labels[i] ? 1.0 : 0.0)));
    }
    return loss / weight_sum;
}

/* The reason ecg_mse refuses its inputs (written to err), or 0 when the loss is defined. */
static int mse_inputs_valid(const float *pred, const ecg_shape *ps, const float *target, const ecg_shape *ts,
                            int batch, char *err, size_t errlen) {
    char a[64], b[64];
    if (!pred || !target || !ps || !ts) {
        snprintf(err, errlen, "mse: no %s given", !pred || !ps ? "prediction" : "target");
        return 0;
    }
    if (!ecg_shape_eq(ps, ts)) {
        snprintf(err, errlen, "mse: prediction %s and target %s differ in shape", ecg_shape_str(ps, a, sizeof a),
                 ecg_shape_str(ts, b, sizeof b));
        return 0;
    }
    if (batch < 1 || ecg_shape_numel(ps) < 1) {
        snprintf(err, errlen, "mse: empty batch (%d examples of %s)", batch, ecg_shape_str(ps, a, sizeof a));
        return 0;
    }
    size_t n = (size_t)batch * (size_t)ecg_shape_numel(ps);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(pred[i]) || !isfinite(target[i])) {
            int in_pred = !isfinite(pred[i]);
            snprintf(err, errlen, "mse: %s element %zu (example %zu) is %g", in_pred ? "prediction" : "target", i,
                     i / (size_t)ecg_shape_numel(ps), (double)(in_pred ? pred[i] : target[i]));
            return 0;
        }
    return 1;
}

double ecg_mse(const float *pred, const ecg_shape *pred_shape, const float *target, const ecg_shape *target_shape,
               int batch, float *dpred, char *err, size_t errlen) {
    if (!mse_inputs_valid(pred, pred_shape, target, target_shape, batch, err, errlen)) {
        /* the shape may be the broken part: fill only what the caller's buffer surely holds */
        if (dpred && pred_shape && batch > 0 && ecg_shape_numel(pred_shape) > 0)
            fill_nan(dpred, (size_t)batch * (size_t)ecg_shape_numel(pred_shape));
        return NAN;
    }
    size_t n = (size_t)batch * (size_t)ecg_shape_numel(pred_shape);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i];
        sum += d * d;
        if (dpred) dpred[i] = (float)(2.0 * d / (double)n);
    }
    return sum / (double)n;
}
