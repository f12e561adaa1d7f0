/* `ecgbench ensemble --out FILE DIR DIR...`: is averaging a recipe's seeds worth it? Judged on the
 * seeds' cross-validation fold runs (ecg_ensemble_cv), written as JSON. `ecgbench ensemble --make
 * DIR RUN RUN...`: the ensemble of trained runs as a run folder of its own (ecg_ensemble_make). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h> /* optind */

#include "cli/cli.h"
#include "runs/pipelines.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench ensemble --out FILE DIR DIR... [--classes A,B,...] [--data DIR] [--threads N]\n"
               "  Each DIR holds one seed's cross-validation fold runs of one recipe in foldK/ (`ecgbench train ...\n"
               "  --seed S --fold K`, the same folds in every DIR). Each fold's validation records are predicted by every\n"
               "  seed's run of that fold, the seeds' softmax probabilities averaged, and the task's score (else macro-F1)\n"
               "  of the folds' confusions summed compared with each seed's own: the ensemble helps (\"helps\" in FILE;\n"
               "  printed as \"ensemble helps: yes\" or \"no\") when it beats the seeds' mean. No test split is read.\n"
               "  --classes N,S,V  score by the mean F1 of these classes instead (e.g. leaving out a class whose\n"
               "                   held-out beats are one patient's)\n"
               "usage: ecgbench ensemble --make DIR RUN RUN... [--judged-by FILE] [--data DIR]\n"
               "  The ensemble of trained runs of one recipe (other seeds, the same test examples) as a run folder DIR:\n"
               "  its manifest names them and their weights' SHA-256; `ecgbench eval DIR --record` then scores its test\n"
               "  split once. --judged-by FILE: this recipe's `ensemble --out` verdict, which must say it helps (kept in DIR).\n");
}

static int make(int argc, char **argv) {
    static const struct option lo[] = {
        {"make", 1, 0, 'm'}, {"judged-by", 1, 0, 'j'}, {"data", 1, 0, 'd'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *dir = NULL, *judged = NULL, *data = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'm') dir = optarg;
        else if (c == 'j') judged = optarg;
        else if (c == 'd') data = optarg;
        else if (c == 'h') return usage(stdout), 0;
        else return usage(stderr), 2;
    }
    if (argc - optind < 2) {
        fprintf(stderr, "ecgbench ensemble: --make needs at least two trained runs\n");
        return 2;
    }
    char err[1600];
    ecg_cli_args args = {argc, argv};
    if (ecg_ensemble_make(dir, (const char *const *)argv + optind, argc - optind, judged, data, ecg_cli_run_record(&args),
                          err, sizeof err)) {
        fprintf(stderr, "ecgbench ensemble: %s\n", err);
        return 1;
    }
    printf("wrote %s/manifest.json: an ensemble of %d runs; `ecgbench eval %s --record` scores its test split\n", dir,
           argc - optind, dir);
    return 0;
}

int ecg_cmd_ensemble(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--make") || !strncmp(argv[i], "--make=", 7)) return make(argc, argv);
    const char *out = NULL, *data = NULL, *classes = NULL;
    long long threads = 0;
    int rc = ecg_args_held_out("ensemble", argc, argv, usage, &out, &data, &threads, &classes);
    if (rc >= 0) return rc;
    if (!out || argc - optind < 2) {
        fprintf(stderr, "ecgbench ensemble: give --out FILE and at least two folders (one seed's fold runs each)\n");
        usage(stderr);
        return 2;
    }
    char err[1600];
    cJSON *doc = ecg_ensemble_cv((const char *const *)argv + optind, argc - optind, classes, data, (int)threads, stdout,
                                 err, sizeof err);
    return ecg_held_out_write("ensemble", out, doc, err, sizeof err);
}
