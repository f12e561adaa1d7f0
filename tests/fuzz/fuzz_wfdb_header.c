/* libFuzzer target: ecg_wfdb_parse_header on arbitrary bytes. Beyond the sanitizers it checks the
 * parser's promises: a parsed header has n_sig in range, every string terminated, supported
 * formats, positive finite fs, nonzero finite gains and readable comments; a rejected one has a
 * message naming the file and nothing left allocated. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "datasets/datasets.h"

#define WHAT "fuzz.hea"

static void check_terminated(const char *s, size_t cap) {
    if (!memchr(s, 0, cap)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ecg_wfdb_header h;
    char err[256] = "";
    if (ecg_wfdb_parse_header((const char *)data, size, WHAT, &h, err, sizeof err)) {
        if (strncmp(err, WHAT, strlen(WHAT)) || h.comments || h.n_comments) __builtin_trap();
        return 0;
    }
    if (h.n_sig < 0 || h.n_sig > ECG_WFDB_MAX_SIG || !(h.fs > 0) || !isfinite(h.fs) || h.n_samples < -1)
        __builtin_trap();
    check_terminated(h.record, sizeof h.record);
    for (int j = 0; j < h.n_sig; j++) {
        const ecg_wfdb_signal *s = &h.sig[j];
        check_terminated(s->file, sizeof s->file);
        check_terminated(s->units, sizeof s->units);
        check_terminated(s->description, sizeof s->description);
        if (s->format != 212 && s->format != 16 && s->format != 80) __builtin_trap();
        if (s->samples_per_frame < 1 || s->byte_offset < 0 || s->gain == 0 || !isfinite(s->gain)) __builtin_trap();
    }
    if (h.n_sig && ecg_wfdb_frame_width(&h, 0, h.n_sig) < h.n_sig) __builtin_trap();
    for (int i = 0; i < h.n_comments; i++)
        if (!h.comments[i] || strlen(h.comments[i]) > size) __builtin_trap();
    if (h.age < -1 || h.age > 150 || (h.sex != 'M' && h.sex != 'F' && h.sex != '?')) __builtin_trap();
    ecg_wfdb_header_free(&h);
    return 0;
}
