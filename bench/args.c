/* Number arguments of the commands: whole strings only, within bounds, a message naming the
 * command and option otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"

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
