/* ecgbench models: EfficientECG builders and the model registry (name -> builder + defaults).
 * A model is an ops/ graph with PyTorch module names (see README "Models" for each module tree).
 * Graph inputs: "ecg" [length, channels]. */
#ifndef ECG_MODELS_H
#define ECG_MODELS_H

#include "ops/ops.h"

typedef struct {
    int length, channels, classes; /* input [length, channels], output logits [classes] (from the task) */
    float dropout;                 /* before the classifier; < 0: the model's default */
    float drop_path;               /* stochastic depth, largest rate (EfficientECG); < 0: default */
    uint64_t seed;                 /* parameter initialisation */
    int n_features;                /* patient features per example (the task's), for fusion models */
    const char *const *feature_names;
    float ecg_drop;                /* fusion models: in training, each example's ECG tokens zeroed with
                                      this probability (modality dropout); 0: never. Other models
                                      refuse it (ecg_model_build fails) */
} ecg_model_cfg;

/* Defaults: dropout and drop_path < 0 (each model's own), seed 0, no features, no ECG drop. */
ecg_model_cfg ecg_model_cfg_default(int length, int channels, int classes);

/* What a model is trained for, decided by its kind (the registry): the trainer, the manifest and
 * the readers of runs switch on it once. A classifier's output is [classes] logits scored by
 * softmax cross-entropy and macro-F1; an autoencoder's output has the input's shape [length,
 * channels], is scored by the mean squared error against its input, and ignores the labels. */
typedef enum { ECG_OBJECTIVE_CLASSIFY = 0, ECG_OBJECTIVE_RECONSTRUCT } ecg_objective;
/* "classification" or "reconstruction", as manifests record it. */
const char *ecg_objective_name(ecg_objective o);
/* The name its output goes by outside ecgbench (the tensor `ecgbench predict` writes, the output of
 * the ONNX export): "logits" [N, classes], or an autoencoder's "reconstruction" [N, length, channels]. */
const char *ecg_objective_output(ecg_objective o);
/* The autoencoders' code value: a node of this name gives the code a later model reads. */
#define ECG_AE_CODE_NODE "code"

typedef struct {
    const char *name;
    const char *description;
    /* Adds the model to an empty graph (initialised by the caller) and returns the logits value
     * id, or -1 with the reason in g->err. */
    int (*build)(ecg_graph *g, const ecg_model_cfg *cfg);
    ecg_objective objective;
    /* A part that is another registry model's trained weights, held fixed: the params named
     * part_prefix + that model's param names, frozen when the model is built (ecg_graph_freeze),
     * and filled from a finished run of part_model (`ecgbench train --init-from`). NULL: none. */
    const char *part_prefix, *part_model;
} ecg_model_def;

const ecg_model_def *ecg_model_find(const char *name); /* NULL if unknown */
const ecg_model_def *ecg_model_at(int i);             /* NULL past the end */
/* The named model's objective; an unknown name is a classifier (the registry's first kind). */
ecg_objective ecg_model_objective(const char *name);
/* Initialises g with cfg->seed, builds the named model and sets its output. An unknown name is
 * an error listing the known ones. 0 ok, -1 with err (g is freed on error). */
int ecg_model_build(const char *name, const ecg_model_cfg *cfg, ecg_graph *g, char *err, size_t errlen);

/* ---------------------------------------------------------------- EfficientECG */
typedef struct {
    double width, depth;   /* compound scaling multipliers (B0: 1.0, 1.0) */
    int head_channels;     /* 1280 for B0 */
} ecg_effnet_scale;

/* EfficientNet-B0's stage table in 1D (docs/model-zoo.md), scaled; returns logits. */
int ecg_efficientecg(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s);
/* The same up to the head (conv 1x1 + BN + SiLU): ECG tokens [T', head] of input x. */
int ecg_efficientecg_backbone(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s, int x);

/* ---------------------------------------------------------------- EfficientECG-Fusion */
/* Patient-feature tokens (a learned class token, + age and sex tokens, + an RR token) query the
 * backbone's ECG tokens with 4-head cross-attention (d_model 128), then residual + LayerNorm, a
 * 2-layer MLP, residual + LayerNorm; the classifier reads concat(GAP(ECG tokens), class token).
 * Graph inputs: "ecg", and "features" [1, n_features] when age/sex or RR are used (columns found
 * by name: rr_* (8), age, age_unknown, sex_male, sex_unknown, as mitdb-aami provides them). */
/* The fusion model's feature tokens (query rows beside the class token), in this order. */
enum { ECG_FUSION_AGESEX = 1u, ECG_FUSION_RR = 2u, ECG_FUSION_PWAVE = 4u, ECG_FUSION_AE = 8u, ECG_FUSION_RHYTHM = 16u };
/* Where the autoencoder token's encoder (lstm-ae's, frozen) sits among the fusion model's params. */
#define ECG_FUSION_AE_PREFIX "ae."
/* The node of the ECG tokens' modality dropout (cfg.ecg_drop > 0): a model without it takes none. */
#define ECG_FUSION_ECG_DROP "fusion.ecg_drop"
int ecg_efficientecg_fusion(ecg_graph *g, const ecg_model_cfg *cfg, ecg_effnet_scale s, unsigned tokens);
/* Channels rounded as EfficientNet does: to a multiple of 8, never below 90% of c * width. */
int ecg_effnet_round_channels(int c, double width);
int ecg_effnet_round_repeats(int r, double depth);

#endif
