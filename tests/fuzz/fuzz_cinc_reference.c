/* libFuzzer target: the cinc2017 loader's REFERENCE.csv parser, on the input as the file (in a
 * private data folder without any .mat: a parsed list fails at its first record's .mat, naming
 * it). Every failure must give a message, and no message may carry a raw control byte from the
 * file (it is echoed as \xNN). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char root[64], file[160];
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/fuzz_cinc_ref_%ld", (long)getpid());
        char p[128];
        mkdir(root, 0700);
        snprintf(p, sizeof p, "%s/cinc2017", root);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/cinc2017/training2017", root);
        mkdir(p, 0700);
        snprintf(file, sizeof file, "%s/REFERENCE.csv", p);
    }
    FILE *f = fopen(file, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    ecg_dataset d;
    char err[512] = "";
    int rc = ecg_task_cinc2017_load(root, size && data[0] % 2 ? "test" : "train", 1, &d, err, sizeof err);
    if (rc == 0) {
        if (d.n != 0) __builtin_trap(); /* no .mat exists: only an empty split can load */
        ecg_dataset_free(&d);
        return 0;
    }
    if (!err[0] || d.x) __builtin_trap();
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f) __builtin_trap();
    return 0;
}
