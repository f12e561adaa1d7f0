/* Small file helpers of the run store and its writers: mkdir -p, and JSON files read and written
 * whole (manifests, run.json). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ops/atomic_file.h"
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
