/* `ecgbench rss-probe DIR [--batch N]`: one inference in this process, its peak resident set
 * printed (bench/rss_probe.c measures it; ecg_peak_rss_kb runs this command as a child). */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"

int ecg_cmd_rss_probe(int argc, char **argv) {
    long long batch = 1;
    if (!(argc == 2 || (argc == 4 && !strcmp(argv[2], "--batch")))) {
        fprintf(stderr, "usage: ecgbench rss-probe DIR [--batch N]  (one inference, for peak-RSS measurement)\n");
        return 2;
    }
    if (argc == 4 && ecg_arg_int("rss-probe", "--batch", argv[3], 1, 4096, &batch)) return 2;
    char err[1400];
    long kb;
    if (ecg_rss_probe_run(argv[1], (int)batch, &kb, err, sizeof err)) {
        fprintf(stderr, "ecgbench rss-probe: %s\n", err);
        return 1;
    }
    printf("peak_rss_kb %ld\n", kb);
    return 0;
}
