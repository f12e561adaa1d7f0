/* Inputs that used to be taken without a check (issue 22): seeds out of range from the command
 * line and from a manifest, and the CSV files `ecgbench compare` reads. Each test is named after
 * the input it feeds. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "harness.h"
#include "../report/csv.h"
#include "../runs/runs.h"

static char dir[] = "/tmp/ecgbench_checked_XXXXXX";

/* `data info --seed -1` was taken as 2^64 - 1 (train rejects it): now the same range as train. */
static void test_data_info_seed_minus_1(void) {
    const char *bad[] = {"-1", "18446744073709551615", "1e3", "", "1000000000000001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *argv[] = {"info", "synthetic", "--seed", (char *)bad[i]};
        CHECK(ecg_cmd_data_info(4, argv) == 2, "data info --seed '%s' accepted", bad[i]);
    }
    char *good[] = {"info", "synthetic", "--seed", "7"};
    int rc = -1;
    char *out = test_capture_stdout(ecg_cmd_data_info, 4, good, &rc);
    CHECK(rc == 0 && out, "data info --seed 7 failed");
    free(out);
}

/* A manifest seed of 1e400 (inf), -1, 1.5 or past 1e15 went through an unchecked double -> uint64
 * cast: now an error naming the manifest and the seed. */
static void test_manifest_seed_1e400(void) {
    const char *bad[] = {"1e400", "-1", "1.5", "1e16", "-1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256], err[512] = "";
        snprintf(text, sizeof text, "{\"model\": \"lstm\", \"task\": \"synthetic\", \"weights\": \"w.safetensors\", "
                                    "\"seed\": %s}", bad[i]);
        cJSON *man = cJSON_Parse(text);
        CHECK(man != NULL, "cJSON did not parse %s", text);
        if (!man) continue;
        ecg_run r;
        int rc = ecg_run_from(&r, NULL, man, "m.json", err, sizeof err); /* frees man on failure */
        CHECK(rc == -1 && strstr(err, "m.json") && strstr(err, "seed"), "seed %s: %s", bad[i], err);
        if (rc == 0) ecg_run_free(&r);
    }
    cJSON *man = cJSON_Parse("{\"model\": \"lstm\", \"task\": \"synthetic\", \"weights\": \"w\", \"seed\": 7}");
    ecg_run r;
    char err[512] = "";
    CHECK(ecg_run_from(&r, NULL, man, "m.json", err, sizeof err) == 0 && r.seed == 7, "seed 7: %s", err);
    ecg_run_free(&r);
}

/* ---------------------------------------------------------------- compare's CSV files */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(text, 1, strlen(text), f) == strlen(text), "write %s", path);
    if (f) fclose(f);
}

/* `ecgbench compare a b` with stdout and stderr captured (free both). */
static void compare(const char *a, const char *b, int *rc, char **out, char **errs) {
    char errf[128];
    snprintf(errf, sizeof errf, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    char *argv[] = {"compare", (char *)a, (char *)b};
    *out = test_capture_stdout(ecg_cmd_compare, 3, argv, rc);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    *errs = test_read_file(errf);
}

#define HEAD "dataset,split,model,variant,run,batch,threads,accuracy,latency_median_us\n"
#define ROW(model, acc, lat) "mitdb-aami,test," model ",f32," model "-mitdb-aami,1,1," acc "," lat "\n"

/* The same row twice (a copy-paste): an error naming both lines, not one copy silently dropped. */
static void test_compare_duplicate_rows(void) {
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/dup_a.csv", dir);
    snprintf(b, sizeof b, "%s/dup_b.csv", dir);
    write_text(a, HEAD ROW("lstm", "0.9", "10") ROW("bilstm", "0.8", "20") ROW("lstm", "0.7", "30"));
    write_text(b, HEAD ROW("lstm", "0.9", "10"));
    int rc;
    char *out, *errs;
    compare(a, b, &rc, &out, &errs);
    CHECK(rc == 1 && errs && strstr(errs, "dup_a.csv:4") && strstr(errs, "line 2"), "duplicate rows: rc %d, %s", rc,
          errs ? errs : "");
    free(out), free(errs);
    /* the same model, variant and data under two run names (two seeds) is not a duplicate */
    write_text(a, HEAD ROW("lstm", "0.9", "10") "mitdb-aami,test,lstm,f32,lstm-mitdb-aami-seed2,1,1,0.8,11\n");
    compare(a, b, &rc, &out, &errs);
    CHECK(rc == 0 && out && strstr(out, "(run lstm-mitdb-aami-seed2)") && strstr(out, "1 rows matched"),
          "two runs: rc %d, %s %s", rc, out ? out : "", errs ? errs : "");
    free(out), free(errs);
}

/* Model names of 1,100 bytes that differ only in their last byte: two models, not one (the key
 * was cut at 1,024 bytes, and they matched). */
static void test_compare_keys_over_1024_bytes(void) {
    char a[128], b[128], m1[1101], m2[1101];
    snprintf(a, sizeof a, "%s/long_a.csv", dir);
    snprintf(b, sizeof b, "%s/long_b.csv", dir);
    memset(m1, 'm', 1100), memset(m2, 'm', 1100);
    m1[1099] = '1', m2[1099] = '2';
    m1[1100] = m2[1100] = 0;
    char *ta = malloc(4096), *tb = malloc(4096);
    snprintf(ta, 4096, HEAD "mitdb-aami,test,%s,f32,r,1,1,0.9,10\n", m1);
    snprintf(tb, 4096, HEAD "mitdb-aami,test,%s,f32,r,1,1,0.5,20\n", m2);
    write_text(a, ta), write_text(b, tb);
    int rc;
    char *out, *errs;
    compare(a, b, &rc, &out, &errs);
    CHECK(rc == 0 && out && strstr(out, "0 rows matched") && strstr(out, "only in A") && strstr(out, "only in B"),
          "1,100-byte keys: rc %d, %.300s", rc, out ? out : "");
    CHECK(out && strstr(out, m1), "the long name was cut in the listing");
    free(out), free(errs), free(ta), free(tb);
}

/* "0x10" (read as 16 by strtod), " 5" and "1e400" in a measured column: errors naming the file, line
 * and column. */
static void test_compare_number_0x10(void) {
    char a[128];
    snprintf(a, sizeof a, "%s/hex.csv", dir);
    const char *bad[] = {"0x10", " 5", "1e400", "5 ", "infinity", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        snprintf(text, sizeof text, HEAD ROW("lstm", "0.9", "10") "mitdb-aami,test,cnn,f32,r,1,1,0.5,\"%s\"\n", bad[i]);
        write_text(a, text);
        int rc;
        char *out, *errs;
        compare(a, a, &rc, &out, &errs);
        CHECK(rc == 1 && errs && strstr(errs, "hex.csv:3") && strstr(errs, "latency_median_us") && strstr(errs, bad[i]),
              "'%s': rc %d, %s", bad[i], rc, errs ? errs : "");
        free(out), free(errs);
    }
    /* what the writer writes passes: numbers, empty cells, nan */
    write_text(a, HEAD ROW("lstm", "0.9", "1.5e-3") ROW("cnn", "", "nan") ROW("gru", "-0", "12"));
    int rc;
    char *out, *errs;
    compare(a, a, &rc, &out, &errs);
    CHECK(rc == 0 && out && strstr(out, "3 rows matched"), "good numbers: rc %d %s", rc, errs ? errs : "");
    free(out), free(errs);
}

/* A results.csv saved by a spreadsheet with a UTF-8 byte-order mark: read (it was rejected: the
 * first column was not "dataset"). */
static void test_compare_utf8_bom(void) {
    char a[128], b[128];
    snprintf(a, sizeof a, "%s/bom_a.csv", dir);
    snprintf(b, sizeof b, "%s/bom_b.csv", dir);
    write_text(a, "\xEF\xBB\xBF" HEAD ROW("lstm", "0.9", "10"));
    write_text(b, HEAD ROW("lstm", "0.8", "20"));
    int rc;
    char *out, *errs;
    compare(a, b, &rc, &out, &errs);
    CHECK(rc == 0 && out && strstr(out, "1 rows matched"), "BOM: rc %d, %s", rc, errs ? errs : "");
    free(out), free(errs);
}

/* CSV errors give the line: a stray quote on line 3, a short row on line 4 (after a quoted field
 * spanning lines 2-3), CR-only line endings counted as lines. */
static void test_csv_errors_give_the_line(void) {
    char p[128], err[512];
    snprintf(p, sizeof p, "%s/lines.csv", dir);
    ecg_csv_table t;
    write_text(p, "a,b\n1,2\n3,x\"y\n");
    err[0] = 0;
    CHECK(ecg_csv_read(p, &t, err, sizeof err) == -1 && strstr(err, "lines.csv:3:"), "stray quote: %s", err);
    write_text(p, "a,b\n1,\"two\nlines\"\n3\n");
    err[0] = 0;
    CHECK(ecg_csv_read(p, &t, err, sizeof err) == -1 && strstr(err, "lines.csv:4:") && strstr(err, "1 fields"),
          "short row: %s", err);
    write_text(p, "a,b\r1,2\r3\r");
    err[0] = 0;
    CHECK(ecg_csv_read(p, &t, err, sizeof err) == -1 && strstr(err, "lines.csv:3:"), "CR-only: %s", err);
    write_text(p, "a,b\r\n\r\n1,\"x\r\ny\"\r\n5,6\r\n");
    CHECK(ecg_csv_read(p, &t, err, sizeof err) == 0 && t.n_rows == 3 && t.lines[0] == 1 && t.lines[1] == 3 &&
              t.lines[2] == 5,
          "lines of rows: %s", err);
    ecg_csv_table_free(&t);
    /* a FIFO is refused, not waited on */
    snprintf(p, sizeof p, "%s/fifo.csv", dir);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    err[0] = 0;
    CHECK(ecg_csv_read(p, &t, err, sizeof err) == -1 && strstr(err, "FIFO"), "FIFO: %s", err);
}

int main(void) {
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char cache[80];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    RUN(test_data_info_seed_minus_1);
    RUN(test_manifest_seed_1e400);
    RUN(test_compare_duplicate_rows);
    RUN(test_compare_keys_over_1024_bytes);
    RUN(test_compare_number_0x10);
    RUN(test_compare_utf8_bom);
    RUN(test_csv_errors_give_the_line);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("could not remove %s\n", dir);
    return test_done();
}
