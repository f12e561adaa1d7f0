/* ecgbench training: AdamW, learning-rate schedule, and the training step on the reference
 * executor (forward, class-weighted softmax cross-entropy, backward, update). */
#ifndef ECG_TRAIN_H
#define ECG_TRAIN_H

#include "models/models.h"

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

/* ---------------------------------------------------------------- one step (train/step.c) */
/* Forward in training mode (dropout and drop path drawn from seed, BN on batch statistics),
 * class-weighted mean softmax cross-entropy (class_weight NULL: all 1), backward, AdamW update
 * with lr. The graph's output must be [classes] logits. Returns the loss before the update,
 * NaN when the loss is not finite (then no update is made). */
double ecg_train_step(ecg_ref *r, ecg_adamw *opt, const float *const *inputs, const int *labels,
                      const float *class_weight, int batch, float lr, uint64_t seed, float *dlogits_scratch);

#endif
