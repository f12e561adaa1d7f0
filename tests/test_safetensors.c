/* safetensors: save/load round trip, byte layout against the spec, and hostile files (every
 * rejection names the file and the tensor, and a failed load leaves the params unchanged). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ops/rng.h"
#include "ops/safetensors.h"

/* ---------------------------------------------------------------- helpers */

typedef struct {
    char dir[64];
} tmpdir;

static void tmp_open(tmpdir *t) {
    snprintf(t->dir, sizeof t->dir, "/tmp/ecg_st_test_XXXXXX");
    CHECK(mkdtemp(t->dir) != NULL, "mkdtemp");
}

static void tmp_path(const tmpdir *t, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", t->dir, name);
}

/* Number of entries in the directory (besides . and ..), to catch leftover temp files. */
static int tmp_count(const tmpdir *t) {
    DIR *d = opendir(t->dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void tmp_close(tmpdir *t) {
    DIR *d = opendir(t->dir);
    if (d) {
        char p[512];
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    CHECK(rmdir(t->dir) == 0, "rmdir %s", t->dir);
}

static int write_bytes(const char *path, const void *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    size_t w = n ? fwrite(b, 1, n, fp) : 0;
    return fclose(fp) == 0 && w == n ? 0 : -1;
}

static uint8_t *read_bytes(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = b ? fread(b, 1, (size_t)len, fp) : 0;
    fclose(fp);
    return b;
}

/* Appends a node by hand: the saver reads only kind, name and params, and building the graph
 * this way keeps the test independent of the ops' shape inference. */
static void add_node(ecg_graph *g, ecg_op_kind kind, const char *name, int first_param, int n_param) {
    ecg_node *nodes = realloc(g->nodes, (size_t)(g->n_nodes + 1) * sizeof *nodes);
    CHECK(nodes != NULL, "realloc");
    if (!nodes) return;
    g->nodes = nodes;
    g->cap_nodes = g->n_nodes + 1;
    ecg_node *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    snprintf(n->name, sizeof n->name, "%s", name);
    for (int i = 0; i < n_param; i++) n->param[i] = first_param + i;
    n->n_param = n_param;
    n->out = -1;
}

/* The params of input [16, 2] -> Conv1d "conv" (4 out, kernel) -> BatchNorm1d "bn" -> Linear
 * "fc" (3 out), with PyTorch names and shapes; all get random values from seed (BN params are
 * constant-initialised otherwise). */
static void build(ecg_graph *g, uint64_t seed, int kernel, int fc_bias) {
    ecg_graph_init(g, seed);
    ecg_input(g, "x", ecg_shape2(16, 2));
    int p = ecg_param_add(g, "conv.weight", ecg_shape3(4, 2, kernel), 0.5f, 0, 1);
    ecg_param_add(g, "conv.bias", ecg_shape1(4), 0.5f, 0, 1);
    add_node(g, ECG_OP_CONV1D, "conv", p, 2);
    p = ecg_param_add(g, "bn.weight", ecg_shape1(4), 0, 1.0f, 1);
    ecg_param_add(g, "bn.bias", ecg_shape1(4), 0, 0.0f, 1);
    ecg_param_add(g, "bn.running_mean", ecg_shape1(4), 0, 0.0f, 0);
    ecg_param_add(g, "bn.running_var", ecg_shape1(4), 0, 1.0f, 0);
    add_node(g, ECG_OP_BATCHNORM, "bn", p, 4);
    p = ecg_param_add(g, "fc.weight", ecg_shape2(3, 4), 0.5f, 0, 1);
    if (fc_bias) ecg_param_add(g, "fc.bias", ecg_shape1(3), 0.5f, 0, 1);
    add_node(g, ECG_OP_LINEAR, "fc", p, fc_bias ? 2 : 1);
    CHECK(!g->err[0] && g->n_params == 7 + fc_bias, "build: %s", g->err);
    ecg_rng r = {seed * 7919 + 1};
    for (int i = 0; i < g->n_params; i++)
        fill_normal(g->params[i].data, (size_t)ecg_shape_numel(&g->params[i].shape), &r, 1.0f);
}

/* One tensor of a hand-made file. */
typedef struct {
    char name[ECG_NAME_LEN];
    const char *dtype;
    int rank;
    int64_t d[8];
    const void *data;
    size_t nbytes;
} entry;

static int entries_from_graph(const ecg_graph *g, entry *e) {
    for (int i = 0; i < g->n_params; i++) {
        const ecg_param *p = &g->params[i];
        memset(&e[i], 0, sizeof e[i]);
        snprintf(e[i].name, sizeof e[i].name, "%s", p->name);
        e[i].dtype = "F32";
        e[i].rank = p->shape.rank;
        for (int k = 0; k < p->shape.rank; k++) e[i].d[k] = p->shape.d[k];
        e[i].data = p->data;
        e[i].nbytes = (size_t)ecg_shape_numel(&p->shape) * sizeof(float);
    }
    return g->n_params;
}

/* Writes entries in order with consecutive offsets and an unpadded header (so the data is not
 * aligned, which the loader must handle). */
static int write_entries(const char *path, const entry *e, int n) {
    char json[8192];
    size_t used = (size_t)snprintf(json, sizeof json, "{");
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(json + used, sizeof json - used, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                                 i ? "," : "", e[i].name, e[i].dtype);
        for (int k = 0; k < e[i].rank; k++)
            used += (size_t)snprintf(json + used, sizeof json - used, k ? ",%lld" : "%lld", (long long)e[i].d[k]);
        used += (size_t)snprintf(json + used, sizeof json - used, "],\"data_offsets\":[%zu,%zu]}", off,
                                 off + e[i].nbytes);
        off += e[i].nbytes;
    }
    used += (size_t)snprintf(json + used, sizeof json - used, "}");
    size_t total = 8 + used + off;
    uint8_t *b = malloc(total);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)used >> (8 * i));
    memcpy(b + 8, json, used);
    off = 8 + used;
    for (int i = 0; i < n; i++) {
        if (e[i].nbytes) memcpy(b + off, e[i].data, e[i].nbytes);
        off += e[i].nbytes;
    }
    int rc = write_bytes(path, b, total);
    free(b);
    return rc;
}

/* Loads path into g and expects failure with a message containing the path and `want`; the
 * params must be unchanged. */
static void expect_load_fail(ecg_graph *g, const char *path, int allow_extra, const char *want) {
    ecg_graph before;
    CHECK(ecg_graph_clone(&before, g) == 0, "clone");
    char err[ECG_ERR_LEN] = "";
    int rc = ecg_safetensors_load(g, path, allow_extra, err, sizeof err);
    CHECK(rc != 0, "load of %s should fail (%s)", path, want);
    CHECK(strstr(err, path) != NULL, "message does not name the file: %s", err);
    CHECK(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    CHECK(test_same_params(g, &before), "a failed load changed the params (%s)", want);
    ecg_graph_free(&before);
}

/* Parses an in-memory image and expects failure with `want` in the message. */
static void expect_parse_fail(const void *img, size_t len, const char *want) {
    uint8_t *b = malloc(len ? len : 1);
    if (len) memcpy(b, img, len);
    ecg_st_file f;
    char err[ECG_ERR_LEN] = "";
    int rc = ecg_st_parse(&f, b, len, "bad.safetensors", err, sizeof err);
    CHECK(rc != 0, "parse should fail (%s)", want);
    CHECK(strstr(err, "bad.safetensors: ") == err, "message does not start with the file: %s", err);
    CHECK(strstr(err, want) != NULL, "message '%s' lacks '%s'", err, want);
    CHECK(f.buf == NULL && f.t == NULL && f.meta_kv == NULL, "failed parse left state");
    if (!rc) ecg_st_free(&f);
}

/* An image from header text and data_len bytes of data (values 0..). */
static uint8_t *image(const char *json, size_t data_len, size_t *len) {
    size_t n = strlen(json);
    *len = 8 + n + data_len;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(b + 8, json, n);
    for (size_t i = 0; i < data_len; i++) b[8 + n + i] = (uint8_t)i;
    return b;
}

static void expect_header_fail(const char *json, size_t data_len, const char *want) {
    size_t len;
    uint8_t *b = image(json, data_len, &len);
    expect_parse_fail(b, len, want);
    free(b);
}

/* ---------------------------------------------------------------- tests */

static void test_round_trip(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    CHECK(!test_same_params(&a, &b), "seeds should give different params");
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    CHECK(tmp_count(&t) == 1, "leftover temp files: %d entries", tmp_count(&t));
    CHECK(ecg_safetensors_load(&b, path, 0, err, sizeof err) == 0, "load: %s", err);
    CHECK(test_same_params(&a, &b), "params differ after the round trip");
    /* Saving over an existing file replaces it. */
    ecg_graph_free(&b);
    build(&b, 3, 3, 1);
    CHECK(ecg_safetensors_save(&b, path, NULL, 0, err, sizeof err) == 0, "resave: %s", err);
    CHECK(ecg_safetensors_load(&a, path, 0, err, sizeof err) == 0, "reload: %s", err);
    CHECK(test_same_params(&a, &b), "params differ after overwriting");
    CHECK(tmp_count(&t) == 1, "leftover temp files after overwrite");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_wrong_shape(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 5, 1);
    build(&b, 2, 3, 1);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    expect_load_fail(&b, path, 0, "tensor 'conv.weight' has shape [4, 2, 5], the model expects [4, 2, 3]");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_missing(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 0);
    build(&b, 2, 3, 1);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    expect_load_fail(&b, path, 0, "tensor 'fc.bias' is missing");
    expect_load_fail(&b, path, 1, "tensor 'fc.bias' is missing");
    /* The other way round fc.bias is an extra tensor. */
    CHECK(ecg_safetensors_save(&b, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    expect_load_fail(&a, path, 0, "unexpected tensor 'fc.bias' (not a parameter of this model)");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_wrong_dtype(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256];
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    entry e[ECG_MAX_PARAMS];
    int n = entries_from_graph(&a, e);
    int fc = ecg_param_find(&a, "fc.weight");
    e[fc].dtype = "F16";
    e[fc].nbytes /= 2;
    CHECK(write_entries(path, e, n) == 0, "write");
    expect_load_fail(&b, path, 0, "tensor 'fc.weight' has dtype F16, expected F32");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_extra(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    entry e[ECG_MAX_PARAMS + 2];
    int n = entries_from_graph(&a, e);
    static const float foo[2] = {1.5f, -2.0f};
    e[n] = (entry){.name = "foo", .dtype = "F32", .rank = 1, .d = {2}, .data = foo, .nbytes = sizeof foo};
    CHECK(write_entries(path, e, n + 1) == 0, "write");
    expect_load_fail(&b, path, 0, "unexpected tensor 'foo' (not a parameter of this model)");
    CHECK(ecg_safetensors_load(&b, path, 1, err, sizeof err) == 0, "allow_extra load: %s", err);
    CHECK(test_same_params(&a, &b), "params differ after allow_extra load");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

/* BN nodes get an I64 scalar num_batches_tracked; the loader accepts and ignores it (also with
 * any value and when the graph is loaded from PyTorch's layout with unaligned data). */
static void test_num_batches_tracked(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    ecg_st_file f;
    CHECK(ecg_st_read(&f, path, err, sizeof err) == 0, "read: %s", err);
    CHECK(f.n == a.n_params + 1, "%d tensors, expected %d", f.n, a.n_params + 1);
    const ecg_st_tensor *nbt = ecg_st_find(&f, "bn.num_batches_tracked");
    CHECK(nbt != NULL, "bn.num_batches_tracked not written");
    if (nbt) {
        int64_t v = -1;
        memcpy(&v, nbt->data, sizeof v);
        CHECK(nbt->dtype == ECG_DT_I64 && nbt->rank == 0 && nbt->nbytes == 8 && v == 0,
              "num_batches_tracked: %s rank %d, %zu bytes, value %lld", ecg_dtype_name(nbt->dtype), nbt->rank,
              nbt->nbytes, (long long)v);
    }
    /* Every tensor is aligned to its element size in the file (and so in memory for mmap). */
    for (int i = 0; i < f.n; i++)
        CHECK((size_t)(f.t[i].data - f.buf) % ecg_dtype_size(f.t[i].dtype) == 0, "tensor %s data not aligned",
              f.t[i].name);
    ecg_st_free(&f);

    entry e[ECG_MAX_PARAMS + 2];
    int n = entries_from_graph(&a, e);
    static const int64_t seen = 12345;
    e[n] = (entry){.name = "bn.num_batches_tracked", .dtype = "I64", .rank = 0, .data = &seen, .nbytes = 8};
    CHECK(write_entries(path, e, n + 1) == 0, "write");
    CHECK(ecg_safetensors_load(&b, path, 0, err, sizeof err) == 0, "load with nbt: %s", err);
    CHECK(test_same_params(&a, &b), "params differ");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_truncated(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], cut[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    tmp_path(&t, "cut.safetensors", cut, sizeof cut);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    size_t len = 0;
    uint8_t *bytes = read_bytes(path, &len);
    CHECK(bytes && len > 64, "read back");
    if (!bytes) return;
    uint64_t hn = 0;
    for (int i = 0; i < 8; i++) hn |= (uint64_t)bytes[i] << (8 * i);
    struct {
        size_t at;
        const char *want;
    } cuts[] = {
        {0, "too short"},
        {3, "too short"},
        {7, "too short"},
        {8, "past the end of the file"},
        {8 + 5, "past the end of the file"},
        {8 + (size_t)hn - 1, "past the end of the file"},
        {8 + (size_t)hn, "past the end of the data"},
        {8 + (size_t)hn + 10, "past the end of the data"},
        {len - 1, "past the end of the data"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        CHECK(write_bytes(cut, bytes, cuts[i].at) == 0, "write cut");
        expect_load_fail(&b, cut, 0, cuts[i].want);
    }
    /* A whole file followed by junk has bytes no tensor owns. */
    uint8_t *longer = malloc(len + 4);
    memcpy(longer, bytes, len);
    memset(longer + len, 0xAB, 4);
    CHECK(write_bytes(cut, longer, len + 4) == 0, "write long");
    expect_load_fail(&b, cut, 0, "belong to no tensor");
    free(longer);
    free(bytes);
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_header_past_end(void) {
    uint8_t b[812];
    memset(b, ' ', sizeof b);
    uint64_t n = 1234567;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n >> (8 * i));
    b[8] = '{';
    expect_parse_fail(b, sizeof b, "header length 1234567 is past the end of the file (812 bytes)");
    /* Absurd lengths (2^64 - 1, 2^63) are rejected before any allocation. */
    memset(b, 0xff, 8);
    expect_parse_fail(b, sizeof b, "header length 18446744073709551615 is past the end of the file");
    memset(b, 0, 8);
    b[7] = 0x80;
    expect_parse_fail(b, sizeof b, "is past the end of the file");
    memset(b, 0, 8);
    expect_parse_fail(b, sizeof b, "header length is 0");
    expect_parse_fail(b, 0, "too short");
}

static void test_corrupt_json(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a, b;
    build(&a, 1, 3, 1);
    build(&b, 2, 3, 1);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    size_t len = 0;
    uint8_t *bytes = read_bytes(path, &len);
    if (!bytes) return;
    /* Drop a ':' and a closing brace, and add a stray byte after the JSON. */
    char *colon = memchr(bytes + 8, ':', len - 8);
    char *quote = memchr(bytes + 9, '"', len - 9);
    if (colon && quote) {
        *colon = ',';
        CHECK(write_bytes(path, bytes, len) == 0, "write");
        expect_load_fail(&b, path, 0, "header is not valid JSON");
        *colon = ':';
        *quote = '\x01';
        CHECK(write_bytes(path, bytes, len) == 0, "write");
        expect_load_fail(&b, path, 0, "not valid UTF-8 JSON text");
        *quote = '"';
    }
    uint64_t hn = 0;
    for (int i = 0; i < 8; i++) hn |= (uint64_t)bytes[i] << (8 * i);
    bytes[8 + hn - 1] = 'x';
    CHECK(write_bytes(path, bytes, len) == 0, "write");
    expect_load_fail(&b, path, 0, "after the JSON header");
    bytes[8] = '[';
    CHECK(write_bytes(path, bytes, len) == 0, "write");
    expect_load_fail(&b, path, 0, "does not start with '{'");
    free(bytes);
    expect_header_fail("{\"a\":", 0, "not valid JSON");
    expect_header_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} }", 4, "after the JSON header");
    expect_header_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\xff", 4, "not valid UTF-8");
    expect_header_fail("{\"\xc0\xaf\":1}", 0, "not valid UTF-8");
    ecg_graph_free(&a);
    ecg_graph_free(&b);
    tmp_close(&t);
}

static void test_metadata(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "weights.safetensors", path, sizeof path);
    ecg_graph a;
    build(&a, 1, 3, 1);
    const char *meta[] = {"format", "pt", "model", "tiny \"quoted\"\n\xc3\xbc", "empty", ""};
    CHECK(ecg_safetensors_save(&a, path, meta, 3, err, sizeof err) == 0, "save: %s", err);
    ecg_st_file f;
    CHECK(ecg_st_read(&f, path, err, sizeof err) == 0, "read: %s", err);
    CHECK(f.n_meta == 3, "n_meta %d", f.n_meta);
    for (int i = 0; i < f.n_meta && i < 3; i++)
        CHECK(!strcmp(f.meta_kv[2 * i], meta[2 * i]) && !strcmp(f.meta_kv[2 * i + 1], meta[2 * i + 1]),
              "pair %d: %s=%s", i, f.meta_kv[2 * i], f.meta_kv[2 * i + 1]);
    CHECK(ecg_st_find(&f, "__metadata__") == NULL, "metadata is not a tensor");
    ecg_st_free(&f);
    const char *dup[] = {"k", "1", "k", "2"};
    CHECK(ecg_safetensors_save(&a, path, dup, 2, err, sizeof err) != 0 && strstr(err, "'k' given twice"),
          "duplicate metadata key accepted: %s", err);
    expect_header_fail("{\"__metadata__\":{\"a\":1}}", 0, "metadata value of 'a' is not a string");
    expect_header_fail("{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" is not a JSON object");
    expect_header_fail("{\"__metadata__\":{\"a\":\"x\",\"a\":\"y\"}}", 0, "metadata key 'a' appears twice");
    expect_header_fail("{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice");
    ecg_graph_free(&a);
    tmp_close(&t);
}

/* A hand-built 1-tensor graph: the file is exactly what the spec describes. */
static void test_spec_bytes(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    tmp_path(&t, "one.safetensors", path, sizeof path);
    ecg_graph g;
    ecg_graph_init(&g, 1);
    int x = ecg_param_add(&g, "lin.weight", ecg_shape2(2, 3), 1.0f, 0, 1);
    CHECK(x == 0 && g.n_params == 1, "build: %s", g.err);
    static const float w[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, -7.0f};
    memcpy(g.params[0].data, w, sizeof w);
    CHECK(ecg_safetensors_save(&g, path, NULL, 0, err, sizeof err) == 0, "save: %s", err);
    size_t len = 0;
    uint8_t *b = read_bytes(path, &len);
    CHECK(b && len > 8, "read back");
    if (!b || len <= 8) return;
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)b[i] << (8 * i);
    CHECK((8 + n) % 8 == 0, "data offset %llu not 8-aligned", (unsigned long long)(8 + n));
    CHECK(len == 8 + n + sizeof w, "file is %zu bytes, expected %llu", len, (unsigned long long)(8 + n + sizeof w));
    if (len != 8 + n + sizeof w) {
        free(b);
        return;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)b + 8, n, &end, 0);
    CHECK(root != NULL, "header does not parse");
    for (const char *p = end; root && p < (const char *)b + 8 + n; p++) CHECK(*p == ' ', "padding byte 0x%02x", *p);
    CHECK(cJSON_GetArraySize(root) == 1, "%d header entries", cJSON_GetArraySize(root));
    cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "lin.weight");
    cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    cJSON *of = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    CHECK(cJSON_IsString(dt) && !strcmp(dt->valuestring, "F32"), "dtype");
    CHECK(cJSON_IsArray(sh) && cJSON_GetArraySize(sh) == 2 && cJSON_GetArrayItem(sh, 0)->valuedouble == 2 &&
              cJSON_GetArrayItem(sh, 1)->valuedouble == 3,
          "shape");
    CHECK(cJSON_IsArray(of) && cJSON_GetArraySize(of) == 2 && cJSON_GetArrayItem(of, 0)->valuedouble == 0 &&
              cJSON_GetArrayItem(of, 1)->valuedouble == 24,
          "data_offsets");
    cJSON_Delete(root);
    /* Little-endian IEEE floats. */
    for (int i = 0; i < 6; i++) {
        uint32_t u;
        memcpy(&u, &w[i], 4);
        const uint8_t *d = b + 8 + n + 4 * i;
        CHECK(d[0] == (u & 0xff) && d[1] == ((u >> 8) & 0xff) && d[2] == ((u >> 16) & 0xff) && d[3] == (u >> 24),
              "float %d bytes", i);
    }
    free(b);
    ecg_graph_free(&g);
    tmp_close(&t);
}

/* Hostile headers: each is rejected with a message naming the tensor. */
static void test_hostile_headers(void) {
#define T(body) "{\"w\":{" body "}}"
    expect_header_fail("{\"w\":[1,2]}", 0, "tensor 'w' is not a JSON object");
    expect_header_fail("{\"w\":3}", 0, "tensor 'w' is not a JSON object");
    expect_header_fail(T("\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]"), 1, "tensor 'w' has unknown dtype 'F8'");
    expect_header_fail(T("\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]"), 4, "tensor 'w' has no string \"dtype\"");
    expect_header_fail(T("\"shape\":[1],\"data_offsets\":[0,4]"), 4, "tensor 'w' has no string \"dtype\"");
    expect_header_fail(T("\"dtype\":\"F32\",\"data_offsets\":[0,4]"), 4, "tensor 'w' has no \"shape\" array");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]"), 4, "tensor 'w': shape dimension 0");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1,1.5],\"data_offsets\":[0,4]"), 4, "tensor 'w': shape dimension 1");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]"), 4, "tensor 'w': shape dimension 0");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]"), 4, "tensor 'w': shape dimension 0");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[9007199254740992,9007199254740992],\"data_offsets\":[0,4]"), 4,
                       "tensor 'w': the shape's element count overflows");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]"), 4,
                       "tensor 'w': shape dimension 0");
    expect_header_fail(T("\"dtype\":\"F64\",\"shape\":[4503599627370496,2048],\"data_offsets\":[0,4]"), 4,
                       "needs more than 2^64");
    expect_header_fail(T("\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]"), 1,
                       "tensor 'w' has rank 9 (the limit is 8)");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]"), 4, "tensor 'w': \"data_offsets\" must be two");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]"), 8, "tensor 'w': \"data_offsets\" must be two");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]"), 4, "tensor 'w': \"data_offsets\" must be two");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0}"), 4, "tensor 'w': \"data_offsets\" must be two");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]"), 8, "tensor 'w': data_offsets [8, 4] begin after");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]"), 4,
                       "tensor 'w': data_offsets end 8 is past the end of the data (4 bytes)");
    expect_header_fail(T("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]"), 4,
                       "tensor 'w': data_offsets [0, 4] hold 4 bytes, but F32 [2] needs 8");
    expect_header_fail(T("\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]"), 4,
                       "tensor 'w' has a repeated key");
    expect_header_fail("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                       "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                       8, "tensor 'w' appears twice");
    expect_header_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                       8, "tensors 'a' and 'b' overlap");
    expect_header_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                       "data bytes [0, 4) before tensor 'a' belong to no tensor");
    char json[512];
    char longname[ECG_NAME_LEN + 8];
    memset(longname, 'n', ECG_NAME_LEN);
    longname[ECG_NAME_LEN] = 0;
    snprintf(json, sizeof json, "{\"%s\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", longname);
    expect_header_fail(json, 1, "is 128 bytes long (the limit is 127)");
    expect_header_fail("[]", 0, "does not start with '{'");
    expect_header_fail("{", 0, "not valid JSON");
#undef T
}

/* Files other writers produce are accepted: unaligned data, scalars, zero-size tensors, keys in
 * any order, tensors in any data order, extra keys in an entry, all dtypes. */
static void test_valid_variants(void) {
    const char *json =
        "{\"z\":{\"dtype\":\"BOOL\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
        "\"s\":{\"data_offsets\":[16,24],\"shape\":[],\"dtype\":\"I64\",\"extra\":[1]},"
        "\"h\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
        "\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
        "\"__metadata__\":{\"k\":\"v\"},"
        "\"e\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[24,25]}}   ";
    size_t len;
    uint8_t *b = image(json, 25, &len);
    ecg_st_file f;
    char err[ECG_ERR_LEN] = "";
    CHECK(ecg_st_parse(&f, b, len, "ok.safetensors", err, sizeof err) == 0, "parse: %s", err);
    CHECK(f.n == 5 && f.n_meta == 1, "n %d meta %d", f.n, f.n_meta);
    const ecg_st_tensor *s = ecg_st_find(&f, "s"), *z = ecg_st_find(&f, "z");
    CHECK(s && s->rank == 0 && s->dtype == ECG_DT_I64 && s->nbytes == 8 && s->data == f.buf + len - 9, "scalar");
    CHECK(z && z->rank == 2 && z->shape[0] == 0 && z->nbytes == 0, "zero-size");
    CHECK(ecg_st_find(&f, "nope") == NULL, "find of a missing name");
    for (int i = 1; i < f.n; i++) CHECK(strcmp(f.t[i - 1].name, f.t[i].name) < 0, "not sorted");
    ecg_st_free(&f);
    ecg_st_free(&f); /* idempotent */
    for (int i = 0; i < 10; i++) CHECK(ecg_dtype_size((ecg_dtype)i) > 0 && ecg_dtype_name((ecg_dtype)i)[0] != '?', "dtype %d", i);
    CHECK(ecg_dtype_size((ecg_dtype)10) == 0 && !strcmp(ecg_dtype_name((ecg_dtype)-1), "?"), "bad dtype");
}

static void test_save_errors(void) {
    tmpdir t;
    tmp_open(&t);
    char path[256], err[ECG_ERR_LEN] = "";
    ecg_graph a;
    build(&a, 1, 3, 1);
    tmp_path(&t, "no/such/dir/w.safetensors", path, sizeof path);
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) != 0, "save into a missing dir");
    CHECK(strstr(err, path) != NULL, "message does not name the file: %s", err);
    /* Renaming onto a directory fails after the data is written: the temp file must go. */
    tmp_path(&t, "adir", path, sizeof path);
    CHECK(mkdir(path, 0700) == 0, "mkdir");
    CHECK(ecg_safetensors_save(&a, path, NULL, 0, err, sizeof err) != 0, "save onto a directory");
    CHECK(strstr(err, "rename") != NULL, "message: %s", err);
    CHECK(tmp_count(&t) == 1, "temp file left behind (%d entries)", tmp_count(&t));
    rmdir(path);
    expect_load_fail(&a, t.dir, 0, "not a regular file");
    tmp_path(&t, "absent.safetensors", path, sizeof path);
    expect_load_fail(&a, path, 0, "cannot open");
    ecg_graph_free(&a);
    tmp_close(&t);
}

int main(void) {
    RUN(test_round_trip);
    RUN(test_wrong_shape);
    RUN(test_missing);
    RUN(test_wrong_dtype);
    RUN(test_extra);
    RUN(test_num_batches_tracked);
    RUN(test_truncated);
    RUN(test_header_past_end);
    RUN(test_corrupt_json);
    RUN(test_metadata);
    RUN(test_spec_bytes);
    RUN(test_hostile_headers);
    RUN(test_valid_variants);
    RUN(test_save_errors);
    return test_done();
}
