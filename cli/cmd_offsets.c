/* `ecgbench offsets --out FILE CANDIDATE_DIR`: decision offsets fitted on a recipe candidate's
 * cross-validation fold runs (ecg_fold_offsets), written as JSON for `ecgbench compress DIR
 * --offsets FILE` to fold into a trained run of that recipe. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "runs/files.h"
#include "runs/pipelines.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench offsets --out FILE CANDIDATE_DIR [--data DIR] [--threads N]\n"
               "  CANDIDATE_DIR holds a recipe's cross-validation fold runs in foldK/ (`ecgbench train ... --fold K`,\n"
               "  at least 2 folds). Each predicts its own validation records again; on the pooled out-of-fold logits\n"
               "  one offset per class is fitted (added to the logit before the arg-max; the first class's is 0) to\n"
               "  raise the task's score (else macro-F1). Fitting them on all folds but one and scoring that one, for\n"
               "  each fold, tells what they are worth on patients they were not fitted on; they apply only when that\n"
               "  beats no offsets (\"applies\" in FILE; printed as \"offsets help: yes\" or \"no\").\n"
               "  No test split is read. Apply them with `ecgbench compress RUN --offsets FILE --out OUT`.\n");
}

int ecg_cmd_offsets(int argc, char **argv) {
    static const struct option lo[] = {
        {"out", 1, 0, 'o'}, {"data", 1, 0, 'd'}, {"threads", 1, 0, 'j'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL, *data = NULL;
    long long threads = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'o') out = optarg;
        else if (c == 'd') data = optarg;
        else if (c == 'j') {
            if (ecg_arg_int("offsets", "--threads", optarg, 0, 1024, &threads)) return 2;
        } else if (c == 'h') return usage(stdout), 0;
        else return 2;
    }
    if (!out || optind != argc - 1) {
        fprintf(stderr, "ecgbench offsets: give --out FILE and one candidate folder\n");
        usage(stderr);
        return 2;
    }
    char err[1600];
    cJSON *doc = ecg_fold_offsets(argv[optind], data, (int)threads, stdout, err, sizeof err);
    if (!doc || ecg_write_json(out, doc, err, sizeof err)) {
        fprintf(stderr, "ecgbench offsets: %s\n", err);
        cJSON_Delete(doc);
        return 1;
    }
    cJSON_Delete(doc);
    printf("wrote %s\n", out);
    return 0;
}
