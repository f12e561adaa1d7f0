/* One training step on the reference executor. */
#include <math.h>

#include "ops/loss.h"
#include "train/train.h"

double ecg_train_step(ecg_ref *r, ecg_adamw *opt, const float *const *inputs, const int *labels,
                      const float *class_weight, int batch, float lr, uint64_t seed, float *dlogits) {
    ecg_graph *g = opt->g;
    int classes = (int)ecg_shape_numel(&g->values[g->output].shape);
    ecg_ref_forward(r, inputs, 1, seed);
    double loss = ecg_softmax_xent(ecg_ref_output(r), labels, class_weight, batch, classes, dlogits);
    if (!isfinite(loss)) return NAN;
    ecg_graph_zero_grads(g);
    ecg_ref_backward(r, dlogits);
    ecg_adamw_step(opt, lr);
    return loss;
}
