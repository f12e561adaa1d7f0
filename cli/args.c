/* Arguments of the commands: numbers (whole strings only, within bounds, a message naming the
 * command and option otherwise), lists, and the options the held-out-prediction commands share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runs/files.h"

int ecg_arg_int(const char *cmd, const char *what, const char *s, long long lo, long long hi, long long *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) {
        fprintf(stderr, "ecgbench %s: %s must be a whole number in [%lld, %lld], got '%s'\n", cmd, what, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int ecg_arg_num(const char *cmd, const char *what, const char *s, double lo, double hi, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "ecgbench %s: %s must be a number in [%g, %g], got '%s'\n", cmd, what, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int ecg_channel_opt(const char *cmd, const char *flag, const char *value, ecg_channel_cfg *cfg) {
    int rank = !strcmp(flag, "--channel-rank");
    const char *a = rank ? "l1" : "local", *b = rank ? "bn" : "all";
    if (strcmp(value, a) && strcmp(value, b)) {
        fprintf(stderr, "ecgbench %s: %s is %s or %s, got '%s'\n", cmd, flag, a, b, value);
        return -1;
    }
    if (rank) cfg->rank = strcmp(value, a) ? ECG_CHANNEL_RANK_BN : ECG_CHANNEL_RANK_L1;
    else cfg->residual = strcmp(value, a) != 0;
    return 0;
}

int ecg_arg_list(const char *cmd, const char *what, const char *s, int lo, int hi, int *out, int *n, int max) {
    *n = 0;
    for (const char *p = s;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < lo || v > hi || (*end != ',' && *end != 0)) {
            fprintf(stderr, "ecgbench %s: bad %s '%s' (integers in [%d, %d], comma separated)\n", cmd, what, s, lo, hi);
            return -1;
        }
        if (*n == max) {
            fprintf(stderr, "ecgbench %s: at most %d values for %s\n", cmd, max, what);
            return -1;
        }
        out[(*n)++] = (int)v;
        if (*end == 0) return 0;
        p = end + 1;
    }
}

int ecg_args_held_out(const char *cmd, int argc, char **argv, void (*usage)(FILE *), const char **out,
                      const char **data, long long *threads, const char **classes) {
    static const struct option lo[] = {{"out", 1, 0, 'o'},     {"data", 1, 0, 'd'}, {"threads", 1, 0, 'j'},
                                       {"classes", 1, 0, 'c'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'o') *out = optarg;
        else if (c == 'd') *data = optarg;
        else if (c == 'c' && classes) *classes = optarg;
        else if (c == 'c') {
            fprintf(stderr, "ecgbench %s: --classes is not an option of this command\n", cmd);
            return 2;
        } else if (c == 'j') {
            if (ecg_arg_int(cmd, "--threads", optarg, 0, 1024, threads)) return 2;
        } else if (c == 'h') return usage(stdout), 0;
        else return 2;
    }
    return -1;
}

int ecg_held_out_write(const char *cmd, const char *out, cJSON *doc, char *err, size_t errlen) {
    int rc = !doc || ecg_write_json(out, doc, err, errlen);
    if (rc) fprintf(stderr, "ecgbench %s: %s\n", cmd, err);
    else printf("wrote %s\n", out);
    cJSON_Delete(doc);
    return rc;
}
