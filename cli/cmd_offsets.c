/* `ecgbench offsets --out FILE DIR`: decision offsets fitted on held-out predictions (a recipe
 * candidate's cross-validation fold runs, or one run's validation split: ecg_fit_offsets), written
 * as JSON for `ecgbench compress RUN --offsets FILE` to fold into a trained run. */
#include <stdio.h>
#include <unistd.h> /* optind */

#include "cli/cli.h"
#include "runs/pipelines.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench offsets --out FILE DIR [--data DIR] [--threads N]\n"
               "  One offset per class, added to the logit before the arg-max (the first class's is 0), fitted on\n"
               "  held-out predictions to raise the task's score (else macro-F1):\n"
               "  - DIR holds a recipe's cross-validation fold runs in foldK/ (`ecgbench train ... --fold K`, at least 2):\n"
               "    each predicts its own validation records; the offsets then suit any run of that recipe;\n"
               "  - DIR is one trained run: its validation split, cut into folds by record; the offsets suit that run.\n"
               "  Fitting on all folds but one and scoring that one, for each fold, tells what the offsets are worth on\n"
               "  records they were not fitted on: a class whose offset does not raise that score stays at 0, and the\n"
               "  offsets apply only when it beats no offsets (\"applies\" in FILE; printed as \"offsets help: yes\" or\n"
               "  \"no\"). No test split is read. Apply them with `ecgbench compress RUN --offsets FILE --out OUT`.\n");
}

int ecg_cmd_offsets(int argc, char **argv) {
    const char *out = NULL, *data = NULL;
    long long threads = 0;
    int rc = ecg_args_held_out("offsets", argc, argv, usage, &out, &data, &threads, NULL);
    if (rc >= 0) return rc;
    if (!out || optind != argc - 1) {
        fprintf(stderr, "ecgbench offsets: give --out FILE and one folder (fold runs, or a run)\n");
        usage(stderr);
        return 2;
    }
    char err[1600];
    cJSON *doc = ecg_fit_offsets(argv[optind], data, (int)threads, stdout, err, sizeof err);
    return ecg_held_out_write("offsets", out, doc, err, sizeof err);
}
