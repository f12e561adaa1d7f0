/* Writes the seed corpora of fuzz_weights and fuzz_checkpoint (not built by make; the seeds are
 * committed): the small model of weights_fuzz_model.h saved by the suite's own writers as a dense,
 * sparse, fp16 and int8 weights file (and a few near misses), and as training checkpoints packed
 * the way fuzz_checkpoint reads its input (the one-file layout, and the two-file one from before). tests/fuzz/gen_seeds.sh (make fuzz-seeds) builds and runs
 * it; by hand, from the repo root:
 *   make build/asan/libecgbench.a && gcc -std=c11 -D_GNU_SOURCE -I. \
 *      -I/usr/include/x86_64-linux-gnu/openblas-pthread -fsanitize=address,undefined \
 *      tests/fuzz/gen_weights_seeds.c build/asan/libecgbench.a -lXNNPACK -lpthreadpool -lcjson -lcsv \
 *      -lsamplerate -lmatio -lliquid -lprotobuf-c -lnettle -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas \
 *      -lgsl -lm -lpthread -lstdc++ -lbenchmark -o /tmp/gen && /tmp/gen tests/fuzz/seeds
 * (the hand-edited checkpoint and manifest seeds, epoch_neg or confusion_1e300.json, are not made
 * here: they are saved files with one metadata or JSON value changed.) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress/compress.h"
#include "ops/rng.h"
#include "tests/fuzz/weights_fuzz_model.h"
#include "tests/old_checkpoint.h"
#include "train/internal.h"

static void die(const char *what, const char *err) {
    fprintf(stderr, "gen_weights_seeds: %s: %s\n", what, err);
    exit(1);
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) die(path, "cannot open");
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n + 1);
    if (!b || fread(b, 1, *n, f) != *n) die(path, "cannot read");
    fclose(f);
    return b;
}

/* fuzz_checkpoint's input: 4 bytes little-endian n, then n bytes of last_optim.safetensors, then
 * last.safetensors. */
static void pack_checkpoint(const char *dir, const char *out) {
    char p[1024];
    size_t no, nw;
    snprintf(p, sizeof p, "%s/last_optim.safetensors", dir);
    uint8_t *o = slurp(p, &no);
    snprintf(p, sizeof p, "%s/last.safetensors", dir);
    uint8_t *w = slurp(p, &nw);
    FILE *f = fopen(out, "wb");
    uint8_t len[4] = {(uint8_t)no, (uint8_t)(no >> 8), (uint8_t)(no >> 16), (uint8_t)(no >> 24)};
    if (!f || fwrite(len, 1, 4, f) != 4 || fwrite(o, 1, no, f) != no || fwrite(w, 1, nw, f) != nw || fclose(f))
        die(out, "cannot write");
    free(o);
    free(w);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_weights_seeds SEEDS_DIR\n");
        return 2;
    }
    char err[ECG_ERR_LEN] = "", wdir[1024], cdir[1024], p[1200];
    snprintf(wdir, sizeof wdir, "%s/fuzz_weights", argv[1]);
    snprintf(cdir, sizeof cdir, "%s/fuzz_checkpoint", argv[1]);
    mkdir(wdir, 0755);
    mkdir(cdir, 0755);
    ecg_graph g, gi;
    if (wf_model(&g)) die("model", g.err);
    ecg_rng r = {11};
    for (int i = 0; i < g.n_params; i++) { /* running_var must stay positive */
        ecg_param *pa = &g.params[i];
        if (strstr(pa->name, "running_var"))
            for (int64_t k = 0; k < ecg_shape_numel(&pa->shape); k++) pa->data[k] = 0.5f + ecg_rng_uniform(&r);
    }
    const char *meta[] = {"model", "fuzz", "task", "none"};
    snprintf(p, sizeof p, "%s/dense.safetensors", wdir);
    if (ecg_safetensors_save(&g, p, meta, 2, err, sizeof err)) die(p, err);
    snprintf(p, sizeof p, "%s/fp16.safetensors", wdir);
    if (ecg_fp16_save(&g, p, meta, 2, err, sizeof err)) die(p, err);

    /* int8: the inference graph calibrated on a few random inputs */
    if (ecg_inference_graph(&gi, &g, err, sizeof err)) die("inference graph", err);
    float x[8 * 32];
    for (int i = 0; i < 8 * 32; i++) x[i] = ecg_rng_normal(&r);
    ecg_act_ranges ar;
    ecg_qmodel q;
    if (ecg_calibrate(&gi, x, NULL, 8, 8, 99.99, &ar, err, sizeof err) ||
        ecg_quantize(&gi, &ar, ECG_CALIB_PERCENTILE, &q, err, sizeof err))
        die("quantize", err);
    ecg_weight_only_int8(&gi);
    snprintf(p, sizeof p, "%s/int8.safetensors", wdir);
    if (ecg_int8_save(&gi, &q, p, meta, 2, err, sizeof err)) die(p, err);
    float keep = q.nodes[q.n - 1].w_scale[0];
    q.nodes[q.n - 1].w_scale[0] = 1e-12f; /* refused on load: under XNNPACK's 2^-32 */
    snprintf(p, sizeof p, "%s/int8_tiny_scale.safetensors", wdir);
    if (ecg_int8_save(&gi, &q, p, meta, 2, err, sizeof err)) die(p, err);
    q.nodes[q.n - 1].w_scale[0] = keep;
    q.nodes[0].out.scale = 1e-30f; /* accepted on load, refused by the executor */
    snprintf(p, sizeof p, "%s/int8_tiny_out_scale.safetensors", wdir);
    if (ecg_int8_save(&gi, &q, p, meta, 2, err, sizeof err)) die(p, err);

    /* sparse: three quarters of every weight matrix zeroed, so each is stored as a bitmap */
    for (int i = 0; i < g.n_params; i++)
        if (g.params[i].shape.rank >= 2)
            for (int64_t k = 0; k < ecg_shape_numel(&g.params[i].shape); k++)
                if (k % 4) g.params[i].data[k] = 0;
    snprintf(p, sizeof p, "%s/sparse.safetensors", wdir);
    if (ecg_sparse_save(&g, p, meta, 2, err, sizeof err)) die(p, err);

    /* checkpoints: after a few AdamW steps on made-up gradients */
    ecg_adamw opt;
    if (ecg_graph_alloc_grads(&g) || ecg_adamw_init(&opt, &g, ecg_adamw_defaults())) die("adamw", "out of memory");
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/gen_weights_seeds_%ld", (long)getpid());
    mkdir(tmp, 0700);
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < g.n_params; i++)
            if (g.params[i].grad)
                for (int64_t k = 0; k < ecg_shape_numel(&g.params[i].shape); k++) g.params[i].grad[k] = ecg_rng_normal(&r);
        ecg_adamw_step(&opt, 1e-3f);
    }
    /* epoch3: the one-file checkpoint and its PyTorch copy; stale_copy_4_3: a kill between the two
     * renames (the checkpoint of epoch 4, the copy of epoch 3), which resumes; old_epoch3 and
     * old_torn_4_3: the two-file layout from before (the moments alone in last_optim), whole and
     * torn (refused) */
    ecg_train_state st = {3, 2, 1, 0.4375, INFINITY}, st4 = {4, 4, 0, 0.5, INFINITY};
    char wpath[128], keepw[128];
    snprintf(wpath, sizeof wpath, "%s/last.safetensors", tmp);
    snprintf(keepw, sizeof keepw, "%s/epoch3.safetensors", tmp);
    for (int old = 0; old < 2; old++) {
        if (ecg_checkpoint_save(tmp, &g, &opt, &st, meta, 2, err, sizeof err) ||
            (old && ecg_test_old_checkpoint(tmp, err, sizeof err)))
            die("checkpoint", err);
        snprintf(p, sizeof p, "%s/%s", cdir, old ? "old_epoch3" : "epoch3");
        pack_checkpoint(tmp, p);
        err[0] = 0;
        if (rename(wpath, keepw) || ecg_checkpoint_save(tmp, &g, &opt, &st4, NULL, 0, err, sizeof err) ||
            (old && ecg_test_old_checkpoint(tmp, err, sizeof err)) || rename(keepw, wpath))
            die("torn checkpoint", err[0] ? err : "rename");
        snprintf(p, sizeof p, "%s/%s", cdir, old ? "old_torn_4_3" : "stale_copy_4_3");
        pack_checkpoint(tmp, p);
    }
    snprintf(p, sizeof p, "%s/last.safetensors", tmp);
    unlink(p);
    snprintf(p, sizeof p, "%s/last_optim.safetensors", tmp);
    unlink(p);
    rmdir(tmp);
    ecg_adamw_free(&opt);
    ecg_qmodel_free(&q);
    ecg_act_ranges_free(&ar);
    ecg_graph_free(&gi);
    ecg_graph_free(&g);
    return 0;
}
