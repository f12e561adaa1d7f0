/* `ecgbench data qrs-eval`: the QRS detector against the MIT-BIH reference beat annotations,
 * per record and in total (sensitivity and positive predictivity), optionally as CSV. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "report/csv.h"

/* The 48 records of the MIT-BIH Arrhythmia Database. */
static const int mitdb_records[] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116,
                                    117, 118, 119, 121, 122, 123, 124, 200, 201, 202, 203, 205, 207, 208, 209, 210,
                                    212, 213, 214, 215, 217, 219, 220, 221, 222, 223, 228, 230, 231, 232, 233, 234};
#define N_MITDB ((int)(sizeof mitdb_records / sizeof mitdb_records[0]))

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench data qrs-eval [--data DIR] [--records 100,101,...] [--csv FILE] [--start-s S]\n"
            "Runs the Pan-Tompkins style QRS detector (datasets/qrs.c) on signal 0 (MLII) of each MIT-BIH\n"
            "record in DIR/mitdb and compares it beat by beat with the reference annotations (.atr).\n"
            "  --data DIR     data folder holding mitdb/ (default: $ECG_DATA_DIR, else ./data)\n"
            "  --records L    comma-separated record numbers (default: all 48)\n"
            "  --csv FILE     also write one row per record and a TOTAL row\n"
            "  --start-s S    score only from S seconds on (default 0: the whole record)\n"
            "Conventions: reference beats are the annotations WFDB counts as QRS (isqrs: N L R a V F J A\n"
            "S E j / Q e n f ! r, the old B and the learning mark ?); rhythm, noise and other\n"
            "non-beat marks are ignored. A detection matches a reference beat within +-150 ms, one to\n"
            "one, closest pairs first. By default the whole record is scored, first beats included;\n"
            "evaluations following ANSI/AAMI EC57 commonly skip the first 5 minutes as a learning\n"
            "period (--start-s 300 does that). One fixed setting for every record.\n"
            "Se = TP / (TP + FN), +P = TP / (TP + FP), totals summed over the records (gross).\n");
}

typedef struct {
    int tp, fp, fn;
} counts;

/* One record: read, detect, match. 0 ok, -1 with err. */
static int eval_record(const char *dir, int rec, double start_s, counts *c, double *seconds, char *err,
                       size_t errlen) {
    char name[32], path[4200];
    snprintf(name, sizeof name, "%d", rec);
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    long n_invalid = 0;
    if (ecg_wfdb_read_record(dir, name, &h, &adc, &n_invalid, err, errlen)) return -1;
    int rc = -1;
    float *x = NULL;
    long *det = NULL, *ref = NULL;
    ecg_wfdb_ann *anns = NULL;
    int n_det = 0, n_ann = 0;
    long n = h.n_samples;
    if (n < 1 || h.n_sig < 1) {
        snprintf(err, errlen, "%s/%s.hea: no samples", dir, name);
        goto done;
    }
    x = malloc((size_t)n * sizeof *x);
    if (!x) {
        snprintf(err, errlen, "record %s: out of memory", name);
        goto done;
    }
    /* Invalid samples (format 212: -2048) hold the last valid value, so the detector sees no
     * step; a record starting with them starts at 0 mV. */
    int32_t invalid = h.sig[0].format == 212 ? -2048 : h.sig[0].format == 16 ? -32768 : INT32_MIN;
    float last = 0;
    for (long t = 0; t < n; t++) {
        int32_t v = adc[t * h.n_sig];
        x[t] = v == invalid ? last : ecg_wfdb_physical(&h.sig[0], v);
        last = x[t];
    }
    if (ecg_qrs_detect(x, n, h.fs, &det, &n_det, err, errlen)) goto done;
    snprintf(path, sizeof path, "%s/%s.atr", dir, name);
    if (ecg_wfdb_read_annotations(path, &anns, &n_ann, err, errlen)) goto done;
    ref = malloc((size_t)(n_ann + 1) * sizeof *ref);
    if (!ref) {
        snprintf(err, errlen, "record %s: out of memory", name);
        goto done;
    }
    long start = (long)floor(start_s * h.fs);
    int n_ref = 0, kept = 0;
    for (int i = 0; i < n_ann; i++)
        if (ecg_wfdb_ann_is_beat(anns[i].code) && anns[i].sample >= start) ref[n_ref++] = anns[i].sample;
    for (int i = 0; i < n_det; i++)
        if (det[i] >= start) det[kept++] = det[i];
    long window = lround(0.150 * h.fs);
    if (ecg_qrs_match(ref, n_ref, det, kept, window, &c->tp, &c->fp, &c->fn)) {
        snprintf(err, errlen, "record %s: matcher failed (out of memory)", name);
        goto done;
    }
    *seconds = n / h.fs;
    rc = 0;
done:
    free(x);
    free(det);
    free(ref);
    free(anns);
    free(adc);
    ecg_wfdb_header_free(&h);
    return rc;
}

static double pct(int a, int b) { return b ? 100.0 * a / b : NAN; }

static void csv_row(ecg_csv *w, const char *rec, const counts *c) {
    ecg_csv_str(w, rec);
    ecg_csv_int(w, c->tp + c->fn);
    ecg_csv_int(w, c->tp);
    ecg_csv_int(w, c->fp);
    ecg_csv_int(w, c->fn);
    ecg_csv_num(w, pct(c->tp, c->tp + c->fn));
    ecg_csv_num(w, pct(c->tp, c->tp + c->fp));
    ecg_csv_end_row(w);
}

typedef struct {
    const char *data, *csv;
    int recs[N_MITDB * 4], n_recs;
    double start_s;
} opts;

/* 0 ok, 1 help, 2 usage error. */
static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {{"data", 1, 0, 'd'},    {"records", 1, 0, 'r'}, {"csv", 1, 0, 'c'},
                                       {"start-s", 1, 0, 's'}, {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    *o = (opts){.data = ecg_default_data_dir(), .n_recs = N_MITDB};
    memcpy(o->recs, mitdb_records, sizeof mitdb_records);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->data = optarg; break;
        case 'c': o->csv = optarg; break;
        case 'r':
            if (ecg_arg_list("data qrs-eval", "--records", optarg, 0, 99999, o->recs, &o->n_recs, N_MITDB * 4)) return 2;
            break;
        case 's':
            if (ecg_arg_num("data qrs-eval", "--start-s", optarg, 0, 1e9, &o->start_s)) return 2;
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) return fprintf(stderr, "ecgbench data qrs-eval: unexpected argument '%s'\n", argv[optind]), 2;
    return 0;
}

int ecg_cmd_qrs_eval(int argc, char **argv) {
    opts o;
    int prc = parse(argc, argv, &o);
    if (prc) return prc == 1 ? 0 : prc;
    const char *data = o.data, *csv = o.csv;
    const int *recs = o.recs, n_recs = o.n_recs;
    double start_s = o.start_s;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/mitdb", data);
    ecg_csv w = {0};
    static const char *const cols[] = {"record", "beats", "tp", "fp", "fn", "se_pct", "ppv_pct"};
    if (csv && (ecg_csv_open(&w, csv) || ecg_csv_header(&w, cols, 7))) {
        fprintf(stderr, "ecgbench data qrs-eval: %s\n", w.err);
        return 1;
    }
    printf("QRS detector vs %s reference beats (+-150 ms%s)\n", dir, start_s > 0 ? ", from --start-s" : "");
    printf("%-7s %7s %7s %6s %6s %8s %8s\n", "record", "beats", "TP", "FP", "FN", "Se%", "+P%");
    counts tot = {0};
    double secs = 0;
    int failed = 0;
    for (int k = 0; k < n_recs; k++) {
        counts c = {0};
        double s = 0;
        char err[1024] = "";
        if (eval_record(dir, recs[k], start_s, &c, &s, err, sizeof err)) {
            fprintf(stderr, "ecgbench data qrs-eval: %s\n", err);
            failed = 1;
            break;
        }
        printf("%-7d %7d %7d %6d %6d %8.2f %8.2f\n", recs[k], c.tp + c.fn, c.tp, c.fp, c.fn, pct(c.tp, c.tp + c.fn),
               pct(c.tp, c.tp + c.fp));
        char name[16];
        snprintf(name, sizeof name, "%d", recs[k]);
        if (csv) csv_row(&w, name, &c);
        tot.tp += c.tp, tot.fp += c.fp, tot.fn += c.fn;
        secs += s;
    }
    if (!failed) {
        printf("%-7s %7d %7d %6d %6d %8.2f %8.2f   (%d records, %.1f h)\n", "TOTAL", tot.tp + tot.fn, tot.tp, tot.fp,
               tot.fn, pct(tot.tp, tot.tp + tot.fn), pct(tot.tp, tot.tp + tot.fp), n_recs, secs / 3600);
        if (csv) csv_row(&w, "TOTAL", &tot);
    }
    if (csv && ecg_csv_close(&w)) {
        fprintf(stderr, "ecgbench data qrs-eval: %s\n", w.err);
        return 1;
    }
    return failed;
}
