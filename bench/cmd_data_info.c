/* placeholder: being written */
#include <stdio.h>

#include "bench/bench.h"

int ecg_cmd_data_info(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ecgbench data: not implemented yet\n");
    return 1;
}
