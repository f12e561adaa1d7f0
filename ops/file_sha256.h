/* SHA-256 of files and buffers (ops/file_sha256.c, through Debian's nettle): a run's manifest
 * names the files it vouches for with their sizes and hashes (runs/files.h). */
#ifndef ECG_OPS_FILE_SHA256_H
#define ECG_OPS_FILE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The SHA-256 of a regular file (64 lowercase hex digits and a NUL) and its size; 0, or -1 with err. */
int ecg_file_sha256(const char *path, char hex[65], int64_t *bytes, char *err, size_t errlen);
/* The same of a buffer. */
void ecg_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
