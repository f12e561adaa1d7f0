/* `ecgbench compress DIR --out OUT [--prune S] [--int8]`: compression passes over a trained run
 * (DIR holds its manifest.json and weights, as `ecgbench train` writes them, or a compressed
 * run: its manifest rebuilds its graph), in this order:
 *   --channels R  channel (structured) pruning: a smaller dense graph whose "channel_prune" pass
 *               record rebuilds it on load (runs/manifest_model.c), fine-tuned unless --prune follows
 *   --prune S   magnitude pruning + fine-tuning: OUT/weights.sparse.safetensors (the size reports
 *               use; eval and predict read it) and OUT/weights.safetensors (the same weights dense
 *               f32, pruned ones exactly zero: PyTorch loads it unchanged)
 *   --fp16      all weights stored as fp16, a size-only variant (OUT/weights.f16.safetensors, which
 *               the manifest then names; inference runs f32 on the values read back)
 *   --int8      post-training int8 (on the pruned weights when --prune is given): batchnorm folded,
 *               calibration on the train split, the method picked on validation, then
 *               OUT/weights.int8.safetensors, which the manifest then names
 * OUT/manifest.json holds the source's fields, "passes" (each pass and its parameters and what it
 * measured, in order), the variant name ("channels50", "pruned90", "pruned90+int8"), nonzero params,
 * sizes, and the test metrics of the result on the XNNPACK path (f32 or int8), so
 * `ecgbench eval OUT` re-checks them. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "compress/compress.h"
#include "ops/rng.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/runs.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench compress DIR --out OUT [passes] [options]\n"
            "       ecgbench compress MODEL --task T --weights W [--seed N] --out OUT [passes] [options]\n"
            "  DIR                 a trained run (manifest.json + weights), e.g. models/weights/efficientecg-s-mitdb-aami\n"
            "  MODEL               a registry model with an f32 weights file; its splits use --seed (default "
            ECG_DEFAULT_SEED_STR "),\n"
            "                      its fine-tuning batch 64 and an unweighted loss (a run DIR records its own)\n"
            "passes (applied in this order):\n"
            "  --channels R        channel (structured) pruning: remove fraction R in [0, 1) of the channels of every\n"
            "                      prunable group, giving a smaller dense graph (rebuilt from the manifest on load)\n"
            "    --channel-rank l1|bn   rank channels by filter L1 norm (default) or BN |gamma|\n"
            "    --channel-scope local|all   local (default): groups not tied by a residual add; all: those too\n"
            "  --prune S           unstructured magnitude pruning to sparsity S in [0, 1), then fine-tuning\n"
            "    --scope global|layer   one threshold across layers (default) or S in every layer\n"
            "    --gradual          Zhu & Gupta cubic schedule over the first 2/3 of fine-tuning (default one-shot)\n"
            "    --dense-first      keep the first layer (stem) dense;  --dense-last: the classifier\n"
            "    --finetune-epochs N    default 2 (0: no fine-tuning)   --lr X  default 1e-4\n"
            "  --fp16              weights stored as fp16 (size only: inference stays f32 on the rounded values)\n"
            "  --int8              post-training int8 quantization (conv1d per-channel, linear per-tensor weights;\n"
            "                      asymmetric per-tensor activations), lowered onto XNNPACK's int8 operators\n"
            "    --calib N          calibration examples from the train split (default 512)\n"
            "    --calib-method M   minmax | percentile | auto (default auto: the better validation macro-F1)\n"
            "    --percentile P     for the percentile method (default 99.99)\n"
            "options: --data DIR (default: the run's)  --threads N  --batch N (default: the run's)  --quiet\n");
}

typedef struct {
    const char *src, *out, *data;
    const char *task, *weights; /* the MODEL form */
    long long seed;
    ecg_prune_cfg prune;
    ecg_channel_cfg ch;
    int do_channels;
    int do_prune, gradual, finetune_epochs, threads, batch, quiet;
    float lr;
    int int8, fp16, calib;
    const char *calib_method; /* minmax | percentile | auto */
    double percentile;
} opts;

static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {
        {"out", 1, 0, 'o'},         {"prune", 1, 0, 'P'},      {"scope", 1, 0, 'S'},   {"gradual", 0, 0, 'g'},
        {"dense-first", 0, 0, 'F'}, {"dense-last", 0, 0, 'E'}, {"finetune-epochs", 1, 0, 'e'},
        {"lr", 1, 0, 'l'},          {"data", 1, 0, 'd'},       {"threads", 1, 0, 'j'}, {"batch", 1, 0, 'b'},
        {"quiet", 0, 0, 'q'},       {"help", 0, 0, 'h'},       {"int8", 0, 0, 'I'},    {"calib", 1, 0, 'c'},
        {"calib-method", 1, 0, 'm'}, {"percentile", 1, 0, 'p'}, {"channels", 1, 0, 'C'},
        {"channel-rank", 1, 0, 'R'}, {"channel-scope", 1, 0, 'K'}, {"fp16", 0, 0, 'H'}, {"task", 1, 0, 't'},
        {"weights", 1, 0, 'w'},      {"seed", 1, 0, 's'},       {0, 0, 0, 0}};
    *o = (opts){.prune = {.global = 1}, .finetune_epochs = 2, .lr = 1e-4f, .calib = 512, .calib_method = "auto",
                .percentile = 99.99, .seed = ECG_DEFAULT_SEED};
    int c;
    long long n = 0;
    double v = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'P': bad = ecg_arg_num("compress", "--prune", optarg, 0, 0.999999, &v); o->prune.sparsity = v, o->do_prune = 1; break;
        case 'S':
            o->prune.global = !strcmp(optarg, "global") ? 1 : !strcmp(optarg, "layer") ? 0 : -1;
            if (o->prune.global < 0) fprintf(stderr, "ecgbench compress: --scope is global or layer, got '%s'\n", optarg);
            bad = o->prune.global < 0;
            break;
        case 'g': o->gradual = 1; break;
        case 'F': o->prune.keep_first = 1; break;
        case 'E': o->prune.keep_last = 1; break;
        case 'e': bad = ecg_arg_int("compress", "--finetune-epochs", optarg, 0, 10000, &n); o->finetune_epochs = (int)n; break;
        case 'l': bad = ecg_arg_num("compress", "--lr", optarg, 1e-9, 1, &v); o->lr = (float)v; break;
        case 'd': o->data = optarg; break;
        case 'j': bad = ecg_arg_int("compress", "--threads", optarg, 0, 1024, &n); o->threads = (int)n; break;
        case 'b': bad = ecg_arg_int("compress", "--batch", optarg, 1, 65536, &n); o->batch = (int)n; break;
        case 'q': o->quiet = 1; break;
        case 'I': o->int8 = 1; break;
        case 'H': o->fp16 = 1; break;
        case 't': o->task = optarg; break;
        case 'w': o->weights = optarg; break;
        case 's': bad = ecg_arg_int("compress", "--seed", optarg, 0, 1000000000000000LL, &o->seed); break;
        case 'c': bad = ecg_arg_int("compress", "--calib", optarg, 1, 1000000, &n); o->calib = (int)n; break;
        case 'm':
            o->calib_method = optarg;
            bad = strcmp(optarg, "minmax") && strcmp(optarg, "percentile") && strcmp(optarg, "auto");
            if (bad) fprintf(stderr, "ecgbench compress: --calib-method is minmax, percentile or auto, got '%s'\n", optarg);
            break;
        case 'p': bad = ecg_arg_num("compress", "--percentile", optarg, 50.001, 100, &o->percentile); break;
        case 'C': bad = ecg_arg_num("compress", "--channels", optarg, 0, 0.999999, &v); o->ch.ratio = v, o->do_channels = 1; break;
        case 'R':
        case 'K': bad = ecg_channel_opt("compress", c == 'R' ? "--channel-rank" : "--channel-scope", optarg, &o->ch); break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
        if (bad) return 2;
    }
    if (optind != argc - 1 || !o->out) {
        fprintf(stderr, "ecgbench compress: give one trained run DIR and --out OUT\n");
        usage(stderr);
        return 2;
    }
    if (!o->task != !o->weights) {
        fprintf(stderr, "ecgbench compress: give a run DIR, or MODEL with both --task and --weights\n");
        return 2;
    }
    if (o->int8 && o->fp16) {
        fprintf(stderr, "ecgbench compress: --int8 and --fp16 are two storage formats: give one\n");
        return 2;
    }
    if (!o->do_prune && !o->do_channels && !o->int8 && !o->fp16) {
        fprintf(stderr, "ecgbench compress: no pass given (--channels R, --prune S, --fp16, --int8)\n");
        return 2;
    }
    if (o->gradual && o->finetune_epochs < 1) {
        fprintf(stderr, "ecgbench compress: --gradual prunes during fine-tuning: give --finetune-epochs >= 1\n");
        return 2;
    }
    o->src = argv[optind];
    return 0;
}

/* The trained run being compressed, and what fine-tuning takes from it. */
typedef struct {
    ecg_run run;
    const char *data;
    int batch, class_weighted;
    float class_weight_cap;
} source;

/* The MODEL --task --weights form: a manifest as a trained run's would say it. */
static cJSON *model_manifest(const opts *o) {
    cJSON *m = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "model", o->src);
    cJSON_AddStringToObject(m, "task", o->task);
    cJSON_AddStringToObject(m, "weights", o->weights);
    cJSON_AddNumberToObject(m, "seed", (double)o->seed);
    cJSON_AddNumberToObject(cfg, "batch", 64);
    cJSON_AddStringToObject(cfg, "class_weights", "none");
    cJSON_AddStringToObject(cfg, "data_dir", o->data ? o->data : ecg_default_data_dir());
    cJSON_AddItemToObject(m, "config", cfg);
    return m;
}

static int read_source(const opts *o, source *s, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", o->src);
    if (o->task) {
        if (!ecg_model_find(o->src)) return snprintf(err, errlen, "unknown model '%s' (ecgbench models lists them)", o->src), -1;
        if (ecg_run_from(&s->run, NULL, model_manifest(o), o->src, err, errlen)) return -1;
    } else if (ecg_run_read(o->src, &s->run, err, errlen)) {
        return -1;
    }
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(s->run.man, "config");
    const char *cw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "class_weights"));
    s->data = o->data ? o->data : s->run.data_dir ? s->run.data_dir : ecg_default_data_dir();
    double b = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "batch"));
    if (!(b >= 1)) {
        snprintf(err, errlen, "%s lacks config.batch", path);
        return -1;
    }
    s->batch = (int)b;
    s->class_weighted = cw && !strcmp(cw, "sqrt") ? 2 : cw && !strcmp(cw, "inverse") ? 1 : 0;
    s->class_weight_cap = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "class_weight_cap"));
    if (!(s->class_weight_cap > 0)) s->class_weight_cap = 0; /* absent (NaN): no cap */
    return 0;
}

/* Fine-tuning after a pass: every epoch is a candidate, the best on val is kept. */
static ecg_train_cfg finetune_cfg(const opts *o, const source *s) {
    ecg_train_cfg c = ecg_train_defaults();
    c.epochs = o->finetune_epochs, c.patience = o->finetune_epochs + 1, c.warmup_epochs = 0;
    c.batch = o->batch ? o->batch : s->batch, c.threads = o->threads, c.lr = o->lr, c.min_lr = o->lr / 100;
    c.class_weighted = s->class_weighted, c.class_weight_cap = s->class_weight_cap, c.seed = s->run.seed ^ 0x70726e65ULL; /* "prne": not the training draws */
    c.progress = o->quiet ? 0 : isatty(STDERR_FILENO) ? 2 : 1;
    return c;
}

/* Channel pruning; fine-tuned here unless magnitude pruning (which fine-tunes) follows. */
static cJSON *channel_pass(ecg_graph *g, const opts *o, const source *s, const ecg_dataset *tr, const ecg_dataset *val,
                           char *err, size_t errlen) {
    cJSON *rec = ecg_channel_pass(g, &o->ch, err, errlen);
    if (!rec || o->do_prune) return rec;
    ecg_train_cfg c = finetune_cfg(o, s);
    ecg_train_result res = {0};
    if (o->finetune_epochs > 0 && ecg_train(g, &c, tr, val, &res, err, errlen)) {
        cJSON_Delete(rec);
        return NULL;
    }
    cJSON_AddNumberToObject(rec, "finetune_epochs", o->finetune_epochs);
    cJSON_AddNumberToObject(rec, "finetune_lr", o->lr);
    cJSON_AddNumberToObject(rec, "finetune_best_epoch", res.best_epoch);
    return rec;
}

/* Prunes g and fine-tunes it on tr (epoch picked on val). Returns the pass record, NULL on error. */
static cJSON *prune_pass(ecg_graph *g, const opts *o, const source *s, const ecg_dataset *tr, const ecg_dataset *val,
                         char *err, size_t errlen) {
    ecg_pruner p;
    cJSON *rec = NULL;
    if (ecg_pruner_init(&p, g, o->prune, err, errlen)) return NULL;
    ecg_train_cfg c = finetune_cfg(o, s);
    long steps = tr->n / (c.batch < tr->n ? c.batch : tr->n);
    /* The gradual ramp ends after 2/3 of the fine-tuning epochs; the epoch kept is one after it. */
    int ramp_epochs = o->gradual ? (2 * o->finetune_epochs + 2) / 3 : 0;
    ecg_prune_schedule sched = {&p, 0, (long)ramp_epochs * steps - 1, steps / 8 > 0 ? steps / 8 : 1, 0.0,
                                o->prune.sparsity, 0};
    if (!o->gradual && ecg_prune_to(&p, o->prune.sparsity)) {
        snprintf(err, errlen, "pruning: out of memory");
        goto done;
    }
    if (!o->gradual) sched.begin = sched.end = -1; /* masks fixed: only re-applied after each step */
    c.after_step = ecg_prune_after_step, c.after_step_ctx = &sched;
    c.select_from_epoch = o->gradual ? ramp_epochs : 0;
    ecg_train_result res = {0};
    if (o->finetune_epochs > 0 && ecg_train(g, &c, tr, val, &res, err, errlen)) goto done;
    if (sched.failed) {
        snprintf(err, errlen, "pruning: out of memory updating the masks");
        goto done;
    }
    rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "pass", "magnitude_prune");
    cJSON_AddNumberToObject(rec, "sparsity", o->prune.sparsity);
    cJSON_AddStringToObject(rec, "scope", o->prune.global ? "global" : "layer");
    cJSON_AddStringToObject(rec, "schedule", o->gradual ? "cubic" : "one-shot");
    cJSON_AddBoolToObject(rec, "dense_first", o->prune.keep_first);
    cJSON_AddBoolToObject(rec, "dense_last", o->prune.keep_last);
    cJSON_AddNumberToObject(rec, "finetune_epochs", o->finetune_epochs);
    cJSON_AddNumberToObject(rec, "finetune_lr", o->lr);
    cJSON_AddNumberToObject(rec, "finetune_best_epoch", res.best_epoch);
    cJSON *layers = cJSON_AddArrayToObject(rec, "layers");
    for (int i = 0; i < p.n; i++) {
        ecg_layer_sparsity l = ecg_prune_layer(&p, i);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", l.name);
        cJSON_AddNumberToObject(e, "params", (double)l.numel);
        cJSON_AddNumberToObject(e, "nonzero", (double)l.nonzero);
        cJSON_AddItemToArray(layers, e);
    }
done:
    ecg_pruner_free(&p);
    return rec;
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

/* The int8 pass on the inference graph gi (batchnorm folded): calibrates on train, quantizes with
 * each candidate method, keeps the one with the better validation macro-F1 in q, and records it
 * all in entry. */
static int pass_int8(ecg_graph *gi, ecg_qmodel *qm, const opts *o, uint64_t seed, const ecg_dataset *train,
                     const ecg_dataset *val, cJSON *entry, char *err, size_t errlen) {
    int n = o->calib < train->n ? o->calib : train->n;
    float *cx = NULL, *cf = NULL;
    ecg_act_ranges r = {0};
    int rc = -1;
    if (n < 1 || sample_examples(train, n, seed, &cx, &cf)) {
        snprintf(err, errlen, "int8: no calibration examples (train split has %d) or out of memory", train->n);
        goto done;
    }
    /* before calibration, so the ranges are those of the weights that will run */
    int wonly = ecg_weight_only_int8(gi);
    fprintf(stderr, "int8: calibrating on %d train examples\n", n);
    if (ecg_calibrate(gi, cx, cf, n, 64, o->percentile, &r, err, errlen)) goto done;
    ecg_calib_method methods[2] = {ECG_CALIB_MINMAX, ECG_CALIB_PERCENTILE};
    int first = !strcmp(o->calib_method, "percentile"), last = !strcmp(o->calib_method, "minmax") ? 0 : 1;
    cJSON *cands = cJSON_CreateArray();
    double best_f1 = -1;
    for (int k = first; k <= last; k++) {
        ecg_qmodel q;
        ecg_metrics m;
        if (ecg_quantize(gi, &r, methods[k], &q, err, errlen)) goto done_c;
        if (ecg_evaluate_q(gi, &q, val, 256, o->threads, &m, NULL, err, errlen)) {
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
            ecg_qmodel_free(qm);
            *qm = q;
            cJSON_DeleteItemFromObjectCaseSensitive(entry, "calibration_method");
            cJSON_AddStringToObject(entry, "calibration_method", ecg_calib_method_name(methods[k]));
        } else {
            ecg_qmodel_free(&q);
        }
    }
    cJSON *cal = cJSON_AddObjectToObject(entry, "calibration");
    cJSON_AddStringToObject(cal, "split", "train");
    cJSON_AddNumberToObject(cal, "examples", n);
    cJSON_AddNumberToObject(cal, "seed", (double)seed);
    cJSON_AddNumberToObject(cal, "percentile", o->percentile);
    cJSON_AddStringToObject(cal, "selection", "validation macro-F1");
    cJSON_AddItemToObject(cal, "candidates", cands);
    cands = NULL;
    cJSON_AddStringToObject(entry, "weights", "symmetric int8: per output channel for conv1d (XNNPACK qc8), "
                                              "per tensor for linear (XNNPACK qs8)");
    cJSON_AddStringToObject(entry, "activations", "asymmetric per-tensor int8 (qs8)");
    cJSON_AddNumberToObject(entry, "int8_nodes", qm->n);
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

static int count_kind(const ecg_graph *g, ecg_op_kind k) {
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += g->nodes[i].kind == k;
    return c;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static int load_split(const source *s, const char *split, ecg_dataset *d, char *err, size_t errlen) {
    int hit;
    return ecg_task_load_cached(s->run.task, split, s->data, s->run.seed, NULL, d, &hit, err, errlen);
}

int ecg_cmd_compress(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    char err[1024], path[1200], sparse_path[1200], int8_path[1200], f16_path[1200];
    source s = {0};
    ecg_dataset tr = {0}, val = {0}, test = {0};
    ecg_graph g = {0}, gi = {0};
    ecg_qmodel q = {0};
    cJSON *man = NULL, *passes = cJSON_CreateArray();
    rc = 1;
    if (read_source(&o, &s, err, sizeof err) || ecg_mkdir_p(o.out, err, sizeof err) ||
        load_split(&s, "train", &tr, err, sizeof err) || load_split(&s, "val", &val, err, sizeof err) ||
        load_split(&s, "test", &test, err, sizeof err))
        goto fail;
    const ecg_task *tk = ecg_task_find(s.run.task);
    ecg_model_cfg mc = ecg_task_model_cfg(tk);
    mc.seed = s.run.seed;
    /* the source may itself be compressed: its manifest rebuilds its graph */
    if (ecg_manifest_model_build(s.run.man, s.run.model, &mc, &g, err, sizeof err) || ecg_weights_load(&g, s.run.weights, err, sizeof err))
        goto fail;
    char variant[64] = "", seed[32];
    if (o.do_channels) {
        cJSON *rec = channel_pass(&g, &o, &s, &tr, &val, err, sizeof err);
        if (!rec) goto fail;
        cJSON_AddItemToArray(passes, rec);
        snprintf(variant, sizeof variant, "channels%.0f", 100 * o.ch.ratio);
    }
    int64_t params = ecg_graph_param_count(&g);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s.run.seed);
    const char *meta[] = {"model", s.run.model, "task", s.run.task, "seed", seed};
    snprintf(path, sizeof path, "%s/weights.safetensors", o.out);
    snprintf(sparse_path, sizeof sparse_path, "%s/weights.sparse.safetensors", o.out);
    snprintf(int8_path, sizeof int8_path, "%s/weights.int8.safetensors", o.out);
    snprintf(f16_path, sizeof f16_path, "%s/weights.f16.safetensors", o.out);
    if (o.do_prune) {
        cJSON *rec = prune_pass(&g, &o, &s, &tr, &val, err, sizeof err);
        if (!rec) goto fail;
        cJSON_AddItemToArray(passes, rec);
        size_t l = strlen(variant);
        snprintf(variant + l, sizeof variant - l, "%spruned%.0f", l ? "+" : "", 100 * o.prune.sparsity);
    }
    if ((o.do_prune || o.do_channels) &&
        (ecg_safetensors_save(&g, path, meta, 3, err, sizeof err) || ecg_sparse_save(&g, sparse_path, meta, 3, err, sizeof err)))
        goto fail;
    if (o.fp16) { /* the metrics below are those of the file's values */
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "pass", "fp16");
        cJSON_AddStringToObject(rec, "storage", "every param IEEE binary16 (round to nearest even); computed in f32");
        cJSON_AddItemToArray(passes, rec);
        if (ecg_fp16_save(&g, f16_path, meta, 3, err, sizeof err) || ecg_weights_load(&g, f16_path, err, sizeof err))
            goto fail;
        size_t l = strlen(variant);
        snprintf(variant + l, sizeof variant - l, "%sfp16", l ? "+" : "");
    }
    ecg_metrics mv, mt;
    if (o.int8) {
        if (ecg_inference_graph(&gi, &g, err, sizeof err)) goto fail;
        cJSON *fold = cJSON_CreateObject(), *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(fold, "pass", "bn_fold");
        cJSON_AddNumberToObject(fold, "batchnorms_folded", count_kind(&g, ECG_OP_BATCHNORM) - count_kind(&gi, ECG_OP_BATCHNORM));
        cJSON_AddNumberToObject(fold, "dropouts_removed", count_kind(&g, ECG_OP_DROPOUT));
        cJSON_AddItemToArray(passes, fold);
        cJSON_AddStringToObject(entry, "pass", "int8");
        cJSON_AddItemToArray(passes, entry);
        if (pass_int8(&gi, &q, &o, s.run.seed, &tr, &val, entry, err, sizeof err) ||
            ecg_int8_save(&gi, &q, int8_path, meta, 3, err, sizeof err))
            goto fail;
        /* the metrics come from the file just written, so they are the file's */
        ecg_qmodel_free(&q);
        if (ecg_int8_load(&gi, &q, int8_path, err, sizeof err) ||
            ecg_evaluate_q(&gi, &q, &val, 256, o.threads, &mv, NULL, err, sizeof err) ||
            ecg_evaluate_q(&gi, &q, &test, 256, o.threads, &mt, NULL, err, sizeof err))
            goto fail;
        size_t l = strlen(variant);
        snprintf(variant + l, sizeof variant - l, "%sint8", l ? "+" : "");
    } else if (ecg_evaluate(&g, &val, 256, o.threads, &mv, NULL, err, sizeof err) ||
               ecg_evaluate(&g, &test, 256, o.threads, &mt, NULL, err, sizeof err)) {
        goto fail;
    }
    ecg_run_info ri;
    ecg_run_info_collect(&ri, ecg_threads_for(o.threads), argc, argv);
    /* The source's manifest, with what compression changed. */
    man = cJSON_Duplicate(s.run.man, 1);
    const char *replaced[] = {"weights", "params", "metrics", "score", "run",    "passes",
                              "source",  "variant", "format",  "flops_per_example"};
    for (size_t i = 0; i < sizeof replaced / sizeof *replaced; i++) cJSON_DeleteItemFromObjectCaseSensitive(man, replaced[i]);
    const char *wname = o.int8 ? int8_path : o.fp16 ? f16_path : sparse_path;
    cJSON_AddStringToObject(man, "weights", strrchr(wname, '/') + 1);
    if (o.int8) cJSON_AddStringToObject(man, "format", "int8");
    cJSON_AddStringToObject(man, "source", o.src);
    cJSON_AddStringToObject(man, "variant", variant); /* the name reports give it, e.g. "pruned90+int8" */
    /* the source's passes first: a compressed source's graph is rebuilt from them */
    cJSON *all = cJSON_AddArrayToObject(man, "passes"), *prev;
    cJSON_ArrayForEach(prev, cJSON_GetObjectItemCaseSensitive(s.run.man, "passes"))
        cJSON_AddItemToArray(all, cJSON_Duplicate(prev, 1));
    while (cJSON_GetArraySize(passes) > 0) cJSON_AddItemToArray(all, cJSON_DetachItemFromArray(passes, 0));
    cJSON_AddNumberToObject(man, "params", (double)params);
    cJSON_AddNumberToObject(man, "flops_per_example", (double)ecg_graph_flops(&g));
    cJSON_AddNumberToObject(man, "nonzero_params", (double)ecg_nonzero_params(&g));
    cJSON *size = cJSON_AddObjectToObject(man, "size_bytes");
    cJSON_AddNumberToObject(size, "source", (double)file_size(s.run.weights));
    if (o.do_prune || o.do_channels) {
        cJSON_AddNumberToObject(size, "dense_f32", (double)file_size(path));
        cJSON_AddNumberToObject(size, "sparse", (double)file_size(sparse_path));
    }
    if (o.fp16) cJSON_AddNumberToObject(size, "fp16", (double)file_size(f16_path));
    if (o.int8) {
        cJSON_AddNumberToObject(size, "int8", (double)file_size(int8_path));
        cJSON_AddNumberToObject(size, "int8_param_bytes", (double)ecg_qmodel_bytes(&gi, &q));
    }
    cJSON_AddItemToObject(man, "run", ecg_run_info_json(&ri));
    cJSON *metrics = cJSON_AddObjectToObject(man, "metrics");
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(&mv, val.class_names));
    cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(&mt, test.class_names));
    if (tk->score_name) {
        cJSON *sc = cJSON_AddObjectToObject(man, "score");
        cJSON_AddStringToObject(sc, "name", tk->score_name);
        cJSON_AddNumberToObject(sc, "val", ecg_metrics_mean_f1(&mv, tk->score_classes));
        cJSON_AddNumberToObject(sc, "test", ecg_metrics_mean_f1(&mt, tk->score_classes));
    }
    snprintf(path, sizeof path, "%s/manifest.json", o.out);
    if (ecg_write_json(path, man, err, sizeof err)) goto fail;
    printf("%s on %s, %s: %lld of %lld params nonzero, %ld bytes (source %ld)\ntest (%s):\n", s.run.model, s.run.task, variant,
           (long long)ecg_nonzero_params(&g), (long long)params, file_size(wname), file_size(s.run.weights), test.split);
    ecg_metrics_print(stdout, &mt, test.class_names);
    printf("\nwrote %s and %s\n", wname, path);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench compress: %s\n", err);
done:
    cJSON_Delete(passes);
    cJSON_Delete(man);
    ecg_run_free(&s.run);
    ecg_qmodel_free(&q);
    ecg_graph_free(&gi);
    ecg_graph_free(&g);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    ecg_dataset_free(&test);
    return rc;
}
