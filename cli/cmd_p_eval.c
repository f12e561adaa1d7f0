/* `ecgbench data p-eval`: how often the P-wave detector finds a P wave before the N beats of
 * sinus rhythm and before those of atrial fibrillation, per MIT-BIH record of DS1 and DS2, with
 * each set's totals (datasets/p_eval.c does the counting). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "datasets/p_eval.h"
#include "report/csv.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench data p-eval [--data DIR] [--csv FILE]\n"
            "Runs the P-wave detector (datasets/fiducials.c) on MLII of every DS1 and DS2 record in\n"
            "DIR/mitdb (the 44 non-paced records; the bundled sample: the records it has) and counts, among\n"
            "the beats annotated N, those in sinus-rhythm episodes ('(N' rhythm annotations) and those in\n"
            "atrial fibrillation ('(AFIB'), and how many of each have a P wave found. A P detector should\n"
            "find one before nearly every sinus beat and before few AFIB beats. Also the mean PR interval\n"
            "(half-amplitude P onset to QRS onset) and P half-amplitude width of the sinus beats with a P.\n"
            "  --data DIR   data folder holding mitdb/ (default: $ECG_DATA_DIR, else ./data)\n"
            "  --csv FILE   also write one row per record and a row per set (DS1, DS2) and in total\n");
}

static double pct(long a, long b) { return b ? 100.0 * (double)a / (double)b : NAN; }
static double mean(double sum, long n) { return n ? sum / (double)n : NAN; }

static void add(ecg_p_eval_counts *t, const ecg_p_eval_counts *c) {
    t->sinus_n += c->sinus_n, t->sinus_n_p += c->sinus_n_p, t->afib_n += c->afib_n, t->afib_n_p += c->afib_n_p;
    t->sinus_pr_ms_sum += c->sinus_pr_ms_sum, t->sinus_width_ms_sum += c->sinus_width_ms_sum;
}

static void row(ecg_csv *w, const char *rec, const char *set, const ecg_p_eval_counts *c) {
    printf("%-7s %-4s %8ld %8ld %7.1f %7ld %7ld %7.1f %7.0f %7.0f\n", rec, set, c->sinus_n, c->sinus_n_p,
           pct(c->sinus_n_p, c->sinus_n), c->afib_n, c->afib_n_p, pct(c->afib_n_p, c->afib_n),
           mean(c->sinus_pr_ms_sum, c->sinus_n_p), mean(c->sinus_width_ms_sum, c->sinus_n_p));
    if (!w) return;
    ecg_csv_str(w, rec);
    ecg_csv_str(w, set);
    ecg_csv_int(w, c->sinus_n);
    ecg_csv_int(w, c->sinus_n_p);
    ecg_csv_num(w, pct(c->sinus_n_p, c->sinus_n));
    ecg_csv_int(w, c->afib_n);
    ecg_csv_int(w, c->afib_n_p);
    ecg_csv_num(w, pct(c->afib_n_p, c->afib_n));
    ecg_csv_num(w, mean(c->sinus_pr_ms_sum, c->sinus_n_p));
    ecg_csv_num(w, mean(c->sinus_width_ms_sum, c->sinus_n_p));
    ecg_csv_end_row(w);
}

/* Every DS1 and DS2 record in dir (the sample: those it has), a row each, then each set's and the
 * total's rows. 0, or 1 after an error message. */
static int evaluate_records(const char *dir, int sample, ecg_csv *w) {
    static const char *const sets[] = {"ds1", "ds2"}, *const set_names[] = {"DS1", "DS2"};
    ecg_p_eval_counts total = {0}, per_set[2] = {{0}};
    int n_done = 0;
    for (int s = 0; s < 2; s++) {
        const int *recs;
        int n = ecg_mitdb_record_set(sets[s], &recs);
        for (int k = 0; k < n; k++) {
            char probe[4200], err[1024] = "", name[16];
            snprintf(probe, sizeof probe, "%s/%d.hea", dir, recs[k]);
            if (sample && access(probe, F_OK) != 0) continue; /* the sample: the records it has */
            ecg_p_eval_counts c;
            if (ecg_p_eval_record(dir, recs[k], &c, err, sizeof err))
                return fprintf(stderr, "ecgbench data p-eval: %s\n", err), 1;
            snprintf(name, sizeof name, "%d", recs[k]);
            row(w, name, set_names[s], &c);
            add(&per_set[s], &c);
            add(&total, &c);
            n_done++;
        }
    }
    if (n_done == 0)
        return fprintf(stderr, "ecgbench data p-eval: no MIT-BIH record in %s (run make data, or pass --data)\n", dir), 1;
    for (int s = 0; s < 2; s++) row(w, set_names[s], "", &per_set[s]);
    row(w, "TOTAL", "", &total);
    return 0;
}

int ecg_cmd_p_eval(int argc, char **argv) {
    static const struct option lo[] = {{"data", 1, 0, 'd'}, {"csv", 1, 0, 'c'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *data = ecg_default_data_dir(), *csv = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'h') return usage(stdout), 0;
        if (c == '?') return usage(stderr), 2;
        if (c == 'd') data = optarg;
        else csv = optarg;
    }
    if (optind != argc) return fprintf(stderr, "ecgbench data p-eval: unexpected argument '%s'\n", argv[optind]), 2;
    char dir[4096], probe[4200];
    snprintf(dir, sizeof dir, "%s/mitdb", data);
    snprintf(probe, sizeof probe, "%s/SAMPLE", dir);
    const int sample = access(probe, F_OK) == 0;
    ecg_csv w = {0};
    static const char *const cols[] = {"record", "set", "sinus_n_beats", "sinus_with_p", "sinus_p_pct",
                                       "afib_n_beats", "afib_with_p", "afib_p_pct", "sinus_pr_ms_mean",
                                       "sinus_p_width_ms_mean"};
    if (csv && (ecg_csv_open(&w, csv) || ecg_csv_header(&w, cols, 10)))
        return fprintf(stderr, "ecgbench data p-eval: %s\n", w.err), 1;
    printf("P waves found before N beats, by rhythm, MLII of %s%s\n", dir, sample ? " (the bundled sample)" : "");
    printf("%-7s %-4s %8s %8s %7s %7s %7s %7s %7s %7s\n", "record", "set", "sinus N", "with P", "P%", "AFIB N",
           "with P", "P%", "PR ms", "P w ms");
    int failed = evaluate_records(dir, sample, csv ? &w : NULL);
    if (csv && ecg_csv_close(&w)) return fprintf(stderr, "ecgbench data p-eval: %s\n", w.err), 1;
    return failed;
}
