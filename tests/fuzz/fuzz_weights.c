/* libFuzzer target: the input as a weights file of every kind, loaded as eval, predict and the
 * report load it: ecg_weights_load (dense F32, sparse bitmap or fp16, told apart by the metadata)
 * into a small model, and, when the metadata says int8, ecg_int8_load into its inference graph
 * followed by building and running the int8 XNNPACK executor (where a scale XNNPACK cannot take
 * would abort). Beyond the sanitizers it checks the loaders' promises: an error has a message
 * (naming the file for the f32 kinds) and leaves the params unchanged; a loaded int8 model's
 * scales are positive normal floats with requantisation scales of at least 2^-32. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress.h"
#include "tests/fuzz/weights_fuzz_model.h"

static int same_params(const ecg_graph *a, const ecg_graph *b) {
    for (int i = 0; i < a->n_params; i++)
        if (memcmp(a->params[i].data, b->params[i].data,
                   (size_t)ecg_shape_numel(&a->params[i].shape) * sizeof(float)))
            return 0;
    return 1;
}

static void check_qparams(ecg_qparams p) {
    if (!(p.scale > 0 && isnormal(p.scale)) || p.zero_point < -128 || p.zero_point > 127) __builtin_trap();
}

static void try_int8(const ecg_graph *inf, const char *path) {
    ecg_graph gi;
    ecg_qmodel q;
    char err[ECG_ERR_LEN] = "";
    if (ecg_graph_clone(&gi, inf)) return;
    if (ecg_int8_load(&gi, &q, path, err, sizeof err)) {
        if (!err[0] || !same_params(&gi, inf)) __builtin_trap();
        ecg_graph_free(&gi);
        return;
    }
    for (int i = 0; i < q.n; i++) {
        const ecg_qnode *n = &q.nodes[i];
        check_qparams(n->in);
        check_qparams(n->out);
        for (int k = 0; k < n->n_scale; k++)
            if (!(n->w_scale[k] > 0 && isnormal(n->w_scale[k])) ||
                !(n->in.scale * n->w_scale[k] / n->out.scale >= 0x1p-32f))
                __builtin_trap();
    }
    /* The consumer: eval and rss-probe build the executor and run it. */
    ecg_xnn *x = ecg_xnn_create_q(&gi, &q, 1, 1, 0, err, sizeof err);
    if (x) {
        float *in = ecg_xnn_input(x, 0);
        for (int k = 0; k < 32; k++) in[k] = (float)(k % 7) - 3.0f;
        if (ecg_xnn_run(x)) __builtin_trap();
        volatile float sink = ecg_xnn_output(x)[2];
        (void)sink;
        ecg_xnn_free(x);
    } else if (!err[0]) {
        __builtin_trap();
    }
    ecg_qmodel_free(&q);
    ecg_graph_free(&gi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    static ecg_graph model, inf;
    static int ready;
    char err[ECG_ERR_LEN] = "";
    if (!ready) {
        snprintf(path, sizeof path, "/tmp/fuzz_weights_%ld.safetensors", (long)getpid());
        if (wf_model(&model) || ecg_inference_graph(&inf, &model, err, sizeof err)) {
            fprintf(stderr, "fuzz_weights: cannot build the model: %s %s\n", model.err, err);
            abort();
        }
        ready = 1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    ecg_graph g;
    if (ecg_graph_clone(&g, &model)) return 0;
    if (ecg_weights_load(&g, path, err, sizeof err)) {
        if (strncmp(err, path, strlen(path)) || !same_params(&g, &model)) __builtin_trap();
    }
    ecg_graph_free(&g);
    err[0] = 0;
    int is8 = ecg_int8_file_is(path, err, sizeof err);
    if (is8 < 0 && !err[0]) __builtin_trap();
    if (is8 == 1) try_int8(&inf, path);
    return 0;
}
