/* WFDB annotation files in MIT format (annot(5)): 16-bit little-endian words, the top 6 bits a
 * code A, the low 10 bits a number I. A in 1..49 is an annotation I samples after the previous
 * one; SKIP (59) adds the next 4 bytes (a 32-bit signed interval, high 16-bit word first) to the
 * time of the next annotation; SUB (61), CHN (62), NUM (60) and AUX (63, I bytes, padded to even)
 * modify the annotation before them; the word 0 ends the file. chan and num carry over to later
 * annotations (writers only store changes); subtype and aux do not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

enum { ACMAX = 49, SKIP = 59, NUM = 60, SUB = 61, CHN = 62, AUX = 63 };

/* WFDB mnemonics by code (ecgcodes.h / PhysioNet's annotation table); NULL where no code is defined. */
static const char *const symbols[ACMAX + 1] = {
    NULL, "N", "L", "R", "a", "V", "F", "J", "A", "S", /* 0-9 */
    "E",  "j", "/", "Q", "~", NULL, "|", NULL, "s", "T", /* 10-19 */
    "*",  "D", "\"", "=", "p", "B", "^", "t", "+", "u", /* 20-29 */
    "?",  "!", "[", "]", "e", "n", "@", "x", "f", "(", /* 30-39 */
    ")",  "r", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, /* 40-49 */
};

const char *ecg_wfdb_ann_symbol(int code) {
    if (code < 0 || code > ACMAX || !symbols[code]) return "?";
    return symbols[code];
}

/* WFDB's isqrs(): the beat codes (ecgmap.h). */
int ecg_wfdb_ann_is_beat(int code) {
    switch (code) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: case 10: case 11: case 12: case 13:
    case 25: /* B */
    case 30: /* ? learning */
    case 31: /* ! flutter wave */
    case 34: /* e */
    case 35: /* n */
    case 38: /* f */
    case 41: /* r */
        return 1;
    default: return 0;
    }
}

static int fail(char *err, size_t errlen, const char *what, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *what, size_t off, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen) snprintf(err, errlen, "%s: byte offset %zu: %s", what, off, msg);
    return -1;
}

static unsigned word_at(const uint8_t *b) { return (unsigned)b[0] | ((unsigned)b[1] << 8); }

/* 10-bit field as a signed value, as WFDB stores num and chan (-512..511). */
static int signed10(unsigned v) { return v >= 512 ? (int)v - 1024 : (int)v; }

int ecg_wfdb_parse_annotations(const uint8_t *buf, size_t len, const char *what, ecg_wfdb_ann **anns, int *n,
                               char *err, size_t errlen) {
    *anns = NULL;
    *n = 0;
    if (!what) what = "annotation file";
    ecg_wfdb_ann *list = NULL;
    int count = 0, cap = 0, chan = 0, num = 0;
    long time = 0;
    size_t off = 0;
    int ended = 0;
    while (off + 2 <= len) {
        size_t at = off;
        unsigned w = word_at(buf + off);
        off += 2;
        unsigned a = w >> 10, i = w & 0x3FF;
        if (w == 0) {
            ended = 1;
            break;
        }
        if (a == SKIP) {
            if (len - off < 4) {
                fail(err, errlen, what, at, "SKIP needs 4 more bytes, the file has %zu", len - off);
                goto bad;
            }
            /* PDP-11 order: the high 16-bit word first, each word little-endian. */
            int32_t skip = (int32_t)(((uint32_t)word_at(buf + off) << 16) | word_at(buf + off + 2));
            off += 4;
            time += skip;
            if (time < 0) {
                fail(err, errlen, what, at, "SKIP of %ld makes the time negative", (long)skip);
                goto bad;
            }
            continue;
        }
        if (a <= ACMAX) {
            if (time > (1L << 50)) {
                fail(err, errlen, what, at, "annotation time past 2^50 samples");
                goto bad;
            }
            if (count == cap) {
                int ncap = cap ? cap * 2 : 256;
                ecg_wfdb_ann *g = realloc(list, (size_t)ncap * sizeof *g);
                if (!g) {
                    fail(err, errlen, what, at, "out of memory for %d annotations", ncap);
                    goto bad;
                }
                list = g;
                cap = ncap;
            }
            time += i;
            ecg_wfdb_ann *e = &list[count++];
            memset(e, 0, sizeof *e);
            e->sample = time;
            e->code = (int)a;
            e->chan = chan;
            e->num = num;
            continue;
        }
        if (a < NUM) { /* 50..58 are not defined */
            fail(err, errlen, what, at, "undefined annotation code %u", a);
            goto bad;
        }
        if (count == 0) {
            fail(err, errlen, what, at, "modifier code %u before any annotation", a);
            goto bad;
        }
        ecg_wfdb_ann *e = &list[count - 1];
        if (a == NUM) e->num = num = signed10(i);
        else if (a == SUB) e->subtype = signed10(i);
        else if (a == CHN) e->chan = chan = (int)i;
        else { /* AUX: i bytes, padded to an even count */
            size_t pad = i + (i & 1);
            if (len - off < pad) {
                fail(err, errlen, what, at, "AUX of %u bytes runs past the end of the file (%zu bytes left)", i,
                     len - off);
                goto bad;
            }
            if (i >= sizeof e->aux) {
                fail(err, errlen, what, at, "AUX of %u bytes is longer than %zu", i, sizeof e->aux - 1);
                goto bad;
            }
            memcpy(e->aux, buf + off, i);
            e->aux[i] = 0;
            off += pad;
        }
    }
    if (!ended) {
        if (off < len) fail(err, errlen, what, off, "file ends in the middle of a 2-byte word");
        else fail(err, errlen, what, off, "no end-of-file marker (0x0000 word): the file is cut short");
        goto bad;
    }
    *anns = list;
    *n = count;
    return 0;
bad:
    free(list);
    return -1;
}

int ecg_wfdb_read_annotations(const char *path, ecg_wfdb_ann **anns, int *n, char *err, size_t errlen) {
    uint8_t *buf;
    size_t len;
    *anns = NULL;
    *n = 0;
    if (ecg_wfdb_read_bytes(path, (size_t)1 << 30, &buf, &len, err, errlen)) return -1;
    int rc = ecg_wfdb_parse_annotations(buf, len, path, anns, n, err, errlen);
    free(buf);
    return rc;
}
