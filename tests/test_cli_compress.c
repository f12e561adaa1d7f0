/* `ecgbench compress` on a run trained on the bundled sample: pruned weights are exactly as sparse
 * as asked after fine-tuning, the sparse file holds the same weights as the dense one and is
 * smaller; int8 records its calibration and its file is the model size; each manifest records its
 * passes, and `ecgbench eval` reproduces its test metrics. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../compress/compress.h"
#include "harness.h"
#include "../runs/files.h"
#include "../runs/manifest.h"
#include "ops/file_sha256.h"
#include "ops/safetensors.h"

static double num(const cJSON *o, const char *k) { return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k)); }

static void test_prune_a_trained_run(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_compress_XXXXXX", cache[64], run[96], out[96], path[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(out, sizeof out, "%s/pruned", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "2", "--out", run, "--quiet"};
    CHECK(ecg_cmd_train(13, train) == 0, "train failed");
    char *compress[] = {"compress", run, "--prune", "0.6", "--dense-first", "--finetune-epochs", "1", "--threads", "2",
                        "--out", out, "--quiet"};
    CHECK(ecg_cmd_compress(12, compress) == 0, "compress failed");

    snprintf(path, sizeof path, "%s/manifest.json", out);
    char err[512];
    cJSON *m = ecg_read_json(path, err, sizeof err);
    CHECK(m != NULL, "%s", err);
    ecg_graph g = {0}, h = {0};
    ecg_model_cfg mc = ecg_task_model_cfg(ecg_task_find("mitdb-aami"));
    CHECK(ecg_model_build("efficientecg-s", &mc, &g, err, sizeof err) == 0 &&
              ecg_model_build("efficientecg-s", &mc, &h, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/weights.safetensors", out);
    CHECK(ecg_safetensors_load(&g, path, 0, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/weights.sparse.safetensors", out);
    CHECK(ecg_sparse_load(&h, path, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < g.n_params; i++)
        for (int64_t k = 0; k < ecg_shape_numel(&g.params[i].shape); k++)
            if (g.params[i].data[k] != h.params[i].data[k]) {
                CHECK(0, "%s[%lld] differs between the dense and the sparse file", g.params[i].name, (long long)k);
                i = g.n_params;
                break;
            }
    if (m) {
        /* exactly 60% of the prunable weights beyond the stem are zero after fine-tuning */
        int ids[512], n = ecg_prunable_params(&g, ids, 512);
        int64_t total = 0, zeros = 0;
        for (int i = 1; i < n; i++) {
            const ecg_param *p = &g.params[ids[i]];
            total += ecg_shape_numel(&p->shape);
            for (int64_t k = 0; k < ecg_shape_numel(&p->shape); k++) zeros += p->data[k] == 0.0f;
        }
        CHECK(zeros == llround(0.6 * (double)total), "%lld zeros of %lld", (long long)zeros, (long long)total);
        CHECK(num(m, "nonzero_params") == (double)ecg_nonzero_params(&g), "nonzero_params");
        CHECK(num(m, "params") == (double)ecg_graph_param_count(&g), "params");
        const cJSON *size = cJSON_GetObjectItem(m, "size_bytes"), *pass = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "passes"), 0);
        CHECK(num(size, "sparse") > 0 && num(size, "sparse") < 0.7 * num(size, "dense_f32"), "sizes %g vs %g",
              num(size, "sparse"), num(size, "dense_f32"));
        CHECK(pass && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(pass, "pass")), "magnitude_prune") &&
                  num(pass, "sparsity") == 0.6 && cJSON_GetArraySize(cJSON_GetObjectItem(pass, "layers")) == n,
              "pass record");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "source")), run), "source");
        char sha[65];
        int64_t bytes;
        snprintf(path, sizeof path, "%s/weights.safetensors", run);
        CHECK(ecg_file_sha256(path, sha, &bytes, err, sizeof err) == 0, "%s", err);
        const char *src_sha = cJSON_GetStringValue(cJSON_GetObjectItem(m, "source_weights_sha256"));
        CHECK(src_sha && !strcmp(src_sha, sha), "source_weights_sha256 %s, the source's weights %s",
              src_sha ? src_sha : "(none)", sha);
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "variant")), "pruned60"), "variant");
    }
    cJSON_Delete(m);
    ecg_graph_free(&g);
    ecg_graph_free(&h);
    char *eval[] = {"eval", out};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval does not reproduce the compressed run's manifest");

    /* int8 on the trained run */
    char out8[120];
    snprintf(out8, sizeof out8, "%s/int8", dir);
    char *int8[] = {"compress", run, "--int8", "--calib", "64", "--threads", "2", "--out", out8, "--quiet"};
    CHECK(ecg_cmd_compress(10, int8) == 0, "compress --int8 failed");
    snprintf(path, sizeof path, "%s/manifest.json", out8);
    m = ecg_read_json(path, err, sizeof err);
    CHECK(m != NULL, "%s", err);
    if (m) {
        const cJSON *passes = cJSON_GetObjectItem(m, "passes"), *q = cJSON_GetArrayItem(passes, 1);
        const cJSON *cal = cJSON_GetObjectItem(q, "calibration"), *size = cJSON_GetObjectItem(m, "size_bytes");
        CHECK(cJSON_GetArraySize(passes) == 2 && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(q, "pass")), "int8"),
              "passes: bn_fold, int8");
        CHECK(num(cal, "examples") == 64 && cJSON_GetArraySize(cJSON_GetObjectItem(cal, "candidates")) == 2,
              "calibration: 64 examples, two candidate methods (auto)");
        CHECK(num(q, "int8_nodes") > 10, "int8 nodes");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "variant")), "int8"), "variant");
        snprintf(path, sizeof path, "%s/weights.int8.safetensors", out8);
        struct stat st;
        CHECK(stat(path, &st) == 0 && num(size, "int8") == (double)st.st_size, "size_bytes.int8 is the file's");
        CHECK(num(size, "int8") < 0.3 * num(size, "source"), "int8 file %g bytes vs f32 %g", num(size, "int8"),
              num(size, "source"));
    }
    cJSON_Delete(m);
    char *eval8[] = {"eval", out8};
    CHECK(ecg_cmd_eval(2, eval8) == 0, "eval does not reproduce the int8 manifest");

    /* fp16: the size-only variant */
    char out16[120];
    snprintf(out16, sizeof out16, "%s/fp16", dir);
    char *fp16[] = {"compress", run, "--fp16", "--threads", "2", "--out", out16, "--quiet"};
    CHECK(ecg_cmd_compress(8, fp16) == 0, "compress --fp16 failed");
    snprintf(path, sizeof path, "%s/manifest.json", out16);
    m = ecg_read_json(path, err, sizeof err);
    CHECK(m != NULL, "%s", err);
    if (m) {
        const cJSON *size = cJSON_GetObjectItem(m, "size_bytes");
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "variant")), "fp16") &&
                  !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "weights")), "weights.f16.safetensors"),
              "fp16 variant and weights");
        CHECK(num(size, "fp16") > 0 && num(size, "fp16") < 0.55 * num(size, "source"), "fp16 file %g bytes vs f32 %g",
              num(size, "fp16"), num(size, "source"));
    }
    cJSON_Delete(m);
    char *eval16[] = {"eval", out16};
    CHECK(ecg_cmd_eval(2, eval16) == 0, "eval does not reproduce the fp16 manifest");
    char *both[] = {"compress", run, "--fp16", "--int8", "--out", out16};
    CHECK(ecg_cmd_compress(6, both) == 2, "--fp16 with --int8");

    /* the MODEL --task --weights form */
    char outm[120], wfile[140];
    snprintf(outm, sizeof outm, "%s/model-form", dir);
    snprintf(wfile, sizeof wfile, "%s/weights.safetensors", run);
    char *mform[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--weights", wfile, "--data", "datasets/sample",
                     "--fp16", "--out", outm, "--quiet"};
    CHECK(ecg_cmd_compress(12, mform) == 0, "compress MODEL --task --weights failed");
    char *evalm[] = {"eval", outm};
    CHECK(ecg_cmd_eval(2, evalm) == 0, "eval does not reproduce the MODEL-form manifest");
    char *no_weights[] = {"compress", "efficientecg-s", "--task", "mitdb-aami", "--fp16", "--out", outm};
    CHECK(ecg_cmd_compress(7, no_weights) == 2, "--task without --weights");
    char *bad_model[] = {"compress", "no-such-model", "--task", "mitdb-aami", "--weights", wfile, "--fp16", "--out", outm};
    CHECK(ecg_cmd_compress(9, bad_model) == 1, "unknown model");

    char *no_pass[] = {"compress", run, "--out", out};
    CHECK(ecg_cmd_compress(4, no_pass) == 2, "no pass is a usage error");
    char *bad_s[] = {"compress", run, "--prune", "1.5", "--out", out};
    CHECK(ecg_cmd_compress(6, bad_s) == 2, "sparsity 1.5");
    char *bad_scope[] = {"compress", run, "--prune", "0.5", "--scope", "random", "--out", out};
    CHECK(ecg_cmd_compress(8, bad_scope) == 2, "unknown scope");
    char *bad_calib[] = {"compress", run, "--int8", "--calib-method", "median", "--out", out};
    CHECK(ecg_cmd_compress(7, bad_calib) == 2, "unknown calibration method");
    char *no_run[] = {"compress", "/nonexistent/run", "--prune", "0.5", "--out", out};
    CHECK(ecg_cmd_compress(6, no_run) == 1, "a missing run");
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    unsetenv("ECG_CACHE_DIR");
}

int main(void) {
    RUN(test_prune_a_trained_run);
    return test_done();
}
