/* Loading a task split through the cache of prepared datasets. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/datasets.h"

/* Adds, for every regular file below dir, a hash of (path below the root, size, mtime) to *sum;
 * a sum, so that the directory order does not matter. Symbolic links are followed (the data
 * folder may be a link farm into a mirror). */
static int fingerprint_dir(const char *dir, size_t root_len, int depth, uint64_t *sum, char *err, size_t errlen) {
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(err, errlen, "cannot read %s (make data fetches the datasets)", dir);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dp))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path || stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 4) rc = fingerprint_dir(path, root_len, depth + 1, sum, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            const char *rel = path + root_len;
            int64_t facts[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
            *sum += ecg_hash_bytes(ecg_hash_bytes(ECG_HASH_INIT, rel, strlen(rel)), facts, sizeof facts);
        }
    }
    closedir(dp);
    return rc;
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

const char *ecg_default_data_dir(void) { return env_or("ECG_DATA_DIR", "data"); }
const char *ecg_default_cache_dir(void) { return env_or("ECG_CACHE_DIR", ECG_CACHE_DIR_DEFAULT); }

int ecg_task_load_cached(const char *task, const char *split, const char *data_dir, uint64_t seed,
                         const char *cache_dir, ecg_dataset *d, int *hit, char *err, size_t errlen) {
    *hit = 0;
    const ecg_task *t = ecg_task_find(task);
    if (!t) return ecg_task_load(task, split, data_dir, seed, d, err, errlen); /* for its error message */
    uint64_t key = ECG_HASH_INIT, data = 0;
    /* -2: the key holds the data folder's real path since; a -1 file is a plain miss */
    const char *parts[4] = {"ecgbench-dataset-cache-2", t->name, split ? split : "", t->settings};
    for (int i = 0; i < 4; i++) key = ecg_hash_bytes(key, parts[i], strlen(parts[i]) + 1);
    key = ecg_hash_bytes(key, &seed, sizeof seed);
    if (t->data_subdir) {
        char dir[1024], real[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/%s", data_dir ? data_dir : "data", t->data_subdir);
        if (fingerprint_dir(dir, strlen(dir), 0, &data, err, errlen)) return -1;
        /* The folder itself: two copies with the same names, sizes and times are still two data
         * sets (one may have been edited in place); "data" and "./data/" are one. */
        const char *where = realpath(dir, real) ? real : dir;
        key = ecg_hash_bytes(key, where, strlen(where) + 1);
    }
    key = ecg_hash_bytes(key, &data, sizeof data);
    const char *cdir = cache_dir ? cache_dir : ecg_default_cache_dir();
    char cerr[512];
    int r = ecg_cache_load(cdir, key, d, cerr, sizeof cerr);
    if (r == 0) {
        *hit = 1;
        return 0;
    }
    if (r < 0) fprintf(stderr, "ecgbench: warning: %s (loading from the raw data)\n", cerr);
    if (ecg_task_load(task, split, data_dir, seed, d, err, errlen)) return -1;
    if (ecg_cache_save(cdir, key, d, cerr, sizeof cerr))
        fprintf(stderr, "ecgbench: warning: %s (continuing without the cache)\n", cerr);
    return 0;
}
