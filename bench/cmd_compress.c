/* `ecgbench compress MODEL --task T --weights W --int8 --out DIR`: compression passes over a
 * trained model, then DIR/weights.int8.safetensors and DIR/manifest.json with a "passes" array
 * saying what each pass did (name + parameters + what it measured), the model size (the weights
 * file's bytes) and the test metrics of the compressed model on the XNNPACK path.
 *
 * Passes run in the order of the table below on one state (the inference graph: batchnorm
 * folded, dropout removed; and the int8 nodes once quantized). A new pass (pruning, channel
 * pruning) is a function of that signature and a row of the table. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "compress/compress.h"

typedef struct {
    const char *model, *task, *weights, *out, *data;
    int int8, calib, threads;
    const char *calib_method; /* minmax | percentile | auto */
    double percentile;
    uint64_t seed;
} opts;

typedef struct {
    ecg_graph g;              /* inference graph; passes rewrite its f32 params */
    ecg_qmodel q;             /* int8 nodes (q.n == 0: none) */
    const ecg_dataset *train, *val;
    int eval_batch;
} cstate;

typedef int (*pass_fn)(cstate *s, const opts *o, cJSON *entry, char *err, size_t errlen);

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench compress MODEL --task T --weights W --int8 --out DIR [options]\n"
               "  --int8                   post-training int8 quantization (conv1d per-channel, linear per-tensor\n"
               "                           weights; asymmetric per-tensor activations), lowered onto XNNPACK int8\n"
               "  --calib N                calibration examples from the train split (default 512)\n"
               "  --calib-method M         minmax | percentile | auto (default: auto, the better validation macro-F1)\n"
               "  --percentile P           for the percentile method (default 99.99)\n"
               "  --data D --seed N --threads N   as for ecgbench eval (seed: splits and calibration sample)\n"
               "Writes DIR/weights.int8.safetensors (its size is the model size) and DIR/manifest.json;\n"
               "`ecgbench eval DIR` re-checks the test metrics.\n");
}

static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {{"task", 1, 0, 't'},    {"weights", 1, 0, 'w'},      {"out", 1, 0, 'o'},
                                       {"data", 1, 0, 'd'},    {"int8", 0, 0, 'I'},         {"calib", 1, 0, 'c'},
                                       {"calib-method", 1, 0, 'm'}, {"percentile", 1, 0, 'p'}, {"seed", 1, 0, 'S'},
                                       {"threads", 1, 0, 'j'}, {"help", 0, 0, 'h'},         {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->calib = 512;
    o->calib_method = "auto";
    o->percentile = 99.99;
    o->seed = 1;
    long long n = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 't': o->task = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'o': o->out = optarg; break;
        case 'd': o->data = optarg; break;
        case 'I': o->int8 = 1; break;
        case 'c': bad = ecg_arg_int("compress", "--calib", optarg, 1, 1000000, &n); o->calib = (int)n; break;
        case 'm': o->calib_method = optarg; break;
        case 'p': bad = ecg_arg_num("compress", "--percentile", optarg, 50.001, 100, &o->percentile); break;
        case 'S': bad = ecg_arg_int("compress", "--seed", optarg, 0, 1000000000000000LL, &n); o->seed = (uint64_t)n; break;
        case 'j': bad = ecg_arg_int("compress", "--threads", optarg, 0, 1024, &n); o->threads = (int)n; break;
        case 'h': usage(stdout); return 1;
        default: return -1;
        }
        if (bad) return -1;
    }
    if (optind != argc - 1 || !o->task || !o->weights || !o->out) {
        usage(stderr);
        return -1;
    }
    if (strcmp(o->calib_method, "minmax") && strcmp(o->calib_method, "percentile") && strcmp(o->calib_method, "auto")) {
        fprintf(stderr, "ecgbench compress: --calib-method must be minmax, percentile or auto (got '%s')\n",
                o->calib_method);
        return -1;
    }
    if (!o->int8) {
        fprintf(stderr, "ecgbench compress: no pass chosen (give --int8)\n");
        return -1;
    }
    o->model = argv[optind];
    if (!o->data) o->data = ecg_default_data_dir();
    return 0;
}

/* n examples of d picked without replacement by a seeded shuffle, copied out (features too). */
static int sample_examples(const ecg_dataset *d, int n, uint64_t seed, float **x, float **f) {
    size_t ex = (size_t)d->length * (size_t)d->channels, nf = (size_t)d->n_features;
    int *idx = malloc((size_t)d->n * sizeof(int));
    *x = malloc((size_t)n * ex * sizeof(float));
    *f = nf ? malloc((size_t)n * nf * sizeof(float)) : NULL;
    if (!idx || !*x || (nf && !*f)) {
        free(idx);
        return -1;
    }
    ecg_rng r = {ecg_hash64(seed, 0x63616c6962ull)}; /* "calib" */
    for (int i = 0; i < d->n; i++) idx[i] = i;
    for (int i = 0; i < n; i++) {
        int j = i + (int)(ecg_rng_next(&r) % (uint64_t)(d->n - i)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        memcpy(*x + (size_t)i * ex, d->x + (size_t)idx[i] * ex, ex * sizeof(float));
        if (nf) memcpy(*f + (size_t)i * nf, d->features + (size_t)idx[i] * nf, nf * sizeof(float));
    }
    free(idx);
    return 0;
}

/* ---------------------------------------------------------------- passes */

static int pass_int8(cstate *s, const opts *o, cJSON *entry, char *err, size_t errlen) {
    int n = o->calib < s->train->n ? o->calib : s->train->n;
    float *cx = NULL, *cf = NULL;
    ecg_act_ranges r = {0};
    int rc = -1;
    if (n < 1 || sample_examples(s->train, n, o->seed, &cx, &cf)) {
        snprintf(err, errlen, "int8: no calibration examples (train split has %d) or out of memory", s->train->n);
        goto done;
    }
    /* before calibration, so the ranges are those of the weights that will run */
    int wonly = ecg_weight_only_int8(&s->g);
    fprintf(stderr, "int8: calibrating on %d train examples\n", n);
    if (ecg_calibrate(&s->g, cx, cf, n, 64, o->percentile, &r, err, errlen)) goto done;
    ecg_calib_method methods[2] = {ECG_CALIB_MINMAX, ECG_CALIB_PERCENTILE};
    int first = !strcmp(o->calib_method, "percentile"), last = !strcmp(o->calib_method, "minmax") ? 0 : 1;
    cJSON *cands = cJSON_CreateArray();
    double best_f1 = -1;
    for (int k = first; k <= last; k++) {
        ecg_qmodel q;
        ecg_metrics m;
        if (ecg_quantize(&s->g, &r, methods[k], &q, err, errlen)) goto done_c;
        if (ecg_evaluate_q(&s->g, &q, s->val, s->eval_batch, o->threads, &m, NULL, err, errlen)) {
            ecg_qmodel_free(&q);
            goto done_c;
        }
        fprintf(stderr, "int8: %s calibration: validation accuracy %.4f, macro-F1 %.4f\n",
                ecg_calib_method_name(methods[k]), m.accuracy, m.macro_f1);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "method", ecg_calib_method_name(methods[k]));
        cJSON_AddNumberToObject(c, "val_accuracy", m.accuracy);
        cJSON_AddNumberToObject(c, "val_macro_f1", m.macro_f1);
        cJSON_AddItemToArray(cands, c);
        if (m.macro_f1 > best_f1) { /* ties keep the first: min/max, the simpler one */
            best_f1 = m.macro_f1;
            ecg_qmodel_free(&s->q);
            s->q = q;
            cJSON_DeleteItemFromObjectCaseSensitive(entry, "calibration_method");
            cJSON_AddStringToObject(entry, "calibration_method", ecg_calib_method_name(methods[k]));
        } else {
            ecg_qmodel_free(&q);
        }
    }
    cJSON *cal = cJSON_AddObjectToObject(entry, "calibration");
    cJSON_AddStringToObject(cal, "split", "train");
    cJSON_AddNumberToObject(cal, "examples", n);
    cJSON_AddNumberToObject(cal, "seed", (double)o->seed);
    cJSON_AddNumberToObject(cal, "percentile", o->percentile);
    cJSON_AddStringToObject(cal, "selection", "validation macro-F1");
    cJSON_AddItemToObject(cal, "candidates", cands);
    cands = NULL;
    cJSON_AddStringToObject(entry, "weights", "symmetric int8: per output channel for conv1d (XNNPACK qc8), "
                                              "per tensor for linear (XNNPACK qs8)");
    cJSON_AddStringToObject(entry, "activations", "asymmetric per-tensor int8 (qs8)");
    cJSON_AddNumberToObject(entry, "int8_nodes", s->q.n);
    cJSON_AddStringToObject(entry, "weight_only", "LSTM and attention weight matrices: int8 rows with a scale each, "
                                                  "run f32 on the dequantised values (no XNNPACK int8 operator)");
    cJSON_AddNumberToObject(entry, "weight_only_params", wonly);
    rc = 0;
done_c:
    cJSON_Delete(cands);
done:
    ecg_act_ranges_free(&r);
    free(cx);
    free(cf);
    return rc;
}

static const struct {
    const char *name;
    pass_fn run;
    size_t enabled; /* offset of the int flag in opts that turns the pass on */
} passes[] = {
    {"int8", pass_int8, offsetof(opts, int8)},
};

/* ---------------------------------------------------------------- the command */

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) ? -1 : (long long)st.st_size;
}

static int count_kind(const ecg_graph *g, ecg_op_kind k) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += g->nodes[i].kind == k;
    return c;
}

int ecg_cmd_compress(int argc, char **argv) {
    opts o;
    int p = parse(argc, argv, &o);
    if (p) return p > 0 ? 0 : 2;
    char err[1024], path[1200];
    ecg_dataset train = {0}, val = {0}, test = {0};
    ecg_graph g = {0};
    cstate s = {0};
    cJSON *man = NULL;
    int rc = 1, hit;
    if (ecg_task_load_cached(o.task, "train", o.data, o.seed, NULL, &train, &hit, err, sizeof err) ||
        ecg_task_load_cached(o.task, "val", o.data, o.seed, NULL, &val, &hit, err, sizeof err) ||
        ecg_task_load_cached(o.task, "test", o.data, o.seed, NULL, &test, &hit, err, sizeof err))
        goto fail;
    ecg_model_cfg mc = ecg_model_cfg_default(test.length, test.channels, test.n_classes);
    mc.n_features = test.n_features;
    mc.feature_names = test.feature_names;
    if (ecg_model_build(o.model, &mc, &g, err, sizeof err) || ecg_safetensors_load(&g, o.weights, 0, err, sizeof err) ||
        ecg_check_model_fits(&g, &test, err, sizeof err))
        goto fail;
    if (ecg_mkdir_p(o.out, err, sizeof err)) goto fail;
    ecg_metrics f32_test, mt, mv;
    fprintf(stderr, "f32: evaluating on %s/test\n", o.task);
    if (ecg_evaluate(&g, &test, 256, o.threads, &f32_test, NULL, err, sizeof err)) goto fail;
    if (ecg_inference_graph(&s.g, &g, err, sizeof err)) goto fail;
    s.train = &train;
    s.val = &val;
    s.eval_batch = 256;

    man = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray(), *fold = cJSON_CreateObject();
    cJSON_AddStringToObject(fold, "name", "bn-fold");
    cJSON_AddNumberToObject(fold, "batchnorms_folded", count_kind(&g, ECG_OP_BATCHNORM) - count_kind(&s.g, ECG_OP_BATCHNORM));
    cJSON_AddNumberToObject(fold, "dropouts_removed", count_kind(&g, ECG_OP_DROPOUT));
    cJSON_AddItemToArray(arr, fold);
    for (size_t i = 0; i < sizeof passes / sizeof passes[0]; i++) {
        if (!*(const int *)((const char *)&o + passes[i].enabled)) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", passes[i].name);
        cJSON_AddItemToArray(arr, e);
        if (passes[i].run(&s, &o, e, err, sizeof err)) {
            cJSON_Delete(arr);
            goto fail;
        }
    }
    cJSON_AddStringToObject(man, "model", o.model);
    cJSON_AddStringToObject(man, "task", o.task);
    cJSON_AddStringToObject(man, "format", "int8");
    cJSON_AddStringToObject(man, "weights", "weights.int8.safetensors");
    cJSON_AddNumberToObject(man, "seed", (double)o.seed);
    cJSON_AddItemToObject(man, "passes", arr);

    const char *meta[] = {"model", o.model, "task", o.task};
    snprintf(path, sizeof path, "%s/weights.int8.safetensors", o.out);
    if (ecg_int8_save(&s.g, &s.q, path, meta, 2, err, sizeof err)) goto fail;
    /* the metrics come from the file just written, so they are the file's */
    ecg_qmodel_free(&s.q);
    if (ecg_int8_load(&s.g, &s.q, path, err, sizeof err)) goto fail;
    fprintf(stderr, "int8: evaluating on %s/val and %s/test\n", o.task, o.task);
    if (ecg_evaluate_q(&s.g, &s.q, &val, 256, o.threads, &mv, NULL, err, sizeof err) ||
        ecg_evaluate_q(&s.g, &s.q, &test, 256, o.threads, &mt, NULL, err, sizeof err))
        goto fail;

    long long size = file_size(path), f32_size = file_size(o.weights);
    cJSON_AddNumberToObject(man, "params", (double)ecg_graph_param_count(&g));
    cJSON_AddNumberToObject(man, "flops_per_example", (double)ecg_graph_flops(&g));
    cJSON_AddNumberToObject(man, "size_bytes", (double)size);
    cJSON_AddNumberToObject(man, "param_bytes", (double)ecg_qmodel_bytes(&s.g, &s.q));
    cJSON *src = cJSON_AddObjectToObject(man, "source");
    cJSON_AddStringToObject(src, "weights", o.weights);
    cJSON_AddNumberToObject(src, "size_bytes", (double)f32_size);
    cJSON_AddItemToObject(src, "test", ecg_metrics_json(&f32_test, test.class_names));
    cJSON_AddNumberToObject(man, "size_ratio", f32_size > 0 ? (double)size / (double)f32_size : 0);
    cJSON *cfg = cJSON_AddObjectToObject(man, "config");
    cJSON_AddStringToObject(cfg, "data_dir", o.data);
    cJSON_AddStringToObject(man, "data_version", test.data_version);
    ecg_run_info ri;
    ecg_run_info_collect(&ri, ecg_threads_for(o.threads), argc, argv);
    cJSON_AddItemToObject(man, "run", ecg_run_info_json(&ri));
    cJSON *metrics = cJSON_AddObjectToObject(man, "metrics");
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(&mv, val.class_names));
    cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(&mt, test.class_names));
    const ecg_task *tk = ecg_task_find(o.task);
    if (tk && tk->score_name) {
        cJSON *sc = cJSON_AddObjectToObject(man, "score");
        cJSON_AddStringToObject(sc, "name", tk->score_name);
        cJSON_AddNumberToObject(sc, "val", ecg_metrics_mean_f1(&mv, tk->score_classes));
        cJSON_AddNumberToObject(sc, "test", ecg_metrics_mean_f1(&mt, tk->score_classes));
    }
    snprintf(path, sizeof path, "%s/manifest.json", o.out);
    char *text = cJSON_Print(man);
    FILE *f = text ? fopen(path, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f)) ok = 0;
    free(text);
    if (!ok) {
        snprintf(err, sizeof err, "cannot write %s", path);
        goto fail;
    }
    printf("%s on %s/test (%s)\n", o.model, o.task, test.data_version);
    printf("  f32   accuracy %.4f  macro-F1 %.4f  size %lld bytes (%s)\n", f32_test.accuracy, f32_test.macro_f1,
           f32_size, o.weights);
    printf("  int8  accuracy %.4f  macro-F1 %.4f  size %lld bytes (%.3fx)  %d int8 nodes\n", mt.accuracy, mt.macro_f1,
           size, f32_size > 0 ? (double)size / (double)f32_size : 0.0, s.q.n);
    printf("wrote %s/weights.int8.safetensors, %s\n", o.out, path);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench compress: %s\n", err);
done:
    cJSON_Delete(man);
    ecg_qmodel_free(&s.q);
    ecg_graph_free(&s.g);
    ecg_graph_free(&g);
    ecg_dataset_free(&train);
    ecg_dataset_free(&val);
    ecg_dataset_free(&test);
    return rc;
}
