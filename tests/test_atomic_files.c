/* Nothing lost (issue 22 item 2), the helper: every file is written to a temporary file and renamed
 * into place (ops/atomic_file.h), so a full disk leaves the earlier file and no temporary one, and
 * says why. A full disk is simulated with ECG_TEST_FAIL_WRITE (the writes of one file fail with
 * ENOSPC). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ops/atomic_file.h"
#include "../ops/safetensors.h"
#include "../report/csv.h"
#include "../runs/files.h"
#include "harness.h"

static char scratch[] = "/tmp/ecgbench_atomic_XXXXXX";

/* Files in dir whose name contains ".tmp" (a writer's leftovers). */
static int temp_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    if (d) closedir(d);
    return n;
}

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) fputs(text, f), fclose(f);
}

/* A full disk while writing: the earlier file stays whole, no temporary file is left, the message
 * gives the reason. Through each writer: the helper itself, JSON (manifests), the CSV writer,
 * safetensors. */
static void test_full_disk_keeps_the_earlier_file(void) {
    char dir[200], path[300], err[1024];
    snprintf(dir, sizeof dir, "%s/disk", scratch);
    CHECK(ecg_mkdir_p(dir, err, sizeof err) == 0, "%s", err);
    const char *names[] = {"plain.txt", "manifest.json", "layers.csv", "weights.safetensors"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        put(path, "the earlier file\n");
        setenv("ECG_TEST_FAIL_WRITE", path, 1);
        err[0] = 0;
        int rc = 0;
        if (i == 0) {
            rc = ecg_atomic_write(path, "new", 3, err, sizeof err);
        } else if (i == 1) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "accuracy", 0.5);
            rc = ecg_write_json(path, j, err, sizeof err);
            cJSON_Delete(j);
        } else if (i == 2) {
            ecg_csv w;
            const char *cols[] = {"a", "b"};
            ecg_csv_open(&w, path);
            ecg_csv_header(&w, cols, 2);
            for (int r = 0; r < 3000; r++) ecg_csv_int(&w, r), ecg_csv_num(&w, r * 0.5), ecg_csv_end_row(&w);
            rc = ecg_csv_close_err(&w, err, sizeof err);
        } else {
            float x[256] = {1};
            ecg_st_tensor t = {.name = "x", .dtype = ECG_DT_F32, .rank = 1, .shape = {256}, .data = (const uint8_t *)x,
                               .nbytes = sizeof x};
            rc = ecg_st_write(path, &t, 1, NULL, 0, err, sizeof err);
        }
        unsetenv("ECG_TEST_FAIL_WRITE");
        char *text = test_read_file(path);
        CHECK(rc == -1, "%s: the failed write was taken", names[i]);
        CHECK(strstr(err, "No space left on device") && strstr(err, names[i]), "%s: the message gives no reason: '%s'",
              names[i], err);
        CHECK(text && !strcmp(text, "the earlier file\n"), "%s: the earlier file was not kept: '%.40s'", names[i],
              text ? text : "(none)");
        free(text);
        CHECK(temp_files(dir) == 0, "%s: a temporary file was left in %s", names[i], dir);
    }
    /* and without the failure, the same writers replace the file */
    snprintf(path, sizeof path, "%s/plain.txt", dir);
    CHECK(ecg_atomic_write(path, "new", 3, err, sizeof err) == 0, "%s", err);
    char *text = test_read_file(path);
    CHECK(text && !strcmp(text, "new"), "not replaced");
    free(text);
    /* an aborted file leaves the earlier one */
    ecg_atomic_file a;
    CHECK(ecg_atomic_open(&a, path, err, sizeof err) == 0, "%s", err);
    if (a.f) fputs("half", a.f);
    ecg_atomic_abort(&a);
    text = test_read_file(path);
    CHECK(text && !strcmp(text, "new") && temp_files(dir) == 0, "abort");
    free(text);
    /* a folder that does not exist: the reason, not a crash */
    CHECK(ecg_atomic_write("/nonexistent/dir/x", "a", 1, err, sizeof err) == -1 && strstr(err, "No such file"),
          "missing folder: '%s'", err);
}

int main(void) {
    if (!mkdtemp(scratch)) return 1;
    RUN(test_full_disk_keeps_the_earlier_file);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", scratch);
    return test_done();
}
