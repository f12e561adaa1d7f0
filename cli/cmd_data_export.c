/* `ecgbench data export TASK --split S --out F.safetensors`: a split's examples as safetensors, for
 * tools outside ecgbench (the PyTorch peer in bench/peers/): "x" F32 [N, T, C] (channels last, as
 * the models take them), "y" I64 [N], and "features" F32 [N, F] when the task has features; the
 * metadata names the task, split, seed, data version, classes and feature columns. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/datasets.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench data export TASK --split S --out F.safetensors [--data DIR] [--limit N] [--seed N]\n"
               "  writes the split's examples: x F32 [N, T, C], y I64 [N], features F32 [N, F] (if the task has any)\n"
               "  --limit N   keep the first N examples (default: all)\n"
               "  --data DIR  folder holding mitdb/ and cinc2017/ (default $ECG_DATA_DIR, else ./data)\n"
               "  --seed N    seed of the seeded splits, as given to train and eval (default " ECG_DEFAULT_SEED_STR ")\n");
}

/* "a,b,c" from names (at most n bytes); "" when there are none. */
static void join(const char *const *names, int count, char *out, size_t n) {
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; names && i < count && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", names[i]);
}

static int write_export(const ecg_dataset *d, int n, uint64_t seed, const char *path, char *err, size_t errlen) {
    int64_t *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    if (!y) return snprintf(err, errlen, "out of memory"), -1;
    for (int i = 0; i < n; i++) y[i] = d->y[i];
    ecg_st_tensor t[3];
    memset(t, 0, sizeof t);
    /* y first: the I64 data stays 8-byte aligned. */
    snprintf(t[0].name, sizeof t[0].name, "y");
    t[0].dtype = ECG_DT_I64, t[0].rank = 1, t[0].shape[0] = n;
    t[0].data = (const uint8_t *)y, t[0].nbytes = (size_t)n * sizeof *y;
    snprintf(t[1].name, sizeof t[1].name, "x");
    t[1].dtype = ECG_DT_F32, t[1].rank = 3, t[1].shape[0] = n, t[1].shape[1] = d->length, t[1].shape[2] = d->channels;
    t[1].data = (const uint8_t *)d->x, t[1].nbytes = (size_t)n * (size_t)d->length * (size_t)d->channels * sizeof(float);
    int nt = 2;
    if (d->n_features > 0) {
        snprintf(t[2].name, sizeof t[2].name, "features");
        t[2].dtype = ECG_DT_F32, t[2].rank = 2, t[2].shape[0] = n, t[2].shape[1] = d->n_features;
        t[2].data = (const uint8_t *)d->features, t[2].nbytes = (size_t)n * (size_t)d->n_features * sizeof(float);
        nt = 3;
    }
    char seed_s[32], classes[1024], features[2048];
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    join(d->class_names, d->n_classes, classes, sizeof classes);
    join(d->feature_names, d->n_features, features, sizeof features);
    const char *meta[] = {"task", d->task, "split", d->split, "seed", seed_s, "data_version", d->data_version,
                          "classes", classes, "features", features};
    int rc = ecg_st_write(path, t, nt, meta, 6, err, errlen);
    free(y);
    return rc;
}

int ecg_cmd_data_export(int argc, char **argv) {
    static const struct option lo[] = {{"split", 1, 0, 's'}, {"out", 1, 0, 'o'},  {"data", 1, 0, 'd'},
                                       {"limit", 1, 0, 'n'}, {"seed", 1, 0, 'S'}, {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *split = NULL, *out = NULL, *data = NULL;
    long long limit = -1, v = 0;
    uint64_t seed = ECG_DEFAULT_SEED;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': split = optarg; break;
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'n':
            if (ecg_arg_int("data export", "--limit", optarg, 1, 1000000000LL, &limit)) return 2;
            break;
        case 'S':
            if (ecg_arg_int("data export", "--seed", optarg, 0, 1000000000000000LL, &v)) return 2;
            seed = (uint64_t)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !split || !out) {
        fprintf(stderr, "ecgbench data export: give one TASK, --split and --out\n");
        usage(stderr);
        return 2;
    }
    const char *task = argv[optind];
    char err[1024];
    if (!ecg_task_lookup(task, err, sizeof err)) {
        fprintf(stderr, "ecgbench data export: %s\n", err);
        return 2;
    }
    ecg_dataset d = {0};
    int hit, rc = 1;
    if (ecg_task_load_cached(task, split, data ? data : ecg_default_data_dir(), seed, NULL, &d, &hit, err,
                             sizeof err) == 0) {
        int n = limit >= 0 && limit < d.n ? (int)limit : d.n;
        if (write_export(&d, n, seed, out, err, sizeof err) == 0) {
            printf("%s: %d of %d %s/%s examples, x [%d, %d, %d]%s (%s)\n", out, n, d.n, task, split, n, d.length,
                   d.channels, d.n_features ? ", features" : "", d.data_version);
            rc = 0;
        }
    }
    if (rc) fprintf(stderr, "ecgbench data export: %s\n", err);
    ecg_dataset_free(&d);
    return rc;
}
