/* libFuzzer target: ecg_cache_load on the input as a cache file. A corrupt file is a miss (1),
 * never a crash; a hit (0) must be a consistent dataset: labels in range, every name there, the
 * arrays as large as the counts say (ASan checks the reads below). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"

#define KEY 0x0123456789abcdefULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[64], path[128];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_cache_%ld", (long)getpid());
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/%016llx.ecgcache", dir, (unsigned long long)KEY);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    ecg_dataset d;
    char err[256] = "";
    int rc = ecg_cache_load(dir, KEY, &d, err, sizeof err);
    if (rc == 0) {
        if (d.n < 0 || d.length < 0 || d.channels < 0 || d.n_classes < 0) __builtin_trap();
        float sum = 0;
        size_t per = (size_t)d.length * (size_t)d.channels;
        for (int i = 0; i < d.n; i++) {
            if (d.y[i] < 0 || d.y[i] >= d.n_classes) __builtin_trap();
            if (per) sum += d.x[(size_t)i * per + per - 1];
            if (d.features && d.n_features) sum += d.features[(size_t)i * (size_t)d.n_features + (size_t)d.n_features - 1];
            if (d.record) sum += (float)d.record[i];
        }
        for (int c = 0; c < d.n_classes; c++)
            if (!d.class_names[c]) __builtin_trap();
        if (sum != sum && d.n < 0) __builtin_trap(); /* keeps the reads */
        ecg_dataset_free(&d);
    } else if (rc != 1 && !err[0]) {
        __builtin_trap();
    }
    return 0;
}
