/* `ecgbench predict MODEL --task T --weights W --input F --out L`: a model's output for examples
 * given as safetensors (as `ecgbench data export` writes them: "x" F32 [N, T, C], and "features"
 * F32 [N, F] for models that take patient features), through the XNNPACK executor, the same path
 * as `ecgbench eval`. Writes a classifier's "logits" F32 [N, K] (ecg_evaluate), or an
 * autoencoder's "reconstruction" F32 [N, T, C] (ecg_reconstruct, what eval's MSE is taken of).
 * The model is sized for task T without loading its data; the weights are loaded strictly (every
 * tensor, exact shapes). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "compress/compress.h"
#include "datasets/datasets.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/runs.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench predict MODEL --task T --weights W.safetensors --input F.safetensors --out L.safetensors\n"
               "                        [--threads N] [--batch N]\n"
               "  F holds x F32 [N, T, C] (and features F32 [N, F] for the fusion models), as `ecgbench data export`\n"
               "  writes it; L gets logits F32 [N, K] (an autoencoder, lstm-ae: reconstruction F32 [N, T, C]).\n"
               "  The model is sized for task T (length, leads, classes, features).\n"
               "  --threads N  0: all cores (default)    --batch N  examples per executor run (default 64)\n"
               "  --manifest M  the run's manifest.json: a channel-pruned run's graph is rebuilt from it\n"
               "  An int8 weights file (ecgbench compress --int8) runs on the int8 path, as eval runs it.\n");
}

/* F32 file data into new host floats. */
static float *f32_copy(const ecg_st_tensor *t) {
    float *x = malloc(t->nbytes ? t->nbytes : 1);
    if (x) ecg_st_copy_f32(x, t->data, t->nbytes / sizeof(float));
    return x;
}

/* Shape of a file tensor as "[a, b, c]". */
static const char *dims(const ecg_st_tensor *t, char *buf, size_t n) {
    size_t used = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < t->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}

/* Checks the input file's tensors against the task and fills d (x, features, dummy labels). */
static int input_dataset(const ecg_st_file *f, const char *path, const ecg_task *task, int wants_features,
                         ecg_dataset *d, char *err, size_t errlen) {
    char s[128];
    const ecg_st_tensor *x = ecg_st_find(f, "x"), *ft = ecg_st_find(f, "features");
    if (!x) return snprintf(err, errlen, "%s has no tensor 'x' (F32 [N, T, C])", path), -1;
    if (x->dtype != ECG_DT_F32 || x->rank != 3 || x->shape[0] < 1 || x->shape[0] > (1 << 30) ||
        x->shape[1] != task->length || x->shape[2] != task->channels)
        return snprintf(err, errlen, "%s: x is %s %s; task %s needs F32 [N >= 1, %d, %d]", path,
                        ecg_dtype_name(x->dtype), dims(x, s, sizeof s), task->name, task->length, task->channels),
               -1;
    int n = (int)x->shape[0];
    if (wants_features) {
        if (!ft)
            return snprintf(err, errlen, "%s has no tensor 'features'; this model takes the %d features of %s", path,
                            task->n_features, task->name),
                   -1;
        if (ft->dtype != ECG_DT_F32 || ft->rank != 2 || ft->shape[0] != n || ft->shape[1] != task->n_features)
            return snprintf(err, errlen, "%s: features is %s %s; task %s needs F32 [%d, %d] (N from x)", path,
                            ecg_dtype_name(ft->dtype), dims(ft, s, sizeof s), task->name, n, task->n_features),
                   -1;
    }
    /* NaN or inf would flow through as -inf / NaN logits and exit 0: refuse them by position. */
    const ecg_st_tensor *check[2] = {x, wants_features ? ft : NULL};
    for (int k = 0; k < 2 && check[k]; k++) {
        size_t numel = check[k]->nbytes / sizeof(float), per = numel / (size_t)n;
        for (size_t i = 0; i < numel; i++) {
            float v;
            ecg_st_copy_f32(&v, check[k]->data + 4 * i, 1);
            if (!isfinite(v))
                return snprintf(err, errlen, "%s: tensor '%s' holds %s at example %zu (element %zu of %zu): inputs "
                                             "must be finite", path, check[k]->name, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf",
                                i / per, i % per, per),
                       -1;
        }
    }
    snprintf(d->task, sizeof d->task, "%s", task->name);
    snprintf(d->split, sizeof d->split, "input");
    d->n = n;
    d->length = task->length;
    d->channels = task->channels;
    d->n_classes = task->n_classes;
    d->n_features = wants_features ? task->n_features : 0;
    d->feature_names = task->feature_names;
    d->x = f32_copy(x);
    d->y = malloc((size_t)n * sizeof *d->y);
    if (wants_features) d->features = f32_copy(ft);
    if (!d->x || !d->y || (wants_features && !d->features)) return snprintf(err, errlen, "out of memory"), -1;
    for (int i = 0; i < n; i++) d->y[i] = -1; /* no labels: counted in no metric */
    return 0;
}

typedef struct {
    const char *model, *task_name, *weights, *input, *out, *manifest;
    int threads, batch;
} opts;

/* 0 ok, 1 help, 2 usage error. */
static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {{"task", 1, 0, 't'},    {"weights", 1, 0, 'w'}, {"input", 1, 0, 'i'},
                                       {"out", 1, 0, 'o'},     {"threads", 1, 0, 'j'}, {"batch", 1, 0, 'b'},
                                       {"help", 0, 0, 'h'},    {"manifest", 1, 0, 'm'}, {0, 0, 0, 0}};
    *o = (opts){.batch = 64};
    int c;
    long long v = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': o->task_name = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'i': o->input = optarg; break;
        case 'o': o->out = optarg; break;
        case 'm': o->manifest = optarg; break;
        case 'j':
            if (ecg_arg_int("predict", "--threads", optarg, 0, 1024, &v)) return 2;
            o->threads = (int)v;
            break;
        case 'b':
            if (ecg_arg_int("predict", "--batch", optarg, 1, 65536, &v)) return 2;
            o->batch = (int)v;
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !o->task_name || !o->weights || !o->input || !o->out) {
        fprintf(stderr, "ecgbench predict: give one MODEL, --task, --weights, --input and --out\n");
        usage(stderr);
        return 2;
    }
    o->model = argv[optind];
    return 0;
}

int ecg_cmd_predict(int argc, char **argv) {
    opts o;
    int prc = parse(argc, argv, &o);
    if (prc) return prc == 1 ? 0 : prc;
    const char *model = o.model, *weights = o.weights, *input = o.input, *out = o.out;
    char err[1024];
    const ecg_task *task = ecg_task_lookup(o.task_name, err, sizeof err);
    if (!task) {
        fprintf(stderr, "ecgbench predict: %s\n", err);
        return 2;
    }
    ecg_run_model rm = {0};
    ecg_st_file f = {0};
    ecg_dataset d = {0};
    ecg_st_tensor t = {.dtype = ECG_DT_F32};
    float *y = NULL;
    int rc = 1;
    /* the run a manifest (or the registry) describes, with these weights: an int8 file runs on
     * the int8 path, a channel-pruned graph is rebuilt from the manifest, as eval does */
    ecg_run r = {.model = model, .task = task->name};
    snprintf(r.weights, sizeof r.weights, "%s", weights);
    if (o.manifest && !(r.man = ecg_read_json(o.manifest, err, sizeof err))) goto done;
    if (ecg_run_open(&r, &rm, err, sizeof err) || ecg_st_read(&f, input, err, sizeof err) ||
        input_dataset(&f, input, task, rm.g.n_inputs > 1, &d, err, sizeof err))
        goto done;
    ecg_st_free(&f); /* d holds copies */
    /* logits [N, K], or an autoencoder's output, shaped as its input [N, T, C] */
    ecg_objective obj = ecg_model_objective(model);
    int ae = obj == ECG_OBJECTIVE_RECONSTRUCT;
    snprintf(t.name, sizeof t.name, "%s", ecg_objective_output(obj));
    t.shape[0] = d.n;
    if (ae) t.rank = 3, t.shape[1] = d.length, t.shape[2] = d.channels;
    else t.rank = 2, t.shape[1] = d.n_classes;
    t.nbytes = (size_t)d.n * (size_t)(ae ? d.length * d.channels : d.n_classes) * sizeof(float);
    if (!(y = malloc(t.nbytes))) {
        snprintf(err, sizeof err, "out of memory");
        goto done;
    }
    ecg_metrics m;
    if (ae ? ecg_run_reconstruct(&rm, &d, o.batch, o.threads, y, err, sizeof err)
           : ecg_run_predict(&rm, &d, o.batch, o.threads, &m, y, err, sizeof err))
        goto done;
    t.data = (const uint8_t *)y;
    const char *meta[] = {"model", model, "task", task->name, "weights", weights, "input", input};
    char s[128];
    if (ecg_st_write(out, &t, 1, meta, 4, err, sizeof err)) goto done;
    printf("%s: %s %s of %s (task %s, weights %s)\n", out, t.name, dims(&t, s, sizeof s), model, task->name, weights);
    rc = 0;
done:
    if (rc) fprintf(stderr, "ecgbench predict: %s\n", err);
    free(y);
    ecg_run_free(&r);
    ecg_st_free(&f);
    ecg_dataset_free(&d);
    ecg_run_model_free(&rm);
    return rc;
}
