/* `ecgbench data info TASK [--data DIR] [--seed N] [--csv FILE]`: examples per class and records in
 * every split of a task, with the seed training uses unless told otherwise (ECG_DEFAULT_SEED), so
 * the counts are those the committed runs were trained and tested on; for mitdb-aami's ds1 / ds2
 * also de Chazal et al. 2004's published counts and the difference, so a wrong symbol map or beat
 * rule shows at once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "report/csv.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench data info TASK [--data DIR] [--seed N] [--csv FILE]\n"
               "  TASK        e.g. mitdb-aami\n"
               "  --data DIR  folder holding mitdb/ and cinc2017/ (default $ECG_DATA_DIR, else ./data)\n"
               "  --seed N    seed of the seeded splits (validation records, intra split); default " ECG_DEFAULT_SEED_STR ",\n"
               "              the one train, compress and eval use unless told otherwise\n"
               "  --csv FILE  also write task,split,class,count,published,diff_pct rows\n"
               "Prepared splits are cached in $ECG_CACHE_DIR (default " ECG_CACHE_DIR_DEFAULT "), keyed by the\n"
               "data files (path, size, mtime), the seed and the preprocessing settings.\n");
}

typedef struct {
    const char *task, *data, *csv;
    uint64_t seed;
} opts;

static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {{"data", 1, 0, 'd'}, {"csv", 1, 0, 'c'}, {"seed", 1, 0, 's'},
                                       {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    *o = (opts){.data = ecg_default_data_dir(), .seed = ECG_DEFAULT_SEED};
    long long seed; /* the range train takes: -1 is not 2^64 - 1 */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->data = optarg; break;
        case 'c': o->csv = optarg; break;
        case 's':
            if (ecg_arg_int("data info", "--seed", optarg, 0, 1000000000000000LL, &seed)) return 2;
            o->seed = (uint64_t)seed;
            break;
        case 'h': return usage(stdout), 1;
        default: return usage(stderr), 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ecgbench data info: %s\n", optind == argc ? "which task?" : "give one TASK");
        return usage(stderr), 2;
    }
    o->task = argv[optind];
    return 0;
}

static int csv_row(ecg_csv *w, const char *task, const char *split, const char *cls, long count, const int *pub) {
    ecg_csv_str(w, task);
    ecg_csv_str(w, split);
    ecg_csv_str(w, cls);
    ecg_csv_int(w, count);
    if (pub) {
        ecg_csv_int(w, *pub);
        ecg_csv_num(w, *pub ? 100.0 * (double)(count - *pub) / *pub : 0.0);
    } else {
        ecg_csv_str(w, "");
        ecg_csv_str(w, "");
    }
    return ecg_csv_end_row(w);
}

/* Prints one split's counts (and the published ones when there are any); writes CSV rows. */
static void report_split(const ecg_dataset *d, ecg_csv *w) {
    long count[64] = {0}, total = 0;
    int nc = d->n_classes < 64 ? d->n_classes : 64;
    for (int i = 0; i < d->n; i++)
        if (d->y[i] >= 0 && d->y[i] < nc) count[d->y[i]]++, total++;
    int sample = !strncmp(d->data_version, "SAMPLE", 6);
    const int *pub = !strcmp(d->task, "mitdb-aami") && !sample ? ecg_dechazal_counts(d->split) : NULL;
    int n_rec = 0, last = -1;
    for (int i = 0; i < d->n; i++)   /* records arrive grouped, in order */
        if (d->record[i] != last) n_rec++, last = d->record[i];
    printf("%-12s", d->split);
    for (int c = 0; c < nc; c++) printf(" %8ld", count[c]);
    printf(" %9ld %8d\n", total, n_rec);
    if (pub) {
        long pub_total = 0;
        printf("%-12s", "  de Chazal");
        for (int c = 0; c < nc; c++) printf(" %8d", pub[c]), pub_total += pub[c];
        printf(" %9ld\n%-12s", pub_total, "  diff %");
        for (int c = 0; c < nc; c++) printf(" %+8.2f", pub[c] ? 100.0 * (double)(count[c] - pub[c]) / pub[c] : 0.0);
        printf(" %+9.2f\n", 100.0 * (double)(total - pub_total) / (double)pub_total);
    }
    if (!w->f) return;
    for (int c = 0; c < nc; c++) csv_row(w, d->task, d->split, d->class_names[c], count[c], pub ? &pub[c] : NULL);
    int pt = 0;
    if (pub)
        for (int c = 0; c < nc; c++) pt += pub[c];
    csv_row(w, d->task, d->split, "total", total, pub ? &pt : NULL);
}

/* "mitdb (22 records; SHA256SUMS ...) at DIR" counts the records of the split it was loaded for:
 * the same without "22 records; ", the database being described on its own line. */
static void version_without_count(const char *v, char *out, size_t n) {
    const char *p = strchr(v, '('), *q = p ? p + 1 : NULL;
    while (q && *q >= '0' && *q <= '9') q++;
    if (!q || q == p + 1 || strncmp(q, " records", 8) || (q[8] != ';' && q[8] != ',') || q[9] != ' ') {
        snprintf(out, n, "%s", v);
        return;
    }
    snprintf(out, n, "%.*s%s", (int)(p + 1 - v), v, q + 10);
}

/* Task, seed (and whether it is training's), the data, what the database holds, and the column heads. */
static void print_header(const ecg_task *t, const opts *o, const ecg_dataset *d) {
    int sample = !strncmp(d->data_version, "SAMPLE", 6), mitdb = t->data_subdir && !strcmp(t->data_subdir, "mitdb");
    printf("task %s, seed %llu (%s)\n", o->task, (unsigned long long)o->seed,
           o->seed == ECG_DEFAULT_SEED ? "the default: the splits train, compress and eval use"
                                       : "not the default " ECG_DEFAULT_SEED_STR ": seeded splits differ from training's");
    if (!mitdb) {
        printf("data: %s\n", d->data_version);
    } else {
        char v[sizeof d->data_version];
        const int *recs;
        int n1 = ecg_mitdb_record_set("ds1", &recs), n2 = ecg_mitdb_record_set("ds2", &recs);
        int np = ecg_mitdb_record_set("paced", &recs);
        version_without_count(d->data_version, v, sizeof v);
        printf("data: %s\n", v);
        printf("database: MIT-BIH's %d records; %d used (DS1 %d, DS2 %d), the %d paced ones excluded (", n1 + n2 + np,
               n1 + n2, n1, n2, np);
        for (int i = 0; i < np; i++) printf("%s%d", i ? ", " : "", recs[i]);
        printf(")%s\n", sample ? "; this sample holds a few of them, trimmed" : "");
        /* The variants of mitdb-aami (intra split, two leads, V1 records only) say what they change:
         * the -v1 task reads fewer records than the line above counts. */
        if (strcmp(t->name, "mitdb-aami")) printf("%s: %s\n", t->name, t->description);
    }
    printf("%-12s", "split");
    for (int c = 0; c < d->n_classes; c++) printf(" %8s", d->class_names[c]);
    printf(" %9s %8s\n", "total", "records");
}

int ecg_cmd_data_info(int argc, char **argv) {
    opts o;
    int prc = parse(argc, argv, &o);
    if (prc) return prc == 1 ? 0 : prc;
    const ecg_task *t = ecg_task_find(o.task);
    if (!t) {
        fprintf(stderr, "ecgbench data info: unknown task '%s' (known:", o.task);
        for (int i = 0; ecg_task_at(i); i++) fprintf(stderr, " %s", ecg_task_at(i)->name);
        fprintf(stderr, ")\n");
        return 2;
    }
    ecg_csv w = {0};
    if (o.csv) {
        static const char *const cols[] = {"task", "split", "class", "count", "published", "diff_pct"};
        if (ecg_csv_open(&w, o.csv) || ecg_csv_header(&w, cols, 6)) {
            fprintf(stderr, "ecgbench data info: %s\n", w.err);
            if (w.f) ecg_csv_close(&w);
            return 1;
        }
    }
    int rc = 0, header_done = 0, hits = 0;
    char err[1024];
    for (int s = 0; s < t->n_splits; s++) {
        ecg_dataset d;
        int hit = 0;
        if (ecg_task_load_cached(o.task, t->splits[s], o.data, o.seed, NULL, &d, &hit, err, sizeof err)) {
            fprintf(stderr, "ecgbench data info: %s\n", err);
            rc = 1;
            break;
        }
        if (!header_done) {
            print_header(t, &o, &d);
            header_done = 1;
        }
        report_split(&d, &w);
        hits += hit;
        ecg_dataset_free(&d);
    }
    if (hits) printf("(%d of %d splits from the cache in %s)\n", hits, t->n_splits, ecg_default_cache_dir());
    if (o.csv && rc) ecg_csv_abort(&w); /* a failed listing leaves the earlier file */
    if (o.csv && !rc && ecg_csv_close(&w)) {
        fprintf(stderr, "ecgbench data info: %s\n", w.err);
        rc = 1;
    }
    return rc;
}
