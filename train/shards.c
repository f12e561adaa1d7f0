/* Data-parallel training step: the batch is split into shards, each run by its own copy of the
 * graph on its own thread; the loss is computed once over the whole batch, so the summed
 * gradients are exactly the whole batch's (batchnorm statistics excepted: they are per shard). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/loss.h"
#include "ops/rng.h"
#include "train/internal.h"

void ecg_parallel_free(ecg_parallel *p) {
    for (int i = 0; p->shards && i < p->n_shards; i++) {
        ecg_ref_free(p->shards[i].ref);
        ecg_graph_free(&p->shards[i].g);
        free(p->shards[i].x);
        free(p->shards[i].features);
    }
    free(p->shards);
    free(p->logits);
    free(p->dlogits);
    free(p->labels);
    if (p->tp) pthreadpool_destroy(p->tp);
    memset(p, 0, sizeof *p);
}

int ecg_parallel_init(ecg_parallel *p, ecg_graph *master, int batch, int threads, size_t example_floats,
                      size_t feature_floats, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    threads = ecg_threads_for(threads);
    if (threads > batch) threads = batch;
    p->master = master;
    p->batch = batch;
    p->n_shards = threads;
    p->classes = (int)ecg_shape_numel(&master->values[master->output].shape);
    p->example_floats = example_floats;
    p->feature_floats = feature_floats;
    p->shards = calloc((size_t)threads, sizeof *p->shards);
    p->logits = malloc((size_t)batch * (size_t)p->classes * sizeof(float));
    p->dlogits = malloc((size_t)batch * (size_t)p->classes * sizeof(float));
    p->labels = calloc((size_t)batch, sizeof(int));
    if (!p->shards || !p->logits || !p->dlogits || !p->labels) goto oom;
    if (threads > 1 && !(p->tp = pthreadpool_create((size_t)threads))) goto oom;
    for (int i = 0; i < threads; i++) {
        ecg_shard *s = &p->shards[i];
        s->start = (int)((long)batch * i / threads);
        s->n = (int)((long)batch * (i + 1) / threads) - s->start;
        if (ecg_graph_clone(&s->g, master) || ecg_graph_alloc_grads(&s->g)) goto oom;
        if (!(s->ref = ecg_ref_create(&s->g, s->n, err, errlen))) goto fail;
        s->x = calloc((size_t)s->n * example_floats + 1, sizeof(float));
        s->features = calloc((size_t)s->n * feature_floats + 1, sizeof(float));
        if (!s->x || !s->features) goto oom;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory for %d training shards of batch %d", threads, batch);
fail:
    ecg_parallel_free(p);
    return -1;
}

static ecg_shard *shard_of(ecg_parallel *p, int row) {
    int i = 0;
    while (row >= p->shards[i].start + p->shards[i].n) i++;
    return &p->shards[i];
}

float *ecg_parallel_x(ecg_parallel *p, int row) {
    ecg_shard *s = shard_of(p, row);
    return s->x + (size_t)(row - s->start) * p->example_floats;
}

float *ecg_parallel_features(ecg_parallel *p, int row) {
    ecg_shard *s = shard_of(p, row);
    return s->features + (size_t)(row - s->start) * p->feature_floats;
}

static void forward_shard(void *arg, size_t i) {
    ecg_parallel *p = arg;
    ecg_shard *s = &p->shards[i];
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        memcpy(s->g.params[j].data, m->data, (size_t)ecg_shape_numel(&m->shape) * sizeof(float));
    }
    const float *inputs[2] = {s->x, s->features};
    ecg_ref_forward(s->ref, inputs, 1, ecg_hash64(p->step_seed, i));
    memcpy(p->logits + (size_t)s->start * p->classes, ecg_ref_output(s->ref), (size_t)s->n * p->classes * sizeof(float));
}

static void backward_shard(void *arg, size_t i) {
    ecg_parallel *p = arg;
    ecg_shard *s = &p->shards[i];
    ecg_graph_zero_grads(&s->g);
    ecg_ref_backward(s->ref, p->dlogits + (size_t)s->start * p->classes);
}

/* Sums the shards' gradients into the master, and averages their batchnorm running statistics
 * (each shard updated its own copy from its own rows), weighted by shard size. */
static void reduce(ecg_parallel *p) {
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        size_t n = (size_t)ecg_shape_numel(&m->shape);
        if (m->trainable) {
            memset(m->grad, 0, n * sizeof(float));
            for (int i = 0; i < p->n_shards; i++)
                for (size_t k = 0; k < n; k++) m->grad[k] += p->shards[i].g.params[j].grad[k];
        } else {
            for (size_t k = 0; k < n; k++) {
                double sum = 0;
                for (int i = 0; i < p->n_shards; i++) sum += (double)p->shards[i].n * p->shards[i].g.params[j].data[k];
                m->data[k] = (float)(sum / p->batch);
            }
        }
    }
}

double ecg_parallel_step(ecg_parallel *p, ecg_adamw *opt, const float *class_weight, float lr, uint64_t seed,
                         int *correct) {
    p->step_seed = seed;
    pthreadpool_parallelize_1d(p->tp, forward_shard, p, (size_t)p->n_shards, 0);
    double loss = ecg_softmax_xent(p->logits, p->labels, class_weight, p->batch, p->classes, p->dlogits);
    *correct = 0;
    for (int i = 0; i < p->batch; i++)
        *correct += ecg_argmax(p->logits + (size_t)i * p->classes, p->classes) == p->labels[i];
    if (!isfinite(loss)) return NAN;
    pthreadpool_parallelize_1d(p->tp, backward_shard, p, (size_t)p->n_shards, 0);
    reduce(p);
    ecg_adamw_step(opt, lr);
    return loss;
}
