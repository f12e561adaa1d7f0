/* The training loss (ops/loss.c). */
#ifndef ECG_LOSS_H
#define ECG_LOSS_H

/* Mean softmax cross-entropy over the batch, optional class weights (PyTorch semantics:
 * sum_i w[y_i] * nll_i / sum_i w[y_i]). Writes dlogits (the gradient of the returned loss)
 * when non-NULL. Returns the loss. A label outside [0, classes) or a NaN logit makes the loss
 * undefined: it returns NAN and fills dlogits with NaN. (Class weights summing to 0 give NaN,
 * as in PyTorch; batch or classes < 1 return NAN without touching dlogits.) */
double ecg_softmax_xent(const float *logits, const int *labels, const float *class_weight,
                        int batch, int classes, float *dlogits);

#endif
