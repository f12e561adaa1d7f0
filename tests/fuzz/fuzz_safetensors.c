/* libFuzzer target: ecg_st_parse on arbitrary bytes, then (when it parses) loading the file into
 * a small conv/bn/linear graph. Beyond the sanitizers it checks the parser's promises: every
 * tensor view lies in the buffer with nbytes = numel * dtype size, names are unique and found,
 * every error has a message naming the file, and a failed load leaves the params unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/safetensors.h"
#include "tests/fuzz/st_fuzz_graph.h"

#define WHAT "fuzz.safetensors"

static void check_tensors(const ecg_st_file *f) {
    for (int i = 0; i < f->n; i++) {
        const ecg_st_tensor *t = &f->t[i];
        uint64_t numel = 1;
        for (int k = 0; k < t->rank; k++) numel *= (uint64_t)t->shape[k];
        if (t->rank < 0 || t->rank > 8 || numel * ecg_dtype_size(t->dtype) != t->nbytes) __builtin_trap();
        if (t->data < f->buf || t->nbytes > f->len || (size_t)(t->data - f->buf) > f->len - t->nbytes)
            __builtin_trap();
        if (t->nbytes) {
            /* Touch both ends so ASan would see a view past the buffer. */
            volatile uint8_t sink = t->data[0];
            sink ^= t->data[t->nbytes - 1];
            (void)sink;
        }
        if (strlen(t->name) >= ECG_NAME_LEN || ecg_st_find(f, t->name) != t) __builtin_trap();
    }
    for (int i = 0; i < 2 * f->n_meta; i++)
        if (!f->meta_kv[i]) __builtin_trap();
}

static void try_load(const ecg_st_file *f, int allow_extra) {
    ecg_graph g, before;
    if (st_fuzz_graph(&g, 1) || ecg_graph_clone(&before, &g)) {
        ecg_graph_free(&g);
        return;
    }
    char err[ECG_ERR_LEN] = "";
    if (ecg_st_to_graph(&g, f, WHAT, allow_extra, err, sizeof err)) {
        if (strncmp(err, WHAT ": ", strlen(WHAT) + 2)) __builtin_trap();
        for (int i = 0; i < g.n_params; i++)
            if (memcmp(g.params[i].data, before.params[i].data,
                       (size_t)ecg_shape_numel(&g.params[i].shape) * sizeof(float)))
                __builtin_trap();
    }
    ecg_graph_free(&before);
    ecg_graph_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* An exact-size heap copy, so a read one past the end is caught. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    ecg_st_file f;
    char err[ECG_ERR_LEN] = "";
    if (ecg_st_parse(&f, buf, size, WHAT, err, sizeof err)) {
        if (strncmp(err, WHAT ": ", strlen(WHAT) + 2)) __builtin_trap();
        return 0;
    }
    check_tensors(&f);
    try_load(&f, 0);
    try_load(&f, 1);
    ecg_st_free(&f);
    return 0;
}
