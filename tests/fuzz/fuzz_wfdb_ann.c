/* libFuzzer target: ecg_wfdb_parse_annotations on arbitrary bytes. Beyond the sanitizers it
 * checks the parser's promises: codes in 0..49, times not negative, AUX strings terminated and
 * no longer than the bytes held, at most one annotation per 2 bytes, and a rejection names the
 * file and leaves nothing allocated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

#define WHAT "fuzz.atr"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ecg_wfdb_ann *a = (ecg_wfdb_ann *)1;
    int n = -1;
    char err[256] = "";
    if (ecg_wfdb_parse_annotations(data, size, WHAT, &a, &n, err, sizeof err)) {
        if (a || n || strncmp(err, WHAT, strlen(WHAT))) __builtin_trap();
        return 0;
    }
    if (n < 0 || (size_t)n > size / 2 || (n && !a)) __builtin_trap();
    for (int i = 0; i < n; i++) {
        if (a[i].code < 0 || a[i].code > 49 || a[i].sample < 0) __builtin_trap();
        const char *z = memchr(a[i].aux, 0, sizeof a[i].aux);
        if (!z || (size_t)(z - a[i].aux) > size) __builtin_trap();
        (void)ecg_wfdb_ann_symbol(a[i].code);
        (void)ecg_wfdb_ann_is_beat(a[i].code);
    }
    free(a);
    return 0;
}
