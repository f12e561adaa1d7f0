/* libFuzzer target: ecg_cinc_read_mat (the MATLAB v4 pre-check, then libmatio) on the input as a
 * .mat file. A success gives n >= 1 values; a failure names the file and frees everything. The
 * pre-check must stop any declared size the file cannot hold before libmatio allocates it (ASan
 * and libFuzzer's -malloc_limit_mb catch a large allocation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/datasets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_cinc_mat_%ld.mat", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    int16_t *val = NULL;
    long n = -1;
    char err[512] = "";
    int rc = ecg_cinc_read_mat(path, &val, &n, err, sizeof err);
    if (rc == 0 && (!val || n < 1)) __builtin_trap();
    if (rc != 0 && (val || strncmp(err, path, strlen(path)))) __builtin_trap();
    free(val);
    return 0;
}
