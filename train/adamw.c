/* AdamW with decoupled weight decay, as torch.optim.AdamW computes it:
 *   p -= lr * wd * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). */
#include <math.h>
#include <stdlib.h>

#include "train/train.h"

ecg_adamw_cfg ecg_adamw_defaults(void) { return (ecg_adamw_cfg){0.9f, 0.999f, 1e-8f, 0.01f}; }

void ecg_adamw_free(ecg_adamw *o) {
    if (!o->g) return;
    for (int i = 0; i < o->g->n_params; i++) {
        free(o->m[i]);
        free(o->v[i]);
    }
    free(o->m);
    free(o->v);
    o->g = NULL;
}

int ecg_adamw_init(ecg_adamw *o, ecg_graph *g, ecg_adamw_cfg cfg) {
    *o = (ecg_adamw){.g = g, .cfg = cfg};
    o->m = calloc((size_t)g->n_params + 1, sizeof(float *));
    o->v = calloc((size_t)g->n_params + 1, sizeof(float *));
    if (!o->m || !o->v) goto oom;
    for (int i = 0; i < g->n_params; i++) {
        if (!ecg_param_learns(&g->params[i])) continue;
        size_t n = (size_t)ecg_shape_numel(&g->params[i].shape) + 1;
        if (!(o->m[i] = calloc(n, sizeof(float))) || !(o->v[i] = calloc(n, sizeof(float)))) goto oom;
    }
    return 0;
oom:
    ecg_adamw_free(o);
    return -1;
}

void ecg_adamw_step(ecg_adamw *o, float lr) {
    o->step++;
    const ecg_adamw_cfg *c = &o->cfg;
    double bc1 = 1.0 - pow(c->beta1, (double)o->step), bc2 = 1.0 - pow(c->beta2, (double)o->step);
    float step_size = (float)(lr / bc1), inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    for (int i = 0; i < o->g->n_params; i++) {
        ecg_param *p = &o->g->params[i];
        if (!ecg_param_learns(p) || !p->grad) continue;
        float decay = p->shape.rank >= 2 ? 1.0f - lr * c->weight_decay : 1.0f;
        float *m = o->m[i], *v = o->v[i];
        int64_t n = ecg_shape_numel(&p->shape);
        for (int64_t j = 0; j < n; j++) {
            float gj = p->grad[j];
            m[j] = c->beta1 * m[j] + (1.0f - c->beta1) * gj;
            v[j] = c->beta2 * v[j] + (1.0f - c->beta2) * gj * gj;
            p->data[j] = p->data[j] * decay - step_size * m[j] / (sqrtf(v[j]) * inv_sqrt_bc2 + c->eps);
        }
    }
}
