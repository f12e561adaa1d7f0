/* A model's trained part (ecg_model_def's part_prefix and part_model: the fusion model's frozen
 * autoencoder encoder) filled from another finished run, for `ecgbench train --init-from`.
 * runs/model_part.c */
#ifndef ECG_RUNS_MODEL_PART_H
#define ECG_RUNS_MODEL_PART_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/ops.h"

/* Checks that dir (NULL: not given) fits the model: given exactly when the model has a part, and
 * then a finished f32 run of the part's model on this task with this seed (the same splits, so the
 * part never trained on this run's validation or test examples). On success *source is NULL (no
 * part) or the configuration's "init_from" record: the run, its model and its weights' SHA-256 (a
 * resume with other weights is refused). 0, or -1 with err. */
int ecg_part_source(const char *model, const char *task, uint64_t seed, const char *dir, cJSON **source, char *err,
                    size_t errlen);
/* Copies the source run's tensors into g's params under the part's prefix (tensors with no such
 * param, an autoencoder's decoder, are left out); every frozen param must be filled, shapes equal.
 * Returns the values copied, or -1 with err. */
long long ecg_part_fill(ecg_graph *g, const char *model, const char *dir, char *err, size_t errlen);

#endif
