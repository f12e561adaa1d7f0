/* ecgbench training: AdamW, learning-rate schedule, and the training step on the reference
 * executor (forward, class-weighted softmax cross-entropy or, for an autoencoder, the mean squared
 * error against its input, backward, update). */
#ifndef ECG_TRAIN_H
#define ECG_TRAIN_H

#include "datasets/datasets.h"
#include "models/models.h"
#include "ops/qmodel.h"

/* ---------------------------------------------------------------- AdamW (train/adamw.c) */
typedef struct {
    float beta1, beta2, eps;
    float weight_decay;   /* decoupled (Loshchilov & Hutter); applied to weights of rank >= 2 only,
                           * not to biases and norm parameters, as the usual recipes do */
} ecg_adamw_cfg;

ecg_adamw_cfg ecg_adamw_defaults(void); /* PyTorch's: 0.9, 0.999, 1e-8, weight decay 0.01 */

typedef struct {
    ecg_graph *g;
    ecg_adamw_cfg cfg;
    float **m, **v;       /* per trainable param (NULL for buffers) */
    long step;
} ecg_adamw;

/* g must have gradients allocated (ecg_graph_alloc_grads). 0 ok, -1 out of memory. */
int ecg_adamw_init(ecg_adamw *o, ecg_graph *g, ecg_adamw_cfg cfg);
void ecg_adamw_free(ecg_adamw *o);
/* One update of every trainable param from its .grad, with learning rate lr. */
void ecg_adamw_step(ecg_adamw *o, float lr);

/* ---------------------------------------------------------------- schedule (train/schedule.c) */
/* Linear warm-up from 0 over `warmup` steps, then cosine decay from base to min_lr at `total`. */
double ecg_lr_cosine(long step, long warmup, long total, double base, double min_lr);

/* ---------------------------------------------------------------- metrics (train/metrics.c) */
/* Classification metrics from a confusion matrix (rows = true class, columns = predicted). They
 * live here rather than in bench/ because training selects checkpoints on them. A class with no
 * true examples has sensitivity NaN; with no predictions, PPV NaN; F1 is 0 when Se or PPV is 0 or
 * NaN (as scikit-learn's zero_division=0), and macro-F1 averages the classes present in y_true. */
#define ECG_MAX_CLASSES 16
typedef struct {
    int classes;
    long confusion[ECG_MAX_CLASSES][ECG_MAX_CLASSES];
    long n;
    double accuracy, macro_f1;
    double sensitivity[ECG_MAX_CLASSES], ppv[ECG_MAX_CLASSES], specificity[ECG_MAX_CLASSES], f1[ECG_MAX_CLASSES];
} ecg_metrics;

void ecg_metrics_init(ecg_metrics *m, int classes);
/* Adds one prediction; labels outside [0, classes) are counted nowhere and return -1. */
int ecg_metrics_add(ecg_metrics *m, int truth, int predicted);
/* Fills accuracy, per-class Se/PPV/Sp/F1 and macro-F1 from the confusion matrix. */
void ecg_metrics_finish(ecg_metrics *m);
/* Mean F1 of classes 0..k-1 (a task's headline score, e.g. the CinC 2017 challenge F1). */
double ecg_metrics_mean_f1(const ecg_metrics *m, int k);
/* Index of the largest logit (first on ties; NaN never wins). */
int ecg_argmax(const float *logits, int n);

/* ---------------------------------------------------------------- one step (train/step.c) */
/* A classifier's step (an autoencoder trains through ecg_train). Forward in training mode
 * (dropout and drop path drawn from seed, BN on batch statistics), class-weighted mean softmax
 * cross-entropy (class_weight NULL: all 1), backward, AdamW update
 * with lr. The graph's output must be [classes] logits. Returns the loss before the update,
 * NaN when the loss is not finite (then no update is made). */
double ecg_train_step(ecg_ref *r, ecg_adamw *opt, const float *const *inputs, const int *labels,
                      const float *class_weight, int batch, float lr, uint64_t seed, float *dlogits_scratch);

/* ---------------------------------------------------------------- other processes (data-parallel ranks) */
/* What the training loop needs from the other processes of a data-parallel run (`mpirun -np N
 * ecgbench-mpi train`): the loop calls only these, so libecgbench does not link MPI and runs
 * without it; train/mpi_comm.c fills them with MPI's (in ecgbench-mpi alone). Each returns 0, or
 * -1 with err. */
typedef struct ecg_train_comm {
    int rank, ranks;
    int local_ranks;       /* ranks on this machine (they share its cores) */
    void *ctx;
    /* in place: buf[i] becomes the sum over the ranks of their buf[i] (on every rank) */
    int (*sum_float)(void *ctx, float *buf, size_t n, char *err, size_t errlen);
    int (*sum_double)(void *ctx, double *buf, size_t n, char *err, size_t errlen);
    /* in place: rank r's part, buf[displs[r]] .. + counts[r], goes to every rank */
    int (*gather_float)(void *ctx, float *buf, const int *counts, const int *displs, char *err, size_t errlen);
    /* all[r] = rank r's mine (on every rank) */
    int (*gather_u64)(void *ctx, uint64_t mine, uint64_t *all, char *err, size_t errlen);
    /* returns when every rank has called it (times the wait for the slowest shard apart from the sum) */
    int (*barrier)(void *ctx, char *err, size_t errlen);
} ecg_train_comm;

/* ---------------------------------------------------------------- the training loop (train/trainer.c) */
typedef struct {
    /* What is trained (the model's kind: ecg_model_objective): a classifier, on class-weighted
     * cross-entropy, selected on validation macro-F1; or an autoencoder, on the mean squared error
     * between its output and its input as fed (after augmentation and cropping; the labels and
     * class weights unused), selected on the validation MSE against the unaugmented examples. */
    ecg_objective objective;
    int epochs, batch, warmup_epochs;
    int patience;          /* stop after this many epochs without a better validation score */
    int threads;           /* data-parallel shards of each batch; <= 0: all cores */
    int eval_batch;
    float lr, min_lr;
    ecg_adamw_cfg adamw;
    int class_weighted;    /* loss weights: 0 none, 1 inverse class frequency, 2 its square root */
    float class_weight_cap; /* > 0: no class weighs more than this many times the most common one */
    const char *class_weight_caps; /* "CLASS=X[,CLASS=X...]": CLASS weighs at most X times the most
                                    * common one (as the cap, for one class); NULL: none */
    int augment;           /* amplitude scale, baseline shift, Gaussian noise, time shift */
    float warp;            /* > 0 (with augment): each example also stretched in time by a factor drawn
                            * from [1 - warp, 1 + warp] about its centre, as another patient's wider or
                            * narrower waves; 0: off (the draws of the other augmentations unchanged) */
    uint64_t seed;
    const char *out_dir;   /* checkpoints and epochs.csv; NULL: keep nothing on disk */
    int resume;            /* continue from out_dir's last checkpoint */
    int progress;          /* stderr: 0 nothing, 1 a line per epoch, 2 also a live bar (for a terminal) */
    int epoch_limit;       /* stop after this many epochs in this call (0: none); resume continues */
    /* Optional hook called after every optimizer update with the 0-based global step (pruning
     * keeps its masks there), and the first 1-based epoch that may be picked as the best (a
     * gradual pruning run only picks among epochs at its final sparsity); 0 or 1: any. */
    void (*after_step)(ecg_graph *g, long step, void *ctx);
    void *after_step_ctx;
    int select_from_epoch;
    /* > 0: train on windows of this many samples (a random one per example and epoch, inside the
     * signal; centred without augmentation), on crop_graph: the same model built for that input
     * length, so with the same parameters. g, built for whole examples, gets its parameters for
     * each validation and at the end. A 30 s record costs its CNN 3x what a 10 s window does. */
    int crop;
    ecg_graph *crop_graph;
    /* Non-NULL: one rank of a data-parallel run. Every rank runs `threads` shards (so the batch
     * is split into ranks x threads shards, numbered in rank order as one process's would be),
     * the shards' gradients are summed over the ranks, every rank makes the same update and
     * validates on its own (the same weights give every rank the same choice); rank 0 alone
     * writes out_dir. Every rank must be given the same options and data (checked at start). */
    const ecg_train_comm *comm;
} ecg_train_cfg;
ecg_train_cfg ecg_train_defaults(void);

typedef struct {
    int epochs_run;        /* including those of a resumed run */
    int best_epoch;        /* 1-based */
    double best_val_macro_f1;   /* classifiers */
    double best_val_mse;        /* autoencoders */
    double last_train_loss;
    double examples_per_second; /* training throughput (steps only, no validation) over every epoch in the
                                   run's epochs.csv, those before a resume too; without out_dir, this call's */
    double step_seconds;        /* spent in training steps in this call */
    double wait_seconds;        /* of which waiting for the slowest rank before summing (0 in one process) */
    double allreduce_seconds;   /* summing the gradients over the ranks (0 in one process) */
    double gather_seconds;      /* and gathering the batch's logits from the ranks */
    int shards;                 /* data-parallel shards of each batch in this process */
    long gradient_bytes;        /* what each step sums over the ranks (the trainable parameters' gradients) */
} ecg_train_result;

/* The loss's class weights for d's training examples: inverse class frequency (mode 1) or its square
 * root (mode 2), at most cap (> 0) times the most common class's weight and at most X times it for
 * a class caps ("CLASS=X[,CLASS=X...]") names, normalised to mean 1 over the classes present; 0 for
 * absent ones. The square root keeps a class with 8 examples (mitdb-aami's Q) from weighing 1000
 * times a normal beat; the caps keep a rare class that looks like another (F, nearly all from one
 * DS1 patient) from taking over its neighbours. -1 with err when caps is malformed or names a class
 * d does not have. */
int ecg_train_class_weights(const ecg_dataset *d, int mode, double cap, const char *caps, float *w, char *err,
                            size_t errlen);

/* Trains g (built by the model registry) on train, selects the epoch with the best validation
 * macro-F1, or the lowest validation MSE for an autoencoder (evaluated on the XNNPACK path) and
 * leaves those weights in g. Batches are split into `threads` shards run in parallel; batchnorm
 * therefore uses per-shard statistics (as PyTorch's DistributedDataParallel without SyncBatchNorm). Deterministic for a given seed and
 * thread count. 0 ok, -1 with err. */
int ecg_train(ecg_graph *g, const ecg_train_cfg *cfg, const ecg_dataset *train, const ecg_dataset *val,
              ecg_train_result *res, char *err, size_t errlen);

/* ---------------------------------------------------------------- evaluation (train/eval.c) */
/* batch, or fewer examples where the executor's buffers for that many would pass 2 GiB (they
 * grow with the input length: a 30 s record). A deterministic function of the graph, so an
 * evaluation picks the same batch every time. */
int ecg_eval_batch_cap(const ecg_graph *g, int batch);
/* Runs every example of d through the XNNPACK executor (eval mode: BN folded, dropout off: the
 * path the benchmarks time) in batches of `batch` (capped by ecg_eval_batch_cap; the last one
 * padded), and fills m. Graph input 0 takes d->x; a second input, if the model has one, takes
 * d->features. If logits is non-NULL it gets d->n * classes floats. 0 ok, -1 with err. */
int ecg_evaluate(const ecg_graph *g, const ecg_dataset *d, int batch, int threads, ecg_metrics *m, float *logits,
                 char *err, size_t errlen);
/* An autoencoder's reconstruction error on d: the mean over every example and value of (output -
 * input)^2, on the same XNNPACK path (f32; q non-NULL: int8) and batches. 0 ok, -1 with err (also
 * when the output is not the input's shape, or is not finite). */
int ecg_evaluate_mse(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads,
                     double *mse, char *err, size_t errlen);
/* An autoencoder's output for every example of d on that path: out gets d->n * length * channels
 * floats, example-major as d->x. 0 ok, -1 with err. */
int ecg_reconstruct(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads, float *out,
                    char *err, size_t errlen);
/* The same on the int8 path: the nodes named in q on XNNPACK's int8 operators (ecg_xnn_create_q). */
int ecg_evaluate_q(const ecg_graph *g, const ecg_qmodel *q, const ecg_dataset *d, int batch, int threads,
                   ecg_metrics *m, float *logits, char *err, size_t errlen);
/* Checks that g's inputs and output fit d (shapes, classes); 0 ok, -1 with a message naming both. */
int ecg_check_model_fits(const ecg_graph *g, const ecg_dataset *d, char *err, size_t errlen);
/* The same for objective o: a classifier's output is [classes], an autoencoder's is its input's
 * shape [length, channels]. */
int ecg_check_model_fits_for(const ecg_graph *g, const ecg_dataset *d, ecg_objective o, char *err, size_t errlen);

/* ---------------------------------------------------------------- decision offsets (train/offsets.c) */
/* One number per class added to a classifier's logits before the arg-max: the operating point,
 * fitted on held-out predictions (a recipe's out-of-fold validation logits), never on test data. */
/* The task's score of a confusion: the mean F1 of classes 0..score_classes-1, or macro-F1 when 0. */
double ecg_offsets_score(const ecg_metrics *m, int score_classes);
/* The confusion of n examples' logits (n x classes) with off added, against labels. */
void ecg_offsets_confusion(const float *logits, const int *labels, long n, int classes, const double *off,
                           ecg_metrics *m);
/* Coordinate ascent of the score over the offsets of the classes c >= 1 with fit[c] set, on a grid
 * of 0.05 in [-8, 8]; the others stay 0 (class 0 always: a shift of every logit changes nothing).
 * A class's offset moves only to a strictly better score, so the fit is deterministic and never
 * scores below all-zero offsets. work holds n ints. Returns the passes made over the classes. */
int ecg_offsets_fit(const float *logits, const int *labels, long n, int classes, int score_classes,
                    const unsigned char *fit, double *off, int *work);
/* The fit made honest by folds: fold[i] is example i's fold (a record group; at least 2 distinct,
 * at most ECG_OFFSETS_MAX_FOLDS). For each fold, offsets fitted on the others are scored on it, and
 * the confusions summed give the held-out score. Backward elimination then leaves a class at 0
 * while doing so raises that score (the class whose removal raises it most first); a class with
 * fewer than min_support examples in a fit's data is not fitted there. Last, the kept classes are
 * fitted on all examples: off, with the confusions without offsets, with them (in-sample), and
 * held out (the kept classes' leave-one-fold-out confusion, the figure to trust). 0, or -1 (fewer
 * than 2 folds, classes out of range, out of memory). */
#define ECG_OFFSETS_MAX_FOLDS 16
typedef struct {
    double off[ECG_MAX_CLASSES];
    unsigned char fitted[ECG_MAX_CLASSES];   /* the classes whose offset was fitted */
    ecg_metrics without, in_sample, held_out;
    int n_folds;
    int n_dropped, dropped[ECG_MAX_CLASSES]; /* the classes left at 0, in order */
    double dropped_score[ECG_MAX_CLASSES];   /* the held-out score after each */
} ecg_offsets_cv;
int ecg_offsets_fit_cv(const float *z, const int *y, const int *fold, long n, int classes, int score_classes,
                       long min_support, ecg_offsets_cv *out);
/* Adds off to the bias of g's output layer (a linear with a bias: every classifier of the
 * registry), so the model itself makes the offset decision. 0, or -1 with err. */
int ecg_offsets_apply(ecg_graph *g, const double *off, int classes, char *err, size_t errlen);

#endif
