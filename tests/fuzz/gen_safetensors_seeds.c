/* Writes the seed corpus of fuzz_safetensors into the directory given (not built by make; the
 * seeds are committed). tests/fuzz/gen_seeds.sh (make fuzz-seeds) builds and runs it; by hand:
 *   cc -std=c11 -D_GNU_SOURCE -I. -fsanitize=address,undefined tests/fuzz/gen_safetensors_seeds.c \
 *      build/asan/libecgbench.a -lXNNPACK -lpthreadpool -lcjson -lcsv -lnettle -lm -lpthread -lstdc++ \
 *      -o /tmp/gen && /tmp/gen tests/fuzz/seeds/fuzz_safetensors */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/safetensors.h"
#include "tests/fuzz/st_fuzz_graph.h"

static int write_file(const char *dir, const char *name, const void *b, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t w = n ? fwrite(b, 1, n, fp) : 0;
    return fclose(fp) == 0 && w == n ? 0 : -1;
}

/* Header text + data_len bytes of data; unpadded, so the data is unaligned. */
static int write_image(const char *dir, const char *name, const char *json, size_t data_len) {
    size_t n = strlen(json), len = 8 + n + data_len;
    uint8_t *b = calloc(len, 1);
    if (!b) return -1;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(b + 8, json, n);
    for (size_t i = 0; i < data_len; i++) b[8 + n + i] = (uint8_t)(i * 37);
    int rc = write_file(dir, name, b, len);
    free(b);
    return rc;
}

/* The fuzz graph's params as hand-written header entries, with an optional override. */
#define E(name, shape, b, e) "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"
#define GRAPH_ENTRIES                                                                              \
    E("conv.weight", "[4,2,3]", 0, 96) "," E("conv.bias", "[4]", 96, 112) "," E("bn.weight", "[4]", 112, 128) \
    "," E("bn.bias", "[4]", 128, 144) "," E("bn.running_mean", "[4]", 144, 160) ","            \
    E("bn.running_var", "[4]", 160, 176) "," E("fc.weight", "[3,4]", 176, 224)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    char path[1024], err[ECG_ERR_LEN];
    ecg_graph g;
    if (st_fuzz_graph(&g, 7)) {
        fprintf(stderr, "graph: %s\n", g.err);
        return 1;
    }
    snprintf(path, sizeof path, "%s/valid.safetensors", dir);
    int rc = ecg_safetensors_save(&g, path, NULL, 0, err, sizeof err);
    const char *meta[] = {"format", "pt", "arch", "tiny"};
    snprintf(path, sizeof path, "%s/valid_meta.safetensors", dir);
    rc |= ecg_safetensors_save(&g, path, meta, 2, err, sizeof err);
    ecg_graph_free(&g);
    if (rc) {
        fprintf(stderr, "save: %s\n", err);
        return 1;
    }
    /* Hand-made variants: a loadable file in another writer's style (unaligned, keys in another
     * order, a num_batches_tracked), and near misses of each check. */
    rc |= write_image(dir, "pytorch_style.safetensors",
                      "{\"__metadata__\":{\"format\":\"pt\"}," GRAPH_ENTRIES "," E("fc.bias", "[3]", 224, 236)
                      ",\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[236,244]}}",
                      244);
    rc |= write_image(dir, "missing_bias.safetensors", "{" GRAPH_ENTRIES "}", 224);
    rc |= write_image(dir, "wrong_shape.safetensors", "{" GRAPH_ENTRIES "," E("fc.bias", "[1,3]", 224, 236) "}", 236);
    rc |= write_image(dir, "extra.safetensors",
                      "{" GRAPH_ENTRIES "," E("fc.bias", "[3]", 224, 236) "," E("foo", "[1]", 236, 240) "}", 240);
    rc |= write_image(dir, "dtypes.safetensors",
                      "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                      "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[4,6]},"
                      "\"c\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[6,14]},"
                      "\"d\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[14,18]},"
                      "\"e\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[18,20]},"
                      "\"f\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[20,21]},"
                      "\"g\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[21,22]},"
                      "\"h\":{\"dtype\":\"BOOL\",\"shape\":[0,5],\"data_offsets\":[22,22]}}  ",
                      22);
    rc |= write_image(dir, "overlap.safetensors",
                      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                      8);
    rc |= write_image(dir, "duplicate.safetensors",
                      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                      2);
    rc |= write_image(dir, "empty.safetensors", "{}", 0);
    rc |= write_image(dir, "limits.safetensors",
                      "{\"__metadata__\":{\"k\":\"v\",\"k2\":\"\\u00fc\"},"
                      "\"r8\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]},"
                      "\"big\":{\"dtype\":\"F64\",\"shape\":[65536,65536,0],\"data_offsets\":[1,1]},"
                      "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\":"
                      "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                      2);
    if (rc) {
        fprintf(stderr, "writing seeds failed\n");
        return 1;
    }
    return 0;
}
