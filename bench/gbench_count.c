/* What a Google Benchmark run did, for the commands that time cases (bench-op, bench-sparse, latency). */
#include <stdio.h>

#include "bench/bench.h"

int ecg_gbench_count(const char *cmd, const ecg_gbench_case *cases, const ecg_gbench_result *res, int n, int *ran) {
    int failed = 0;
    *ran = 0;
    for (int i = 0; i < n; i++) {
        *ran += res[i].ran;
        if (res[i].failed) fprintf(stderr, "ecgbench %s: %s: %s\n", cmd, cases[i].name, res[i].error), failed++;
    }
    return failed;
}
