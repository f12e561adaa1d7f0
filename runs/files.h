/* Small file helpers of the run store and its writers (runs/files.c): JSON files read and written
 * whole, and mkdir -p. */
#ifndef ECG_RUNS_FILES_H
#define ECG_RUNS_FILES_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* mkdir -p. 0 ok (also when it already exists), -1 with err. */
int ecg_mkdir_p(const char *dir, char *err, size_t errlen);
/* A whole JSON file (manifests); NULL with err when unreadable or not JSON. */
cJSON *ecg_read_json(const char *path, char *err, size_t errlen);
/* o[key] as a number (NaN when missing or not a number) or a string (fallback when not a string);
 * o may be NULL. */
double ecg_json_num(const cJSON *o, const char *key);
const char *ecg_json_str(const cJSON *o, const char *key, const char *fallback);
/* Writes j to path atomically (ops/atomic_file.h: a temporary file, fsync, rename). 0, or -1 with
 * err (which says why: "No space left on device"). */
int ecg_write_json(const char *path, const cJSON *j, char *err, size_t errlen);

#endif
