/* Data-parallel training step: the batch is split into shards, each run by its own copy of the
 * graph on its own thread; the loss is computed once over the whole batch, so the summed
 * gradients are exactly the whole batch's (batchnorm statistics excepted: they are per shard).
 * Over ranks (cfg.comm), each process runs its own shards, the logits are gathered so that every
 * rank computes the same loss, and each rank's shard sum is summed over the ranks. With 2 ranks
 * of 1 shard that sum is g0 + g1, the same float addition one process of 2 shards makes (it adds
 * to 0 first, and 0 + g0 is g0 but for the sign of a zero, which x + 0 and x + -0 do not see);
 * so the weights match to the bit. With more ranks MPI may associate the sum differently. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/loss.h"
#include "ops/rng.h"
#include "ops/timing.h"
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
    free(p->targets);
    free(p->logit_counts);
    free(p->logit_displs);
    free(p->flat_grad);
    free(p->stat_sum);
    if (p->tp) pthreadpool_destroy(p->tp);
    memset(p, 0, sizeof *p);
}

/* Rows of the batch of global shard i of n (the split one process of n shards makes). */
static int shard_start(int batch, int i, int n) { return (int)((long)batch * i / n); }

/* The buffers the ranks sum over, and where each rank's logits go in the batch. */
static int init_ranks(ecg_parallel *p, const ecg_train_comm *comm) {
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        if (m->frozen) continue; /* neither summed nor averaged: the same on every shard */
        *(m->trainable ? &p->grad_floats : &p->stat_floats) += (size_t)ecg_shape_numel(&m->shape);
    }
    p->stat_sum = calloc(p->stat_floats + 1, sizeof(double));
    if (!comm) return p->stat_sum ? 0 : -1;
    p->flat_grad = malloc((p->grad_floats + 1) * sizeof(float));
    p->logit_counts = calloc((size_t)comm->ranks, sizeof(int));
    p->logit_displs = calloc((size_t)comm->ranks, sizeof(int));
    if (!p->stat_sum || !p->flat_grad || !p->logit_counts || !p->logit_displs) return -1;
    for (int r = 0; r < comm->ranks; r++) {
        int a = shard_start(p->batch, r * p->n_shards, p->total_shards),
            b = shard_start(p->batch, (r + 1) * p->n_shards, p->total_shards);
        p->logit_displs[r] = a * p->classes;
        p->logit_counts[r] = (b - a) * p->classes;
    }
    return 0;
}

int ecg_parallel_init(ecg_parallel *p, ecg_graph *master, ecg_objective objective, int batch, int threads,
                      size_t example_floats, size_t feature_floats, const ecg_train_comm *comm, char *err,
                      size_t errlen) {
    memset(p, 0, sizeof *p);
    threads = ecg_threads_for(threads);
    int ranks = comm ? comm->ranks : 1;
    if (comm && (long)ranks * threads > batch) {
        if (ranks > batch) {
            snprintf(err, errlen, "a batch of %d cannot be split over %d ranks (each needs a row): use fewer ranks or a "
                     "larger --batch", batch, ranks);
            return -1;
        }
        threads = batch / ranks; /* as one process caps its threads at the batch */
    }
    if (threads > batch) threads = batch;
    p->master = master;
    p->batch = batch;
    p->n_shards = threads;
    p->total_shards = ranks * threads;
    p->first_shard = comm ? comm->rank * threads : 0;
    p->comm = comm;
    p->objective = objective;
    p->classes = (int)ecg_shape_numel(&master->values[master->output].shape);
    p->example_floats = example_floats;
    p->feature_floats = feature_floats;
    p->shards = calloc((size_t)threads, sizeof *p->shards);
    p->logits = malloc((size_t)batch * (size_t)p->classes * sizeof(float));
    p->dlogits = malloc((size_t)batch * (size_t)p->classes * sizeof(float));
    p->labels = calloc((size_t)batch, sizeof(int));
    if (objective == ECG_OBJECTIVE_RECONSTRUCT &&
        !(p->targets = malloc((size_t)batch * example_floats * sizeof(float))))
        goto oom;
    if (!p->shards || !p->logits || !p->dlogits || !p->labels || init_ranks(p, comm)) goto oom;
    if (threads > 1 && !(p->tp = pthreadpool_create((size_t)threads))) goto oom;
    for (int i = 0; i < threads; i++) {
        ecg_shard *s = &p->shards[i];
        s->start = shard_start(batch, p->first_shard + i, p->total_shards);
        s->n = shard_start(batch, p->first_shard + i + 1, p->total_shards) - s->start;
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

/* NULL: another rank's row. */
static ecg_shard *shard_of(ecg_parallel *p, int row) {
    for (int i = 0; i < p->n_shards; i++)
        if (row >= p->shards[i].start && row < p->shards[i].start + p->shards[i].n) return &p->shards[i];
    return NULL;
}

float *ecg_parallel_x(ecg_parallel *p, int row) {
    ecg_shard *s = shard_of(p, row);
    return s ? s->x + (size_t)(row - s->start) * p->example_floats : NULL;
}

float *ecg_parallel_features(ecg_parallel *p, int row) {
    ecg_shard *s = shard_of(p, row);
    return s ? s->features + (size_t)(row - s->start) * p->feature_floats : NULL;
}

float *ecg_parallel_target(ecg_parallel *p, int row) {
    return p->targets ? p->targets + (size_t)row * p->example_floats : NULL;
}

static void forward_shard(void *arg, size_t i) {
    ecg_parallel *p = arg;
    ecg_shard *s = &p->shards[i];
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        memcpy(s->g.params[j].data, m->data, (size_t)ecg_shape_numel(&m->shape) * sizeof(float));
    }
    const float *inputs[2] = {s->x, s->features};
    ecg_ref_forward(s->ref, inputs, 1, ecg_hash64(p->step_seed, (uint64_t)(p->first_shard + (int)i)));
    memcpy(p->logits + (size_t)s->start * p->classes, ecg_ref_output(s->ref), (size_t)s->n * p->classes * sizeof(float));
}

static void backward_shard(void *arg, size_t i) {
    ecg_parallel *p = arg;
    ecg_shard *s = &p->shards[i];
    ecg_graph_zero_grads(&s->g);
    ecg_ref_backward(s->ref, p->dlogits + (size_t)s->start * p->classes);
}

/* Sums the shards' gradients into the master (over the ranks too), and averages their batchnorm
 * running statistics (each shard updated its own copy from its own rows), weighted by shard size.
 * -1 when a call to the other ranks failed (comm_err says why). */
static int reduce(ecg_parallel *p) {
    size_t gi = 0, si = 0;
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        size_t n = (size_t)ecg_shape_numel(&m->shape);
        if (m->frozen) continue;
        if (m->trainable) {
            memset(m->grad, 0, n * sizeof(float));
            for (int i = 0; i < p->n_shards; i++)
                for (size_t k = 0; k < n; k++) m->grad[k] += p->shards[i].g.params[j].grad[k];
            if (p->flat_grad) memcpy(p->flat_grad + gi, m->grad, n * sizeof(float));
            gi += n;
        } else {
            for (size_t k = 0; k < n; k++) {
                double sum = 0;
                for (int i = 0; i < p->n_shards; i++) sum += (double)p->shards[i].n * p->shards[i].g.params[j].data[k];
                p->stat_sum[si + k] = sum;
            }
            si += n;
        }
    }
    if (p->comm) {
        double t0 = ecg_now_s();
        if (p->comm->barrier(p->comm->ctx, p->comm_err, sizeof p->comm_err)) return -1;
        double t1 = ecg_now_s();
        p->wait_seconds += t1 - t0;
        int bad = p->comm->sum_float(p->comm->ctx, p->flat_grad, p->grad_floats, p->comm_err, sizeof p->comm_err) ||
                  p->comm->sum_double(p->comm->ctx, p->stat_sum, p->stat_floats, p->comm_err, sizeof p->comm_err);
        p->allreduce_seconds += ecg_now_s() - t1;
        if (bad) return -1;
    }
    gi = si = 0;
    for (int j = 0; j < p->master->n_params; j++) {
        ecg_param *m = &p->master->params[j];
        size_t n = (size_t)ecg_shape_numel(&m->shape);
        if (m->frozen) continue;
        if (m->trainable) {
            if (p->flat_grad) memcpy(m->grad, p->flat_grad + gi, n * sizeof(float));
            gi += n;
        } else {
            for (size_t k = 0; k < n; k++) m->data[k] = (float)(p->stat_sum[si + k] / p->batch);
            si += n;
        }
    }
    return 0;
}

/* Every rank's logits into every rank's p->logits. */
static int gather_logits(ecg_parallel *p) {
    if (!p->comm) return 0;
    double t0 = ecg_now_s();
    int rc = p->comm->gather_float(p->comm->ctx, p->logits, p->logit_counts, p->logit_displs, p->comm_err,
                                   sizeof p->comm_err);
    p->gather_seconds += ecg_now_s() - t0;
    return rc;
}

/* The whole batch's loss and its gradient in p->dlogits: the one place a step depends on the
 * objective. A classifier's cross-entropy also counts its correct predictions; an autoencoder's
 * MSE compares the outputs with the inputs as fed (the training graph's input shape: a crop's). */
static double batch_loss(ecg_parallel *p, const float *class_weight, int *correct) {
    *correct = 0;
    p->loss_err[0] = 0;
    const ecg_graph *g = p->master;
    switch (p->objective) {
    case ECG_OBJECTIVE_RECONSTRUCT:
        return ecg_mse(p->logits, &g->values[g->output].shape, p->targets, &g->values[g->inputs[0]].shape, p->batch,
                       p->dlogits, p->loss_err, sizeof p->loss_err);
    case ECG_OBJECTIVE_CLASSIFY:
        break;
    }
    double loss = ecg_softmax_xent(p->logits, p->labels, class_weight, p->batch, p->classes, p->dlogits);
    for (int i = 0; i < p->batch; i++)
        *correct += ecg_argmax(p->logits + (size_t)i * p->classes, p->classes) == p->labels[i];
    return loss;
}

double ecg_parallel_step(ecg_parallel *p, ecg_adamw *opt, const float *class_weight, float lr, uint64_t seed,
                         int *correct) {
    p->step_seed = seed;
    pthreadpool_parallelize_1d(p->tp, forward_shard, p, (size_t)p->n_shards, 0);
    if (gather_logits(p)) return NAN;
    double loss = batch_loss(p, class_weight, correct);
    if (!isfinite(loss)) return NAN;
    pthreadpool_parallelize_1d(p->tp, backward_shard, p, (size_t)p->n_shards, 0);
    if (reduce(p)) return NAN;
    ecg_adamw_step(opt, lr);
    return loss;
}
