/* Nothing lost, nothing trusted by mistake (issue 22 item 2), the helpers: every file is written to
 * a temporary file and renamed into place (ops/atomic_file.h), so a full disk leaves the earlier file
 * and no temporary one, and says why; a run folder's manifest vouches for its files by size and
 * SHA-256 (runs/files.h). A full disk is simulated with ECG_TEST_FAIL_WRITE (the writes of one file
 * fail with ENOSPC). */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../ops/atomic_file.h"
#include "../ops/file_sha256.h"
#include "../ops/safetensors.h"
#include "../report/csv.h"
#include "../runs/files.h"
#include "harness.h"

static char scratch[] = "/tmp/ecgbench_atomic_XXXXXX";

static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) fputs(text, f), fclose(f);
}

/* FIPS 180-4's examples, and coreutils' sha256sum on a file of 1 MiB. */
static void test_sha256_known_vectors(void) {
    char hex[65];
    ecg_sha256_hex("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "sha256('') = %s", hex);
    ecg_sha256_hex("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256(abc) = %s", hex);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ecg_sha256_hex(m, strlen(m), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "sha256(448 bits) = %s",
          hex);
    char path[200], cmd[300], want[80] = "";
    snprintf(path, sizeof path, "%s/mib", scratch);
    FILE *f = fopen(path, "wb");
    for (int i = 0; f && i < 1 << 20; i++) fputc((i * 131) ^ (i >> 9), f);
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "sha256sum %s", path);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(want, sizeof want, p)) SKIP("sha256sum did not run");
    pclose(p);
    want[64] = 0;
    int64_t bytes;
    char err[256];
    CHECK(ecg_file_sha256(path, hex, &bytes, err, sizeof err) == 0 && bytes == 1 << 20, "%s", err);
    CHECK(!strcmp(hex, want), "ecg_file_sha256 %s, sha256sum %s", hex, want);
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
        CHECK(test_count_temp_files(dir) == 0, "%s: a temporary file was left in %s", names[i], dir);
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
    CHECK(text && !strcmp(text, "new") && test_count_temp_files(dir) == 0, "abort");
    free(text);
    /* a folder that does not exist: the reason, not a crash */
    CHECK(ecg_atomic_write("/nonexistent/dir/x", "a", 1, err, sizeof err) == -1 && strstr(err, "No such file"),
          "missing folder: '%s'", err);
}

/* The manifest's "files": a changed, truncated or unreadable file is named; an absent one (not
 * committed) passes; a manifest without "files" is 1; names that leave the folder are refused. */
static void test_manifest_vouches_for_its_files(void) {
    char dir[200], path[300], err[1024];
    snprintf(dir, sizeof dir, "%s/vouch", scratch);
    CHECK(ecg_mkdir_p(dir, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    put(path, "weights v1");
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    put(path, "epoch\n1\n");
    cJSON *man = cJSON_CreateObject();
    const char *files[] = {"weights.safetensors", "epochs.csv"};
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == 1, "no files: 1");
    CHECK(ecg_manifest_add_files(man, dir, files, 2, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == 0, "unchanged: %s", err);
    const cJSON *w = cJSON_GetObjectItem(cJSON_GetObjectItem(man, "files"), "weights.safetensors");
    char hex[65];
    ecg_sha256_hex("weights v1", 10, hex);
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(w, "sha256")), hex) &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(w, "bytes")) == 10,
          "the entry is not the file's size and hash");
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    put(path, "weights v2"); /* same size, other bytes */
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == -1 && strstr(err, "weights.safetensors"),
          "changed weights: '%s'", err);
    put(path, "weights v1");
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    put(path, "epoch\n"); /* truncated */
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == -1 && strstr(err, "epochs.csv"),
          "truncated epochs.csv: '%s'", err);
    unlink(path); /* absent: not committed */
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == 0, "absent: %s", err);
    mkdir(path, 0777); /* a folder in its place */
    CHECK(ecg_manifest_check_files(man, dir, "m", err, sizeof err) == -1 && strstr(err, "epochs.csv"),
          "a folder: '%s'", err);
    rmdir(path);
    cJSON *evil = cJSON_Parse("{\"files\": {\"../x\": {\"bytes\": 1, \"sha256\": "
                              "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}}}");
    CHECK(ecg_manifest_check_files(evil, dir, "m", err, sizeof err) == -1 && strstr(err, "../x"), "'../x': '%s'", err);
    cJSON_Delete(evil);
    cJSON *empty = cJSON_Parse("{\"files\": []}");
    CHECK(ecg_manifest_check_files(empty, dir, "m", err, sizeof err) == -1, "files as an array");
    cJSON_Delete(empty);
    cJSON_Delete(man);
}

/* ECG_TEST_KILL_AFTER=NAME#2: the writer dies by SIGKILL right after its second rename of NAME, the
 * second contents in place, no third write; NAME alone is the first rename. */
static void test_kill_after_the_second_rename(void) {
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/killed.txt", scratch);
    for (int nth = 1; nth <= 2; nth++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("ECG_TEST_KILL_AFTER", nth == 1 ? "killed.txt" : "killed.txt#2", 1);
            const char *text[] = {"one\n", "two\n", "three\n"};
            for (int i = 0; i < 3; i++) ecg_atomic_write(path, text[i], strlen(text[i]), err, sizeof err);
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "#%d: the writer was not killed", nth);
        char *got = test_read_file(path);
        CHECK(got && !strcmp(got, nth == 1 ? "one\n" : "two\n"), "#%d: '%s' after the kill", nth, got ? got : "");
        free(got);
    }
    CHECK(test_count_temp_files(scratch) == 0, "a killed writer left a temporary file after its rename");
}

/* A dead writer's temporary files are swept, a live writer's (this process's) and files that only
 * look alike (no pid, short hex) are not. */
static void test_sweep_removes_dead_writers_files(void) {
    char dir[300], path[400], err[512];
    snprintf(dir, sizeof dir, "%s/sweep", scratch);
    mkdir(dir, 0700);
    fflush(NULL);
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    const char *left[] = {"a.csv.tmp.%ld.0123abcd", "a.csv.tmp.x.0123abcd", "a.csv.tmp.%ld.0123", "a.csv"};
    snprintf(path, sizeof path, "%s/a.csv.tmp.%ld.deadbeef", dir, (long)dead);
    put(path, "dead");
    for (int i = 0; i < 4; i++) {
        char name[100];
        snprintf(name, sizeof name, left[i], (long)getpid());
        snprintf(path, sizeof path, "%s/%s", dir, name);
        put(path, "kept");
    }
    CHECK(ecg_atomic_sweep(dir, err, sizeof err) == 1, "sweep: %s", err);
    CHECK(test_count_temp_files(dir) == 3, "%d temporary files left, want the 3 not a dead writer's", test_count_temp_files(dir));
    snprintf(path, sizeof path, "%s/missing", scratch);
    CHECK(ecg_atomic_sweep(path, err, sizeof err) == 0, "a missing folder: %s", err);
}

int main(void) {
    if (!mkdtemp(scratch)) return 1;
    RUN(test_sha256_known_vectors);
    RUN(test_full_disk_keeps_the_earlier_file);
    RUN(test_manifest_vouches_for_its_files);
    RUN(test_kill_after_the_second_rename);
    RUN(test_sweep_removes_dead_writers_files);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", scratch);
    return test_done();
}
