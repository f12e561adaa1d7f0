/* Cache of prepared datasets: one binary file per key, <cache_dir>/<key as 16 hex digits>.ecgcache.
 *
 * Layout (little-endian, the host order: checked at compile time):
 *   header: "ECGCACHE", u32 version, u32 header bytes, u64 key, i32 n, length, channels, n_classes,
 *           n_features, has_record, char task[32], split[32], data_version[160], u64 names bytes,
 *           u64 payload bytes, u64 FNV-1a of the payload, u64 FNV-1a of the header bytes before it
 *   payload: class and feature names (each NUL-terminated), x (f32), y (i32), features (f32),
 *            record (i32, when has_record)
 * A file that is short, long, inconsistent or fails either checksum is a miss after a warning on
 * stderr: the caller rebuilds the data and a later save replaces the file. Saves write a temp
 * file in the same folder and rename it, so a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/datasets.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "cache files are written in host order = little-endian");

#define CACHE_MAGIC "ECGCACHE"
#define CACHE_VERSION 1u
#define CACHE_SUFFIX ".ecgcache"

typedef struct {
    char magic[8];
    uint32_t version, header_bytes;
    uint64_t key;
    int32_t n, length, channels, n_classes, n_features, has_record;
    char task[32], split[32], data_version[160];
    uint64_t names_bytes, payload_bytes, payload_hash, header_hash;
} cache_header;
_Static_assert(sizeof(cache_header) == 304, "cache header has no padding (it is hashed and written as bytes)");

uint64_t ecg_hash_bytes(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL; /* FNV-1a 64 prime */
    }
    return h;
}

static uint64_t header_hash(const cache_header *h) {
    return ecg_hash_bytes(ECG_HASH_INIT, h, offsetof(cache_header, header_hash));
}

static void cache_path(const char *dir, uint64_t key, char *out, size_t n) {
    snprintf(out, n, "%s/%016llx%s", dir ? dir : ECG_CACHE_DIR_DEFAULT, (unsigned long long)key, CACHE_SUFFIX);
}

/* Array sizes in bytes, from header counts; -1 when a count is negative or a product overflows. */
typedef struct {
    uint64_t x, y, features, record;
} payload_sizes;

static int sizes_of(const cache_header *h, payload_sizes *s) {
    if (h->n < 0 || h->length < 0 || h->channels < 0 || h->n_classes < 0 || h->n_features < 0 || h->has_record < 0 ||
        h->has_record > 1)
        return -1;
    uint64_t n = (uint64_t)h->n;
    uint64_t per = (uint64_t)h->length * (uint64_t)h->channels; /* two factors < 2^31: fits */
    if (per && n > UINT64_MAX / 4 / per) return -1;
    s->x = n * per * 4;
    s->y = n * 4;
    s->features = n * (uint64_t)h->n_features * 4; /* < 2^64: three factors < 2^31, 2^32 */
    s->record = h->has_record ? n * 4 : 0;
    return 0;
}

static int warn_miss(const char *path, const char *why) {
    fprintf(stderr, "warning: cache file %s: %s; ignoring it (cache miss)\n", path, why);
    return 1;
}

/* Reads n bytes into p and chains them into *hash; 0 on success. */
static int read_hashed(FILE *fp, void *p, uint64_t n, uint64_t *hash) {
    if (n && fread(p, 1, (size_t)n, fp) != n) return -1;
    *hash = ecg_hash_bytes(*hash, p, (size_t)n);
    return 0;
}

/* Splits the names blob into d's class and feature name arrays, in one block owned by d. */
static int unpack_names(char *blob, uint64_t nbytes, ecg_dataset *d) {
    int total = d->n_classes + d->n_features;
    size_t ptr_bytes = (size_t)total * sizeof(char *);
    char **block = malloc(ptr_bytes + (size_t)nbytes + 1);
    if (!block) return -1;
    char *text = (char *)block + ptr_bytes;
    memcpy(text, blob, (size_t)nbytes);
    size_t at = 0;
    for (int i = 0; i < total; i++) {
        const char *end = at < nbytes ? memchr(text + at, '\0', (size_t)nbytes - at) : NULL;
        if (!end) {
            free(block);
            return -1;
        }
        block[i] = text + at;
        at = (size_t)(end - text) + 1;
    }
    if (at != nbytes) {
        free(block);
        return -1;
    }
    d->names_storage = block;
    d->class_names = (const char *const *)block;
    d->feature_names = d->n_features ? (const char *const *)(block + d->n_classes) : NULL;
    return 0;
}

int ecg_cache_load(const char *cache_dir, uint64_t key, ecg_dataset *d, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    char path[1024];
    cache_path(cache_dir, key, path, sizeof path);
    /* O_NONBLOCK: a FIFO under the cache's name must not block the open (fstat refuses it) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!fp) {
        int e = errno;
        if (fd >= 0) close(fd);
        return e == ENOENT ? 1 : warn_miss(path, strerror(e));
    }
    cache_header h;
    struct stat st;
    payload_sizes s;
    int rc = 1;
    char *names = NULL;
    if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
        warn_miss(path, "not a regular file");
        goto done;
    }
    if (fread(&h, 1, sizeof h, fp) != sizeof h) {
        warn_miss(path, "shorter than the cache header");
        goto done;
    }
    if (memcmp(h.magic, CACHE_MAGIC, 8) || h.version != CACHE_VERSION || h.header_bytes != sizeof h) {
        warn_miss(path, "not an ecgbench cache file of this version");
        goto done;
    }
    if (h.header_hash != header_hash(&h)) {
        warn_miss(path, "header checksum mismatch (corrupt)");
        goto done;
    }
    if (h.key != key) {
        warn_miss(path, "holds another key");
        goto done;
    }
    if (sizes_of(&h, &s) || h.names_bytes > h.payload_bytes ||
        h.payload_bytes != h.names_bytes + s.x + s.y + s.features + s.record ||
        (uint64_t)st.st_size != sizeof h + h.payload_bytes) {
        char why[160];
        snprintf(why, sizeof why, "sizes disagree (file %lld bytes, header promises %llu)", (long long)st.st_size,
                 (unsigned long long)(sizeof h + h.payload_bytes));
        warn_miss(path, why);
        goto done;
    }
    d->n = h.n;
    d->length = h.length;
    d->channels = h.channels;
    d->n_classes = h.n_classes;
    d->n_features = h.n_features;
    memcpy(d->task, h.task, sizeof d->task);
    memcpy(d->split, h.split, sizeof d->split);
    memcpy(d->data_version, h.data_version, sizeof d->data_version);
    d->task[sizeof d->task - 1] = d->split[sizeof d->split - 1] = d->data_version[sizeof d->data_version - 1] = 0;
    names = malloc((size_t)h.names_bytes + 1);
    d->x = malloc((size_t)s.x + 1);
    d->y = malloc((size_t)s.y + 1);
    d->features = s.features ? malloc((size_t)s.features) : NULL;
    d->record = s.record ? malloc((size_t)s.record) : NULL;
    if (!names || !d->x || !d->y || (s.features && !d->features) || (s.record && !d->record)) {
        snprintf(err, errlen, "cache file %s: out of memory for %llu bytes", path,
                 (unsigned long long)h.payload_bytes);
        rc = -1;
        goto done;
    }
    uint64_t hash = ECG_HASH_INIT;
    if (read_hashed(fp, names, h.names_bytes, &hash) || read_hashed(fp, d->x, s.x, &hash) ||
        read_hashed(fp, d->y, s.y, &hash) || read_hashed(fp, d->features, s.features, &hash) ||
        read_hashed(fp, d->record, s.record, &hash)) {
        warn_miss(path, "read failed or file shrank while reading");
        goto done;
    }
    if (hash != h.payload_hash) {
        warn_miss(path, "payload checksum mismatch (corrupt)");
        goto done;
    }
    if (unpack_names(names, h.names_bytes, d)) {
        warn_miss(path, "class/feature names block malformed");
        goto done;
    }
    for (int i = 0; i < d->n; i++)
        if (d->y[i] < 0 || d->y[i] >= d->n_classes) {
            warn_miss(path, "label out of range");
            goto done;
        }
    rc = 0;
done:
    fclose(fp);
    free(names);
    if (rc) ecg_dataset_free(d);
    return rc;
}

/* mkdir -p for the cache folder. */
static int make_dirs(const char *dir) {
    char p[1024];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return -1;
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            if (mkdir(p, 0777) && errno != EEXIST) return -1;
            *c = '/';
        }
    return mkdir(p, 0777) && errno != EEXIST ? -1 : 0;
}

/* Name i of a names array, "" when missing (written so that load gives back the same count). */
static const char *name_at(const char *const *names, int i) { return names[i] ? names[i] : ""; }

static int write_part(FILE *fp, const void *p, uint64_t n) { return n && fwrite(p, 1, (size_t)n, fp) != n ? -1 : 0; }

int ecg_cache_save(const char *cache_dir, uint64_t key, const ecg_dataset *d, char *err, size_t errlen) {
    const char *dir = cache_dir ? cache_dir : ECG_CACHE_DIR_DEFAULT;
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.version = CACHE_VERSION;
    h.header_bytes = sizeof h;
    h.key = key;
    h.n = d->n;
    h.length = d->length;
    h.channels = d->channels;
    h.n_classes = d->n_classes;
    h.n_features = d->features ? d->n_features : 0;
    h.has_record = d->record != NULL;
    snprintf(h.task, sizeof h.task, "%s", d->task);
    snprintf(h.split, sizeof h.split, "%s", d->split);
    snprintf(h.data_version, sizeof h.data_version, "%s", d->data_version);
    payload_sizes s;
    if (sizes_of(&h, &s) || (d->n > 0 && (!d->x || !d->y)) || (h.n_classes && !d->class_names) ||
        (h.n_features && !d->feature_names)) {
        snprintf(err, errlen, "cache save %s/%016llx: dataset is inconsistent (n %d, length %d, channels %d)", dir,
                 (unsigned long long)key, d->n, d->length, d->channels);
        return -1;
    }
    /* Names blob: each name with its NUL. */
    uint64_t names_bytes = 0, ph = ECG_HASH_INIT;
    for (int i = 0; i < h.n_classes + h.n_features; i++) {
        const char *nm = i < h.n_classes ? name_at(d->class_names, i) : name_at(d->feature_names, i - h.n_classes);
        names_bytes += strlen(nm) + 1;
        ph = ecg_hash_bytes(ph, nm, strlen(nm) + 1);
    }
    h.names_bytes = names_bytes;
    h.payload_bytes = names_bytes + s.x + s.y + s.features + s.record;
    ph = ecg_hash_bytes(ph, d->x, (size_t)s.x);
    ph = ecg_hash_bytes(ph, d->y, (size_t)s.y);
    ph = ecg_hash_bytes(ph, d->features, (size_t)s.features);
    ph = ecg_hash_bytes(ph, d->record, (size_t)s.record);
    h.payload_hash = ph;
    h.header_hash = header_hash(&h);

    if (make_dirs(dir)) {
        snprintf(err, errlen, "cache save: cannot create folder %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[1024], tmp[1100];
    cache_path(dir, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!fp) {
        snprintf(err, errlen, "cache save: cannot create %s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return -1;
    }
    int bad = write_part(fp, &h, sizeof h);
    for (int i = 0; !bad && i < h.n_classes + h.n_features; i++) {
        const char *nm = i < h.n_classes ? name_at(d->class_names, i) : name_at(d->feature_names, i - h.n_classes);
        bad = write_part(fp, nm, strlen(nm) + 1);
    }
    bad = bad || write_part(fp, d->x, s.x) || write_part(fp, d->y, s.y) || write_part(fp, d->features, s.features) ||
          write_part(fp, d->record, s.record);
    bad = bad || fflush(fp) || fsync(fileno(fp));
    bad = fclose(fp) || bad;
    if (bad || rename(tmp, path)) {
        snprintf(err, errlen, "cache save: writing %s failed: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
