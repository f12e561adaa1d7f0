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
/* A run folder is complete when its manifest is: the manifest, written last, names the files it
 * vouches for in man["files"] = {NAME: {"bytes": N, "sha256": HEX}}. This adds (or replaces) that
 * object for the files names[0..n) in dir; 0, or -1 with err. */
int ecg_manifest_add_files(cJSON *man, const char *dir, const char *const *names, int n, char *err, size_t errlen);
/* Checks dir's files against man["files"]: 0 when every one there matches, 1 when the manifest has
 * no "files" (written before they were recorded: trusted as before), -1 with err naming the file
 * that differs (size or SHA-256) or cannot be read. A file that is not there at all is passed over:
 * the manifest is written after its files, so an absent one was left out on purpose (the weights of
 * a large seed run are not committed; a reader that needs them says so when it opens them). what
 * names the manifest in messages. */
int ecg_manifest_check_files(const cJSON *man, const char *dir, const char *what, char *err, size_t errlen);

#endif
