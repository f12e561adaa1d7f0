/* Re-checking every metric a manifest stores against the metrics recomputed from the data
 * (runs/metrics_check.c), for `ecgbench eval`: a manifest whose accuracy was edited to 0.99 must
 * not "reproduce exactly" because its confusion matrix does. */
#ifndef ECG_METRICS_CHECK_H
#define ECG_METRICS_CHECK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "train/train.h"

/* stored: a metrics object as ecg_metrics_json writes it (examples, accuracy, macro_f1,
 * per_class[] {class, support, sensitivity, ppv, specificity, f1}, confusion). m: the recomputed
 * metrics, names: its class names. 0 when every stored figure equals the recomputed one (relative
 * 1e-9: the JSON text round trip; null for an undefined metric, NaN); else -1 and err names the
 * first one that differs, e.g. "accuracy: stored 0.99, recomputed 0.8514". A stored figure that
 * is missing is a difference too. */
int ecg_metrics_check_json(const cJSON *stored, const ecg_metrics *m, const char *const *names, char *err,
                           size_t errlen);

#endif
