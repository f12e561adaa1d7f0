/* WFDB reader: headers, signals (212, 16, 80, several samples per frame) and MIT annotations.
 * Reference values are independent of the code: hand-packed byte fixtures worked out below, the
 * per-signal checksums and initial values each MIT-BIH header carries, and PhysioNet's MIT-BIH
 * directory (record 100: 69-year-old man, 2239 normal beats, 33 APCs, 1 PVC, sinus rhythm).
 * Tests on real records find the data with test_data_dir and are skipped when it is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "harness.h"

#define ERRLEN 512

static const int mitdb_records[48] = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112,
                                      113, 114, 115, 116, 117, 118, 119, 121, 122, 123, 124, 200,
                                      201, 202, 203, 205, 207, 208, 209, 210, 212, 213, 214, 215,
                                      217, 219, 220, 221, 222, 223, 228, 230, 231, 232, 233, 234};

/* The MIT-BIH folder holding the .hea, .dat and .atr of `records` (that many from `first`), or
 * NULL (and the test skipped, naming the first file missing) when the data is not here. */
static const char *mitdb_dir(const int *first, int records, char *dir, size_t n) {
    static const char *const ext[3] = {"hea", "dat", "atr"};
    char base[1024], probes[4096] = "";
    size_t len = 0;
    for (int r = 0; r < records; r++)
        for (int e = 0; e < 3; e++)
            len += (size_t)snprintf(probes + len, sizeof probes - len, "mitdb/%d.%s ", first[r], ext[e]);
    if (!test_data_dir(probes, base, sizeof base)) return NULL;
    snprintf(dir, n, "%s/mitdb", base);
    return dir;
}

static int parse(const char *text, ecg_wfdb_header *h, char *err) {
    return ecg_wfdb_parse_header(text, strlen(text), "t.hea", h, err, ERRLEN);
}

/* ---------------------------------------------------------------- headers */

static void header_fields_and_defaults(void) {
    ecg_wfdb_header h;
    char err[ERRLEN] = "";
    const char *text = "# leading comment\r\n"
                       "rec_1 3 500/1000(7) 1200 10:00:00 01/02/2003\r\n"
                       "\n"
                       "a.dat 16x4:0+512 100.5(-12)/uV 14 3 -7 123 0 Lead I with spaces  \n"
                       "b.dat 16\n"
                       "c.dat 80 0\n"
                       "#  58 F 123 x1\n"
                       "# second\n";
    CHECK(parse(text, &h, err) == 0, "parse: %s", err);
    CHECK(!strcmp(h.record, "rec_1") && h.n_sig == 3 && h.fs == 500 && h.n_samples == 1200, "record line");
    const ecg_wfdb_signal *s = &h.sig[0];
    CHECK(!strcmp(s->file, "a.dat") && s->format == 16 && s->samples_per_frame == 4 && s->skew == 0 &&
              s->byte_offset == 512,
          "format field");
    CHECK(s->gain == 100.5 && s->baseline == -12 && !strcmp(s->units, "uV"), "gain field");
    CHECK(s->adc_resolution == 14 && s->adc_zero == 3 && s->init_value == -7 && s->checksum == 123 &&
              s->block_size == 0,
          "adc fields");
    CHECK(!strcmp(s->description, "Lead I with spaces"), "description '%s'", s->description);
    /* Defaults (header(5)): gain 200, baseline = adc zero = 0, units mV, resolution by format. */
    s = &h.sig[1];
    CHECK(s->gain == 200 && s->baseline == 0 && s->adc_zero == 0 && !strcmp(s->units, "mV") &&
              s->adc_resolution == 16 && s->samples_per_frame == 1 && s->description[0] == 0,
          "defaults of a minimal signal line");
    s = &h.sig[2];
    CHECK(s->format == 80 && s->gain == 200 && s->adc_resolution == 8, "gain 0 means 200; format 80 is 8 bits");
    CHECK(h.n_comments == 3 && !strcmp(h.comments[0], "leading comment") && !strcmp(h.comments[2], "second"),
          "comments (%d)", h.n_comments);
    CHECK(h.age == 58 && h.sex == 'F', "age/sex from the first comment after the record line: %d %c", h.age, h.sex);
    ecg_wfdb_header_free(&h);

    CHECK(parse("r 0\n", &h, err) == 0, "record line alone: %s", err);
    CHECK(h.fs == 250 && h.n_samples == -1 && h.n_sig == 0 && h.age == -1 && h.sex == '?', "record defaults");
    ecg_wfdb_header_free(&h);

    CHECK(parse("r 0\n# ? ? meds\n", &h, err) == 0 && h.age == -1 && h.sex == '?', "unknown age and sex");
    ecg_wfdb_header_free(&h);
    CHECK(parse("r 0\n# -1 M 742\n", &h, err) == 0 && h.age == -1 && h.sex == 'M', "age -1 is unknown");
    ecg_wfdb_header_free(&h);
}

/* Each bad header is rejected with a message naming the file and the line. */
static void header_rejects_bad_input(void) {
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"r 1 360 100\nr.dat 999\n", "t.hea:2: signal format 999"},
        {"hello world\n", "t.hea:1: signal count 'world'"},
        {"r 1 nan 100\nr.dat 16\n", "t.hea:1: sampling frequency 'nan'"},
        {"r 1 inf 100\nr.dat 16\n", "t.hea:1: sampling frequency"},
        {"r 1 1e400 100\nr.dat 16\n", "t.hea:1: sampling frequency"},
        {"r 1 -360 100\nr.dat 16\n", "t.hea:1: sampling frequency"},
        {"r 1 360 99999999999999999999\nr.dat 16\n", "t.hea:1: sample count"},
        {"r 1 360 -5\nr.dat 16\n", "t.hea:1: sample count"},
        {"r 1 360 100\nr.dat 16 nan\n", "t.hea:2: gain 'nan'"},
        {"r 1 360 100\nr.dat 16 1e999\n", "t.hea:2: gain"},
        {"r 1 360 100\nr.dat 16 200 11 1024 99999999999\n", "t.hea:2: initial value"},
        {"r 1 360 100\nr.dat 16x0\n", "t.hea:2: samples per frame"},
        {"r 1 360 100\nr.dat 16+-4\n", "t.hea:2: byte offset"},
        {"r/3 2 360 1000\n", "t.hea:1: multi-segment"},
        {"r 2 360 100\nr.dat 16\n", "declares 2 signals but the header has 1"},
        {"r 1 360 100\nr.dat 16\nextra line\n", "t.hea:3: unexpected line"},
        {"r 99 360 100\n", "t.hea:1: signal count '99'"},
        {"# only a comment\n", "no record line"},
        {"r 2 360 100\na.dat 16\na.dat 212\n", "differ in format"},
        {"r 3 360 100\na.dat 16\nb.dat 16\na.dat 16\n", "not adjacent"},
        {"r 1 360 100\n../x.dat 16\n", "plain file name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ecg_wfdb_header h;
        char err[ERRLEN] = "";
        int rc = parse(cases[i].text, &h, err);
        CHECK(rc == -1, "case %zu accepted: %s", i, cases[i].text);
        CHECK(strstr(err, cases[i].expect) != NULL, "case %zu: message '%s' lacks '%s'", i, err, cases[i].expect);
        CHECK(h.comments == NULL && h.n_comments == 0, "case %zu: comments left allocated", i);
    }
    /* A NUL byte inside the text. */
    ecg_wfdb_header h;
    char err[ERRLEN] = "";
    CHECK(ecg_wfdb_parse_header("r 0\n\0x", 6, "t.hea", &h, err, ERRLEN) == -1 && strstr(err, "NUL byte at offset 4"),
          "NUL byte: %s", err);
}

/* ---------------------------------------------------------------- signals: hand-built bytes */

static int decode_text(const char *hea, const uint8_t *bytes, size_t n, int first, int count, int32_t *out,
                       char *err) {
    ecg_wfdb_header h;
    if (parse(hea, &h, err)) return -1;
    int rc = ecg_wfdb_decode(&h, first, count, bytes, n, "t.dat", out, err, ERRLEN);
    ecg_wfdb_header_free(&h);
    return rc;
}

static void decode_format_16(void) {
    /* (1, -2), (300, -32768), (32767, 0) as little-endian int16, after 4 bytes of offset. */
    const uint8_t b[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x01, 0x00, 0xFE, 0xFF, 0x2C,
                         0x01, 0x00, 0x80, 0xFF, 0x7F, 0x00, 0x00};
    const int32_t want[] = {1, -2, 300, -32768, 32767, 0};
    int32_t got[6] = {0};
    char err[ERRLEN] = "";
    CHECK(decode_text("r 2 100 3\nt.dat 16+4\nt.dat 16+4\n", b, sizeof b, 0, 2, got, err) == 0, "%s", err);
    CHECK(!memcmp(got, want, sizeof want), "values %d %d %d %d %d %d", got[0], got[1], got[2], got[3], got[4],
          got[5]);
}

static void decode_format_80(void) {
    /* Offset binary: byte - 128. */
    const uint8_t b[] = {0x80, 0x00, 0xFF, 0x7F, 0x81};
    const int32_t want[] = {0, -128, 127, -1, 1};
    int32_t got[5] = {0};
    char err[ERRLEN] = "";
    CHECK(decode_text("r 1 100 5\nt.dat 80\n", b, sizeof b, 0, 1, got, err) == 0, "%s", err);
    CHECK(!memcmp(got, want, sizeof want), "values %d %d %d %d %d", got[0], got[1], got[2], got[3], got[4]);
}

static void decode_format_212(void) {
    /* Pairs (1, -1) -> 01 F0 FF and (2047, -2048) -> FF 87 00: the first sample is byte 0 plus the
     * low nibble of byte 1 as bits 8-11, the second is byte 2 plus the high nibble of byte 1. */
    const uint8_t b[] = {0x01, 0xF0, 0xFF, 0xFF, 0x87, 0x00};
    const int32_t want[] = {1, -1, 2047, -2048};
    int32_t got[4] = {0};
    char err[ERRLEN] = "";
    CHECK(decode_text("r 2 360 2\nt.dat 212\nt.dat 212\n", b, sizeof b, 0, 2, got, err) == 0, "%s", err);
    CHECK(!memcmp(got, want, sizeof want), "values %d %d %d %d", got[0], got[1], got[2], got[3]);
    /* An odd count: the last sample takes 2 bytes (0x7FF = 2047 from FF 07). */
    const uint8_t odd[] = {0x01, 0xF0, 0xFF, 0xFF, 0x07};
    const int32_t want_odd[] = {1, -1, 2047};
    int32_t got_odd[3] = {0};
    CHECK(decode_text("r 1 360 3\nt.dat 212\n", odd, sizeof odd, 0, 1, got_odd, err) == 0, "%s", err);
    CHECK(!memcmp(got_odd, want_odd, sizeof want_odd), "odd: %d %d %d", got_odd[0], got_odd[1], got_odd[2]);
}

static void decode_samples_per_frame(void) {
    /* Signal A has 2 samples per frame, B has 1: frames (A 10, 11, B -5) and (A 12, 13, B -6). */
    const uint8_t b[] = {0x0A, 0x00, 0x0B, 0x00, 0xFB, 0xFF, 0x0C, 0x00, 0x0D, 0x00, 0xFA, 0xFF};
    const int32_t want[] = {10, 11, -5, 12, 13, -6};
    int32_t got[6] = {0};
    char err[ERRLEN] = "";
    const char *hea = "r 2 100 2\nt.dat 16x2\nt.dat 16\n";
    ecg_wfdb_header h;
    CHECK(parse(hea, &h, err) == 0 && ecg_wfdb_frame_width(&h, 0, 2) == 3, "frame width 3");
    ecg_wfdb_header_free(&h);
    CHECK(decode_text(hea, b, sizeof b, 0, 2, got, err) == 0, "%s", err);
    CHECK(!memcmp(got, want, sizeof want), "values %d %d %d %d %d %d", got[0], got[1], got[2], got[3], got[4],
          got[5]);
    /* Format 212 with 3 samples per frame: the 12-bit pairs run across frame boundaries.
     * (1, 258 = 0x102) -> 01 10 02; (-3 = 0xFFD, 4) -> FD 0F 04; (5, -6 = 0xFFA) -> 05 F0 FA. */
    const uint8_t p212[] = {0x01, 0x10, 0x02, 0xFD, 0x0F, 0x04, 0x05, 0xF0, 0xFA};
    const int32_t want212[] = {1, 258, -3, 4, 5, -6};
    int32_t got212[6] = {0};
    CHECK(decode_text("r 1 100 2\nt.dat 212x3\n", p212, sizeof p212, 0, 1, got212, err) == 0, "%s", err);
    CHECK(!memcmp(got212, want212, sizeof want212), "212x3: %d %d %d %d %d %d", got212[0], got212[1], got212[2],
          got212[3], got212[4], got212[5]);
}

static void decode_rejects_short_file(void) {
    const uint8_t b[] = {0x01, 0x00, 0x02, 0x00, 0x03};
    int32_t got[8];
    char err[ERRLEN] = "";
    /* 3 samples of format 16 need 6 bytes; the file has 5. */
    CHECK(decode_text("r 1 100 3\nt.dat 16\n", b, sizeof b, 0, 1, got, err) == -1, "short file accepted");
    CHECK(strstr(err, "t.dat") && strstr(err, "5 bytes") && strstr(err, "6 bytes"), "message: %s", err);
    /* A byte offset past the end. */
    CHECK(decode_text("r 1 100 1\nt.dat 16+100\n", b, sizeof b, 0, 1, got, err) == -1 && strstr(err, "offset 100"),
          "offset past end: %s", err);
    /* Skew is refused rather than silently ignored. */
    CHECK(decode_text("r 1 100 1\nt.dat 16:2\n", b, sizeof b, 0, 1, got, err) == -1 && strstr(err, "skew"),
          "skew: %s", err);
    /* Signals outside the header. */
    CHECK(decode_text("r 1 100 1\nt.dat 16\n", b, sizeof b, 1, 1, got, err) == -1, "signal range");
}

/* ---------------------------------------------------------------- read_record on files */

static int write_file(const char *path, const void *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t w = n ? fwrite(b, 1, n, fp) : 0;
    return fclose(fp) == 0 && w == n ? 0 : -1;
}

static void read_record_from_files(void) {
    char dir[] = "/tmp/ecg_wfdb_test_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char p[256];
    /* Two files: a.dat holds signal 0 (format 16), b.dat signals 1-2 (format 80). No sample count:
     * it comes from a.dat's 6 bytes = 3 frames. */
    const char *hea = "rec 3 100\na.dat 16 100(10)/mV 16 0 5\nb.dat 80\nb.dat 80\n";
    const uint8_t a[] = {0x05, 0x00, 0x00, 0x80, 0x6E, 0x00}; /* 5, -32768 (invalid), 110 */
    const uint8_t bb[] = {0x81, 0x7F, 0x00, 0x90, 0x80, 0x80}; /* (1,-1) (-128 invalid, 16) (0, 0) */
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, hea, strlen(hea)) == 0, "write");
    snprintf(p, sizeof p, "%s/a.dat", dir);
    CHECK(write_file(p, a, sizeof a) == 0, "write");
    snprintf(p, sizeof p, "%s/b.dat", dir);
    CHECK(write_file(p, bb, sizeof bb) == 0, "write");
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    long bad = -1;
    char err[ERRLEN] = "";
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, &bad, err, ERRLEN) == 0, "%s", err);
    if (adc) {
        const int32_t want[] = {5, 1, -1, -32768, -128, 16, 110, 0, 0};
        CHECK(h.n_samples == 3 && !memcmp(adc, want, sizeof want), "values");
        CHECK(bad == 2, "invalid markers %ld", bad);
        /* (110 - 10) / 100 = 1.0 mV */
        CHECK(fabsf(ecg_wfdb_physical(&h.sig[0], adc[6]) - 1.0f) < 1e-6f, "physical");
        free(adc);
        ecg_wfdb_header_free(&h);
    }
    /* A header promising more samples than a.dat holds. */
    const char *hea2 = "rec 3 100 4\na.dat 16\nb.dat 80\nb.dat 80\n";
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, hea2, strlen(hea2)) == 0, "write");
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, &bad, err, ERRLEN) == -1 && adc == NULL, "4 frames accepted");
    CHECK(strstr(err, "a.dat") && strstr(err, "6 bytes") && strstr(err, "8 bytes"), "message: %s", err);
    /* A missing signal file. */
    const char *hea3 = "rec 1 100 1\nnone.dat 16\n";
    CHECK(write_file(p, hea3, strlen(hea3)) == 0, "write");
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, &bad, err, ERRLEN) == -1 && strstr(err, "none.dat"),
          "missing file: %s", err);
    CHECK(ecg_wfdb_read_record(dir, "nothere", &h, &adc, &bad, err, ERRLEN) == -1 && strstr(err, "nothere.hea"),
          "missing header: %s", err);
    const char *names[] = {"rec.hea", "a.dat", "b.dat"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    CHECK(rmdir(dir) == 0, "rmdir");
}

/* A signal file of the right size but random bytes: the header's checksum (field 7) is verified
 * against the samples read, and a mismatch is an error naming the record and the signal. The
 * right bytes load; a header without checksums loads the random bytes as before. */
static void read_record_random_dat_right_size(void) {
    char dir[] = "/tmp/ecg_wfdb_sum_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char p[256], err[ERRLEN] = "";
    /* signal 0: 1, 2, 3, 4 (sum 10); signal 1: 100, -1, 7, 30000 (sum 30106 -> int16 30106) */
    const uint8_t good[] = {1, 0, 100, 0, 2, 0, 0xFF, 0xFF, 3, 0, 7, 0, 4, 0, 0x30, 0x75};
    const uint8_t rnd[] = {0x3a, 0x91, 0x07, 0xc2, 0x5e, 0x11, 0xf0, 0x08, 0x6b, 0x2d, 0x99, 0x40, 0x01, 0xee, 0x72, 0x13};
    const char *hea = "rec 2 100 4\nr.dat 16 200 16 0 1 10 0 lead I\nr.dat 16 200 16 0 100 30106 0 lead II\n";
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, hea, strlen(hea)) == 0, "write");
    snprintf(p, sizeof p, "%s/r.dat", dir);
    CHECK(write_file(p, good, sizeof good) == 0, "write");
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == 0, "right bytes: %s", err);
    if (adc) {
        CHECK(adc[1] == 100 && adc[7] == 30000 && h.sig[1].has_checksum, "values");
        free(adc);
        ecg_wfdb_header_free(&h);
    }
    CHECK(write_file(p, rnd, sizeof rnd) == 0, "write");
    err[0] = 0;
    adc = NULL;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == -1 && !adc && strstr(err, "record rec") &&
              strstr(err, "signal 0") && strstr(err, "lead I") && strstr(err, "checksum") && strstr(err, "r.dat"),
          "random bytes of the right size: %s", err);
    /* only signal 1 wrong: named */
    uint8_t one[sizeof good];
    memcpy(one, good, sizeof good);
    one[3] ^= 1;
    CHECK(write_file(p, one, sizeof one) == 0, "write");
    err[0] = 0;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == -1 && strstr(err, "signal 1"),
          "signal 1 corrupt: %s", err);
    /* no checksum field: nothing to verify */
    const char *hea2 = "rec 2 100 4\nr.dat 16\nr.dat 16\n";
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, hea2, strlen(hea2)) == 0, "write");
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == 0, "no checksums: %s", err);
    if (adc) {
        CHECK(!h.sig[0].has_checksum, "has_checksum without the field");
        free(adc);
        ecg_wfdb_header_free(&h);
    }
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/r.dat", dir);
    unlink(p);
    CHECK(rmdir(dir) == 0, "rmdir");
}

/* A FIFO in place of the .dat (the reader used to hang on it) and a folder in its place (it used
 * to say "9223372036854775807 bytes, more than ..."): each a clear error naming the file. */
static void read_record_fifo_and_folder_dat(void) {
    char dir[] = "/tmp/ecg_wfdb_fifo_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char p[256], err[ERRLEN] = "";
    const char *hea = "rec 1 100 4\nr.dat 16\n";
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, hea, strlen(hea)) == 0, "write");
    snprintf(p, sizeof p, "%s/r.dat", dir);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    alarm(20); /* a hang fails the test instead of blocking make test */
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == -1 && strstr(err, "r.dat") &&
              strstr(err, "FIFO"),
          "FIFO .dat: %s", err);
    alarm(0);
    unlink(p);
    CHECK(mkdir(p, 0700) == 0, "mkdir");
    err[0] = 0;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == -1 && strstr(err, "r.dat") &&
              strstr(err, "folder") && !strstr(err, "9223372036854775807"),
          "folder .dat: %s", err);
    rmdir(p);
    /* the header itself as a folder */
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    unlink(p);
    CHECK(mkdir(p, 0700) == 0, "mkdir");
    err[0] = 0;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == -1 && strstr(err, "rec.hea") &&
              strstr(err, "folder"),
          "folder .hea: %s", err);
    rmdir(p);
    CHECK(rmdir(dir) == 0, "rmdir");
}

/* A header with no signals and no sample count (found by fuzz_wfdb_record): 0 frames, not -1. */
static void read_record_no_signals_no_count(void) {
    char dir[] = "/tmp/ecg_wfdb_empty_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char p[256], err[ERRLEN] = "";
    snprintf(p, sizeof p, "%s/rec.hea", dir);
    CHECK(write_file(p, "rec 0\n", 6) == 0, "write");
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    CHECK(ecg_wfdb_read_record(dir, "rec", &h, &adc, NULL, err, ERRLEN) == 0 && adc && h.n_samples == 0,
          "no signals: n_samples %ld %s", h.n_samples, err);
    free(adc);
    ecg_wfdb_header_free(&h);
    unlink(p);
    CHECK(rmdir(dir) == 0, "rmdir");
}

/* Header errors cite the line they are about: never line 0, never the empty "line" after the
 * final newline; binary garbage in a field is shown as \xNN, not echoed raw. */
static void header_error_lines_and_garbage(void) {
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"r 2 360 100\nr.dat 16\n", "t.hea:1: record line declares 2 signals"},
        {"# c\nr 2 360 100\n# c\nr.dat 16\n\n\n", "t.hea:2: record line declares 2 signals"},
        {"r 2 360 100\na.dat 16\na.dat 212\n", "t.hea:3: signals 0 and 1"},
        {"r 3 360 100\na.dat 16\nb.dat 16\na.dat 16\n", "t.hea:4: signal 2's file"},
        {"", "t.hea: no record line"},
        {"# only\n# comments\n", "t.hea: no record line"},
        {"r 1 360 100\nr.dat \x01\x1b[31mred\xff\n", "t.hea:2: signal format '\\x01\\x1B[31mred\\xFF'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ecg_wfdb_header h;
        char err[ERRLEN] = "";
        CHECK(parse(cases[i].text, &h, err) == -1, "case %zu accepted", i);
        CHECK(strstr(err, cases[i].expect) != NULL, "case %zu: message '%s' lacks '%s'", i, err, cases[i].expect);
        CHECK(!strstr(err, ":0:"), "case %zu: line 0 cited: %s", i, err);
        for (const char *q = err; *q; q++) CHECK((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f, "case %zu: raw byte 0x%02x in the message", i, (unsigned char)*q);
    }
    ecg_wfdb_header h;
    char err[ERRLEN] = "";
    CHECK(ecg_wfdb_parse_header("r 0\n\0x", 6, "t.hea", &h, err, ERRLEN) == -1 && strstr(err, "t.hea:2: header holds a NUL"),
          "NUL byte: %s", err);
}

/* ---------------------------------------------------------------- annotations */

/* N at 5; SKIP 70000; V at +3 with NUM 7, SUB 2, CHN 1; '+' at +10 with AUX "(AFIB"; EOF.
 * Words are little-endian (code << 10 | value): N = 0x0405, SKIP = 0xEC00 then 70000 = 0x00011170
 * as high word 0x0001, low word 0x1170; V = 0x1403; NUM = 0xF007; SUB = 0xF402; CHN = 0xF801;
 * '+' (28) = 0x700A; AUX of 5 = 0xFC05 then 5 bytes and a pad byte. */
static const uint8_t ann_bytes[] = {0x05, 0x04, 0x00, 0xEC, 0x01, 0x00, 0x70, 0x11, 0x03, 0x14, 0x07, 0xF0,
                                    0x02, 0xF4, 0x01, 0xF8, 0x0A, 0x70, 0x05, 0xFC, '(',  'A',  'F',  'I',
                                    'B',  0x00, 0x00, 0x00};

static void annotations_hand_built(void) {
    ecg_wfdb_ann *a = NULL;
    int n = 0;
    char err[ERRLEN] = "";
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, sizeof ann_bytes, "t.atr", &a, &n, err, ERRLEN) == 0, "%s", err);
    CHECK(n == 3, "count %d", n);
    if (n == 3) {
        CHECK(a[0].sample == 5 && a[0].code == 1 && a[0].chan == 0 && a[0].num == 0 && !a[0].aux[0], "ann 0");
        CHECK(a[1].sample == 70008 && a[1].code == 5 && a[1].num == 7 && a[1].subtype == 2 && a[1].chan == 1,
              "ann 1: %ld %d %d %d %d", a[1].sample, a[1].code, a[1].num, a[1].subtype, a[1].chan);
        /* chan and num carry over; subtype does not. */
        CHECK(a[2].sample == 70018 && a[2].code == 28 && a[2].chan == 1 && a[2].num == 7 && a[2].subtype == 0 &&
                  !strcmp(a[2].aux, "(AFIB"),
              "ann 2: %ld %d '%s'", a[2].sample, a[2].code, a[2].aux);
    }
    free(a);
}

static void annotations_reject_bad_input(void) {
    ecg_wfdb_ann *a = NULL;
    int n = 0;
    char err[ERRLEN] = "";
    size_t full = sizeof ann_bytes;
    /* Missing EOF marker. */
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, full - 2, "t.atr", &a, &n, err, ERRLEN) == -1 &&
              strstr(err, "t.atr") && strstr(err, "end-of-file"),
          "no EOF: %s", err);
    CHECK(a == NULL && n == 0, "outputs cleared");
    /* Cut in the middle of a word. */
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, 3, "t.atr", &a, &n, err, ERRLEN) == -1 && strstr(err, "offset 2"),
          "odd length: %s", err);
    /* Cut inside SKIP's interval. */
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, 6, "t.atr", &a, &n, err, ERRLEN) == -1 && strstr(err, "SKIP") &&
              strstr(err, "offset 2"),
          "cut SKIP: %s", err);
    /* AUX running past the end (cut inside its text). */
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, 22, "t.atr", &a, &n, err, ERRLEN) == -1 && strstr(err, "AUX") &&
              strstr(err, "offset 18"),
          "AUX past end: %s", err);
    /* Undefined code 55, and a modifier before any annotation. */
    const uint8_t undef[] = {0x00, 55 << 2, 0x00, 0x00};
    CHECK(ecg_wfdb_parse_annotations(undef, sizeof undef, "t.atr", &a, &n, err, ERRLEN) == -1 &&
              strstr(err, "undefined annotation code 55"),
          "code 55: %s", err);
    const uint8_t early[] = {0x07, 0xF0, 0x00, 0x00};
    CHECK(ecg_wfdb_parse_annotations(early, sizeof early, "t.atr", &a, &n, err, ERRLEN) == -1 &&
              strstr(err, "before any annotation"),
          "early NUM: %s", err);
    /* A negative SKIP that would put the time before 0. */
    const uint8_t neg[] = {0x00, 0xEC, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x04, 0x00, 0x00};
    CHECK(ecg_wfdb_parse_annotations(neg, sizeof neg, "t.atr", &a, &n, err, ERRLEN) == -1 && strstr(err, "negative"),
          "negative time: %s", err);
    /* Empty file: no EOF. An EOF alone: no annotations. */
    CHECK(ecg_wfdb_parse_annotations(ann_bytes, 0, "t.atr", &a, &n, err, ERRLEN) == -1, "empty file");
    const uint8_t eof[] = {0, 0};
    CHECK(ecg_wfdb_parse_annotations(eof, 2, "t.atr", &a, &n, err, ERRLEN) == 0 && n == 0, "EOF only: %s", err);
    free(a);
}

static void annotation_symbols(void) {
    /* WFDB ecgcodes.h and PhysioNet's annotation table. */
    static const char *const want[42] = {"?", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q",
                                         "~", "?", "|", "?", "s", "T", "*", "D", "\"", "=", "p", "B", "^", "t",
                                         "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r"};
    for (int c = 0; c < 42; c++)
        CHECK(!strcmp(ecg_wfdb_ann_symbol(c), want[c]), "code %d: '%s'", c, ecg_wfdb_ann_symbol(c));
    CHECK(!strcmp(ecg_wfdb_ann_symbol(-1), "?") && !strcmp(ecg_wfdb_ann_symbol(99), "?"), "out of range");
    /* isqrs (ecgmap.h): 1-13, 25, 30, 31, 34, 35, 38, 41. */
    int beats = 0;
    for (int c = -5; c < 70; c++) beats += ecg_wfdb_ann_is_beat(c);
    CHECK(beats == 20, "beat codes %d", beats);
    CHECK(ecg_wfdb_ann_is_beat(1) && ecg_wfdb_ann_is_beat(13) && ecg_wfdb_ann_is_beat(38) && ecg_wfdb_ann_is_beat(41) &&
              !ecg_wfdb_ann_is_beat(14) && !ecg_wfdb_ann_is_beat(28) && !ecg_wfdb_ann_is_beat(0),
          "isqrs");
}

/* ---------------------------------------------------------------- MIT-BIH records */

static void mitdb_record_100(void) {
    char dir_buf[1024];
    const char *dir = mitdb_dir(&mitdb_records[0], 1, dir_buf, sizeof dir_buf);
    if (!dir) return;
    ecg_wfdb_header h;
    int32_t *adc = NULL;
    long bad = -1;
    char err[ERRLEN] = "";
    CHECK(ecg_wfdb_read_record(dir, "100", &h, &adc, &bad, err, ERRLEN) == 0, "%s", err);
    if (!adc) return;
    CHECK(h.n_sig == 2 && h.fs == 360 && h.n_samples == 650000, "record line");
    CHECK(!strcmp(h.sig[0].description, "MLII") && !strcmp(h.sig[1].description, "V5"), "leads");
    CHECK(h.sig[0].gain == 200 && h.sig[0].adc_zero == 1024 && h.sig[0].baseline == 1024 &&
              h.sig[0].adc_resolution == 11 && h.sig[0].format == 212,
          "signal fields");
    CHECK(h.age == 69 && h.sex == 'M', "age %d sex %c", h.age, h.sex);
    CHECK(bad == 0, "invalid samples %ld", bad);
    /* The first frame in mV, as PhysioNet's tools print it: -0.145, -0.065. */
    CHECK(fabsf(ecg_wfdb_physical(&h.sig[0], adc[0]) + 0.145f) < 1e-6f &&
              fabsf(ecg_wfdb_physical(&h.sig[1], adc[1]) + 0.065f) < 1e-6f,
          "first frame %d %d", adc[0], adc[1]);
    free(adc);
    ecg_wfdb_header_free(&h);

    char path[1200];
    snprintf(path, sizeof path, "%s/100.atr", dir);
    ecg_wfdb_ann *a = NULL;
    int n = 0;
    CHECK(ecg_wfdb_read_annotations(path, &a, &n, err, ERRLEN) == 0, "%s", err);
    int count[50] = {0}, beats = 0, rhythm_n = 0, sorted = 1;
    for (int i = 0; i < n; i++) {
        if (a[i].code >= 0 && a[i].code < 50) count[a[i].code]++;
        beats += ecg_wfdb_ann_is_beat(a[i].code);
        rhythm_n += a[i].code == 28 && !strcmp(a[i].aux, "(N");
        sorted &= i == 0 || a[i].sample >= a[i - 1].sample;
        sorted &= a[i].sample >= 0 && a[i].sample < 650000;
    }
    /* MIT-BIH directory, record 100: Normal 2239, APC 33, PVC 1; normal sinus rhythm throughout. */
    CHECK(count[1] == 2239 && count[8] == 33 && count[5] == 1, "N %d A %d V %d", count[1], count[8], count[5]);
    CHECK(beats == 2273, "beats %d", beats);
    CHECK(rhythm_n == 1 && count[28] == 1, "rhythm annotations: %d '(N' of %d", rhythm_n, count[28]);
    CHECK(sorted, "annotation times in order and inside the record");
    free(a);
}

/* Every record's decoded samples match its header: the first sample is the initial value and the
 * 16-bit sum of each signal is the checksum. This checks 212 decoding on all 48 records. */
static void mitdb_all_checksums(void) {
    char dir_buf[1024];
    const char *dir = mitdb_dir(mitdb_records, 48, dir_buf, sizeof dir_buf);
    if (!dir) return;
    long total_beats = 0, by_code[50] = {0};
    int ok = 0, with_age = 0;
    clock_t t0 = clock();
    for (int r = 0; r < 48; r++) {
        char name[16], err[ERRLEN] = "";
        snprintf(name, sizeof name, "%d", mitdb_records[r]);
        ecg_wfdb_header h;
        int32_t *adc = NULL;
        long bad = 0;
        if (ecg_wfdb_read_record(dir, name, &h, &adc, &bad, err, ERRLEN)) {
            CHECK(0, "record %s: %s", name, err);
            continue;
        }
        int good = h.n_sig == 2 && h.n_samples == 650000;
        for (int j = 0; j < h.n_sig && good; j++) {
            uint32_t sum = 0;
            for (long t = 0; t < h.n_samples; t++) sum += (uint32_t)adc[(size_t)t * 2 + (size_t)j];
            int16_t check = (int16_t)(uint16_t)(sum & 0xFFFF);
            CHECK(check == h.sig[j].checksum, "record %s signal %d: checksum %d, header %d", name, j, check,
                  h.sig[j].checksum);
            CHECK(adc[j] == h.sig[j].init_value, "record %s signal %d: first sample %d, header %d", name, j, adc[j],
                  h.sig[j].init_value);
            good &= check == h.sig[j].checksum && adc[j] == h.sig[j].init_value;
        }
        with_age += h.age >= 0 && (h.sex == 'M' || h.sex == 'F');
        ok += good;
        free(adc);
        ecg_wfdb_header_free(&h);

        char path[1200];
        snprintf(path, sizeof path, "%s/%s.atr", dir, name);
        ecg_wfdb_ann *a = NULL;
        int n = 0;
        CHECK(ecg_wfdb_read_annotations(path, &a, &n, err, ERRLEN) == 0, "%s", err);
        for (int i = 0; i < n; i++) {
            total_beats += ecg_wfdb_ann_is_beat(a[i].code);
            if (a[i].code >= 0 && a[i].code < 50) by_code[a[i].code]++;
        }
        free(a);
    }
    double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(ok == 48, "%d of 48 records match their headers", ok);
    /* Records 103 and 219 give the age as -1 (unknown); the other 46 give age and sex. */
    CHECK(with_age == 46, "records with age and sex: %d", with_age);
    /* MIT-BIH directory, table of beat types (entire records), totals per symbol. */
    static const struct {
        int code;
        long count;
    } table[] = {{1, 75052}, {2, 8075}, {3, 7259}, {8, 2546}, {4, 150}, {7, 83},  {9, 2},   {5, 7130},
                 {6, 803},   {31, 472}, {34, 16},  {11, 229}, {10, 106}, {12, 7028}, {38, 982}, {13, 33}};
    long table_total = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK(by_code[table[i].code] == table[i].count, "'%s': %ld beats, directory %ld",
              ecg_wfdb_ann_symbol(table[i].code), by_code[table[i].code], table[i].count);
        table_total += table[i].count;
    }
    CHECK(total_beats == table_total, "beats %ld, directory %ld", total_beats, table_total);
    printf("  note    48 records + annotations read in %.2f s (this build); %ld beat annotations\n", s, total_beats);
}

int main(void) {
    RUN(header_fields_and_defaults);
    RUN(header_rejects_bad_input);
    RUN(decode_format_16);
    RUN(decode_format_80);
    RUN(decode_format_212);
    RUN(decode_samples_per_frame);
    RUN(decode_rejects_short_file);
    RUN(read_record_from_files);
    RUN(read_record_random_dat_right_size);
    RUN(read_record_fifo_and_folder_dat);
    RUN(header_error_lines_and_garbage);
    RUN(read_record_no_signals_no_count);
    RUN(annotations_hand_built);
    RUN(annotations_reject_bad_input);
    RUN(annotation_symbols);
    RUN(mitdb_record_100);
    RUN(mitdb_all_checksums);
    return test_done();
}
