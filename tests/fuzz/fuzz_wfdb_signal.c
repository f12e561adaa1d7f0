/* libFuzzer target: ecg_wfdb_decode. The input is header text, a NUL byte, then the signal
 * file's bytes. Every signal group of a parsed header is decoded; the output buffer is only as
 * large as the bytes could fill, so a decoder that writes past what it checked, or accepts a
 * file shorter than the header promises, is caught by ASan or by the checks here (values in
 * their format's range, an error naming the file). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

#define WHAT "fuzz.dat"

static int32_t lo_of(int format) { return format == 212 ? -2048 : format == 16 ? -32768 : -128; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t hlen = nul ? (size_t)(nul - data) : size;
    const uint8_t *dat = nul ? nul + 1 : data + size;
    size_t dlen = nul ? size - hlen - 1 : 0;
    ecg_wfdb_header h;
    char err[256] = "";
    if (ecg_wfdb_parse_header((const char *)data, hlen, "fuzz.hea", &h, err, sizeof err)) return 0;
    if (h.n_samples < 0) h.n_samples = (long)(data[0] % 8);
    for (int first = 0; first < h.n_sig;) {
        int count = 1;
        while (first + count < h.n_sig && !strcmp(h.sig[first + count].file, h.sig[first].file)) count++;
        int w = ecg_wfdb_frame_width(&h, first, count);
        /* Each value takes at least one byte (format 80), so more values than 2 * bytes cannot fit. */
        uint64_t values = (uint64_t)h.n_samples * (uint64_t)w;
        int32_t *adc = values <= 2 * (uint64_t)dlen + 2 ? malloc((size_t)values * sizeof *adc + 1) : NULL;
        int rc = ecg_wfdb_decode(&h, first, count, dat, dlen, WHAT, adc, err, sizeof err);
        if (rc == 0) {
            if (!adc && values) __builtin_trap();
            int32_t lo = lo_of(h.sig[first].format), hi = -lo - 1;
            for (uint64_t i = 0; i < values; i++)
                if (adc[i] < lo || adc[i] > hi) __builtin_trap();
        } else if (strncmp(err, WHAT, strlen(WHAT))) {
            __builtin_trap();
        }
        free(adc);
        first += count;
    }
    ecg_wfdb_header_free(&h);
    return 0;
}
