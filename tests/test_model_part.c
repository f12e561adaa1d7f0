/* A model's frozen part (efficientecg-fusion-ae holds lstm-ae's encoder): the params frozen at
 * build, counted as parameters but given no gradient, no optimizer state and no pruning; a
 * training step (two shards) and a stopped-and-resumed run leave them bit for bit while the rest
 * learns; and `ecgbench train --init-from` on the bundled sample: the part filled from an lstm-ae
 * run, the source's weights hash in config.json, and every wrong source refused by name. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compress.h"
#include "harness.h"
#include "models/models.h"
#include "ops/file_sha256.h"
#include "ops/safetensors.h"
#include "runs/files.h"
#include "runs/pipelines.h"
#include "runs/runs.h"
#include "train/train.h"

static int build(const char *model, const ecg_dataset *d, ecg_graph *g, char *err, size_t errlen) {
    ecg_model_cfg c = ecg_model_cfg_default(d->length, d->channels, d->n_classes);
    c.seed = 5;
    c.n_features = d->n_features;
    c.feature_names = d->feature_names;
    return ecg_model_build(model, &c, g, err, errlen);
}

static int load_synthetic(ecg_dataset *tr, ecg_dataset *va) {
    char err[512] = "";
    if (ecg_task_synthetic_load(NULL, "train", 1, tr, err, sizeof err) ||
        ecg_task_synthetic_load(NULL, "test", 1, va, err, sizeof err)) {
        CHECK(0, "synthetic: %s", err);
        return -1;
    }
    tr->n = 48, va->n = 32; /* a few steps: the frozen part must not move in any of them */
    return 0;
}

/* The frozen params are exactly the encoder's under "ae."; they count (as PyTorch counts a
 * requires_grad=False param), get no gradient buffer and are not offered to magnitude pruning. */
static void test_frozen_at_build(void) {
    ecg_dataset tr, va;
    if (load_synthetic(&tr, &va)) return;
    ecg_graph g, none;
    char err[512] = "";
    if (build("efficientecg-fusion-ae", &tr, &g, err, sizeof err) ||
        build("efficientecg-fusion-none", &tr, &none, err, sizeof err)) {
        CHECK(0, "build: %s", err);
        return;
    }
    /* encoder LSTM(12, 64): 19968, code Linear(64, 16): 1040; the token's projection 16 -> 128: 2176 */
    long long frozen = 0;
    for (int i = 0; i < g.n_params; i++) {
        const ecg_param *p = &g.params[i];
        CHECK(p->frozen == !strncmp(p->name, ECG_FUSION_AE_PREFIX, strlen(ECG_FUSION_AE_PREFIX)), "%s frozen %d",
              p->name, p->frozen);
        if (p->frozen) frozen += ecg_shape_numel(&p->shape);
    }
    CHECK(frozen == 19968 + 1040, "%lld frozen values, want 21008", frozen);
    CHECK(ecg_graph_param_count(&g) == ecg_graph_param_count(&none) + 21008 + 2176,
          "%lld parameters, want fusion-none's %lld + 21008 + 2176", (long long)ecg_graph_param_count(&g),
          (long long)ecg_graph_param_count(&none));
    CHECK(ecg_graph_alloc_grads(&g) == 0, "alloc grads");
    for (int i = 0; i < g.n_params; i++)
        CHECK((g.params[i].grad == NULL) == !ecg_param_learns(&g.params[i]), "%s: gradient buffer %p",
              g.params[i].name, (void *)g.params[i].grad);
    int ids[512], n = ecg_prunable_params(&g, ids, 512);
    for (int i = 0; i < n && i < 512; i++)
        CHECK(!g.params[ids[i]].frozen, "frozen %s offered to pruning", g.params[ids[i]].name);
    ecg_graph_free(&g);
    ecg_graph_free(&none);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&va);
}

/* Which params differ between a and b: frozen ones must not, and some learned one must. */
static void check_moved(const ecg_graph *a, const ecg_graph *b, const char *what) {
    int learned_moved = 0;
    for (int i = 0; i < a->n_params; i++) {
        int same = !memcmp(a->params[i].data, b->params[i].data,
                           (size_t)ecg_shape_numel(&a->params[i].shape) * sizeof(float));
        if (a->params[i].frozen) CHECK(same, "%s: frozen %s changed", what, a->params[i].name);
        else learned_moved |= !same;
    }
    CHECK(learned_moved, "%s: nothing learned", what);
}

/* Two shards (threads 2), two epochs: the frozen part stays, the rest learns; stopped after one
 * epoch and resumed from the checkpoint (which holds no optimizer state for the frozen part),
 * the run ends with the uninterrupted one's weights. */
static void test_training_keeps_part(void) {
    ecg_dataset tr, va;
    if (load_synthetic(&tr, &va)) return;
    char err[512] = "", d1[] = "/tmp/ecgbench_part_XXXXXX", d2[] = "/tmp/ecgbench_part_XXXXXX";
    CHECK(mkdtemp(d1) && mkdtemp(d2), "mkdtemp");
    ecg_graph init, a, b;
    if (build("efficientecg-fusion-ae", &tr, &init, err, sizeof err) ||
        build("efficientecg-fusion-ae", &tr, &a, err, sizeof err) ||
        build("efficientecg-fusion-ae", &tr, &b, err, sizeof err)) {
        CHECK(0, "build: %s", err);
        return;
    }
    ecg_train_cfg c = ecg_train_defaults();
    c.epochs = 2, c.batch = 16, c.threads = 2, c.eval_batch = 32, c.out_dir = d1, c.patience = 5;
    ecg_train_result ra, rb;
    CHECK(ecg_train(&a, &c, &tr, &va, &ra, err, sizeof err) == 0, "train: %s", err);
    check_moved(&a, &init, "two epochs");
    c.out_dir = d2, c.epoch_limit = 1;
    CHECK(ecg_train(&b, &c, &tr, &va, &rb, err, sizeof err) == 0, "part 1: %s", err);
    ecg_graph_free(&b);
    CHECK(build("efficientecg-fusion-ae", &tr, &b, err, sizeof err) == 0, "%s", err);
    c.resume = 1;
    CHECK(ecg_train(&b, &c, &tr, &va, &rb, err, sizeof err) == 0, "resume: %s", err);
    CHECK(test_same_params(&a, &b) && rb.epochs_run == 2, "the stopped and resumed run ends elsewhere (%d epochs)",
          rb.epochs_run);
    ecg_graph_free(&init);
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&va);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", d1, d2);
    CHECK(system(cmd) == 0, "cleanup");
}

/* A one-epoch run of model into dir on the sample (seed 1 unless given). */
static int train_sample(const char *model, const char *dir, const char *init_from, int epochs, uint64_t seed,
                        int resume, char *err, size_t errlen) {
    ecg_train_job job = {.model = model, .task = "mitdb-aami", .data = "datasets/sample", .out = dir,
                         .init_from = init_from};
    job.cfg = ecg_train_defaults();
    job.cfg.epochs = epochs, job.cfg.threads = 2, job.cfg.seed = seed, job.cfg.resume = resume;
    job.cfg.progress = 0;
    return ecg_train_run(&job, err, errlen);
}

static cJSON *config_of(const char *dir) {
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    return ecg_read_json(path, err, sizeof err);
}

/* ecgbench train's pipeline: the part filled from the lstm-ae run (the fused run's frozen tensors
 * are the autoencoder's, bit for bit), config.json naming the source and its weights' SHA-256,
 * and the refusals: no --init-from, --init-from on a model without a part, a run of another model,
 * another seed (other splits), and a resume from other weights. */
static void test_init_from(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_part_XXXXXX", ae[64], ae2[64], fu[64], other[64], err[1024] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(ae, sizeof ae, "%s/ae", dir);
    snprintf(ae2, sizeof ae2, "%s/ae2", dir);
    snprintf(fu, sizeof fu, "%s/fusion", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    setenv("ECG_CACHE_DIR", dir, 1);
    CHECK(train_sample("lstm-ae", ae, NULL, 1, 1, 0, err, sizeof err) == 0, "lstm-ae: %s", err);
    CHECK(train_sample("lstm-ae", ae2, NULL, 2, 1, 0, err, sizeof err) == 0, "lstm-ae 2: %s", err);

    CHECK(train_sample("efficientecg-fusion-ae", other, NULL, 1, 1, 0, err, sizeof err) == -1 &&
              strstr(err, "give --init-from a finished lstm-ae run"), "no --init-from: '%s'", err);
    CHECK(train_sample("efficientecg-fusion", other, ae, 1, 1, 0, err, sizeof err) == -1 &&
              strstr(err, "no part trained by another model"), "a model without a part: '%s'", err);
    CHECK(train_sample("efficientecg-fusion-ae", other, ae, 1, 2, 0, err, sizeof err) == -1 &&
              strstr(err, "same task and seed"), "another seed: '%s'", err);
    CHECK(access(other, F_OK) != 0, "a refused run made its folder");

    CHECK(train_sample("efficientecg-fusion-ae", fu, ae, 1, 1, 0, err, sizeof err) == 0, "fusion-ae: %s", err);
    CHECK(train_sample("efficientecg-fusion-ae", other, fu, 1, 1, 0, err, sizeof err) == -1 &&
              strstr(err, "not an f32 run of lstm-ae"), "a fusion run as the source: '%s'", err);
    char path[256], sha[65];
    int64_t bytes;
    snprintf(path, sizeof path, "%s/weights.safetensors", ae);
    CHECK(ecg_file_sha256(path, sha, &bytes, err, sizeof err) == 0, "%s", err);
    cJSON *cfg = config_of(fu), *init = cJSON_GetObjectItem(cfg, "init_from");
    CHECK(init && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(init, "weights_sha256")), sha) &&
              !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(init, "model")), "lstm-ae"),
          "config.json's init_from does not name the source's weights");
    cJSON_Delete(cfg);

    ecg_graph src;
    ecg_model_cfg mc = ecg_model_cfg_default(252, 1, 5);
    CHECK(ecg_model_build("lstm-ae", &mc, &src, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_load(&src, path, 0, err, sizeof err) == 0, "%s", err);
    ecg_run run;
    ecg_run_model fused;
    if (ecg_run_read(fu, &run, err, sizeof err) || ecg_run_open(&run, &fused, err, sizeof err)) {
        CHECK(0, "the fused run: %s", err);
        return;
    }
    const ecg_graph *dst = &fused.g;
    for (int i = 0; i < src.n_params; i++) {
        char name[ECG_NAME_LEN * 2];
        snprintf(name, sizeof name, ECG_FUSION_AE_PREFIX "%s", src.params[i].name);
        int j = ecg_param_find(dst, name);
        if (!strncmp(src.params[i].name, "decoder", 7) || !strncmp(src.params[i].name, "head", 4)) {
            CHECK(j < 0, "the decoder's %s is in the fused model", src.params[i].name);
            continue;
        }
        CHECK(j >= 0 && !memcmp(dst->params[j].data, src.params[i].data,
                                (size_t)ecg_shape_numel(&src.params[i].shape) * sizeof(float)),
              "%s is not lstm-ae's %s after training", name, src.params[i].name);
    }
    ecg_graph_free(&src);
    ecg_run_model_free(&fused);
    ecg_run_free(&run);
    CHECK(train_sample("efficientecg-fusion-ae", fu, ae2, 1, 1, 1, err, sizeof err) == -1 && strstr(err, "init_from"),
          "a resume from other weights: '%s'", err);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_frozen_at_build);
    RUN(test_training_keeps_part);
    RUN(test_init_from);
    return test_done();
}
