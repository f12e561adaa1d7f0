/* ecgbench datasets: WFDB records (header, signals, annotations), preprocessing, QRS detection,
 * RR features and the tasks (mitdb-aami, cinc2017, synthetic). Depends on libc and its Debian
 * libraries only (not on ops/).
 *
 * Errors: every function that can fail returns 0 / -1 and writes a message naming the file and
 * the line (headers) or byte offset (signals, annotations) into err. Nothing here aborts or
 * trusts a length it has not checked against the bytes it holds. */
#ifndef ECG_DATASETS_H
#define ECG_DATASETS_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- WFDB header (.hea) */
#define ECG_WFDB_MAX_SIG 64

typedef struct {
    char file[256];      /* signal file name as written (relative to the header's folder) */
    int format;          /* 212, 16, 80 (others rejected with a clear message) */
    int samples_per_frame;
    int skew;
    long byte_offset;
    double gain;         /* adu per physical unit; 0 in the file means 200 (WFDB default) */
    int baseline;        /* defaults to adc_zero */
    char units[32];      /* default "mV" */
    int adc_resolution;
    int adc_zero;
    int init_value;
    int checksum;
    int block_size;
    char description[128];
} ecg_wfdb_signal;

typedef struct {
    char record[64];
    int n_sig;
    double fs;           /* frames per second; default 250 */
    long n_samples;      /* per signal; -1 when the header leaves it out */
    ecg_wfdb_signal sig[ECG_WFDB_MAX_SIG];
    char **comments;     /* '#' lines, without the '#' and leading space */
    int n_comments;
    int age;             /* from an MIT-BIH style comment "# 69 M 1085 1629 x1"; -1 unknown */
    char sex;            /* 'M', 'F' or '?' */
} ecg_wfdb_header;

/* Parses header text; `what` names it in messages (e.g. the path). */
int ecg_wfdb_parse_header(const char *text, size_t len, const char *what, ecg_wfdb_header *h, char *err,
                          size_t errlen);
int ecg_wfdb_read_header(const char *path, ecg_wfdb_header *h, char *err, size_t errlen);
void ecg_wfdb_header_free(ecg_wfdb_header *h);

/* ---------------------------------------------------------------- WFDB signals (.dat) */
/* Decodes one signal file's bytes holding the signals sig[first .. first+count-1] of h (they
 * share the file), frames interleaved. Writes n_samples * count ADC values into adc
 * (frame-major: adc[t * count + j]); a file shorter than the header promises is an error naming
 * the file, the byte offset and both lengths. */
int ecg_wfdb_decode(const ecg_wfdb_header *h, int first, int count, const uint8_t *buf, size_t len,
                    const char *what, int32_t *adc, char *err, size_t errlen);
/* Reads every signal of the record at `dir`/`record` (.hea + its .dat files). *adc gets
 * n_samples * n_sig values, frame-major; free() it. Invalid-sample markers (-32768 in format 16,
 * -2048 in 212) are kept as they are and counted in *n_invalid. */
int ecg_wfdb_read_record(const char *dir, const char *record, ecg_wfdb_header *h, int32_t **adc, long *n_invalid,
                         char *err, size_t errlen);
/* Physical units: (adc - baseline) / gain. */
float ecg_wfdb_physical(const ecg_wfdb_signal *s, int32_t adc);

/* ---------------------------------------------------------------- WFDB annotations (.atr) */
typedef struct {
    long sample;         /* absolute sample number */
    int code;            /* WFDB annotation code (1 = NORMAL 'N', ...) */
    int subtype, chan, num;
    char aux[256];       /* AUX string (e.g. rhythm "(AFIB"), "" if none */
} ecg_wfdb_ann;

/* Parses MIT-format annotation bytes (SKIP, NUM, SUB, CHN, AUX handled; EOF marker required:
 * a file cut mid-record is an error with the byte offset). *anns: free(). */
int ecg_wfdb_parse_annotations(const uint8_t *buf, size_t len, const char *what, ecg_wfdb_ann **anns, int *n,
                               char *err, size_t errlen);
int ecg_wfdb_read_annotations(const char *path, ecg_wfdb_ann **anns, int *n, char *err, size_t errlen);
/* WFDB mnemonic of a code ("N", "A", "V", "+", ...); "?" for unknown codes. */
const char *ecg_wfdb_ann_symbol(int code);
/* 1 if the code marks a beat (QRS) annotation, as WFDB's isqrs(). */
int ecg_wfdb_ann_is_beat(int code);

/* ---------------------------------------------------------------- preprocessing (preprocess.c) */
/* (declarations of preprocess.c go here) */

/* ---------------------------------------------------------------- QRS detection, RR features (qrs.c, rr.c) */
/* (declarations of qrs.c and rr.c go here) */

/* ---------------------------------------------------------------- tasks (task_*.c) */
/* (declarations of the tasks go here) */

/* ---------------------------------------------------------------- end */
#endif
