/* Every file the suite writes goes through here (ops/atomic_file.c): it is written to a temporary
 * file in the same folder, flushed to disk (fflush + fsync), then renamed over its final path, so a
 * kill or a full disk leaves either the old file or the new one, never a truncated one, and no
 * temporary file behind. Errors name the file and give the reason (strerror). */
#ifndef ECG_OPS_ATOMIC_FILE_H
#define ECG_OPS_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ecg_atomic_state ecg_atomic_state;
/* f: where to write (stdio); the struct may be copied, the state lives on the heap. */
typedef struct {
    FILE *f;
    ecg_atomic_state *s;
} ecg_atomic_file;

/* Creates PATH.tmp.<pid>.<n> exclusively; 0, or -1 with err (a->f NULL). */
int ecg_atomic_open(ecg_atomic_file *a, const char *path, char *err, size_t errlen);
/* Flushes, fsyncs, closes and renames into place (then fsyncs the folder, best effort). On any
 * error (also one from an earlier write through a->f) the temporary file is removed, err says why,
 * -1. Always releases a. */
int ecg_atomic_commit(ecg_atomic_file *a, char *err, size_t errlen);
/* Closes and removes the temporary file; the final path is left as it was. NULL-safe. */
void ecg_atomic_abort(ecg_atomic_file *a);
/* A whole buffer written atomically to path. */
int ecg_atomic_write(const char *path, const void *data, size_t n, char *err, size_t errlen);

/* Removes the temporary files (NAME.tmp.<pid>.<8 hex digits>) that writers killed before their
 * rename left in dir; a file whose process still runs on this machine is another writer's, and is
 * left alone. Called by the commands that write into an existing run folder (train, compress,
 * report) before they write. The number removed, or -1 when dir cannot be listed (err says why;
 * a missing dir is 0). */
int ecg_atomic_sweep(const char *dir, char *err, size_t errlen);

/* Tests only: when the environment variable ECG_TEST_FAIL_WRITE is set, a file whose path ends with
 * its value fails to write with ENOSPC (a full disk), so a test can stop a writer between two files
 * (the weights written, the manifest not) without filling a disk.
 * ECG_TEST_KILL_AFTER=SUFFIX (or SUFFIX#N) raises SIGKILL in the process right after the rename of a
 * file whose path ends with SUFFIX (the Nth such rename of the process; the first without #N), so
 * a test kills a writer at an exact point (the new weights in place, the manifest not yet written)
 * instead of after a guessed time. */

#endif
