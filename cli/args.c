/* Number arguments of the commands: whole strings only, within bounds, a message naming the
 * command and option otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

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
