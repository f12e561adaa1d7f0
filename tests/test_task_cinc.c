/* cinc2017 task: REFERENCE.csv with and without its header line, bad labels reported with their
 * line, the .mat reader against the raw bytes its .hea describes, z-score + centre crop / zero pad
 * against hand-worked values, and the stratified 80/10/10 split (disjoint, proportional per
 * class, seeded). Fixture .mat files are written here byte by byte from the MATLAB v4 layout
 * (five int32: type 30 = little-endian int16, rows, cols, imaginary flag, name length; the name;
 * the data), so libmatio is checked against an independent writer. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "harness.h"

static char root[64], dir[160];

static void fixture_open(void) {
    snprintf(root, sizeof root, "/tmp/ecg_cinc_test_XXXXXX");
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    char p[128];
    snprintf(p, sizeof p, "%s/cinc2017", root);
    mkdir(p, 0700);
    snprintf(dir, sizeof dir, "%s/cinc2017/training2017", root);
    mkdir(dir, 0700);
}

static void fixture_close(void) {
    DIR *d = opendir(dir);
    char p[512];
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
    snprintf(p, sizeof p, "%s/cinc2017", root);
    rmdir(p);
    rmdir(root);
}

static void write_file(const char *name, const void *b, size_t n) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "wb");
    CHECK(fp && (n == 0 || fwrite(b, 1, n, fp) == n), "write %s", p);
    if (fp) fclose(fp);
}

static void put_i32(unsigned char *b, int32_t v) {
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)((uint32_t)v >> (8 * i));
}

/* MATLAB v4 file holding `val` = 1 x n int16. */
static void write_mat(const char *record, const int16_t *v, int n) {
    size_t bytes = 24 + 2 * (size_t)n;
    unsigned char *b = malloc(bytes);
    put_i32(b, 30);
    put_i32(b + 4, 1);
    put_i32(b + 8, n);
    put_i32(b + 12, 0);
    put_i32(b + 16, 4);
    memcpy(b + 20, "val", 4);
    for (int i = 0; i < n; i++) {
        b[24 + 2 * i] = (unsigned char)((uint16_t)v[i] & 0xff);
        b[25 + 2 * i] = (unsigned char)((uint16_t)v[i] >> 8);
    }
    char name[64];
    snprintf(name, sizeof name, "%s.mat", record);
    write_file(name, b, bytes);
    free(b);
}

static void write_ref(const char *text) { write_file("REFERENCE.csv", text, strlen(text)); }

/* Loads all three splits; returns 0 and fills d[3]. */
static int load_all(const char *data_dir, uint64_t seed, ecg_dataset d[3]) {
    const char *splits[] = {"train", "val", "test"};
    char err[512] = "";
    for (int s = 0; s < 3; s++)
        if (ecg_task_load("cinc2017", splits[s], data_dir, seed, &d[s], err, sizeof err)) {
            CHECK(0, "load %s: %s", splits[s], err);
            for (int k = 0; k < s; k++) ecg_dataset_free(&d[k]);
            return -1;
        }
    return 0;
}
static void free_all(ecg_dataset d[3]) {
    for (int s = 0; s < 3; s++) ecg_dataset_free(&d[s]);
}

/* Example of record number `rec` across the splits (its split in *split), or NULL. */
static const float *find_example(ecg_dataset d[3], int rec, int *label) {
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < d[s].n; i++)
            if (d[s].record[i] == rec) {
                *label = d[s].y[i];
                return d[s].x + (size_t)i * ECG_CINC_LENGTH;
            }
    return NULL;
}

static void test_reference_header_both_ways(void) {
    fixture_open();
    int16_t v[400];
    for (int i = 0; i < 400; i++) v[i] = (int16_t)(i % 7 * 10 - 30);
    const char *recs[] = {"A00001", "A00002", "A00003", "A00004"};
    for (int i = 0; i < 4; i++) write_mat(recs[i], v, 400);
    const char *with[] = {"data_source,class\nA00001,N\nA00002,A\nA00003,O\nA00004,~\n",
                          "A00001,N\r\nA00002,A\r\nA00003,O\r\nA00004,~", /* PhysioNet's: no header; CRLF, no final newline */
                          "\nA00004,~\nA00003,O\n\nA00002,A\nA00001,N\n"};
    for (int k = 0; k < 3; k++) {
        write_ref(with[k]);
        ecg_dataset d[3];
        if (load_all(root, 1, d)) continue;
        CHECK(d[0].n + d[1].n + d[2].n == 4, "variant %d: 4 records, got %d", k, d[0].n + d[1].n + d[2].n);
        const int want[] = {0, 1, 2, 3}; /* N, A, O, ~ -> Normal, AF, Other, Noisy */
        for (int r = 1; r <= 4; r++) {
            int label = -1;
            CHECK(find_example(d, r, &label) && label == want[r - 1], "variant %d: record %d label %d", k, r, label);
        }
        CHECK(!strcmp(d[0].class_names[1], "AF") && !strcmp(d[0].class_names[3], "Noisy"), "class names");
        free_all(d);
    }
    fixture_close();
}

static void test_reference_errors(void) {
    fixture_open();
    int16_t v[300];
    for (int i = 0; i < 300; i++) v[i] = (int16_t)(i % 5);
    write_mat("A00001", v, 300);
    write_mat("A00002", v, 300);
    const struct {
        const char *text, *want;
    } bad[] = {
        {"data_source,class\nA00001,N\nA00002,X\n", "REFERENCE.csv:3: label \"X\""},
        {"A00001,N\nA00002,NA\n", "REFERENCE.csv:2: label \"NA\""},
        {"A00001,N\nA00002\n", "REFERENCE.csv:2: expected"},
        {"A00001,N\nA00002,\n", "REFERENCE.csv:2: label \"\""},
        {"A00001,N\n../etc,N\n", "REFERENCE.csv:2: expected"}, /* names never become paths outside the folder */
        {"A00001,N\nA00002,A\nA00001,O\n", "REFERENCE.csv:3: record A00001 listed again (first on line 1)"},
        {"data_source,class\n", "no records"},
        {"A00001,n\n", "REFERENCE.csv:1: label \"n\""},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_ref(bad[k].text);
        ecg_dataset d;
        char err[512] = "";
        CHECK(ecg_task_load("cinc2017", "train", root, 1, &d, err, sizeof err) == -1, "case %zu fails", k);
        CHECK(strstr(err, bad[k].want), "case %zu: want \"%s\" in \"%s\"", k, bad[k].want, err);
        CHECK(d.x == NULL, "case %zu: nothing left allocated", k);
    }
    /* A listed record whose .mat is missing or cut short: the error names the file. */
    write_ref("A00001,N\nA00009,N\n");
    ecg_dataset d3[3];
    char err[512] = "";
    int failed = 0;
    const char *splits[] = {"train", "val", "test"};
    for (int s = 0; s < 3; s++) failed |= ecg_task_load("cinc2017", splits[s], root, 1, &d3[s], err, sizeof err) != 0;
    CHECK(failed && strstr(err, "A00009.mat"), "missing .mat named: %s", err);
    free_all(d3); /* the splits without A00009 loaded; a failed load is zeroed */
    unsigned char cut[30] = {30, 0, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'v', 'a', 'l', 0};
    write_file("A00009.mat", cut, sizeof cut); /* promises 100 values, holds 3 */
    int16_t *val = NULL;
    long n = 0;
    char p[256];
    snprintf(p, sizeof p, "%s/A00009.mat", dir);
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && strstr(err, "A00009.mat") && !val,
          "truncated .mat is an error: %s", err);
    fixture_close();
    /* No data at all: the error says what to do. */
    ecg_dataset d;
    CHECK(ecg_task_load("cinc2017", "train", "/nonexistent-ecg", 1, &d, err, sizeof err) == -1 &&
              strstr(err, "REFERENCE.csv") && strstr(err, "make data"),
          "missing data dir: %s", err);
}

/* A 100-value MAT v4 file declaring 65536 x 65536 int16 (8 GiB): refused from the file's size
 * before libmatio is asked for the memory, the message giving both sizes. An empty file and one
 * cut inside its header say so (not "no variable 'val'"); a FIFO does not hang the reader and a
 * folder is not read as a file. */
static void test_mat_65536x65536_in_100_values(void) {
    fixture_open();
    unsigned char big[24 + 200] = {30, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'v', 'a', 'l', 0};
    write_file("A00001.mat", big, sizeof big);
    char p[256], err[512] = "";
    int16_t *val = NULL;
    long n = 0;
    snprintf(p, sizeof p, "%s/A00001.mat", dir);
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && !val && strstr(err, "A00001.mat") &&
              strstr(err, "65536 x 65536") && strstr(err, "200 bytes"),
          "65536 x 65536 in 100 values: %s", err);
    write_file("A00002.mat", "", 0);
    snprintf(p, sizeof p, "%s/A00002.mat", dir);
    err[0] = 0;
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && strstr(err, "A00002.mat") && strstr(err, "empty"),
          "empty .mat: %s", err);
    write_file("A00003.mat", big, 10);
    snprintf(p, sizeof p, "%s/A00003.mat", dir);
    err[0] = 0;
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && strstr(err, "A00003.mat") &&
              strstr(err, "truncated") && !strstr(err, "no variable"),
          "10-byte .mat: %s", err);
    snprintf(p, sizeof p, "%s/A00004.mat", dir);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    err[0] = 0;
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && strstr(err, "A00004.mat") && strstr(err, "FIFO"),
          "FIFO .mat: %s", err);
    snprintf(p, sizeof p, "%s/A00005.mat", dir);
    CHECK(mkdir(p, 0700) == 0, "mkdir");
    err[0] = 0;
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && strstr(err, "A00005.mat") && strstr(err, "folder"),
          "folder .mat: %s", err);
    rmdir(p);
    /* REFERENCE.csv as a FIFO or a folder: the same */
    snprintf(p, sizeof p, "%s/REFERENCE.csv", dir);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    ecg_dataset d;
    err[0] = 0;
    CHECK(ecg_task_load("cinc2017", "train", root, 1, &d, err, sizeof err) == -1 && strstr(err, "FIFO"),
          "FIFO REFERENCE.csv: %s", err);
    fixture_close();
}

/* A double-class .mat whose 'val' holds 3e38 (found by fuzz_cinc_mat): an error naming the
 * element, without the undefined double -> int16 cast of it (UBSan float-cast-overflow). */
static void test_mat_double_3e38(void) {
    fixture_open();
    unsigned char b[24 + 24] = {0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 'v', 'a', 'l', 0};
    const double v[3] = {1, 3e38, -5};
    memcpy(b + 24, v, sizeof v); /* little-endian host, as the type code 0 (little-endian double) says */
    write_file("A00001.mat", b, sizeof b);
    char p[256], err[512] = "";
    int16_t *val = NULL;
    long n = 0;
    snprintf(p, sizeof p, "%s/A00001.mat", dir);
    CHECK(ecg_cinc_read_mat(p, &val, &n, err, sizeof err) == -1 && !val && strstr(err, "element 1") &&
              strstr(err, "not an int16"),
          "3e38: %s", err);
    fixture_close();
}

/* REFERENCE.csv with CR-only line endings (an old Mac editor's): read as lines, like LF and CRLF. */
static void test_reference_cr_only_lines(void) {
    fixture_open();
    int16_t v[400];
    for (int i = 0; i < 400; i++) v[i] = (int16_t)(i % 7 * 10);
    write_mat("A00001", v, 400);
    write_mat("A00002", v, 400);
    write_ref("A00001,N\rA00002,A\r");
    ecg_dataset d[3];
    if (load_all(root, 3, d) == 0) {
        CHECK(d[0].n + d[1].n + d[2].n == 2, "CR-only REFERENCE.csv: %d records", d[0].n + d[1].n + d[2].n);
        free_all(d);
    }
    /* and a bad line in it is named by its line number */
    write_ref("A00001,N\rA00002,Q\r");
    ecg_dataset e;
    char err[512] = "";
    CHECK(ecg_task_load("cinc2017", "train", root, 1, &e, err, sizeof err) == -1 && strstr(err, ":2:"),
          "bad label on CR line 2: %s", err);
    fixture_close();
}

static void test_zscore_crop_pad(void) {
    fixture_open();
    /* Long: v[i] = i - 6000, n = 12000: mean -0.5, population variance (n^2 - 1) / 12; centre crop
     * starts at (12000 - 9000) / 2 = 1500. */
    int16_t *v = malloc(sizeof *v * 12000);
    for (int i = 0; i < 12000; i++) v[i] = (int16_t)(i - 6000);
    write_mat("A00001", v, 12000);
    /* Short: +-100 alternating, n = 3000 (10 s): mean 0, sd 100, so +-1, then 6000 zeros. */
    for (int i = 0; i < 3000; i++) v[i] = (int16_t)(i % 2 ? 100 : -100);
    write_mat("A00002", v, 3000);
    /* Exactly 30 s and odd length + 1 (9001: crop starts at 0 = floor(1 / 2)). */
    for (int i = 0; i < 9001; i++) v[i] = (int16_t)(i < 4500 ? -5 : 5);
    write_mat("A00003", v, 9001);
    free(v);
    write_ref("A00001,N\nA00002,N\nA00003,N\n");
    ecg_dataset d[3];
    if (load_all(root, 3, d)) {
        fixture_close();
        return;
    }
    CHECK(d[0].length == 9000 && d[0].channels == 1, "examples are 9000 x 1");
    int label;
    const float *a = find_example(d, 1, &label);
    double sd = sqrt((12000.0 * 12000.0 - 1) / 12.0);
    CHECK(a && fabs(a[0] - (1500 - 6000 + 0.5) / sd) < 1e-5, "long record crop starts at 1500: %g", a ? a[0] : 0);
    CHECK(a && fabs(a[8999] - (10499 - 6000 + 0.5) / sd) < 1e-5, "and ends at 10499: %g", a ? a[8999] : 0);
    const float *b = find_example(d, 2, &label);
    int ok = b != NULL;
    for (int i = 0; b && i < 9000; i++) ok &= b[i] == (i < 3000 ? (i % 2 ? 1.0f : -1.0f) : 0.0f);
    CHECK(ok, "short record: +-1 then zero padding");
    const float *c = find_example(d, 3, &label);
    /* mean (4501*5 - 4500*5)/9001 = 5/9001; values -5, 5 around it. */
    double mean = 5.0 / 9001, var = (4500 * (-5 - mean) * (-5 - mean) + 4501 * (5 - mean) * (5 - mean)) / 9001;
    CHECK(c && fabs(c[0] - (-5 - mean) / sqrt(var)) < 1e-5 && fabs(c[8999] - (5 - mean) / sqrt(var)) < 1e-5,
          "9001-sample record: crop from 0");
    free_all(d);
    /* A flat record has no scale: an error naming it, not NaN or zeros. */
    int16_t flat[500];
    for (int i = 0; i < 500; i++) flat[i] = 7;
    write_mat("A00004", flat, 500);
    write_ref("A00004,N\n");
    char err[512] = "";
    ecg_dataset t;
    CHECK(ecg_task_load("cinc2017", "train", root, 3, &t, err, sizeof err) == -1 && strstr(err, "A00004.mat"),
          "flat record is an error naming it: %s", err);
    fixture_close();
}

static void test_stratified_split(void) {
    fixture_open();
    const int per_class[4] = {20, 10, 6, 4};
    const char lab[4] = {'N', 'A', 'O', '~'};
    char ref[4096] = "data_source,class\n";
    int16_t v[300];
    for (int i = 0; i < 300; i++) v[i] = (int16_t)(i % 11);
    int rec = 1;
    for (int c = 0; c < 4; c++)
        for (int k = 0; k < per_class[c]; k++, rec++) {
            char name[16];
            snprintf(name, sizeof name, "A%05d", rec);
            write_mat(name, v, 300);
            snprintf(ref + strlen(ref), sizeof ref - strlen(ref), "%s,%c\n", name, lab[c]);
        }
    write_ref(ref);
    const double frac[3] = {0.8, 0.1, 0.1};
    int assign[2][41];
    for (int run = 0; run < 2; run++) {
        ecg_dataset d[3];
        if (load_all(root, 77, d)) break;
        int seen[41] = {0};
        for (int s = 0; s < 3; s++) {
            int count[4] = {0};
            for (int i = 0; i < d[s].n; i++) {
                count[d[s].y[i]]++;
                int r = d[s].record[i];
                if (r >= 1 && r <= 40) seen[r]++, assign[run][r] = s;
            }
            for (int c = 0; c < 4; c++)
                CHECK(fabs(count[c] - frac[s] * per_class[c]) <= 1.0, "split %d class %d: %d of %d", s, c, count[c],
                      per_class[c]);
        }
        int once = 1;
        for (int r = 1; r <= 40; r++) once &= seen[r] == 1;
        CHECK(once, "every record in exactly one split");
        free_all(d);
    }
    CHECK(!memcmp(assign[0] + 1, assign[1] + 1, 40 * sizeof(int)), "same seed, same split");
    /* Another seed moves some record (checked over a few seeds: a fixed split would never move). */
    int moved = 0;
    for (uint64_t seed = 1; seed <= 3 && !moved; seed++) {
        ecg_dataset d[3];
        if (load_all(root, seed, d)) break;
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < d[s].n; i++) moved |= assign[0][d[s].record[i]] != s;
        free_all(d);
    }
    CHECK(moved, "other seeds give other splits");
    fixture_close();
}

/* The bundled sample (repo root datasets/sample): A00001.mat against its .hea ("A00001.mat 16+24
 * 1000/mV 16 0 -127 ..."): format 16 at byte offset 24, 9000 samples, first value -127. */
static void test_sample_mat_vs_header(void) {
    const char *hea = "datasets/sample/cinc2017/training2017/A00001.hea";
    FILE *fp = fopen(hea, "r");
    if (!fp) SKIP("no %s (run from the repo root)", hea);
    char rec[32], file[64], fmt[32];
    int nsig, fs, init;
    long n_hea;
    double gain;
    int got = fscanf(fp, "%31s %d %d %ld %*s %*s %63s %31s %lf/mV %*d %*d %d", rec, &nsig, &fs, &n_hea, file, fmt,
                     &gain, &init);
    fclose(fp);
    CHECK(got == 8 && nsig == 1 && fs == 300 && gain == 1000, "parsed the .hea (%d fields)", got);
    long offset = strchr(fmt, '+') ? strtol(strchr(fmt, '+') + 1, NULL, 10) : 0;
    CHECK(!strncmp(fmt, "16", 2) && offset == 24, "format 16+24, got %s", fmt);
    int16_t *val = NULL;
    long n = 0;
    char err[256] = "";
    CHECK(ecg_cinc_read_mat("datasets/sample/cinc2017/training2017/A00001.mat", &val, &n, err, sizeof err) == 0,
          "read: %s", err);
    CHECK(n == n_hea && n == 9000, "sample count %ld = header's %ld", n, n_hea);
    CHECK(val && val[0] == init && init == -127, "first value %d = header init value %d", val ? val[0] : 0, init);
    /* Every value equals the little-endian int16 the header locates at byte 24. */
    fp = fopen("datasets/sample/cinc2017/training2017/A00001.mat", "rb");
    unsigned char *raw = malloc(24 + 2 * 9000);
    size_t rn = fp ? fread(raw, 1, 24 + 2 * 9000, fp) : 0;
    if (fp) fclose(fp);
    int same = rn == 24 + 2 * 9000 && val;
    for (long i = 0; same && i < 9000; i++) same &= val[i] == (int16_t)(raw[24 + 2 * i] | raw[25 + 2 * i] << 8);
    CHECK(same, "libmatio's values = raw format-16 bytes");
    free(raw);
    free(val);
}

/* The bundled sample: 5 records per class -> 3 train, 1 val, 1 test each. */
static void test_sample_task(void) {
    if (!test_need_file("datasets/sample/cinc2017/training2017/REFERENCE.csv")) return;
    ecg_dataset d[3];
    if (load_all("datasets/sample", 1, d)) return;
    CHECK(d[0].n == 12 && d[1].n == 4 && d[2].n == 4, "20 records split 12/4/4: %d/%d/%d", d[0].n, d[1].n, d[2].n);
    CHECK(strstr(d[0].data_version, "20 records"), "data_version: %s", d[0].data_version);
    free_all(d);
}

/* The dataset cache: a second load is a hit with the same bytes; touching an input file, or
 * another seed, is a miss. Runs on a copy of the bundled sample. */
static void test_cache_through_loader(void) {
    if (!test_need_file("datasets/sample/cinc2017/training2017/REFERENCE.csv")) return;
    char tmp[] = "/tmp/ecgbench_cachetask_XXXXXX";
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    char cmd[512], data[256], cache[256], file[300];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -r datasets/sample/cinc2017 %s/", data, data);
    CHECK(system(cmd) == 0, "%s", cmd);
    ecg_dataset a, b;
    int hit = -1;
    char err[512];
    CHECK(ecg_task_load_cached("cinc2017", "train", data, 1, cache, &a, &hit, err, sizeof err) == 0 && hit == 0,
          "first load: hit %d %s", hit, err);
    CHECK(ecg_task_load_cached("cinc2017", "train", data, 1, cache, &b, &hit, err, sizeof err) == 0 && hit == 1,
          "second load not from the cache: %s", err);
    CHECK(a.n == b.n && a.length == b.length && !memcmp(a.x, b.x, sizeof(float) * (size_t)a.n * (size_t)a.length) &&
              !memcmp(a.y, b.y, sizeof(int) * (size_t)a.n) && !strcmp(a.data_version, b.data_version) &&
              !strcmp(a.class_names[1], b.class_names[1]),
          "cached dataset differs");
    ecg_dataset_free(&b);
    CHECK(ecg_task_load_cached("cinc2017", "train", data, 2, cache, &b, &hit, err, sizeof err) == 0 && hit == 0,
          "another seed hit the cache");
    ecg_dataset_free(&b);
    snprintf(file, sizeof file, "%s/cinc2017/training2017/REFERENCE.csv", data);
    snprintf(cmd, sizeof cmd, "touch -d '2001-01-01' %s", file);
    CHECK(system(cmd) == 0, "touch");
    CHECK(ecg_task_load_cached("cinc2017", "train", data, 1, cache, &b, &hit, err, sizeof err) == 0 && hit == 0,
          "a changed input file hit the cache");
    ecg_dataset_free(&a);
    ecg_dataset_free(&b);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
}

/* Two data folders holding copies with the same names, sizes and modification times, one byte of
 * one record changed in place in the second: the cache built from the first is not used for the
 * second (the key holds the folder's real path); "A/." and "A" are the same folder (a hit). */
static void test_cache_two_data_folders(void) {
    if (!test_need_file("datasets/sample/cinc2017/training2017/REFERENCE.csv")) return;
    char tmp[] = "/tmp/ecgbench_cache2dirs_XXXXXX";
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    char cmd[1024], a_dir[256], a_dot[260], b_dir[256], cache[256];
    snprintf(a_dir, sizeof a_dir, "%s/A", tmp);
    snprintf(a_dot, sizeof a_dot, "%s/A/.", tmp);
    snprintf(b_dir, sizeof b_dir, "%s/B", tmp);
    snprintf(cache, sizeof cache, "%s/cache", tmp);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s %s && cp -rp datasets/sample/cinc2017 %s/ && cp -rp datasets/sample/cinc2017 %s/ && "
             "f=cinc2017/training2017/A00001.mat && printf '\\177\\177' | dd of=%s/$f bs=1 seek=40 conv=notrunc "
             "2>/dev/null && touch -r %s/$f %s/$f",
             a_dir, b_dir, a_dir, b_dir, b_dir, a_dir, b_dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    ecg_dataset a[3], b[3];
    const char *splits[] = {"train", "val", "test"};
    char err[512] = "";
    int hit = -1, hits = 0, differ = 0;
    for (int s = 0; s < 3; s++) {
        CHECK(ecg_task_load_cached("cinc2017", splits[s], a_dir, 1, cache, &a[s], &hit, err, sizeof err) == 0 && !hit,
              "A %s: hit %d %s", splits[s], hit, err);
        CHECK(ecg_task_load_cached("cinc2017", splits[s], b_dir, 1, cache, &b[s], &hit, err, sizeof err) == 0,
              "B %s: %s", splits[s], err);
        hits += hit;
        differ |= a[s].n != b[s].n || memcmp(a[s].x, b[s].x, sizeof(float) * (size_t)a[s].n * ECG_CINC_LENGTH);
    }
    CHECK(hits == 0, "folder B was served folder A's cache (%d hits)", hits);
    CHECK(differ, "B's edited record did not show");
    ecg_dataset c;
    CHECK(ecg_task_load_cached("cinc2017", "train", a_dot, 1, cache, &c, &hit, err, sizeof err) == 0 && hit == 1,
          "A/. is A: hit %d %s", hit, err);
    ecg_dataset_free(&c);
    for (int s = 0; s < 3; s++) ecg_dataset_free(&a[s]), ecg_dataset_free(&b[s]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
}

/* Full training set, when unpacked (test_data_dir; `make data` unpacks it): the val split has round(10%) of the published class counts 5050 / 738 / 2456 / 284. */
static void test_full_val_counts(void) {
    char base[1024];
    const char *found = test_data_dir("cinc2017/training2017/REFERENCE.csv", base, sizeof base);
    if (!found) return;
    ecg_dataset d;
    char err[512] = "";
    CHECK(ecg_task_load("cinc2017", "val", found, 2017, &d, err, sizeof err) == 0, "load val: %s", err);
    const int published[4] = {5050, 738, 2456, 284};
    int count[4] = {0};
    for (int i = 0; i < d.n; i++) count[d.y[i]]++;
    for (int c = 0; c < 4; c++)
        CHECK(count[c] == (int)lround(published[c] * 0.1), "class %d: %d in val (published total %d)", c, count[c],
              published[c]);
    CHECK(d.n == 853 && d.length == 9000, "853 val examples of 9000, got %d", d.n);
    CHECK(strstr(d.data_version, "8528 records"), "data_version: %s", d.data_version);
    ecg_dataset_free(&d);
}

int main(void) {
    RUN(test_reference_header_both_ways);
    RUN(test_reference_errors);
    RUN(test_mat_65536x65536_in_100_values);
    RUN(test_reference_cr_only_lines);
    RUN(test_mat_double_3e38);
    RUN(test_zscore_crop_pad);
    RUN(test_stratified_split);
    RUN(test_sample_mat_vs_header);
    RUN(test_sample_task);
    RUN(test_cache_through_loader);
    RUN(test_cache_two_data_folders);
    RUN(test_full_val_counts);
    return test_done();
}
