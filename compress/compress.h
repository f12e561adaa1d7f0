/* ecgbench compression passes: functions from (graph, weights) to (graph, weights): magnitude
 * pruning, sparse weights files, int8 post-training quantization (calibration, weight
 * quantization, the int8 weights file; the int8 model runs on ecg_xnn_create_q in ops/). */
#ifndef ECG_COMPRESS_H
#define ECG_COMPRESS_H

#include "models/models.h"
#include "ops/qmodel.h"
#include "ops/safetensors.h"

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
/* Any f32-valued weights file: dense F32, sparse, or fp16, told apart by its metadata (what eval,
 * predict and the reports load). */
int ecg_weights_load(ecg_graph *g, const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- fp16 weights files (compress/fp16_file.c) */
/* IEEE 754 binary16, round to nearest even; overflow gives inf, NaN stays NaN. */
uint16_t ecg_f32_to_f16(float f);
float ecg_f16_to_f32(uint16_t h);
/* Every param of g as F16 (metadata ecgbench_format = fp16-v1): a size-only variant. A finite
 * value beyond fp16's range is an error naming it. 0, or -1 with err. */
int ecg_fp16_save(const ecg_graph *g, const char *path, const char *const *meta_kv, int n_meta, char *err,
                  size_t errlen);
/* The loader behind ecg_weights_load for such a parsed file: values widened to f32 exactly. */
int ecg_fp16_load_parsed(ecg_graph *g, const ecg_st_file *f, const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------- int8 (compress/inference_graph.c) */
/* The graph the XNNPACK executor lowers: a deep copy of src with eval-mode batchnorm folded into
 * the conv1d/linear before it and dropout removed. Quantization works on this graph, so the
 * weights it quantizes are the folded ones. dst is initialised here. 0 ok, -1 with err. */
int ecg_inference_graph(ecg_graph *dst, const ecg_graph *src, char *err, size_t errlen);

/* ---------------------------------------------------------------- calibration (compress/calibrate.c) */
/* Per-value activation ranges of a graph over a calibration set: min/max, and the lo/hi
 * percentiles of the values' distribution (from a histogram over [min, max]). Only the values
 * that a conv1d or linear node reads or writes are recorded (has[v] = 1). */
typedef struct {
    int n_values;
    unsigned char *has;
    float *min, *max;
    float *p_lo, *p_hi;
    double percentile;      /* e.g. 99.99: p_hi is that percentile, p_lo the (100 - it) one */
} ecg_act_ranges;

#define ECG_CALIB_BINS 2048

/* Runs the f32 inference graph g (ecg_inference_graph) on the XNNPACK executor over n examples:
 * x holds n * numel(input 0) floats, features (NULL if g has one input) n * numel(input 1).
 * percentile in (50, 100]. 0 ok, -1 with err. */
int ecg_calibrate(const ecg_graph *g, const float *x, const float *features, int n, int batch, double percentile,
                  ecg_act_ranges *r, char *err, size_t errlen);
void ecg_act_ranges_free(ecg_act_ranges *r);

/* qs8 parameters covering [lo, hi] (widened to include 0, so zero is exact as padding needs):
 * scale = (hi - lo) / 255, zero_point = round(-128 - lo / scale). A degenerate range gets a
 * tiny positive one. */
ecg_qparams ecg_qparams_for_range(float lo, float hi);

/* ---------------------------------------------------------------- quantization (compress/quantize.c) */
typedef enum { ECG_CALIB_MINMAX, ECG_CALIB_PERCENTILE } ecg_calib_method;
const char *ecg_calib_method_name(ecg_calib_method m);

/* Quantizes every conv1d and linear node of the inference graph g with the activation ranges of
 * method m: conv1d weights symmetric per output channel (scale max|w_o| / 127), linear weights
 * symmetric per tensor, biases to int32 in units of in_scale * w_scale. Output scales are raised
 * where needed so in_scale * w_scale / out_scale < 256 (XNNPACK's limit). q is initialised
 * here. 0 ok, -1 with err. */
int ecg_quantize(const ecg_graph *g, const ecg_act_ranges *r, ecg_calib_method m, ecg_qmodel *q, char *err,
                 size_t errlen);

/* ---------------------------------------------------------------- weight-only int8 (compress/weight_only.c) */
/* LSTM and attention have no XNNPACK int8 operator: their weight matrices (rank-2 params used only
 * by LSTM or MHA nodes) are stored as int8 rows, one symmetric scale per row, and run f32 on the
 * dequantised values. */
int ecg_is_weight_only_param(const ecg_graph *g, int param);
/* Symmetric int8 of one row (q may be NULL); returns its scale, max|w| / 127 (1 for zeros). */
float ecg_row_int8(const float *w, int64_t n, int8_t *q);
/* Rounds every such param of g to its dequantised int8 value in place, so the f32 graph computes
 * what the int8 file will hold. Returns the number of params rounded. */
int ecg_weight_only_int8(ecg_graph *g);

/* ---------------------------------------------------------------- the int8 weights file (compress/int8_file.c) */
/* safetensors: per int8 node N: N.weight I8 (PyTorch layout), N.weight_scale F32 [out] or [1],
 * N.bias I32 [out], N.input_qparams and N.output_qparams F32 [2] (scale, zero point); weight-only
 * params P as P I8 [rows, cols] + P.row_scale F32 [rows]; and F32 params of every other node of
 * the inference graph g (what stays f32). Metadata pairs optional;
 * "format" = "ecgbench-int8" is always written. 0 ok, -1 with err. */
int ecg_int8_save(const ecg_graph *g, const ecg_qmodel *q, const char *path, const char *const *meta_kv, int n_meta,
                  char *err, size_t errlen);
/* Loads such a file for the inference graph g (built from the same model and config): fills q
 * (initialised here) and the f32 params of g's other nodes. Every expected tensor must be there
 * with its dtype and shape and nothing else; on error g's params are unchanged. */
int ecg_int8_load(ecg_graph *g, ecg_qmodel *q, const char *path, char *err, size_t errlen);
/* 1 when path is a safetensors file whose metadata says "format": "ecgbench-int8", 0 for any
 * other safetensors file, -1 with err when it cannot be read or parsed. */
int ecg_int8_file_is(const char *path, char *err, size_t errlen);
/* Bytes of parameters of the int8 model: weights, scales, biases, qparams, f32 params. */
int64_t ecg_qmodel_bytes(const ecg_graph *g, const ecg_qmodel *q);

/* ---------------------------------------------------------------- channel pruning (compress/channel_prune.c) */
/* Structured pruning: whole channels are removed and a smaller dense graph is built, which is what
 * makes XNNPACK faster. A channel group is a set of values whose last axis must keep the same
 * channels: found by following channels from the conv1d (groups 1) / linear nodes that produce
 * them through channelwise ops (batchnorm, activations, dropout, GAP, max pool, depthwise conv,
 * add/mul of equal widths) to the conv1d / linear nodes that consume them. A group that reaches
 * anything else (the graph output, LSTM, attention, layernorm, concat, a grouped conv, ...) is
 * not prunable. In EfficientECG this gives the stem, each MBConv's expanded width (expand conv,
 * depthwise, SE gate and project input together), each SE bottleneck, each stage's residual
 * stream (every block of the stage, tied by the adds) and the head. */
typedef struct {
    char name[ECG_NAME_LEN];   /* the group's first producing node, e.g. "blocks.3.expand.conv" */
    int channels;              /* C: the last axis of every value in the group */
    int residual;              /* tied through an add (a residual stream) */
    int n_values, n_producers;
    int *values;               /* value ids, graph order */
    int *producers;            /* conv1d / linear node ids whose output rows are the channels */
} ecg_channel_group;

typedef struct {
    ecg_channel_group *g;
    int n;
} ecg_channel_groups;

/* The prunable groups of g, in graph order of their first producer (n may be 0). 0, or -1 with err. */
int ecg_channel_groups_find(const ecg_graph *g, ecg_channel_groups *out, char *err, size_t errlen);
void ecg_channel_groups_free(ecg_channel_groups *gs);

typedef enum {
    ECG_CHANNEL_RANK_L1,   /* L1 norm of each producer's filter row */
    ECG_CHANNEL_RANK_BN,   /* |gamma| of the batchnorm right after each producer */
} ecg_channel_rank;

/* Importance of each of grp's channels (score[0..C)): the sum over the group's producers (or the
 * batchnorms after them) of the channel's L1 norm (or |gamma|) divided by that node's mean, so a
 * group with several producers (a residual stream, an SE gate) weighs each equally. A group with
 * no batchnorm after a producer (an SE bottleneck) is ranked by L1 under either. 0, or -1 with err. */
int ecg_channel_scores(const ecg_graph *g, const ecg_channel_group *grp, ecg_channel_rank rank, double *score,
                       char *err, size_t errlen);

/* Rewrites g (found groups gs, from this graph) keeping in group i the n_keep[i] channels keep[i]
 * (strictly ascending, in [0, C)), or all of them when keep[i] is NULL: producer rows, batchnorm
 * params and buffers, depthwise channels and consumer input columns are sliced, attributes and
 * value shapes updated. Node and param names stay. On error g is unchanged. 0, or -1 with err. */
int ecg_channel_surgery(ecg_graph *g, const ecg_channel_groups *gs, const int *const *keep, const int *n_keep,
                        char *err, size_t errlen);

typedef struct {
    double ratio;            /* fraction of each group's channels removed, [0, 1) */
    ecg_channel_rank rank;
    int residual;            /* also prune residual streams (default: only the other groups) */
} ecg_channel_cfg;

typedef struct {
    char name[ECG_NAME_LEN];
    int residual;
    int before, after;
} ecg_channel_count;

/* The pass: in every group in scope keeps the max(1, round((1 - ratio) C)) highest-ranked channels
 * in their original order. *counts (free it) gets one entry per group in scope. A model without
 * such groups is an error. 0, or -1 with err (g unchanged). */
int ecg_channel_prune(ecg_graph *g, const ecg_channel_cfg *cfg, ecg_channel_count **counts, int *n, char *err,
                      size_t errlen);
/* Rebuilds the shapes of a channel-pruned graph from its counts: in each named group (whose width
 * must be `before`) keeps the first `after` channels, so the pruned weights file loads over it. */
int ecg_channel_prune_rebuild(ecg_graph *g, const ecg_channel_count *counts, int n, char *err, size_t errlen);

#endif
