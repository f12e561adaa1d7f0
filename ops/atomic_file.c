/* Atomic file writes (ops/atomic_file.h): a temporary file beside the target, written through a
 * stdio stream that remembers the first write error's errno (so a full disk is reported as such
 * even when the error surfaced in an earlier fwrite), fsynced, renamed into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ops/atomic_file.h"
#include "ops/rng.h"

struct ecg_atomic_state {
    int fd;
    int first_errno; /* the first failed write's, 0 when none */
    int fail;        /* ECG_TEST_FAIL_WRITE matched this path */
    char *path, *tmp;
};

static ssize_t cookie_write(void *cookie, const char *buf, size_t n) {
    ecg_atomic_state *s = cookie;
    size_t done = 0;
    if (s->fail) {
        errno = ENOSPC;
        if (!s->first_errno) s->first_errno = ENOSPC;
        return 0;
    }
    while (done < n) {
        ssize_t k = write(s->fd, buf + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (!s->first_errno) s->first_errno = k < 0 ? errno : EIO;
            return 0; /* fopencookie: 0 is an error */
        }
        done += (size_t)k;
    }
    return (ssize_t)n;
}

static int cookie_close(void *cookie) {
    (void)cookie; /* the fd is closed by commit/abort, after fsync */
    return 0;
}

/* PATH.tmp.<pid>.<n>, created exclusively (mode 0666 & ~umask, like a plain fopen). */
static int open_temp(const char *path, char *tmp, size_t tmplen) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = ecg_hash64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30), (uint64_t)(uintptr_t)tmp);
    for (int attempt = 0; attempt < 32; attempt++) {
        snprintf(tmp, tmplen, "%s.tmp.%ld.%08llx", path, (long)getpid(),
                 (unsigned long long)(ecg_hash64(h, (uint64_t)attempt) & 0xffffffffu));
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* Makes the rename durable; best effort (some filesystems refuse fsync on a directory). */
static void sync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    close(fd);
}

static int test_fails(const char *path) {
    const char *suffix = getenv("ECG_TEST_FAIL_WRITE");
    size_t n = strlen(path), k = suffix ? strlen(suffix) : 0;
    return k > 0 && k <= n && !strcmp(path + n - k, suffix);
}

/* ECG_TEST_KILL_AFTER (ops/atomic_file.h): SIGKILL once the rename of the Nth file whose path ends
 * with SUFFIX is done. Counted per process: a test sets it in the child it kills. */
static void test_kill_after(const char *path) {
    static int seen;
    const char *v = getenv("ECG_TEST_KILL_AFTER");
    if (!v || !v[0]) return;
    const char *hash = strrchr(v, '#');
    size_t k = hash ? (size_t)(hash - v) : strlen(v), n = strlen(path);
    int nth = hash ? atoi(hash + 1) : 1;
    if (k == 0 || k > n || strncmp(path + n - k, v, k)) return;
    if (++seen == nth) raise(SIGKILL);
}

static void release(ecg_atomic_file *a, int remove_tmp) {
    ecg_atomic_state *s = a->s;
    if (a->f) fclose(a->f);
    if (s) {
        if (s->fd >= 0) close(s->fd);
        if (remove_tmp && s->tmp) unlink(s->tmp);
        free(s->path);
        free(s->tmp);
        free(s);
    }
    a->f = NULL;
    a->s = NULL;
}

int ecg_atomic_open(ecg_atomic_file *a, const char *path, char *err, size_t errlen) {
    a->f = NULL;
    a->s = NULL;
    if (!path || !path[0]) {
        snprintf(err, errlen, "cannot write a file with an empty path");
        return -1;
    }
    ecg_atomic_state *s = calloc(1, sizeof *s);
    size_t tmplen = strlen(path) + 64;
    if (s) s->fd = -1;
    if (!s || !(s->path = strdup(path)) || !(s->tmp = malloc(tmplen))) {
        snprintf(err, errlen, "%s: out of memory", path);
        release(&(ecg_atomic_file){NULL, s}, 0);
        return -1;
    }
    a->s = s;
    s->fail = test_fails(path);
    if ((s->fd = open_temp(path, s->tmp, tmplen)) < 0) {
        snprintf(err, errlen, "cannot create %s (beside %s): %s", s->tmp, path, strerror(errno));
        release(a, 0);
        return -1;
    }
    cookie_io_functions_t io = {.write = cookie_write, .close = cookie_close};
    if (!(a->f = fopencookie(s, "w", io))) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        release(a, 1);
        return -1;
    }
    return 0;
}

int ecg_atomic_commit(ecg_atomic_file *a, char *err, size_t errlen) {
    ecg_atomic_state *s = a->s;
    if (!s || !a->f) {
        snprintf(err, errlen, "atomic file: commit without a successful open");
        release(a, 1);
        return -1;
    }
    int bad = fflush(a->f) != 0 || ferror(a->f);
    int e = s->first_errno ? s->first_errno : EIO;
    if (!bad && fsync(s->fd) != 0) bad = 1, e = errno;
    fclose(a->f);
    a->f = NULL;
    if (!bad && close(s->fd) != 0) bad = 1, e = errno;
    s->fd = -1;
    if (bad) {
        snprintf(err, errlen, "cannot write %s: %s", s->path, strerror(e));
        release(a, 1);
        return -1;
    }
    if (rename(s->tmp, s->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", s->tmp, s->path, strerror(errno));
        release(a, 1);
        return -1;
    }
    sync_dir(s->path);
    test_kill_after(s->path);
    release(a, 0);
    return 0;
}

void ecg_atomic_abort(ecg_atomic_file *a) {
    if (a) release(a, 1);
}

int ecg_atomic_write(const char *path, const void *data, size_t n, char *err, size_t errlen) {
    ecg_atomic_file a;
    if (ecg_atomic_open(&a, path, err, errlen)) return -1;
    if (n) fwrite(data, 1, n, a.f); /* an error shows at commit */
    return ecg_atomic_commit(&a, err, errlen);
}

/* The writer's pid when name is one of open_temp's NAME.tmp.<pid>.<8 hex digits>, else 0. */
static long temp_owner(const char *name) {
    const char *t = NULL;
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp.")) t = p;
    if (!t || t == name) return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (pid <= 0 || *end != '.' || strlen(end + 1) != 8) return 0;
    for (const char *h = end + 1; *h; h++)
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f'))) return 0;
    return pid;
}

int ecg_atomic_sweep(const char *dir, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temp_owner(e->d_name);
        /* kill(pid, 0) fails with ESRCH only when no such process exists: the writer is gone */
        if (!pid || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        removed += unlink(path) == 0;
    }
    closedir(d);
    return removed;
}
