/* The training loss (ops/loss.c). */
#ifndef ECG_LOSS_H
#define ECG_LOSS_H

#include <stddef.h>

#include "ops.h"

/* Mean softmax cross-entropy over the batch, optional class weights (PyTorch semantics:
 * sum_i w[y_i] * nll_i / sum_i w[y_i]). Writes dlogits (the gradient of the returned loss)
 * when non-NULL. Returns the loss. A label outside [0, classes) or a NaN logit makes the loss
 * undefined: it returns NAN and fills dlogits with NaN. (Class weights summing to 0 give NaN,
 * as in PyTorch; batch or classes < 1 return NAN without touching dlogits.) */
double ecg_softmax_xent(const float *logits, const int *labels, const float *class_weight,
                        int batch, int classes, float *dlogits);

/* Mean squared error, the reconstruction loss (torch.nn.MSELoss, reduction 'mean'): the mean over
 * the batch x numel(shape) elements of (pred - target)^2, pred and target both batch-major with
 * per-sample shape `shape` (the caller passes each tensor's shape: they must be equal). Writes
 * dpred = 2 (pred - target) / count (the gradient of the returned loss) when non-NULL. Computed
 * in double. Returns NAN with the reason in err (dpred, when given, filled with NaN) when the
 * shapes differ, the batch or shape is empty, a pointer is NULL, or a value is NaN or infinite:
 * a reconstruction loss over a broken tensor is no number to train on. */
double ecg_mse(const float *pred, const ecg_shape *pred_shape, const float *target, const ecg_shape *target_shape,
               int batch, float *dpred, char *err, size_t errlen);

#endif
