/* Small file helpers of the run store and its writers: mkdir -p, and JSON files read and written
 * whole (manifests, run.json). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ops/atomic_file.h"
#include "ops/file_sha256.h"
#include "runs/files.h"

int ecg_mkdir_p(const char *dir, char *err, size_t errlen) {
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0) return 0;
    if (n >= sizeof buf) {
        snprintf(err, errlen, "path too long: %s", dir);
        return -1;
    }
    memcpy(buf, dir, n + 1);
    /* Create each prefix in turn; EEXIST is fine as long as it is a directory. */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", buf, strerror(errno));
            return -1;
        }
        struct stat st;
        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a directory", buf);
            return -1;
        }
        buf[i] = c;
    }
    return 0;
}

double ecg_json_num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *ecg_json_str(const cJSON *o, const char *key, const char *fallback) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return s ? s : fallback;
}

cJSON *ecg_read_json(const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    cJSON *j = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size < (1 << 26) && (buf = malloc((size_t)st.st_size + 1)) &&
        fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        buf[st.st_size] = 0;
        j = cJSON_Parse(buf);
    }
    if (!j) snprintf(err, errlen, "%s is not readable JSON", path);
    free(buf);
    fclose(f);
    return j;
}

int ecg_write_json(const char *path, const cJSON *j, char *err, size_t errlen) {
    char *text = cJSON_Print(j);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory printing the JSON", path);
        return -1;
    }
    ecg_atomic_file a;
    int rc = -1;
    if (!ecg_atomic_open(&a, path, err, errlen)) {
        fputs(text, a.f);
        fputc('\n', a.f); /* a failed write shows at commit, with its reason */
        rc = ecg_atomic_commit(&a, err, errlen);
    }
    cJSON_free(text);
    return rc;
}

int ecg_manifest_add_files(cJSON *man, const char *dir, const char *const *names, int n, char *err, size_t errlen) {
    cJSON *files = cJSON_CreateObject();
    if (!files) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4200], hex[65];
        int64_t bytes;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (ecg_file_sha256(path, hex, &bytes, err, errlen)) {
            cJSON_Delete(files);
            return -1;
        }
        cJSON *f = cJSON_AddObjectToObject(files, names[i]);
        if (!f || !cJSON_AddNumberToObject(f, "bytes", (double)bytes) || !cJSON_AddStringToObject(f, "sha256", hex)) {
            cJSON_Delete(files);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    cJSON_DeleteItemFromObjectCaseSensitive(man, "files");
    cJSON_AddItemToObject(man, "files", files);
    return 0;
}

/* A name in "files" must stay inside the folder: no '/', not "." or "..". */
static int plain_name(const char *s) { return s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, ".."); }

int ecg_manifest_check_files(const cJSON *man, const char *dir, const char *what, char *err, size_t errlen) {
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(man, "files");
    if (!files) return 1;
    if (!cJSON_IsObject(files) || !files->child) {
        snprintf(err, errlen, "%s: \"files\" is not an object naming the run's files", what);
        return -1;
    }
    for (const cJSON *f = files->child; f; f = f->next) {
        const char *want = ecg_json_str(f, "sha256", NULL);
        double want_bytes = ecg_json_num(f, "bytes");
        if (!f->string || !plain_name(f->string) || !want || strlen(want) != 64 || !(want_bytes >= 0)) {
            snprintf(err, errlen, "%s: \"files\" entry '%.200s' lacks a plain name, bytes or a sha256", what,
                     f->string ? f->string : "");
            return -1;
        }
        char path[4200], hex[65], why[600];
        int64_t bytes;
        snprintf(path, sizeof path, "%s/%s", dir, f->string);
        struct stat st;
        if (lstat(path, &st) != 0 && errno == ENOENT) continue; /* not committed (a large seed's weights) */
        if (ecg_file_sha256(path, hex, &bytes, why, sizeof why)) {
            snprintf(err, errlen, "%s vouches for %s, but %s (an interrupted or partial run?)", what, f->string, why);
            return -1;
        }
        if ((double)bytes != want_bytes || strcmp(hex, want)) {
            snprintf(err, errlen,
                     "%s does not match its manifest: %s has %lld bytes, sha256 %.12s..., the manifest says %.0f "
                     "bytes, %.12s... (written after the manifest: an interrupted or overwritten run?)",
                     dir, path, (long long)bytes, hex, want_bytes, want);
            return -1;
        }
    }
    return 0;
}
