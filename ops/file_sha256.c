/* SHA-256 through nettle (nettle-dev): the FIPS 180-4 rounds are not ours to get wrong. */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops/file_sha256.h"

static void to_hex(struct sha256_ctx *c, char hex[65]) {
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(c, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void ecg_sha256_hex(const void *data, size_t n, char hex[65]) {
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, n, data);
    to_hex(&c, hex);
}

int ecg_file_sha256(const char *path, char hex[65], int64_t *bytes, char *err, size_t errlen) {
    /* O_NONBLOCK: a FIFO in the file's place must not hang the open */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    struct sha256_ctx c;
    sha256_init(&c);
    static __thread uint8_t buf[1 << 16];
    int64_t total = 0;
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (k == 0) break;
        sha256_update(&c, (size_t)k, buf);
        total += k;
    }
    close(fd);
    to_hex(&c, hex);
    *bytes = total;
    return 0;
}
