/* ONNX export (export/): op coverage, refusal of what it cannot lower, the structure of what it
 * writes (read back with protobuf-c), and python3-onnx's checker on it when python3-onnx is here.
 * The numbers are checked against ONNX Runtime by tests/onnx_check.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "export/onnx_export.h"
#include "harness.h"
#include "runs/manifest.h" /* ecg_task_model_cfg */
#include "models/models.h"
#include "onnx.pb-c.h"

/* Every op kind has a lowering: a new op in ops/op_list.h fails here until export/ lowers it. */
static void test_every_op_lowered(void) {
    for (int k = 0; k < ECG_OP_COUNT; k++)
        CHECK(ecg_onnx_op_lowered((ecg_op_kind)k), "op %s has no ONNX lowering", ecg_op_get((ecg_op_kind)k)->name);
    CHECK(!ecg_onnx_op_lowered(ECG_OP_COUNT), "a kind out of range counts as lowered");
}

/* conv -> BN -> SiLU -> GAP -> linear: the smallest graph with the layout changes. */
static int tiny_graph(ecg_graph *g) {
    ecg_graph_init(g, 7);
    int x = ecg_input(g, "ecg", ecg_shape2(16, 2));
    x = ecg_conv1d(g, "conv", x, 4, 3, 1, 1, 1, 0);
    x = ecg_batchnorm(g, "bn", x, 1e-5f, 0.1f);
    x = ecg_unary(g, ECG_OP_SILU, "act", x);
    x = ecg_gap(g, "pool", x);
    x = ecg_linear(g, "fc", x, 3, 1);
    ecg_graph_set_output(g, x);
    return x;
}

static int has_name(char *const *names, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return 1;
    return 0;
}

/* The model read back: opset, input and output names and shapes (N symbolic; the output named
 * output, [N, src's output shape]), and every node input defined before it is read (graph input,
 * initializer or an earlier node's output). Returns the number of nodes of op_type count_op. */
static int check_model(const uint8_t *buf, size_t len, const char *what, const char *count_op, const ecg_graph *src,
                       const char *output) {
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    CHECK(m, "%s: protobuf-c cannot read the model back", what);
    if (!m) return -1;
    CHECK(m->n_opset_import == 1 && m->opset_import[0]->version == ECG_ONNX_OPSET && m->ir_version == ECG_ONNX_IR_VERSION,
          "%s: opset/IR version", what);
    Onnx__GraphProto *g = m->graph;
    CHECK(g && g->n_input >= 1 && !strcmp(g->input[0]->name, "x"), "%s: first input is not x", what);
    CHECK(g && g->n_output == 1 && !strcmp(g->output[0]->name, output), "%s: output is not %s", what, output);
    int found = 0;
    if (g && g->n_input >= 1 && g->n_output == 1) {
        Onnx__TensorShapeProto *s = g->input[0]->type->tensor_type->shape;
        CHECK(s->n_dim == 3 && s->dim[0]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                  !strcmp(s->dim[0]->dim_param, "N"),
              "%s: x is not [N, T, C] with N symbolic", what);
        const ecg_shape *want = &src->values[src->output].shape;
        Onnx__TensorShapeProto *o = g->output[0]->type->tensor_type->shape;
        int same = o->n_dim == (size_t)want->rank + 1 &&
                   o->dim[0]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        for (int k = 0; same && k < want->rank; k++)
            same = o->dim[k + 1]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                   o->dim[k + 1]->dim_value == want->d[k];
        char ws[64];
        CHECK(same, "%s: %s is not [N] + %s", what, output, ecg_shape_str(want, ws, sizeof ws));
        size_t cap = g->n_input + g->n_initializer + 16, n = 0;
        for (size_t i = 0; i < g->n_node; i++) cap += g->node[i]->n_output;
        char **defined = malloc(cap * sizeof *defined);
        for (size_t i = 0; i < g->n_input; i++) defined[n++] = g->input[i]->name;
        for (size_t i = 0; i < g->n_initializer; i++) defined[n++] = g->initializer[i]->name;
        int bad = 0;
        for (size_t i = 0; i < g->n_node && !bad; i++) {
            Onnx__NodeProto *nd = g->node[i];
            for (size_t k = 0; k < nd->n_input; k++)
                if (nd->input[k][0] && !has_name(defined, n, nd->input[k])) {
                    CHECK(0, "%s: node %s reads %s before anything defines it", what, nd->name, nd->input[k]);
                    bad = 1;
                }
            for (size_t k = 0; k < nd->n_output; k++) defined[n++] = nd->output[k];
            if (count_op && !strcmp(nd->op_type, count_op)) found++;
        }
        CHECK(has_name(defined, n, output), "%s: nothing writes %s", what, output);
        free(defined);
    }
    onnx__model_proto__free_unpacked(m, NULL);
    return found;
}

/* python3-onnx's checker (with shape inference) on a file: 1 accepted, 0 refused, -1 not available. */
static int onnx_checker(const char *path) {
    const char *pys[] = {"python3", "/usr/bin/python3"};
    char cmd[1024];
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd, "%s -c 'import onnx' >/dev/null 2>&1", pys[i]);
        if (system(cmd) != 0) continue;
        snprintf(cmd, sizeof cmd,
                 "%s -c 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' %s",
                 pys[i], path);
        return system(cmd) == 0;
    }
    return -1;
}

static void test_tiny_graph_round_trip(void) {
    ecg_graph g;
    CHECK(tiny_graph(&g) >= 0, "build: %s", g.err);
    char err[512] = "", path[] = "/tmp/ecgbench_onnx_test_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd >= 0) close(fd);
    CHECK(!ecg_onnx_export(&g, NULL, path, err, sizeof err), "export: %s", err);
    FILE *f = fopen(path, "rb");
    uint8_t buf[1 << 16];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    CHECK(len > 0 && len < sizeof buf, "read back %zu bytes", len);
    CHECK(check_model(buf, len, "tiny", "Conv", &g, "logits") == 1, "tiny: one Conv expected");
    int ok = onnx_checker(path);
    if (ok < 0) test_skip("python3-onnx is not installed: the checker part did not run");
    else CHECK(ok == 1, "onnx.checker refuses the tiny graph (%s)", path);
    remove(path);
    ecg_graph_free(&g);
}

/* DUMP_input.safetensors (x [N, 16, 2], features = the embedding indices [N, 3]) and
 * DUMP_logits.safetensors (logits of the reference executor, eval mode) for the every-op graph. */
static int dump_reference(ecg_graph *g, const char *dump, char *err, size_t errlen) {
    enum { N = 5 };
    float x[N * 16 * 2], idx[N * 3];
    ecg_rng r = {42};
    for (int i = 0; i < N * 32; i++) x[i] = ecg_rng_normal(&r);
    for (int i = 0; i < N * 3; i++) idx[i] = (float)((i * 3 + 1) % 5);
    ecg_ref *ref = ecg_ref_create(g, N, err, errlen);
    if (!ref) return -1;
    const float *in[2] = {x, idx};
    int rc = ecg_ref_forward(ref, in, 0, 1);
    const float *logits = ecg_ref_output(ref);
    ecg_st_tensor t[2];
    memset(t, 0, sizeof t);
    snprintf(t[0].name, sizeof t[0].name, "x");
    t[0].dtype = ECG_DT_F32, t[0].rank = 3, t[0].shape[0] = N, t[0].shape[1] = 16, t[0].shape[2] = 2;
    t[0].data = (const uint8_t *)x, t[0].nbytes = sizeof x;
    snprintf(t[1].name, sizeof t[1].name, "features");
    t[1].dtype = ECG_DT_F32, t[1].rank = 2, t[1].shape[0] = N, t[1].shape[1] = 3;
    t[1].data = (const uint8_t *)idx, t[1].nbytes = sizeof idx;
    char path[512];
    snprintf(path, sizeof path, "%s_input.safetensors", dump);
    if (!rc) rc = ecg_st_write(path, t, 2, NULL, 0, err, errlen);
    snprintf(t[0].name, sizeof t[0].name, "logits");
    t[0].rank = 2, t[0].shape[1] = 3, t[0].data = (const uint8_t *)logits, t[0].nbytes = N * 3 * sizeof(float);
    snprintf(path, sizeof path, "%s_logits.safetensors", dump);
    if (!rc) rc = ecg_st_write(path, t, 1, NULL, 0, err, errlen);
    ecg_ref_free(ref);
    return rc;
}

/* A graph with every op, the ones no registry model uses included (embedding, hardswish, tanh,
 * reshape, a 2-layer bidirectional LSTM with its whole sequence), and the odd layouts: python3-onnx's
 * checker with shape inference must agree with every shape the exporter declares and implies. */
static void test_every_op_checker(void) {
    ecg_graph g;
    ecg_graph_init(&g, 3);
    int x = ecg_input(&g, "ecg", ecg_shape2(16, 2)), idx = ecg_input(&g, "idx", ecg_shape1(3));
    int c = ecg_conv1d(&g, "conv", x, 8, 3, 1, 1, 1, 1);
    c = ecg_batchnorm(&g, "bn", c, 1e-5f, 0.1f);
    c = ecg_unary(&g, ECG_OP_RELU, "relu", c);
    c = ecg_maxpool(&g, "pool", c, 3, 2, 1);                                  /* [8, 8] */
    c = ecg_unary(&g, ECG_OP_HARDSWISH, "hsw", ecg_unary(&g, ECG_OP_TANH, "tanh", c));
    int se = ecg_unary(&g, ECG_OP_SIGMOID, "se", ecg_gap(&g, "se_pool", c)); /* [8] */
    c = ecg_binary(&g, ECG_OP_MUL, "scale", c, se);
    c = ecg_binary(&g, ECG_OP_ADD, "res", c, ecg_unary(&g, ECG_OP_SILU, "silu", c));
    c = ecg_dropout(&g, "drop", c, 0.1f);
    c = ecg_reshape(&g, "fold", c, ecg_shape2(4, 16));                        /* [4, 16] */
    c = ecg_lstm(&g, "lstm", c, 6, 2, 1, 0);                                  /* [4, 12] */
    c = ecg_layernorm(&g, "ln", c, 1e-5f);
    int tok = ecg_tokens(&g, "cls", 1, 12);
    int q = ecg_concat(&g, "cat", (int[]){tok, c}, 2, 0);                     /* [5, 12] */
    q = ecg_mha(&g, "attn", q, -1, 3);
    int head = ecg_gap(&g, "head", ecg_slice(&g, "row", q, 0, 0, 2));         /* [12] */
    int e = ecg_gap(&g, "emb_pool", ecg_embedding(&g, "emb", idx, 5, 12));    /* [12] */
    int last = ecg_lstm(&g, "lstm_last", ecg_linear(&g, "proj", q, 4, 0), 3, 1, 1, 1); /* [6] */
    int z = ecg_concat(&g, "z", (int[]){ecg_binary(&g, ECG_OP_ADD, "sum", head, e), last}, 2, 0);
    z = ecg_linear(&g, "fc", z, 3, 1);
    CHECK(z >= 0, "build: %s", g.err);
    if (z < 0) {
        ecg_graph_free(&g);
        return;
    }
    ecg_graph_set_output(&g, z);
    /* running statistics away from (0, 1), so a wrong batchnorm lowering shows in the numbers */
    for (int k = 0; k < g.n_params; k++) {
        ecg_param *p = &g.params[k];
        int var = strstr(p->name, "running_var") != NULL, mean = strstr(p->name, "running_mean") != NULL;
        for (int64_t i = 0; (var || mean) && i < ecg_shape_numel(&p->shape); i++)
            p->data[i] = var ? 0.5f + 0.1f * (float)(i % 7) : 0.2f * (float)(i % 5) - 0.4f;
    }
    int seen[ECG_OP_COUNT] = {0}, missing = 0;
    for (int k = 0; k < g.n_nodes; k++) seen[g.nodes[k].kind] = 1;
    for (int k = 0; k < ECG_OP_COUNT; k++) missing += !seen[k];
    CHECK(!missing, "the graph lacks %d op kinds: add them here", missing);
    char err[512] = "", path[] = "/tmp/ecgbench_onnx_all_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK(!ecg_onnx_export(&g, NULL, path, err, sizeof err), "export: %s", err);
    int ok = onnx_checker(path);
    if (ok < 0) test_skip("python3-onnx is not installed: the checker part did not run");
    else CHECK(ok == 1, "onnx.checker refuses the every-op graph (%s)", path);
    const char *dump = getenv("ECG_ONNX_DUMP");
    if (dump) { /* the model with inputs and the reference executor's logits, for ONNX Runtime (tests/onnx_check.sh) */
        char dst[512];
        snprintf(dst, sizeof dst, "%s.onnx", dump);
        CHECK(!rename(path, dst), "cannot move the model to %s", dst);
        CHECK(!dump_reference(&g, dump, err, sizeof err), "reference for %s: %s", dump, err);
    }
    remove(path);
    ecg_graph_free(&g);
}

/* A node of a kind the exporter does not know is refused with its name; so is a graph without an
 * output, and an int8 node the graph does not have. */
static void test_refusals(void) {
    ecg_graph g;
    tiny_graph(&g);
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    g.nodes[2].kind = ECG_OP_COUNT; /* the SiLU */
    CHECK(ecg_onnx_export_mem(&g, NULL, &buf, &len, err, sizeof err) == -1 && strstr(err, "act") &&
              strstr(err, "no ONNX lowering"),
          "an op without lowering: '%s'", err);
    free(buf);
    buf = NULL;
    g.nodes[2].kind = ECG_OP_SILU;
    int out = g.output;
    g.output = -1;
    CHECK(ecg_onnx_export_mem(&g, NULL, &buf, &len, err, sizeof err) == -1 && strstr(err, "no output"), "no output: '%s'",
          err);
    g.output = out;
    ecg_qnode qn = {.node = "nonesuch"};
    ecg_qmodel q = {&qn, 1};
    ecg_onnx_opts o = {.q = &q};
    CHECK(ecg_onnx_export_mem(&g, &o, &buf, &len, err, sizeof err) == -1 && strstr(err, "nonesuch"),
          "an int8 node the graph lacks: '%s'", err);
    ecg_graph_free(&g);
}

/* The conv as an int8 node: QDQ around it, per-channel weight scales, the checker accepts it. */
static void test_int8_qdq(void) {
    ecg_graph g;
    tiny_graph(&g);
    int8_t w[4 * 2 * 3];
    float ws[4] = {0.01f, 0.02f, 0.03f, 0.04f};
    int32_t bias[4] = {1, -2, 3, -4};
    for (int i = 0; i < 24; i++) w[i] = (int8_t)(i * 5 - 60);
    ecg_qnode qn = {.node = "conv", .in = {0.05f, -3}, .out = {0.1f, 7}, .w = w, .n_w = 24, .w_scale = ws,
                    .n_scale = 4, .bias = bias, .n_out = 4};
    ecg_qmodel q = {&qn, 1};
    ecg_onnx_opts o = {.q = &q};
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    CHECK(!ecg_onnx_export_mem(&g, &o, &buf, &len, err, sizeof err), "int8 export: %s", err);
    /* input, output: Q + DQ each; weight and bias: one DQ each */
    if (buf)
        CHECK(check_model(buf, len, "int8", "DequantizeLinear", &g, "logits") == 4,
              "int8: 4 DequantizeLinear expected");
    char path[] = "/tmp/ecgbench_onnx_q_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0 && buf) {
        CHECK(write(fd, buf, len) == (ssize_t)len, "write");
        close(fd);
        int ok = onnx_checker(path);
        if (ok >= 0) CHECK(ok == 1, "onnx.checker refuses the QDQ graph");
        remove(path);
    }
    free(buf);
    qn.n_scale = 1; /* a conv with one weight scale does not fit its node */
    CHECK(ecg_onnx_export_mem(&g, &o, &buf, &len, err, sizeof err) == -1 && strstr(err, "conv"), "bad int8 node: '%s'",
          err);
    ecg_graph_free(&g);
}

/* Every registry model exports (random weights), and its graph reads back well formed: between them
 * they hold every op the committed runs use (MBConv with SE, attention, layernorm, LSTM, tokens). */
static void test_registry_models_export(void) {
    int ops_seen[ECG_OP_COUNT] = {0};
    char err[512] = "";
    const ecg_task *task = ecg_task_lookup("mitdb-aami", err, sizeof err); /* beats with patient features */
    CHECK(task, "task: %s", err);
    if (!task) return;
    for (int i = 0; ecg_model_at(i); i++) {
        const ecg_model_def *def = ecg_model_at(i);
        ecg_model_cfg mc = ecg_task_model_cfg(task);
        ecg_graph g;
        if (ecg_model_build(def->name, &mc, &g, err, sizeof err)) {
            CHECK(0, "%s: build: %s", def->name, err);
            continue;
        }
        for (int k = 0; k < g.n_nodes; k++) ops_seen[g.nodes[k].kind] = 1;
        uint8_t *buf = NULL;
        size_t len = 0;
        ecg_onnx_opts o = {.output = ecg_objective_output(def->objective)};
        CHECK(!ecg_onnx_export_mem(&g, &o, &buf, &len, err, sizeof err), "%s: export: %s", def->name, err);
        if (buf) check_model(buf, len, def->name, NULL, &g, o.output);
        free(buf);
        ecg_graph_free(&g);
    }
    CHECK(ops_seen[ECG_OP_LSTM] && ops_seen[ECG_OP_MHA] && ops_seen[ECG_OP_LAYERNORM] && ops_seen[ECG_OP_TOKENS],
          "the registry no longer holds LSTM, attention, layernorm and tokens: this test covers less");
}

/* `ecgbench export-onnx` on an lstm-ae run folder (random weights): the autoencoder's output is
 * named as predict names it, "reconstruction", shaped as its input [N, 252, 1], and its encoder
 * and decoder are ONNX LSTM nodes. */
static void test_cli_autoencoder(void) {
    char dir[] = "/tmp/ecgbench_onnx_ae_XXXXXX", path[128], err[512] = "";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    ecg_model_cfg mc = ecg_task_model_cfg(ecg_task_find("mitdb-aami"));
    ecg_graph g;
    if (ecg_model_build("lstm-ae", &mc, &g, err, sizeof err)) {
        CHECK(0, "build: %s", err);
        return;
    }
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    CHECK(!ecg_safetensors_save(&g, path, NULL, 0, err, sizeof err), "save: %s", err);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("{\"model\": \"lstm-ae\", \"task\": \"mitdb-aami\", \"weights\": \"weights.safetensors\", "
              "\"seed\": 1}", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/ae.onnx", dir);
    char *argv[] = {"export-onnx", dir, "--out", path};
    CHECK(ecg_cmd_export_onnx(4, argv) == 0, "export-onnx of an lstm-ae run failed");
    static uint8_t buf[1 << 20]; /* the model is about 0.2 MB */
    FILE *m = fopen(path, "rb");
    size_t len = m ? fread(buf, 1, sizeof buf, m) : 0;
    if (m) fclose(m);
    CHECK(len > 0 && len < sizeof buf, "read back %zu bytes of %s", len, path);
    CHECK(check_model(buf, len, "lstm-ae", "LSTM", &g, "reconstruction") == 2,
          "lstm-ae: 2 LSTM nodes expected (encoder, decoder)");
    ecg_graph_free(&g);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0, "cleanup");
}

int main(void) {
    RUN(test_every_op_lowered);
    RUN(test_tiny_graph_round_trip);
    RUN(test_every_op_checker);
    RUN(test_refusals);
    RUN(test_int8_qdq);
    RUN(test_registry_models_export);
    RUN(test_cli_autoencoder);
    return test_done();
}
