/* Learning-rate schedule: linear warm-up, then half a cosine down to min_lr. */
#include <math.h>

#include "train/train.h"

double ecg_lr_cosine(long step, long warmup, long total, double base, double min_lr) {
    if (step < warmup) return base * (double)(step + 1) / (double)warmup;
    if (step >= total || total <= warmup) return min_lr;
    double progress = (double)(step - warmup) / (double)(total - warmup);
    return min_lr + 0.5 * (base - min_lr) * (1.0 + cos(M_PI * progress));
}
