/* `ecgbench ensemble --out FILE DIR DIR...`: is averaging a recipe's seeds worth it? Judged on the
 * seeds' cross-validation fold runs (ecg_ensemble_cv), written as JSON. */
#include <stdio.h>
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
               "                   held-out beats are one patient's)\n");
}

int ecg_cmd_ensemble(int argc, char **argv) {
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
