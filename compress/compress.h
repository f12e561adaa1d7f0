/* ecgbench compression passes: functions from (graph, weights) to (graph, weights). */
#ifndef ECG_COMPRESS_H
#define ECG_COMPRESS_H

#include "ops/ops.h"

/* ---------------------------------------------------------------- magnitude pruning (compress/prune.c) */
/* Prunable weights: the trainable params of rank >= 2 of conv1d (incl. depthwise), linear, LSTM
 * and attention nodes, in graph order (first = the stem, last = the classifier). Biases, norms,
 * embeddings and tokens stay dense. Writes up to max param indices; returns how many there are. */
int ecg_prunable_params(const ecg_graph *g, int *out, int max);

typedef struct {
    double sparsity;   /* target fraction of zeros among the pruned layers' weights, [0, 1) */
    int global;        /* 1: one magnitude threshold across layers; 0: the same fraction per layer */
    int keep_first;    /* leave the first prunable layer (the stem) dense */
    int keep_last;     /* leave the last (the classifier) dense */
} ecg_prune_cfg;

typedef struct {
    ecg_graph *g;
    ecg_prune_cfg cfg;
    int n;                   /* prunable params */
    int *param;              /* their indices in g */
    unsigned char **mask;    /* per param, 1 = kept */
} ecg_pruner;

/* Masks start as (weight != 0), so a pruned model loaded again keeps its pattern. 0, or -1 with err. */
int ecg_pruner_init(ecg_pruner *p, ecg_graph *g, ecg_prune_cfg cfg, char *err, size_t errlen);
void ecg_pruner_free(ecg_pruner *p);
/* Recomputes the masks from the current magnitudes so that exactly round(sparsity * n) weights of
 * each group (all layers when global, else each layer) are zero, and zeroes them. Ties break in a
 * fixed order. 0, or -1 out of memory (masks unchanged). */
int ecg_prune_to(ecg_pruner *p, double sparsity);
/* Zeroes the masked weights again (after an optimizer step moved them). */
void ecg_prune_apply(const ecg_pruner *p);

/* Zhu & Gupta (2017) gradual pruning: s_t = s_f + (s_i - s_f) (1 - (t - begin) / (end - begin))^3
 * for begin <= t <= end, s_i before and s_f after. */
double ecg_prune_cubic(long step, long begin, long end, double s_init, double s_final);

/* Trainer hook (ecg_train_cfg.after_step): masks follow the cubic schedule, recomputed every
 * `every` steps between begin and end, and are applied after every step. */
typedef struct {
    ecg_pruner *pruner;
    long begin, end, every;
    double s_init, s_final;
    int failed;              /* set when a mask update ran out of memory */
} ecg_prune_schedule;
void ecg_prune_after_step(ecg_graph *g, long step, void *ctx);

/* Nonzero trainable parameters of the whole model. */
int64_t ecg_nonzero_params(const ecg_graph *g);

typedef struct {
    char name[ECG_NAME_LEN];
    int64_t numel, nonzero;
} ecg_layer_sparsity;
/* Size and nonzeros of prunable param i of the pruner. */
ecg_layer_sparsity ecg_prune_layer(const ecg_pruner *p, int i);

/* ---------------------------------------------------------------- sparse weights files (compress/sparse_file.c) */
/* Writes g's params as safetensors where each tensor that is mostly zeros is stored as a bitmap of
 * its nonzeros plus their values (see the file's comment), the rest as F32. The file's size is a
 * pruned model's size on disk. 0, or -1 with err naming the file. */
int ecg_sparse_save(const ecg_graph *g, const char *path, const char *const *meta_kv, int n_meta, char *err,
                    size_t errlen);
/* Loads such a file into g's params (exactly the dense values saved); every check of
 * ecg_safetensors_load applies, and a bitmap that disagrees with its values is an error. */
int ecg_sparse_load(ecg_graph *g, const char *path, char *err, size_t errlen);
/* Either kind of weights file, told apart by its metadata (what eval and predict load). */
int ecg_weights_load(ecg_graph *g, const char *path, char *err, size_t errlen);

#endif
