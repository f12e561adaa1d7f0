/* The manifest's "run" record for the commands that write runs (train, compress): this machine
 * and the command line, collected when the manifest is written. */
#include "bench/bench.h"
#include "cli/cli.h"

static cJSON *collect(void *ctx, int threads) {
    const ecg_cli_args *a = ctx;
    ecg_run_info ri;
    ecg_run_info_collect(&ri, threads, a->argc, a->argv);
    return ecg_run_info_json(&ri);
}

ecg_run_record ecg_cli_run_record(ecg_cli_args *args) { return (ecg_run_record){collect, args}; }
