/* The command-line side of Google Benchmark for the commands that time cases (bench-op,
 * bench-sparse, bench-model, latency): which arguments are its flags, and what a run did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int ecg_gbench_time(const char *cmd, int n_pass, char **pass, const ecg_gbench_case *cases, int n,
                    const ecg_gbench_opts *o, ecg_gbench_result *res, int *ran, int *failed, char *err, size_t errlen) {
    if (ecg_gbench_run(n_pass, pass, cases, n, o, res, err, errlen)) return -1;
    *ran = *failed = 0;
    for (int i = 0; i < n; i++) {
        *ran += res[i].ran;
        if (res[i].failed) fprintf(stderr, "ecgbench %s: %s: %s\n", cmd, cases[i].name, res[i].error), (*failed)++;
    }
    return 0;
}

int ecg_gbench_take(const char *cmd, char *arg, char **pass, int *n_pass, int max) {
    if (strncmp(arg, "--benchmark_", 12) && strncmp(arg, "--v=", 4)) return 0;
    if (*n_pass == max) {
        fprintf(stderr, "ecgbench %s: too many --benchmark_* flags\n", cmd);
        return -1;
    }
    pass[(*n_pass)++] = arg;
    return 1;
}

char **ecg_gbench_split(const char *cmd, int argc, char **argv, char **pass, int *n_pass, int max, int *n_rest) {
    char **rest = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!rest) {
        fprintf(stderr, "ecgbench %s: out of memory\n", cmd);
        return NULL;
    }
    *n_pass = *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        int gb = i > 0 ? ecg_gbench_take(cmd, argv[i], pass, n_pass, max) : 0;
        if (gb < 0) {
            free(rest);
            return NULL;
        }
        if (!gb) rest[(*n_rest)++] = argv[i];
    }
    rest[*n_rest] = NULL;
    return rest;
}
