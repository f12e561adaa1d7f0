/* Is this path a regular file? Readers ask before they open it: fopen on a FIFO blocks until a
 * writer comes (forever, for a stray FIFO), and a folder's "size" from ftell is LONG_MAX. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/datasets.h"

static const char *kind_of(mode_t m) {
    return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a regular file";
}

int ecg_check_regular_file(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st)) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: is %s, expected a regular file", path, kind_of(st.st_mode));
        return -1;
    }
    return 0;
}

const char *ecg_printable(const char *s, size_t n, char *out, size_t outn) {
    if (!outn) return out;
    size_t o = 0, i = 0;
    for (; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        char piece[8];
        int len = c >= 0x20 && c < 0x7f ? snprintf(piece, sizeof piece, "%c", c) : snprintf(piece, sizeof piece, "\\x%02X", c);
        if (o + (size_t)len + 4 > outn) break; /* room for "..." and the NUL */
        memcpy(out + o, piece, (size_t)len);
        o += (size_t)len;
    }
    if (i < n && s[i] && o + 4 <= outn) memcpy(out + o, "...", 3), o += 3;
    out[o] = 0;
    return out;
}
