/* `ecgbench report`: its options into a report job for ecg_report_run (report/report_run.c), which
 * evaluates every finished run (trained and compressed) on the data at hand and
 * writes the reports under --out: results.csv, per_class.csv, confusion.csv, layers.csv (with each
 * layer's latency), sweep.csv, tables.md, tables.tex and run.json (with one core's measured FMA
 * peak). Every figure comes from this run's evaluation or from measuring the run's files; nothing
 * is copied from a manifest's metrics, except a further seed whose weights are not committed (large
 * runs): its manifest's test metrics, marked so. Every trained run's further seeds
 * (models/seeds/RUN/seedN, report/report_seeds.c) are evaluated too: the tables show mean +- sd over
 * seeds. Full data when present (`make data`), else the bundled sample, which every table then
 * says at its top. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench report [--out DIR] [--data DIR] [--runs ROOT]... [--latency CSV]... [--threads N]\n"
               "                      [--layer-reps N] [--seeds DIR|none] [--force]\n"
               "  evaluates every run under each ROOT (default models/weights and models/compressed) on its\n"
               "  task's test split and writes DIR (default reports/out): results.csv, per_class.csv,\n"
               "  confusion.csv, layers.csv, sweep.csv, tables.md, tables.tex, run.json (last: it names every\n"
               "  file with its size and SHA-256; a DIR that holds one is refused unless --force)\n"
               "  --data DIR   data folder (default $ECG_DATA_DIR or data/ when it holds the task's data,\n"
               "               else the bundled datasets/sample, which the tables then say)\n"
               "  --latency CSV  latency_ecgbench.csv (`ecgbench latency`) and/or the PyTorch peer's CSV\n"
               "               (bench/peers/time_torch.py): joined into results.csv, latency.csv and the tables\n"
               "  --layer-reps N  runs timed per model for layers.csv's per-layer latency (batch 1, 1 thread;\n"
               "               each step timed with our own clock, median per layer; default %d, fewer (>= %d)\n"
               "               for a model whose runs would take over %.0f s)\n"
               "  --seeds DIR  further seeds of each trained run: DIR/RUN/seedN (default: the folder seeds beside\n"
               "               the run folder's root, models/seeds for models/weights); none: seed 1 only\n",
            ECG_REPORT_LAYER_REPS, ECG_REPORT_LAYER_MIN_REPS, ECG_REPORT_LAYER_BUDGET_S);
}

/* 0 ok, 1 help, 2 usage error. */
static int parse(int argc, char **argv, ecg_report_job *o) {
    static const struct option lo[] = {{"out", 1, 0, 'o'},     {"data", 1, 0, 'd'}, {"runs", 1, 0, 'r'},
                                       {"threads", 1, 0, 'j'}, {"latency", 1, 0, 'l'}, {"layer-reps", 1, 0, 'L'},
                                       {"seeds", 1, 0, 's'},   {"help", 0, 0, 'h'},    {"force", 0, 0, 'f'},
                                       {0, 0, 0, 0}};
    *o = (ecg_report_job){.out = "reports/out", .layer_reps = ECG_REPORT_LAYER_REPS, .argc = argc, .argv = argv};
    int c;
    long long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'f': o->force = 1; break;
        case 'd': o->data = optarg; break;
        case 'r':
            if (o->n_roots == ECG_REPORT_MAX_ROOTS) {
                fprintf(stderr, "ecgbench report: at most %d --runs\n", ECG_REPORT_MAX_ROOTS);
                return 2;
            }
            o->roots[o->n_roots++] = optarg;
            break;
        case 'j':
            if (ecg_arg_int("report", "--threads", optarg, 0, 1024, &v)) return 2;
            o->threads = (int)v;
            break;
        case 'L':
            if (ecg_arg_int("report", "--layer-reps", optarg, 1, 1000000, &v)) return 2;
            o->layer_reps = (int)v;
            break;
        case 'l':
            if (o->n_latency == 4) {
                fprintf(stderr, "ecgbench report: at most 4 --latency files\n");
                return 2;
            }
            o->latency[o->n_latency++] = optarg;
            break;
        case 's':
            o->no_seeds = !strcmp(optarg, "none");
            o->seeds_root = o->no_seeds ? NULL : optarg;
            break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

int ecg_cmd_report(int argc, char **argv) {
    ecg_report_job job;
    int rc = parse(argc, argv, &job);
    if (rc) return rc == 1 ? 0 : rc;
    char err[1400];
    if (ecg_report_run(&job, err, sizeof err)) {
        fprintf(stderr, "ecgbench report: %s\n", err);
        return 1;
    }
    return 0;
}
