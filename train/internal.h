/* Pieces of the training loop shared between train/ files (not part of the public interface). */
#ifndef ECG_TRAIN_INTERNAL_H
#define ECG_TRAIN_INTERNAL_H

#include <pthreadpool.h>

#include "train/train.h"

/* ---- data-parallel step (train/shards.c) */
typedef struct {
    ecg_graph g;           /* a copy of the master graph */
    ecg_ref *ref;
    int start, n;          /* its rows of the batch */
    float *x, *features;   /* its inputs */
} ecg_shard;

typedef struct {
    ecg_graph *master;
    ecg_shard *shards;     /* this process's */
    ecg_objective objective;
    int n_shards, batch, classes; /* classes: output floats per example (logits, or a reconstruction) */
    int first_shard, total_shards; /* global number of shards[0], shards over every rank */
    size_t example_floats, feature_floats;
    float *logits, *dlogits; /* whole batch */
    int *labels;           /* whole batch */
    float *targets;        /* whole batch, autoencoders: every row's input as fed (NULL for classifiers) */
    char loss_err[256];    /* why the last loss was not finite (ecg_mse's message), or empty */
    pthreadpool_t tp;
    uint64_t step_seed;
    /* ranks: NULL in one process */
    const ecg_train_comm *comm;
    int *logit_counts, *logit_displs; /* per rank: its rows' logits in the batch */
    float *flat_grad;      /* the trainable gradients end to end, summed over the ranks in one call */
    double *stat_sum;      /* the batchnorm statistics' shard-weighted sums, likewise */
    size_t grad_floats, stat_floats;
    double wait_seconds, allreduce_seconds, gather_seconds;
    char comm_err[256];    /* set when a call to the other ranks failed (the step then returns NaN) */
} ecg_parallel;

/* `threads` shards of the batch in this process; with comm, this rank's `threads` of the
 * comm->ranks x threads shards (the batch must have a row for each). */
int ecg_parallel_init(ecg_parallel *p, ecg_graph *master, ecg_objective objective, int batch, int threads,
                      size_t example_floats, size_t feature_floats, const ecg_train_comm *comm, char *err,
                      size_t errlen);
void ecg_parallel_free(ecg_parallel *p);
/* Pointer to the input rows of batch row i (x and features), to fill before a step; NULL for
 * a row another rank runs (its label is still needed: the loss is the whole batch's). */
float *ecg_parallel_x(ecg_parallel *p, int i);
float *ecg_parallel_features(ecg_parallel *p, int i);
/* An autoencoder's target for batch row i (to fill with the row's input as fed, on every rank:
 * the loss is the whole batch's); NULL for a classifier. */
float *ecg_parallel_target(ecg_parallel *p, int i);
/* Forward on all shards, loss over the whole batch (the objective's), backward, gradient sum
 * into the master, batchnorm running statistics averaged into the master, AdamW update. Returns the loss (NaN:
 * no update; loss_err may say why) and the number of correct argmax predictions in *correct (0 for
 * an autoencoder). */
double ecg_parallel_step(ecg_parallel *p, ecg_adamw *opt, const float *class_weight, float lr, uint64_t seed,
                         int *correct);

/* ---- augmentation (train/augment.c) */
/* In place on one example [length, channels]: amplitude scale U(0.8, 1.2), baseline shift
 * U(-0.1, 0.1), Gaussian noise sigma 0.02, time shift by up to length/20 samples (zero fill). */
void ecg_augment(float *x, int length, int channels, uint64_t seed);
/* dst = src [length, channels] stretched in time about its centre by a factor drawn from
 * [1 - warp, 1 + warp] (0 < warp < 1): dst[t] = src at c + (t - c) / factor, linearly interpolated,
 * each channel alike; positions beyond either end take the end sample. */
void ecg_augment_warp(float *dst, const float *src, int length, int channels, float warp, uint64_t seed);
/* First sample of a `crop`-sample training window of example x [length, channels]: uniform over
 * the starts that keep the window inside the signal (random, drawn from seed), else centred on
 * it. The signal ends at the last sample that is not all zeros (a short record's padding). */
int ecg_train_crop_start(const float *x, int length, int channels, int crop, int random, uint64_t seed);

/* ---- checkpoints (train/checkpoint.c) */
typedef struct {
    int epoch;             /* completed epochs */
    int best_epoch, bad_epochs;
    double best_f1;        /* classifiers: the best validation macro-F1, -1 before the first */
    double best_mse;       /* autoencoders: the lowest validation MSE, INFINITY before the first */
} ecg_train_state;
/* last_optim.safetensors: the checkpoint, one file written atomically (the weights, the AdamW
 * moments and the state), then last.safetensors, a PyTorch copy of the weights that a resume never
 * reads. Loading also takes the two-file layout from before (moments alone in last_optim, the
 * weights in last.safetensors of the same epoch). */
int ecg_checkpoint_save(const char *dir, const ecg_graph *g, const ecg_adamw *opt, const ecg_train_state *st,
                        const char *const *meta_kv, int n_meta, char *err, size_t errlen);
/* 1: no checkpoint in dir, 0: loaded, -1: error (also last.safetensors without last_optim: a copy
 * cannot be resumed). */
int ecg_checkpoint_load(const char *dir, ecg_graph *g, ecg_adamw *opt, ecg_train_state *st, char *err,
                        size_t errlen);

#endif
