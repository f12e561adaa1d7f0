/* ecg_dataset ownership: everything a loader or the cache allocated is freed here. */
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

void ecg_dataset_free(ecg_dataset *d) {
    if (!d) return;
    free(d->x);
    free(d->y);
    free(d->features);
    free(d->record);
    free(d->names_storage);
    memset(d, 0, sizeof *d);
}
