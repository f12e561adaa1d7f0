/* libFuzzer target: the whole WFDB record assembly (ecg_wfdb_read_record: header file, every
 * signal file it names, group decoding, column placement, checksum verification). The input is
 * header text, a NUL byte, then bytes written to every signal file the header names. A success
 * must give n_samples frames whose values are in their format's range; a failure a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"

static int write_file(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    if (n) fwrite(b, 1, n, f);
    return fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_wfdb_record_%ld", (long)getpid());
        mkdir(dir, 0700);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t hlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *dat = nul ? nul + 1 : data + size;
    size_t dlen = nul ? size - hlen - 1 : 0;
    char path[400], err[512] = "";
    ecg_wfdb_header h;
    /* the signal files the header names (a header that does not parse still goes to the reader) */
    int named = ecg_wfdb_parse_header((const char *)data, hlen, "fuzz.hea", &h, err, sizeof err) == 0;
    for (int j = 0; named && j < h.n_sig; j++) {
        snprintf(path, sizeof path, "%s/%s", dir, h.sig[j].file);
        write_file(path, dat, dlen);
    }
    snprintf(path, sizeof path, "%s/fuzz.hea", dir);
    write_file(path, data, hlen);
    int32_t *adc = NULL;
    long invalid = -1;
    ecg_wfdb_header r;
    int rc = ecg_wfdb_read_record(dir, "fuzz", &r, &adc, &invalid, err, sizeof err);
    if (rc == 0) {
        int w = r.n_sig ? ecg_wfdb_frame_width(&r, 0, r.n_sig) : 0;
        if (!adc || r.n_samples < 0 || invalid < 0) __builtin_trap();
        for (long t = 0; w && t < r.n_samples; t++) /* no signals: a count of 1e10 frames holds nothing */
            for (int k = 0; k < w; k++)
                if (adc[(size_t)t * (size_t)w + (size_t)k] < -32768 || adc[(size_t)t * (size_t)w + (size_t)k] > 32767)
                    __builtin_trap();
        free(adc);
        ecg_wfdb_header_free(&r);
    } else if (adc || !err[0]) {
        __builtin_trap();
    }
    for (int j = 0; named && j < h.n_sig; j++) {
        snprintf(path, sizeof path, "%s/%s", dir, h.sig[j].file);
        unlink(path);
    }
    if (named) ecg_wfdb_header_free(&h);
    return 0;
}
