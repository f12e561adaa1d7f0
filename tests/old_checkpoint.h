/* Turns a checkpoint folder's last_optim.safetensors into the layout written before the one-file
 * checkpoint (train/checkpoint.c): the AdamW moments alone, without the weights and without the
 * "checkpoint" metadata key, the weights left to last.safetensors. For the tests of the old layout
 * (test_trainer.c) and its fuzz seeds (tests/fuzz/gen_weights_seeds.c); header-only, as both build
 * alone. 0, or -1 with err. */
#ifndef ECG_TESTS_OLD_CHECKPOINT_H
#define ECG_TESTS_OLD_CHECKPOINT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/safetensors.h"

static inline int ecg_test_old_checkpoint(const char *dir, char *err, size_t errlen) {
    char path[1024];
    snprintf(path, sizeof path, "%s/last_optim.safetensors", dir);
    ecg_st_file f = {0};
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    ecg_st_tensor *t = calloc((size_t)f.n + 1, sizeof *t);
    const char **kv = calloc((size_t)f.n_meta * 2 + 1, sizeof *kv);
    int n = 0, m = 0, rc = -1;
    if (t && kv) {
        for (int i = 0; i < f.n; i++)
            if (!strncmp(f.t[i].name, "exp_avg", 7)) t[n++] = f.t[i];
        for (int i = 0; i < f.n_meta; i++)
            if (strcmp(f.meta_kv[2 * i], "checkpoint")) {
                kv[2 * m] = f.meta_kv[2 * i];
                kv[2 * m++ + 1] = f.meta_kv[2 * i + 1];
            }
        rc = ecg_st_write(path, t, n, kv, m, err, errlen);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(t);
    free(kv);
    ecg_st_free(&f);
    return rc;
}

#endif
