/* Run metadata recorded next to every result file (see bench/bench.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "runs/files.h"

/* Set by the Makefile; the fallbacks keep other builds (an IDE, a one-off gcc line) compiling. */
#ifndef ECG_GIT_COMMIT
#define ECG_GIT_COMMIT "unknown"
#endif
#ifndef ECG_CC
#define ECG_CC "unknown"
#endif
#ifndef ECG_CFLAGS
#define ECG_CFLAGS "unknown"
#endif

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t') i++;
    if (i) memmove(s, s + i, n - i + 1);
}

static int has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int start = p == list || p[-1] == ' ' || p[-1] == '\t';
        int end = p[n] == 0 || p[n] == ' ' || p[n] == '\n';
        if (start && end) return 1;
    }
    return 0;
}

static void read_cpuinfo(ecg_run_info *ri) {
    snprintf(ri->cpu_model, sizeof ri->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    int got_model = 0, got_flags = 0;
    /* The first processor's entries speak for all (a heterogeneous x86 part would still share ISA). */
    while ((!got_model || !got_flags) && getline(&line, &cap, f) > 0) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        if (!got_model && !strncmp(line, "model name", 10)) {
            snprintf(ri->cpu_model, sizeof ri->cpu_model, "%s", colon + 1);
            trim(ri->cpu_model);
            got_model = 1;
        } else if (!got_flags && !strncmp(line, "flags", 5)) {
            ri->avx2 = has_word(colon + 1, "avx2");
            ri->fma = has_word(colon + 1, "fma");
            ri->avx512f = has_word(colon + 1, "avx512f");
            ri->avx512_vnni = has_word(colon + 1, "avx512_vnni");
            got_flags = 1;
        }
    }
    free(line);
    fclose(f);
}

static void xnnpack_version(char *out, size_t n) {
    snprintf(out, n, "unknown");
    FILE *p = popen("dpkg-query -W -f='${Version}' libxnnpack0 2>/dev/null", "r");
    if (!p) return;
    char buf[128] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, p);
    int rc = pclose(p);
    buf[got] = 0;
    trim(buf);
    if (rc == 0 && buf[0]) snprintf(out, n, "%s", buf);
}

void ecg_run_info_collect(ecg_run_info *ri, int threads, int argc, char **argv) {
    memset(ri, 0, sizeof *ri);
    snprintf(ri->git_commit, sizeof ri->git_commit, "%s", ECG_GIT_COMMIT);
    snprintf(ri->compiler, sizeof ri->compiler, "%s", ECG_CC);
    snprintf(ri->cflags, sizeof ri->cflags, "%s", ECG_CFLAGS);
    read_cpuinfo(ri);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    ri->cores = cores > 0 ? (int)cores : 0;
    struct utsname u;
    if (uname(&u) == 0) snprintf(ri->os, sizeof ri->os, "%s %s %s", u.sysname, u.release, u.machine);
    else snprintf(ri->os, sizeof ri->os, "unknown");
    xnnpack_version(ri->xnnpack_version, sizeof ri->xnnpack_version);
    ri->threads = threads;
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(ri->date_utc, sizeof ri->date_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t used = 0;
    for (int i = 0; argv && i < argc && used + 1 < sizeof ri->command; i++) {
        int w = snprintf(ri->command + used, sizeof ri->command - used, "%s%s", i ? " " : "", argv[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

cJSON *ecg_run_info_json(const ecg_run_info *ri) {
    cJSON *o = cJSON_CreateObject(), *flags = cJSON_CreateObject();
    if (!o || !flags) {
        cJSON_Delete(o);
        cJSON_Delete(flags);
        return NULL;
    }
    cJSON_AddStringToObject(o, "git_commit", ri->git_commit);
    cJSON_AddStringToObject(o, "compiler", ri->compiler);
    cJSON_AddStringToObject(o, "cflags", ri->cflags);
    cJSON_AddStringToObject(o, "cpu_model", ri->cpu_model);
    cJSON_AddBoolToObject(flags, "avx2", ri->avx2);
    cJSON_AddBoolToObject(flags, "fma", ri->fma);
    cJSON_AddBoolToObject(flags, "avx512f", ri->avx512f);
    cJSON_AddBoolToObject(flags, "avx512_vnni", ri->avx512_vnni);
    cJSON_AddItemToObject(o, "cpu_flags", flags);
    cJSON_AddNumberToObject(o, "cores", ri->cores);
    cJSON_AddStringToObject(o, "os", ri->os);
    cJSON_AddStringToObject(o, "xnnpack_version", ri->xnnpack_version);
    cJSON_AddNumberToObject(o, "threads", ri->threads);
    cJSON_AddStringToObject(o, "date_utc", ri->date_utc);
    cJSON_AddStringToObject(o, "command", ri->command);
    return o;
}

int ecg_run_info_write(const ecg_run_info *ri, const char *path, char *err, size_t errlen) {
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char dir[4096];
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) {
            snprintf(err, errlen, "path too long: %s", path);
            return -1;
        }
        memcpy(dir, path, n);
        dir[n] = 0;
        if (ecg_mkdir_p(dir, err, errlen)) return -1;
    }
    cJSON *o = ecg_run_info_json(ri);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = ecg_write_json(path, o, err, errlen); /* atomically (ops/atomic_file.h) */
    cJSON_Delete(o);
    return rc;
}
