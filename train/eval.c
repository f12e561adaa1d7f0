/* Evaluation of a model on a dataset through the XNNPACK executor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/qmodel.h"
#include "train/train.h"

/* The output of an o model for d's examples: [classes] logits, or the input's shape. */
static int output_fits(const ecg_shape *out, const ecg_dataset *d, ecg_objective o, char *err, size_t errlen) {
    char a[64], b[64];
    ecg_shape x = ecg_shape2(d->length, d->channels);
    if (o == ECG_OBJECTIVE_RECONSTRUCT) {
        if (ecg_shape_eq(out, &x)) return 0;
        snprintf(err, errlen, "model output %s is not the shape of the %s examples %s it reconstructs",
                 ecg_shape_str(out, a, sizeof a), d->task, ecg_shape_str(&x, b, sizeof b));
        return -1;
    }
    if (out->rank == 1 && out->d[0] == d->n_classes && d->n_classes <= ECG_MAX_CLASSES) return 0;
    snprintf(err, errlen, "model output %s does not fit the %d classes of %s%s", ecg_shape_str(out, a, sizeof a),
             d->n_classes, d->task,
             ecg_shape_eq(out, &x) ? " (it has the input's shape: an autoencoder, which has no classes)" : "");
    return -1;
}

int ecg_check_model_fits_for(const ecg_graph *g, const ecg_dataset *d, ecg_objective o, char *err, size_t errlen) {
    char a[64], b[64];
    ecg_shape x = ecg_shape2(d->length, d->channels);
    const ecg_shape *in0 = &g->values[g->inputs[0]].shape;
    if (!ecg_shape_eq(in0, &x)) {
        snprintf(err, errlen, "model input %s does not fit %s/%s examples %s", ecg_shape_str(in0, a, sizeof a), d->task,
                 d->split, ecg_shape_str(&x, b, sizeof b));
        return -1;
    }
    if (output_fits(&g->values[g->output].shape, d, o, err, errlen)) return -1;
    if (g->n_inputs > 1) {
        const ecg_shape *in1 = &g->values[g->inputs[1]].shape; /* [F] or [1, F]: the same floats */
        if (!d->features || ecg_shape_numel(in1) != d->n_features) {
            snprintf(err, errlen, "model features input %s does not fit the %d features of %s",
                     ecg_shape_str(in1, a, sizeof a), d->n_features, d->task);
            return -1;
        }
    }
    if (g->n_inputs > 2) {
        snprintf(err, errlen, "models with %d inputs are not supported", g->n_inputs);
        return -1;
    }
    return 0;
}

int ecg_check_model_fits(const ecg_graph *g, const ecg_dataset *d, char *err, size_t errlen) {
    return ecg_check_model_fits_for(g, d, ECG_OBJECTIVE_CLASSIFY, err, errlen);
}

/* The executor's values for a batch of 30 s records are large (ResNet1D: about 14 MB per example
 * after memory planning, 140 MB before), so the batch is capped to keep them within 2 GiB. */
#define EVAL_VALUE_BYTES ((size_t)2 << 30)

int ecg_eval_batch_cap(const ecg_graph *g, int batch) {
    size_t per_example = 0, *offset = malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof *offset);
    int planned = offset && !ecg_xnn_plan(g, 1, offset, &per_example);
    free(offset);
    if (!planned) return 1;
    size_t fit = per_example ? EVAL_VALUE_BYTES / per_example : (size_t)batch;
    if (fit < 1) fit = 1;
    return (size_t)batch > fit ? (int)fit : batch;
}

/* What is done with each batch's outputs: rows start .. start + n - 1 of d gave out. */
typedef void (*batch_fn)(void *ctx, const ecg_dataset *d, int start, int n, const float *out);

/* Every example of d through the executor in batches (the last one zero-padded), each batch's
 * outputs handed to fn. */
static int run_batches(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, ecg_objective o, int batch,
                       int threads, batch_fn fn, void *ctx, char *err, size_t errlen) {
    if (ecg_check_model_fits_for(g, d, o, err, errlen)) return -1;
    batch = ecg_eval_batch_cap(g, batch);
    if (batch < 1) batch = 1;
    if (batch > d->n && d->n > 0) batch = d->n;
    ecg_xnn *x = q ? ecg_xnn_create_q(g, q, batch, threads, 0, err, errlen) : ecg_xnn_create(g, batch, threads, 0, err, errlen);
    if (!x) return -1;
    size_t ex = (size_t)d->length * (size_t)d->channels, nf = (size_t)d->n_features;
    for (int start = 0; start < d->n; start += batch) {
        int n = d->n - start < batch ? d->n - start : batch;
        float *in0 = ecg_xnn_input(x, 0);
        memcpy(in0, d->x + (size_t)start * ex, (size_t)n * ex * sizeof(float));
        memset(in0 + (size_t)n * ex, 0, (size_t)(batch - n) * ex * sizeof(float));
        if (g->n_inputs > 1) {
            float *in1 = ecg_xnn_input(x, 1);
            memcpy(in1, d->features + (size_t)start * nf, (size_t)n * nf * sizeof(float));
            memset(in1 + (size_t)n * nf, 0, (size_t)(batch - n) * nf * sizeof(float));
        }
        if (ecg_xnn_run(x)) {
            snprintf(err, errlen, "XNNPACK run failed at example %d", start);
            ecg_xnn_free(x);
            return -1;
        }
        fn(ctx, d, start, n, ecg_xnn_output(x));
    }
    ecg_xnn_free(x);
    return 0;
}

typedef struct {
    ecg_metrics *m;
    float *logits;
} classify_ctx;

static void classify_batch(void *ctx, const ecg_dataset *d, int start, int n, const float *out) {
    classify_ctx *c = ctx;
    int classes = d->n_classes;
    for (int i = 0; i < n; i++) ecg_metrics_add(c->m, d->y[start + i], ecg_argmax(out + (size_t)i * classes, classes));
    if (c->logits) memcpy(c->logits + (size_t)start * classes, out, (size_t)n * classes * sizeof(float));
}

static int evaluate(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads,
                    ecg_metrics *m, float *logits, char *err, size_t errlen) {
    ecg_metrics_init(m, d->n_classes);
    classify_ctx c = {m, logits};
    if (run_batches(g, q, d, ECG_OBJECTIVE_CLASSIFY, batch, threads, classify_batch, &c, err, errlen)) return -1;
    ecg_metrics_finish(m);
    return 0;
}

/* Summed in double over the whole split: a mean of batch means would weigh the last batch wrong. */
static void squared_error_batch(void *ctx, const ecg_dataset *d, int start, int n, const float *out) {
    double *sum = ctx;
    size_t ex = (size_t)d->length * (size_t)d->channels;
    const float *x = d->x + (size_t)start * ex;
    for (size_t i = 0; i < (size_t)n * ex; i++) {
        double e = (double)out[i] - (double)x[i];
        *sum += e * e;
    }
}

int ecg_evaluate_mse(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads,
                     double *mse, char *err, size_t errlen) {
    double sum = 0;
    *mse = NAN;
    if (d->n < 1) {
        snprintf(err, errlen, "%s/%s has no examples to reconstruct", d->task, d->split);
        return -1;
    }
    if (run_batches(g, q, d, ECG_OBJECTIVE_RECONSTRUCT, batch, threads, squared_error_batch, &sum, err, errlen))
        return -1;
    *mse = sum / ((double)d->n * (double)d->length * (double)d->channels);
    if (!isfinite(*mse)) {
        snprintf(err, errlen, "the reconstruction error on %s/%s is not finite", d->task, d->split);
        return -1;
    }
    return 0;
}

static void copy_batch(void *ctx, const ecg_dataset *d, int start, int n, const float *out) {
    size_t ex = (size_t)d->length * (size_t)d->channels;
    memcpy((float *)ctx + (size_t)start * ex, out, (size_t)n * ex * sizeof(float));
}

int ecg_reconstruct(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads, float *out,
                    char *err, size_t errlen) {
    return run_batches(g, q, d, ECG_OBJECTIVE_RECONSTRUCT, batch, threads, copy_batch, out, err, errlen);
}

int ecg_evaluate(const ecg_graph *g, const ecg_dataset *d, int batch, int threads, ecg_metrics *m, float *logits,
                 char *err, size_t errlen) {
    return evaluate(g, NULL, d, batch, threads, m, logits, err, errlen);
}

int ecg_evaluate_q(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads,
                   ecg_metrics *m, float *logits, char *err, size_t errlen) {
    if (!q) {
        snprintf(err, errlen, "no int8 model given");
        return -1;
    }
    return evaluate(g, q, d, batch, threads, m, logits, err, errlen);
}
