/* Per-sample shapes (batch excluded). */
#include <stdio.h>
#include <string.h>

#include "ops.h"

ecg_shape ecg_shape1(int64_t a) { return (ecg_shape){1, {a}}; }
ecg_shape ecg_shape2(int64_t a, int64_t b) { return (ecg_shape){2, {a, b}}; }
ecg_shape ecg_shape3(int64_t a, int64_t b, int64_t c) { return (ecg_shape){3, {a, b, c}}; }

int64_t ecg_shape_numel(const ecg_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}

int ecg_shape_eq(const ecg_shape *a, const ecg_shape *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

char *ecg_shape_str(const ecg_shape *s, char *buf, size_t n) {
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < s->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)s->d[i]);
    if (used < n) snprintf(buf + used, n - used, "]");
    return buf;
}
