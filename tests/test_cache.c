/* Dataset cache: FNV-1a against the published test vectors, byte-exact round trip, atomic save
 * (no temp file left), and every damaged file (truncated anywhere, a flipped byte in the header or
 * the payload, extra bytes, another key's file) a miss with a warning, never a crash. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "harness.h"

static const char *const classes[] = {"N", "S", "V"};
static const char *const feats[] = {"pre_rr", "post_rr"};

/* A small dataset with every array filled with distinct values. */
static void make_dataset(ecg_dataset *d) {
    memset(d, 0, sizeof *d);
    snprintf(d->task, sizeof d->task, "unit");
    snprintf(d->split, sizeof d->split, "train");
    snprintf(d->data_version, sizeof d->data_version, "fixture v1");
    d->n = 7;
    d->length = 13;
    d->channels = 2;
    d->n_classes = 3;
    d->class_names = classes;
    d->n_features = 2;
    d->feature_names = feats;
    d->x = malloc(sizeof(float) * 7 * 13 * 2);
    d->y = malloc(sizeof(int) * 7);
    d->features = malloc(sizeof(float) * 7 * 2);
    d->record = malloc(sizeof(int) * 7);
    for (int i = 0; i < 7 * 13 * 2; i++) d->x[i] = (float)i * 0.25f - 3.0f;
    for (int i = 0; i < 7; i++) {
        d->y[i] = i % 3;
        d->record[i] = 100 + i;
        d->features[2 * i] = (float)i;
        d->features[2 * i + 1] = -(float)i;
    }
}

static char tmp[64];
static void tmp_make(void) {
    snprintf(tmp, sizeof tmp, "/tmp/ecg_cache_test_XXXXXX");
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
}
static void tmp_remove(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return;
    char p[512];
    for (struct dirent *e; (e = readdir(dd));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!stat(p, &st) && S_ISDIR(st.st_mode))
            tmp_remove(p);
        else
            unlink(p);
    }
    closedir(dd);
    rmdir(dir);
}
static int count_files(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dd));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dd);
    return n;
}
static void path_of(const char *dir, uint64_t key, char *out, size_t n) {
    snprintf(out, n, "%s/%016llx.ecgcache", dir, (unsigned long long)key);
}
static long file_size(const char *p) {
    struct stat st;
    return stat(p, &st) ? -1 : (long)st.st_size;
}
static unsigned char *slurp(const char *p, long *n) {
    *n = file_size(p);
    FILE *fp = fopen(p, "rb");
    unsigned char *b = malloc((size_t)(*n > 0 ? *n : 1));
    if (fp && b && *n > 0 && fread(b, 1, (size_t)*n, fp) != (size_t)*n) *n = -1;
    if (fp) fclose(fp);
    return b;
}
static void spit(const char *p, const unsigned char *b, long n) {
    FILE *fp = fopen(p, "wb");
    CHECK(fp && (n == 0 || fwrite(b, 1, (size_t)n, fp) == (size_t)n), "write %s", p);
    if (fp) fclose(fp);
}

/* Runs ecg_cache_load with stderr captured; returns its result and the warning text. */
static int load_capture(const char *dir, uint64_t key, ecg_dataset *d, char *warn, size_t wn) {
    char wpath[128], err[256] = "";
    snprintf(wpath, sizeof wpath, "%s.stderr", tmp);
    fflush(stderr);
    int saved = dup(2), fd = open(wpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    int rc = ecg_cache_load(dir, key, d, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    long n;
    unsigned char *b = slurp(wpath, &n);
    snprintf(warn, wn, "%.*s", (int)(n > 0 ? n : 0), (const char *)b);
    free(b);
    unlink(wpath);
    return rc;
}

static void test_fnv1a_vectors(void) {
    /* Published FNV-1a 64 test vectors (Fowler/Noll/Vo reference test suite). */
    CHECK(ecg_hash_bytes(ECG_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL, "empty");
    CHECK(ecg_hash_bytes(ECG_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "\"a\"");
    CHECK(ecg_hash_bytes(ECG_HASH_INIT, "foobar", 6) == 0x85944171f73967e8ULL, "\"foobar\"");
    /* Chaining equals hashing the concatenation. */
    CHECK(ecg_hash_bytes(ecg_hash_bytes(ECG_HASH_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL, "chained");
}

static void test_round_trip(void) {
    tmp_make();
    char dir[128], err[256] = "";
    snprintf(dir, sizeof dir, "%s/a/b", tmp); /* save creates missing folders */
    ecg_dataset d, e;
    make_dataset(&d);
    CHECK(ecg_cache_save(dir, 0x1234abcdULL, &d, err, sizeof err) == 0, "save: %s", err);
    CHECK(count_files(dir) == 1, "only the cache file is left (no temp), %d files", count_files(dir));
    CHECK(ecg_cache_load(dir, 0x1234abcdULL, &e, err, sizeof err) == 0, "hit: %s", err);
    CHECK(e.n == 7 && e.length == 13 && e.channels == 2 && e.n_classes == 3 && e.n_features == 2, "sizes");
    CHECK(!memcmp(e.x, d.x, sizeof(float) * 7 * 13 * 2), "x bytes equal");
    CHECK(!memcmp(e.y, d.y, sizeof(int) * 7) && !memcmp(e.record, d.record, sizeof(int) * 7), "y, record equal");
    CHECK(!memcmp(e.features, d.features, sizeof(float) * 14), "features equal");
    CHECK(!strcmp(e.task, "unit") && !strcmp(e.split, "train") && !strcmp(e.data_version, "fixture v1"), "strings");
    for (int i = 0; i < 3; i++) CHECK(e.class_names && !strcmp(e.class_names[i], classes[i]), "class name %d", i);
    for (int i = 0; i < 2; i++) CHECK(e.feature_names && !strcmp(e.feature_names[i], feats[i]), "feature %d", i);
    ecg_dataset_free(&e);
    /* Saving again replaces the file. */
    d.x[0] = 42.0f;
    CHECK(ecg_cache_save(dir, 0x1234abcdULL, &d, err, sizeof err) == 0, "resave: %s", err);
    CHECK(ecg_cache_load(dir, 0x1234abcdULL, &e, err, sizeof err) == 0 && e.x[0] == 42.0f, "resaved value");
    ecg_dataset_free(&e);
    /* Another key: a plain miss. */
    char warn[512];
    CHECK(load_capture(dir, 0x1234abceULL, &e, warn, sizeof warn) == 1, "other key misses");
    CHECK(warn[0] == 0, "a missing file is not worth a warning: %s", warn);
    /* No features, no record, zero examples. */
    ecg_dataset z;
    memset(&z, 0, sizeof z);
    z.length = 5;
    z.channels = 1;
    z.n_classes = 1;
    z.class_names = classes;
    CHECK(ecg_cache_save(dir, 7, &z, err, sizeof err) == 0, "empty save: %s", err);
    CHECK(ecg_cache_load(dir, 7, &e, err, sizeof err) == 0 && e.n == 0 && !e.features && !e.record &&
              e.n_features == 0 && e.feature_names == NULL,
          "empty round trip");
    ecg_dataset_free(&e);
    ecg_dataset_free(&d);
    tmp_remove(tmp);
}

static void test_damaged_files(void) {
    tmp_make();
    char err[256] = "", path[256], warn[512];
    ecg_dataset d, e;
    make_dataset(&d);
    const uint64_t key = 99;
    CHECK(ecg_cache_save(tmp, key, &d, err, sizeof err) == 0, "save: %s", err);
    path_of(tmp, key, path, sizeof path);
    long n;
    unsigned char *good = slurp(path, &n);
    CHECK(n > 304, "file has a header and payload (%ld bytes)", n);
    /* Truncated at every length: always a miss with a warning, never a crash or a wrong hit. */
    for (long cut = 0; cut < n; cut += (cut < 320 ? 1 : 37)) {
        spit(path, good, cut);
        int rc = load_capture(tmp, key, &e, warn, sizeof warn);
        CHECK(rc == 1, "cut at %ld: miss, got %d", cut, rc);
        CHECK(strstr(warn, "warning") && strstr(warn, path), "cut at %ld warns naming the file: %s", cut, warn);
        CHECK(e.x == NULL && e.n == 0, "cut at %ld leaves a zeroed dataset", cut);
    }
    /* One flipped bit anywhere (header fields, names, x, y, features, record) is caught. */
    for (long at = 0; at < n; at += (at < 320 ? 3 : 29)) {
        unsigned char *bad = malloc((size_t)n);
        memcpy(bad, good, (size_t)n);
        bad[at] ^= 0x10;
        spit(path, bad, n);
        free(bad);
        int rc = load_capture(tmp, key, &e, warn, sizeof warn);
        CHECK(rc == 1, "flip at byte %ld: miss, got %d", at, rc);
        CHECK(strstr(warn, "warning"), "flip at %ld warns", at);
        ecg_dataset_free(&e);
    }
    /* Extra bytes after the payload. */
    unsigned char *longer = calloc(1, (size_t)n + 4);
    memcpy(longer, good, (size_t)n);
    spit(path, longer, n + 4);
    free(longer);
    CHECK(load_capture(tmp, key, &e, warn, sizeof warn) == 1 && strstr(warn, "sizes disagree"), "long: %s", warn);
    /* A valid file under another key's name. */
    char other[256];
    path_of(tmp, key + 1, other, sizeof other);
    spit(other, good, n);
    CHECK(load_capture(tmp, key + 1, &e, warn, sizeof warn) == 1 && strstr(warn, "another key"), "renamed: %s", warn);
    /* The intact bytes still load. */
    spit(path, good, n);
    CHECK(ecg_cache_load(tmp, key, &e, err, sizeof err) == 0, "intact file hits");
    ecg_dataset_free(&e);
    free(good);
    ecg_dataset_free(&d);
    tmp_remove(tmp);
}

/* A FIFO (or a folder) under the cache file's name: a miss with a warning, not a hang. */
static void test_cache_file_is_a_fifo(void) {
    tmp_make();
    char path[256], warn[512];
    ecg_dataset d;
    path_of(tmp, 7, path, sizeof path);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    alarm(20); /* a hang fails the test instead of blocking make test */
    CHECK(load_capture(tmp, 7, &d, warn, sizeof warn) == 1 && strstr(warn, "not a regular file"), "FIFO: %s", warn);
    alarm(0);
    unlink(path);
    CHECK(mkdir(path, 0700) == 0, "mkdir");
    CHECK(load_capture(tmp, 7, &d, warn, sizeof warn) == 1 && strstr(warn, "miss"), "folder: %s", warn);
    tmp_remove(tmp);
}

static void test_save_errors(void) {
    tmp_make();
    char err[256] = "";
    ecg_dataset d;
    make_dataset(&d);
    int n = d.n;
    d.n = -1;
    CHECK(ecg_cache_save(tmp, 1, &d, err, sizeof err) == -1 && strstr(err, "inconsistent"), "negative n: %s", err);
    d.n = n;
    /* The cache folder is a file: a clear error, not a crash. */
    char file[128];
    snprintf(file, sizeof file, "%s/plain", tmp);
    spit(file, (const unsigned char *)"x", 1);
    CHECK(ecg_cache_save(file, 1, &d, err, sizeof err) == -1 && strstr(err, file), "folder is a file: %s", err);
    ecg_dataset_free(&d);
    tmp_remove(tmp);
}

int main(void) {
    RUN(test_fnv1a_vectors);
    RUN(test_round_trip);
    RUN(test_damaged_files);
    RUN(test_save_errors);
    RUN(test_cache_file_is_a_fifo);
    return test_done();
}
