/* `ecgbench reconstruct DIR --out FILE.csv`: an autoencoder run's reconstructions of its test
 * split, on the XNNPACK path `ecgbench eval` scores it on. Prints the MSE per class (with the MSE
 * of reconstructing every value as 0 beside it, the scale to read it against) and writes, for each
 * class present, the beat whose reconstruction error is that class's median, sample by sample
 * with its reconstruction: a typical beat of each class, not a chosen one (reports/reconstruction.gp
 * plots the file). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/models.h"
#include "report/csv.h"
#include "runs/runs.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench reconstruct DIR --out FILE.csv [--data D] [--split S] [--threads N]\n"
               "  DIR: an autoencoder's run (lstm-ae). Prints its reconstruction MSE on the split (default\n"
               "  test) per class, and writes FILE.csv: for each class, the beat at the class's median\n"
               "  error, one row per sample and lead (input and reconstruction), for reports/reconstruction.gp.\n"
               "  --data defaults to the manifest's, else $ECG_DATA_DIR or data/.\n");
}

typedef struct {
    int example;
    double mse;
} beat_error;

static int by_mse(const void *a, const void *b) {
    double x = ((const beat_error *)a)->mse, y = ((const beat_error *)b)->mse;
    if (x != y) return x < y ? -1 : 1;
    return ((const beat_error *)a)->example - ((const beat_error *)b)->example; /* ties: the earlier beat */
}

static double squared_error(const float *a, const float *b, size_t n, double *zero) {
    double s = 0, z = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)a[i] - (double)b[i];
        s += e * e;
        z += (double)b[i] * b[i];
    }
    if (zero) *zero += z;
    return s;
}

/* Per class: its beats' MSE (mean and median) beside its all-zeros MSE, printed; its median beat,
 * sample by sample, into w. 0 ok, -1 with err. */
static int write_classes(const ecg_dataset *d, const float *out, ecg_csv *w, char *err, size_t errlen) {
    size_t ex = (size_t)d->length * (size_t)d->channels;
    beat_error *be = malloc(sizeof *be * (size_t)(d->n ? d->n : 1));
    if (!be) return snprintf(err, errlen, "out of memory"), -1;
    static const char *const cols[] = {"class", "beats", "class_mse", "class_median_mse", "class_zero_mse", "example",
                                       "record", "lead", "sample", "input", "reconstruction"};
    ecg_csv_header(w, cols, (int)(sizeof cols / sizeof cols[0]));
    printf("%-6s %8s %10s %10s %10s\n", "class", "beats", "MSE", "median", "all zeros");
    double all = 0, all_zero = 0;
    for (int c = 0; c < d->n_classes; c++) {
        int k = 0;
        double sum = 0, zero = 0;
        for (int i = 0; i < d->n; i++) {
            if (d->y[i] != c) continue;
            const float *x = d->x + (size_t)i * ex, *y = out + (size_t)i * ex;
            double e = squared_error(y, x, ex, &zero);
            sum += e;
            be[k++] = (beat_error){i, e / (double)ex};
        }
        all += sum, all_zero += zero;
        if (!k) continue;
        qsort(be, (size_t)k, sizeof *be, by_mse);
        const beat_error *m = &be[(k - 1) / 2];
        double mse = sum / ((double)k * (double)ex), zmse = zero / ((double)k * (double)ex);
        printf("%-6s %8d %10.5f %10.5f %10.5f\n", d->class_names[c], k, mse, m->mse, zmse);
        for (int ch = 0; ch < d->channels; ch++)
            for (int t = 0; t < d->length; t++) {
                size_t at = (size_t)m->example * ex + (size_t)t * (size_t)d->channels + (size_t)ch;
                ecg_csv_str(w, d->class_names[c]);
                ecg_csv_int(w, k);
                ecg_csv_num(w, mse);
                ecg_csv_num(w, m->mse);
                ecg_csv_num(w, zmse);
                ecg_csv_int(w, m->example);
                ecg_csv_int(w, d->record ? d->record[m->example] : -1);
                ecg_csv_int(w, ch);
                ecg_csv_int(w, t);
                ecg_csv_num(w, d->x[at]);
                ecg_csv_num(w, out[at]);
                ecg_csv_end_row(w);
            }
    }
    printf("%-6s %8d %10.5f %10s %10.5f\n", "all", d->n, all / ((double)d->n * (double)ex), "",
           all_zero / ((double)d->n * (double)ex));
    free(be);
    return 0;
}

int ecg_cmd_reconstruct(int argc, char **argv) {
    const char *data = NULL, *split = "test", *csv = NULL;
    long long threads = 0;
    static const struct option opts[] = {{"data", 1, 0, 'd'}, {"split", 1, 0, 's'}, {"out", 1, 0, 'o'},
                                         {"threads", 1, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'd': data = optarg; break;
        case 's': split = optarg; break;
        case 'o': csv = optarg; break;
        case 'j':
            if (ecg_arg_int("reconstruct", "--threads", optarg, 0, 1024, &threads)) return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !csv) {
        fprintf(stderr, "ecgbench reconstruct: give one run folder and --out FILE.csv\n");
        usage(stderr);
        return 2;
    }
    const char *dir = argv[optind];
    ecg_run r = {0};
    ecg_run_model rm = {0};
    ecg_dataset d = {0};
    float *out = NULL;
    char err[1300];
    int rc = 1, hit;
    if (ecg_run_read(dir, &r, err, sizeof err)) goto fail;
    if (!ecg_model_find(r.model) || ecg_model_objective(r.model) != ECG_OBJECTIVE_RECONSTRUCT) {
        snprintf(err, sizeof err, "%s holds %s, not an autoencoder: reconstruct needs an autoencoder's run (lstm-ae)",
                 dir, r.model);
        goto fail;
    }
    if (ecg_task_load_cached(r.task, split, data ? data : r.data_dir ? r.data_dir : ecg_default_data_dir(), r.seed,
                             NULL, &d, &hit, err, sizeof err) ||
        ecg_run_open(&r, &rm, err, sizeof err))
        goto fail;
    out = malloc(sizeof *out * (size_t)d.n * (size_t)d.length * (size_t)d.channels + 1);
    if (!out) {
        snprintf(err, sizeof err, "out of memory for %d reconstructions", d.n);
        goto fail;
    }
    if (ecg_run_reconstruct(&rm, &d, 256, (int)threads, out, err, sizeof err))
        goto fail;
    printf("%s on %s/%s (%s): reconstruction MSE per class\n", r.model, r.task, split, d.data_version);
    ecg_csv w;
    if (ecg_csv_open(&w, csv)) {
        snprintf(err, sizeof err, "%s", w.err);
        goto fail;
    }
    if (write_classes(&d, out, &w, err, sizeof err)) {
        ecg_csv_abort(&w);
        goto fail;
    }
    if (ecg_csv_close_err(&w, err, sizeof err)) goto fail;
    printf("wrote %s (each class's median beat and its reconstruction)\n", csv);
    rc = 0;
fail:
    if (rc) fprintf(stderr, "ecgbench reconstruct: %s\n", err);
    free(out);
    ecg_dataset_free(&d);
    ecg_run_model_free(&rm);
    ecg_run_free(&r);
    return rc;
}
