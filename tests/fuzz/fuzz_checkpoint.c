/* libFuzzer target: a training checkpoint as `train --resume` reads it (ecg_checkpoint_load):
 * the input is split into last_optim.safetensors and last.safetensors (4 bytes little-endian: the
 * first file's length; the rest is the second; the one-file layout reads the first alone, the
 * two-file layout from before both), loaded into the small model of
 * weights_fuzz_model.h and its AdamW state. Beyond the sanitizers: an error has a message (the
 * trainer then stops); a loaded state is one the trainer can continue from (epochs and
 * step not negative, best epoch and bad epochs within the epochs done, best macro-F1 in [0, 1]
 * or -1 for none). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/weights_fuzz_model.h"
#include "train/internal.h"

static int write_file(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(b, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[64], opath[128], wpath[128];
    static ecg_graph model;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_checkpoint_%ld", (long)getpid());
        mkdir(dir, 0700);
        snprintf(opath, sizeof opath, "%s/last_optim.safetensors", dir);
        snprintf(wpath, sizeof wpath, "%s/last.safetensors", dir);
        if (wf_model(&model) || ecg_graph_alloc_grads(&model)) abort();
    }
    size_t n1 = size >= 4 ? (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24 : 0;
    const uint8_t *rest = size >= 4 ? data + 4 : data;
    size_t left = size >= 4 ? size - 4 : size;
    if (n1 > left) n1 = left;
    if (write_file(opath, rest, n1) || write_file(wpath, rest + n1, left - n1)) return 0;
    ecg_graph g;
    ecg_adamw opt;
    if (ecg_graph_clone(&g, &model)) return 0;
    if (ecg_graph_alloc_grads(&g) || ecg_adamw_init(&opt, &g, ecg_adamw_defaults())) {
        ecg_graph_free(&g);
        return 0;
    }
    ecg_train_state st = {0, 0, 0, -1.0, INFINITY};
    char err[ECG_ERR_LEN] = "";
    int rc = ecg_checkpoint_load(dir, &g, &opt, &st, err, sizeof err);
    if (rc == 0) {
        if (st.epoch < 0 || st.best_epoch < 0 || st.best_epoch > st.epoch || st.bad_epochs < 0 ||
            st.bad_epochs > st.epoch || opt.step < 0 || !(st.best_f1 == -1.0 || (st.best_f1 >= 0 && st.best_f1 <= 1)))
            __builtin_trap();
    } else if (rc != -1 || !err[0]) {
        __builtin_trap();
    }
    ecg_adamw_free(&opt);
    ecg_graph_free(&g);
    return 0;
}
