/* Channel pruning: the groups found in EfficientECG, a pruned graph that computes exactly what the
 * full graph computes when the removed channels were inert (reference and XNNPACK), ranking,
 * shapes / params / FLOPs of one MBConv block by hand, the rebuild from counts, bad inputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "compress/compress.h"
#include "harness.h"
#include "models/models.h"
#include "ops/rng.h"
#include "ops/safetensors.h"
#include "runs/files.h"
#include "runs/manifest.h"

enum { LEN = 256, LEADS = 2, CLASSES = 5, BATCH = 2 };

static int build_len(const char *model, int len, ecg_graph *g) {
    char err[512];
    ecg_model_cfg c = ecg_model_cfg_default(len, LEADS, CLASSES);
    c.seed = 3;
    if (ecg_model_build(model, &c, g, err, sizeof err)) {
        CHECK(0, "%s", err);
        return -1;
    }
    return 0;
}

static int build(const char *model, ecg_graph *g) { return build_len(model, LEN, g); }

static ecg_param *param(ecg_graph *g, const char *name) {
    int i = ecg_param_find(g, name);
    CHECK(i >= 0, "no param %s", name);
    return i >= 0 ? &g->params[i] : NULL;
}

/* Batchnorm affine params far from the identity (so a sliced one shows), and running statistics
 * set to a batch's (one training-mode forward with momentum 1): with random init the activations
 * would otherwise shrink ~10x per block and the logits would not depend on the input at all. */
static void randomise_bn(ecg_graph *g, uint64_t seed) {
    ecg_rng r = {seed};
    for (int i = 0; i < g->n_nodes; i++) {
        ecg_node *n = &g->nodes[i];
        if (n->kind != ECG_OP_BATCHNORM) continue;
        n->a.momentum = 1.0f;
        int64_t c = g->params[n->param[0]].shape.d[0];
        for (int64_t k = 0; k < c; k++) {
            g->params[n->param[0]].data[k] = 0.5f + ecg_rng_uniform(&r);
            g->params[n->param[1]].data[k] = 0.2f * ecg_rng_normal(&r);
        }
    }
    char err[512];
    enum { CAL = 4 };
    ecg_ref *ref = ecg_ref_create(g, CAL, err, sizeof err);
    CHECK(ref != NULL, "ref: %s", err);
    size_t n_in = (size_t)CAL * (size_t)ecg_shape_numel(&g->values[g->inputs[0]].shape);
    float *in = malloc(n_in * sizeof *in);
    fill_normal(in, n_in, &r, 1.0f);
    const float *ins[1] = {in};
    CHECK(ref && ecg_ref_forward(ref, ins, 1, seed) == 0, "calibration forward");
    ecg_ref_free(ref);
    free(in);
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].kind == ECG_OP_BATCHNORM) g->nodes[i].a.momentum = 0.01f;
}

/* Reference (eval) output of g on batch examples drawn from seed; malloc'd, NULL on failure. */
static float *ref_output(ecg_graph *g, uint64_t seed) {
    char err[512];
    ecg_ref *r = ecg_ref_create(g, BATCH, err, sizeof err);
    CHECK(r != NULL, "ref: %s", err);
    if (!r) return NULL;
    size_t n_in = (size_t)BATCH * (size_t)ecg_shape_numel(&g->values[g->inputs[0]].shape);
    size_t n_out = (size_t)BATCH * (size_t)ecg_shape_numel(&g->values[g->output].shape);
    float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
    ecg_rng rng = {seed};
    fill_normal(in, n_in, &rng, 1.0f);
    const float *ins[1] = {in};
    CHECK(ecg_ref_forward(r, ins, 0, 0) == 0, "forward");
    memcpy(out, ecg_ref_output(r), n_out * sizeof *out);
    free(in);
    ecg_ref_free(r);
    return out;
}

static int group_index(const ecg_channel_groups *gs, const char *name) {
    for (int i = 0; i < gs->n; i++)
        if (!strcmp(gs->g[i].name, name)) return i;
    return -1;
}

static void test_efficientecg_groups(void) {
    ecg_graph g;
    if (build("efficientecg-s", &g)) return;
    ecg_channel_groups gs;
    char err[512];
    CHECK(ecg_channel_groups_find(&g, &gs, err, sizeof err) == 0, "%s", err);
    /* by name, as a sanity check of the generic propagation: every expand conv and SE fc1 starts a
     * group inside its block, which the depthwise conv, the SE gate (fc2) and the project input share */
    int expands = 0, residual = 0;
    for (int i = 0; i < g.n_nodes; i++) {
        const char *nm = g.nodes[i].name, *leaf = strrchr(nm, '.');
        if (!leaf || strncmp(nm, "blocks.", 7) || (strcmp(leaf, ".conv") && strcmp(leaf, ".fc1"))) continue;
        if (strstr(nm, ".expand.conv") || strstr(nm, ".se.fc1")) {
            int k = group_index(&gs, nm);
            CHECK(k >= 0 && !gs.g[k].residual, "%s starts no local group", nm);
            expands += strstr(nm, ".expand.conv") != NULL;
        }
    }
    CHECK(expands == 9, "%d expand convs in efficientecg-s, want 9 (stages 2-7: 1+1+2+2+2+1 blocks)", expands);
    int k = group_index(&gs, "blocks.1.expand.conv");
    if (k >= 0) {
        const ecg_channel_group *gr = &gs.g[k];
        CHECK(gr->n_producers == 2 && !strcmp(g.nodes[gr->producers[1]].name, "blocks.1.se.fc2"),
              "blocks.1 expanded group: %d producers", gr->n_producers);
        int dw = 0;
        for (int j = 0; j < gr->n_values; j++) dw |= !strcmp(g.values[gr->values[j]].name, "blocks.1.dw.conv");
        CHECK(dw, "the depthwise conv's output is not in the expanded group");
    }
    for (int i = 0; i < gs.n; i++) residual += gs.g[i].residual;
    /* efficientecg-s repeats: 1,1,1,2,2,2,1 -> three stages with adds */
    CHECK(residual == 3, "%d residual groups, want 3", residual);
    CHECK(group_index(&gs, "stem.conv") >= 0 && group_index(&gs, "head.conv") >= 0, "stem / head groups missing");
    CHECK(group_index(&gs, "classifier") < 0, "the logits must not be prunable");
    ecg_channel_groups_free(&gs);
    ecg_graph_free(&g);
}

/* Zeroes channel c of a group everywhere it is made, so it is 0 wherever it is read. */
static void make_inert(ecg_graph *g, const ecg_channel_group *gr, int c, const unsigned char *in_set) {
    for (int p = 0; p < gr->n_producers; p++) {
        const ecg_node *n = &g->nodes[gr->producers[p]];
        for (int j = 0; j < n->n_param; j++) {
            ecg_param *w = &g->params[n->param[j]];
            int64_t per = ecg_shape_numel(&w->shape) / w->shape.d[0];
            memset(w->data + c * per, 0, sizeof(float) * (size_t)per);
        }
    }
    for (int i = 0; i < g->n_nodes; i++) { /* batchnorm gamma, beta; depthwise bias */
        const ecg_node *n = &g->nodes[i];
        if (n->n_in < 1 || !in_set[n->in[0]]) continue;
        if (n->kind == ECG_OP_BATCHNORM) g->params[n->param[0]].data[c] = g->params[n->param[1]].data[c] = 0;
        if (n->kind == ECG_OP_CONV1D && n->a.groups > 1 && n->a.has_bias) g->params[n->param[1]].data[c] = 0;
    }
}

/* Removes ~half of every group's channels after making them inert: the smaller graph must compute
 * the same logits (up to float summation order), and a wrong keep set must not. */
static void check_exact_surgery(const char *model, int check_xnn) {
    ecg_graph g, h, wrong;
    if (build(model, &g)) return;
    randomise_bn(&g, 5);
    ecg_channel_groups gs;
    char err[512];
    CHECK(ecg_channel_groups_find(&g, &gs, err, sizeof err) == 0, "%s", err);
    int **keep = calloc((size_t)gs.n, sizeof *keep), *n_keep = calloc((size_t)gs.n, sizeof(int));
    unsigned char *in_set = calloc((size_t)g.n_values, 1);
    ecg_rng r = {17};
    for (int i = 0; i < gs.n; i++) {
        const ecg_channel_group *gr = &gs.g[i];
        memset(in_set, 0, (size_t)g.n_values);
        for (int j = 0; j < gr->n_values; j++) in_set[gr->values[j]] = 1;
        keep[i] = malloc(sizeof(int) * (size_t)gr->channels);
        for (int c = 0; c < gr->channels; c++) {
            if (ecg_rng_uniform(&r) < 0.5f || (c == gr->channels - 1 && n_keep[i] == 0)) keep[i][n_keep[i]++] = c;
            else make_inert(&g, gr, c, in_set);
        }
    }
    float *want = ref_output(&g, 99);
    CHECK(ecg_graph_clone(&h, &g) == 0 && ecg_graph_clone(&wrong, &g) == 0, "clone");
    CHECK(ecg_channel_surgery(&h, &gs, (const int *const *)keep, n_keep, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_graph_param_count(&h) < ecg_graph_param_count(&g) / 2 + ecg_graph_param_count(&g) / 8,
          "%s: %lld params left of %lld", model, (long long)ecg_graph_param_count(&h),
          (long long)ecg_graph_param_count(&g));
    float *got = ref_output(&h, 99);
    size_t n_out = (size_t)BATCH * CLASSES;
    double e = want && got ? rel_err_f(got, want, n_out) : 1;
    CHECK(e <= 1e-5, "%s: pruned vs full reference rel err %.3g", model, e);
    if (check_xnn) xnn_check(model, &h, BATCH, 1, 0, 1e-4, 99);
    /* control: in every group keep one removed (inert) channel in place of a live one: the logits
     * must change (a surgery slicing the wrong channels would fail the check above) */
    for (int i = 0; i < gs.n; i++) {
        int removed = 0, j = 0;
        while (j < n_keep[i] && keep[i][j] == removed) j++, removed++;
        if (j < n_keep[i]) keep[i][j] = removed; /* 0..removed-1 kept, `removed` not: it replaces the next */
    }
    CHECK(ecg_channel_surgery(&wrong, &gs, (const int *const *)keep, n_keep, err, sizeof err) == 0, "%s", err);
    float *bad = ref_output(&wrong, 99);
    double eb = want && bad ? rel_err_f(bad, want, n_out) : 0;
    CHECK(eb > 1e-3, "%s: keeping removed channels instead of live ones changed nothing (%.3g)", model, eb);
    free(bad);
    free(want), free(got), free(in_set);
    for (int i = 0; i < gs.n; i++) free(keep[i]);
    free(keep), free(n_keep);
    ecg_channel_groups_free(&gs);
    ecg_graph_free(&g), ecg_graph_free(&h), ecg_graph_free(&wrong);
}

static void test_pruned_graph_matches_reference_s(void) { check_exact_surgery("efficientecg-s", 1); }
static void test_pruned_graph_matches_reference_b0(void) { check_exact_surgery("efficientecg-b0", 0); }
static void test_pruned_graph_matches_reference_resnet(void) { check_exact_surgery("resnet1d", 1); }

/* input [T, 4] -> pw1 (8, no bias) -> bn -> silu -> pw2 (3) -> gap -> fc (2): groups pw1 (8) and pw2 (3). */
static int tiny(ecg_graph *g) {
    ecg_graph_init(g, 7);
    int x = ecg_input(g, "ecg", ecg_shape2(16, 4));
    x = ecg_unary(g, ECG_OP_SILU, "a", ecg_batchnorm(g, "bn", ecg_conv1d(g, "pw1", x, 8, 1, 1, 1, 1, 0), 1e-3f, 0.01f));
    x = ecg_gap(g, "pool", ecg_conv1d(g, "pw2", x, 3, 1, 1, 1, 1, 1));
    ecg_graph_set_output(g, ecg_linear(g, "fc", x, 2, 1));
    CHECK(!g->err[0], "tiny: %s", g->err);
    return g->err[0] ? -1 : 0;
}

static void test_ranking_keeps_the_largest(void) {
    static const float l1[8] = {3, 9, 1, 7, 2, 8, 5, 4};     /* top 4: channels 1, 3, 5, 6 */
    static const float gamma[8] = {-9, 1, 8, 2, 7, 3, 0.5f, -6}; /* top 4 by |gamma|: 0, 2, 4, 7 */
    for (int rank = 0; rank < 2; rank++) {
        ecg_graph g, before;
        if (tiny(&g)) return;
        ecg_param *w = param(&g, "pw1.weight"), *gm = param(&g, "bn.weight");
        for (int c = 0; c < 8; c++) {
            for (int k = 0; k < 4; k++) w->data[c * 4 + k] = (k % 2 ? -1 : 1) * l1[c] / 4;
            gm->data[c] = gamma[c];
            param(&g, "bn.running_var")->data[c] = 1.0f + (float)c; /* tells the channels apart */
        }
        CHECK(ecg_graph_clone(&before, &g) == 0, "clone");
        ecg_channel_cfg cfg = {.ratio = 0.5, .rank = rank ? ECG_CHANNEL_RANK_BN : ECG_CHANNEL_RANK_L1};
        ecg_channel_count *cs = NULL;
        int n = 0;
        char err[512] = "";
        ecg_param *w2 = param(&g, "pw2.weight"); /* pw2 rows' L1: 1, 3, 2 -> keeps channels 1, 2 */
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 8; k++) w2->data[c * 8 + k] = (float)(c == 0 ? 1 : c == 1 ? 3 : 2) / 8;
        const float pw2_row1 = w2->data[8], pw2_row2 = w2->data[16];
        int rc = ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err);
        /* pw2's group has no batchnorm: ranked by L1 under either rank */
        CHECK(rc == 0 && n == 2, "prune: %s", err);
        CHECK(n == 2 && cs[0].before == 8 && cs[0].after == 4 && cs[1].before == 3 && cs[1].after == 2,
              "counts %d->%d, %d->%d", cs[0].before, cs[0].after, cs[1].before, cs[1].after);
        const int *want = rank ? (const int[]){0, 2, 4, 7} : (const int[]){1, 3, 5, 6};
        w = param(&g, "pw1.weight");
        const ecg_param *bw = param(&before, "pw1.weight"), *bg = param(&before, "bn.running_var");
        CHECK(w->shape.d[0] == 4, "pw1 keeps %lld rows", (long long)w->shape.d[0]);
        for (int j = 0; j < 4 && w->shape.d[0] == 4; j++) {
            CHECK(!memcmp(w->data + j * 4, bw->data + want[j] * 4, 4 * sizeof(float)), "row %d is not channel %d", j,
                  want[j]);
            CHECK(param(&g, "bn.running_var")->data[j] == bg->data[want[j]], "bn buffer %d not channel %d", j, want[j]);
        }
        w2 = param(&g, "pw2.weight");
        CHECK(w2->shape.d[0] == 2 && w2->data[0] == pw2_row1 && w2->data[w2->shape.d[1]] == pw2_row2,
              "pw2 did not keep its two largest rows");
        free(cs);
        ecg_graph_free(&g), ecg_graph_free(&before);
    }
}

/* One MBConv block (Cin = Cout = 16, expand 6 -> E = 96, SE 4, k9) with a residual add, then a
 * classifier. Half the channels removed: E' = 48, SE' = 2; the residual stream reaches the graph
 * input and stays. */
static void test_one_mbconv_block_by_hand(void) {
    enum { T = 64, CI = 16, E = 96, S = 4, K = 9, NC = 3 };
    ecg_graph g;
    ecg_graph_init(&g, 9);
    int x = ecg_input(&g, "ecg", ecg_shape2(T, CI));
    int h = ecg_unary(&g, ECG_OP_SILU, "e.act",
                      ecg_batchnorm(&g, "e.bn", ecg_conv1d(&g, "e.conv", x, E, 1, 1, 1, 1, 0), 1e-3f, 0.01f));
    h = ecg_unary(&g, ECG_OP_SILU, "d.act", ecg_batchnorm(&g, "d.bn", ecg_dwconv1d(&g, "d.conv", h, K, 1, 1, 0), 1e-3f, 0.01f));
    int s = ecg_unary(&g, ECG_OP_SILU, "se.act", ecg_linear(&g, "se.fc1", ecg_gap(&g, "se.pool", h), S, 1));
    s = ecg_unary(&g, ECG_OP_SIGMOID, "se.gate", ecg_linear(&g, "se.fc2", s, E, 1));
    h = ecg_binary(&g, ECG_OP_MUL, "se.scale", h, s);
    h = ecg_batchnorm(&g, "p.bn", ecg_conv1d(&g, "p.conv", h, CI, 1, 1, 1, 1, 0), 1e-3f, 0.01f);
    h = ecg_binary(&g, ECG_OP_ADD, "add", h, x);
    ecg_graph_set_output(&g, ecg_linear(&g, "fc", ecg_gap(&g, "pool", h), NC, 1));
    CHECK(!g.err[0], "%s", g.err);
    randomise_bn(&g, 3);
    ecg_channel_cfg cfg = {.ratio = 0.5, .residual = 1};
    ecg_channel_count *cs = NULL;
    int n = 0;
    char err[512];
    CHECK(ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err) == 0, "%s", err);
    CHECK(n == 2 && !strcmp(cs[0].name, "e.conv") && !strcmp(cs[1].name, "se.fc1"), "groups: %d", n);
    const int e = E / 2, sq = S / 2;
    struct {
        const char *name;
        ecg_shape s;
    } want[] = {{"e.conv.weight", ecg_shape3(e, CI, 1)}, {"e.bn.running_mean", ecg_shape1(e)},
                {"d.conv.weight", ecg_shape3(e, 1, K)},  {"d.bn.weight", ecg_shape1(e)},
                {"se.fc1.weight", ecg_shape2(sq, e)},    {"se.fc1.bias", ecg_shape1(sq)},
                {"se.fc2.weight", ecg_shape2(e, sq)},    {"se.fc2.bias", ecg_shape1(e)},
                {"p.conv.weight", ecg_shape3(CI, e, 1)}, {"p.bn.weight", ecg_shape1(CI)}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ecg_param *p = param(&g, want[i].name);
        char a[64], b[64];
        CHECK(p && ecg_shape_eq(&p->shape, &want[i].s), "%s is %s, want %s", want[i].name,
              p ? ecg_shape_str(&p->shape, a, sizeof a) : "-", ecg_shape_str(&want[i].s, b, sizeof b));
    }
    /* params: expand, bn, dw, bn, fc1, fc2, project, bn, classifier (trainable only) */
    int64_t params = (int64_t)CI * e + 2 * e + e * K + 2 * e + (e * sq + sq) + (sq * e + e) + e * CI + 2 * CI + (CI * NC + NC);
    CHECK(ecg_graph_param_count(&g) == params, "params %lld, want %lld", (long long)ecg_graph_param_count(&g),
          (long long)params);
    /* FLOPs (multiply-add = 2): convs and linears 2*in*out(*T*K), bn 2 per element, activations,
     * add, mul and pooling 1 per element (pooling: per input element), biases 1 per output */
    int64_t flops = 2LL * T * CI * e + 2LL * T * e + T * e   /* expand, bn, silu */
                    + 2LL * T * e * K + 2LL * T * e + T * e  /* dw, bn, silu */
                    + (int64_t)T * e + 2LL * e * sq + sq + sq  /* pool, fc1, silu */
                    + 2LL * sq * e + e + e + (int64_t)T * e    /* fc2, sigmoid, scale */
                    + 2LL * T * e * CI + 2LL * T * CI + (int64_t)T * CI /* project, bn, add */
                    + (int64_t)T * CI + 2LL * CI * NC + NC;     /* pool, classifier */
    CHECK(ecg_graph_flops(&g) == flops, "FLOPs %lld, want %lld", (long long)ecg_graph_flops(&g), (long long)flops);
    xnn_check("pruned mbconv", &g, BATCH, 1, 0, 1e-4, 4);
    free(cs);
    ecg_graph_free(&g);
}

/* Rebuild from the counts alone (what a manifest stores) + load the saved weights = the same graph. */
static void test_rebuild_round_trip(void) {
    ecg_graph g, h;
    if (build("efficientecg-s", &g) || build("efficientecg-s", &h)) return;
    randomise_bn(&g, 8);
    ecg_channel_cfg cfg = {.ratio = 0.5, .residual = 1};
    ecg_channel_count *cs = NULL;
    int n = 0;
    char err[512], dir[] = "/tmp/ecgbench_chprune_XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    CHECK(ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_save(&g, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    /* the full graph does not take the pruned weights */
    CHECK(ecg_safetensors_load(&h, path, 0, err, sizeof err) == -1, "full graph loaded pruned weights");
    CHECK(ecg_channel_prune_rebuild(&h, cs, n, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_safetensors_load(&h, path, 0, err, sizeof err) == 0, "%s", err);
    CHECK(ecg_graph_flops(&h) == ecg_graph_flops(&g) && ecg_graph_param_count(&h) == ecg_graph_param_count(&g),
          "rebuilt graph differs in size");
    float *a = ref_output(&g, 5), *b = ref_output(&h, 5);
    CHECK(a && b && !memcmp(a, b, sizeof(float) * BATCH * CLASSES), "rebuilt graph gives other logits");
    free(a), free(b);
    /* counts that do not describe this model */
    ecg_channel_count bad = cs[0];
    bad.before++;
    CHECK(ecg_channel_prune_rebuild(&h, &bad, 1, err, sizeof err) == -1 && strstr(err, cs[0].name), "wrong width: %s", err);
    snprintf(bad.name, sizeof bad.name, "nope.conv");
    CHECK(ecg_channel_prune_rebuild(&h, &bad, 1, err, sizeof err) == -1 && strstr(err, "no such group"), "%s", err);
    unlink(path);
    rmdir(dir);
    free(cs);
    ecg_graph_free(&g), ecg_graph_free(&h);
}

/* The same through a manifest: the pass record ecgbench compress writes is enough to rebuild. */
static void test_manifest_rebuild(void) {
    ecg_graph g, h;
    if (build("efficientecg-b0", &g)) return;
    ecg_channel_cfg cfg = {.ratio = 0.25, .rank = ECG_CHANNEL_RANK_BN};
    char err[512];
    cJSON *rec = ecg_channel_pass(&g, &cfg, err, sizeof err), *man = cJSON_CreateObject();
    CHECK(rec != NULL, "%s", err);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(man, "passes"), rec);
    const cJSON *r = rec;
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(r, "params_after")) == (double)ecg_graph_param_count(&g) &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(r, "flops_after")) == (double)ecg_graph_flops(&g),
          "the record's params / FLOPs are not the pruned graph's");
    ecg_model_cfg mc = ecg_model_cfg_default(LEN, LEADS, CLASSES);
    mc.seed = 3;
    CHECK(ecg_manifest_model_build(man, "efficientecg-b0", &mc, &h, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < g.n_params && i < h.n_params; i++)
        if (!ecg_shape_eq(&g.params[i].shape, &h.params[i].shape)) {
            CHECK(0, "%s: rebuilt shape differs", g.params[i].name);
            break;
        }
    ecg_graph_free(&h);
    /* a record that does not fit the model */
    cJSON *grp = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "groups"), 0);
    cJSON_SetNumberValue(cJSON_GetObjectItem(grp, "after"), 0);
    CHECK(ecg_manifest_model_build(man, "efficientecg-b0", &mc, &h, err, sizeof err) == -1 && strstr(err, "rebuilding"),
          "a group keeping 0 channels was accepted: %s", err);
    /* counts out of range are refused before any cast to int (1e300 and -1e300 were undefined) */
    static const struct { const char *key; double v; } far[] = {{"after", 1e300}, {"after", 2.5}, {"before", -1e300},
                                                                 {"before", 1e300}};
    for (size_t i = 0; i < sizeof far / sizeof *far; i++) {
        cJSON_SetNumberValue(cJSON_GetObjectItem(grp, "after"), 1);
        cJSON_ReplaceItemInObject(grp, far[i].key, cJSON_CreateNumber(far[i].v));
        err[0] = 0;
        CHECK(ecg_manifest_model_build(man, "efficientecg-b0", &mc, &h, err, sizeof err) == -1 &&
                  strstr(err, "whole before/after counts"),
              "%s %g: %s", far[i].key, far[i].v, err);
    }
    cJSON_Delete(man);
    ecg_graph_free(&g);
}

/* ecgbench compress --channels on a run trained on the bundled sample, then ecgbench eval. */
static void test_cli_compress_channels(void) {
    if (!test_need_file("datasets/sample/mitdb/SAMPLE")) return;
    char dir[] = "/tmp/ecgbench_chcli_XXXXXX", cache[64], run[96], out[96], path[160], err[512];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(out, sizeof out, "%s/ch", dir);
    setenv("ECG_CACHE_DIR", cache, 1);
    char *train[] = {"train", "efficientecg-s", "--task", "mitdb-aami", "--data", "datasets/sample", "--epochs", "1",
                     "--threads", "2", "--out", run, "--quiet"};
    CHECK(ecg_cmd_train(13, train) == 0, "train failed");
    char *compress[] = {"compress", run, "--channels", "0.5", "--channel-scope", "all", "--finetune-epochs", "1",
                        "--threads", "2", "--out", out, "--quiet"};
    CHECK(ecg_cmd_compress(13, compress) == 0, "compress failed");
    snprintf(path, sizeof path, "%s/manifest.json", out);
    cJSON *m = ecg_read_json(path, err, sizeof err);
    CHECK(m != NULL, "%s", err);
    ecg_graph g = {0};
    ecg_model_cfg mc = ecg_task_model_cfg(ecg_task_find("mitdb-aami"));
    CHECK(ecg_manifest_model_build(m, "efficientecg-s", &mc, &g, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/weights.safetensors", out);
    CHECK(ecg_safetensors_load(&g, path, 0, err, sizeof err) == 0, "%s", err);
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "passes"), 0);
    CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p, "pass")), "channel_prune"), "first pass");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(m, "params")) == (double)ecg_graph_param_count(&g) &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(m, "flops_per_example")) == (double)ecg_graph_flops(&g),
          "manifest params / FLOPs are not the pruned graph's");
    int halved = 1;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "groups")) {
        int b = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "before"));
        halved &= (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "after")) == (b + 1) / 2;
    }
    CHECK(halved && cJSON_GetArraySize(cJSON_GetObjectItem(p, "groups")) > 20, "group counts");
    char *eval[] = {"eval", out};
    CHECK(ecg_cmd_eval(2, eval) == 0, "eval of the channel-pruned run failed");
    cJSON_Delete(m);
    ecg_graph_free(&g);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

/* ecgbench bench-model: both graphs timed, the CSV has the smaller graph's params and FLOPs. */
static void test_bench_model(void) {
    char dir[] = "/tmp/ecgbench_bm_XXXXXX", csv[96];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(csv, sizeof csv, "%s/bm.csv", dir);
    char *args[] = {"bench-model", "efficientecg-s", "--channels", "0.5", "--channel-scope", "all", "--out", csv,
                    "--benchmark_min_time=0.001", "--benchmark_repetitions=2"};
    CHECK(ecg_cmd_bench_model(10, args) == 0, "bench-model failed");
    char *text = test_read_file(csv);
    CHECK(text != NULL, "no CSV");
    ecg_graph g;
    ecg_model_cfg mc = ecg_task_model_cfg(ecg_task_find("mitdb-aami"));
    char err[512], want[2][128];
    CHECK(ecg_model_build("efficientecg-s", &mc, &g, err, sizeof err) == 0, "%s", err);
    snprintf(want[0], sizeof want[0], "efficientecg-s/dense,mitdb-aami,%lld,%lld,1,1,", (long long)ecg_graph_param_count(&g),
             (long long)ecg_graph_flops(&g));
    ecg_channel_cfg cfg = {.ratio = 0.5, .residual = 1};
    ecg_channel_count *cs = NULL;
    int n = 0;
    CHECK(ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err) == 0, "%s", err);
    snprintf(want[1], sizeof want[1], "efficientecg-s/channels-0.5-all-l1,mitdb-aami,%lld,%lld,1,1,",
             (long long)ecg_graph_param_count(&g), (long long)ecg_graph_flops(&g));
    for (int i = 0; i < 2 && text; i++) CHECK(strstr(text, want[i]) != NULL, "CSV lacks '%s':\n%s", want[i], text);
    free(text), free(cs);
    ecg_graph_free(&g);
    unlink(csv);
    rmdir(dir);
    char *bad1[] = {"bench-model", "lstm", "--channels", "0.5"};
    CHECK(ecg_cmd_bench_model(4, bad1) == 1, "lstm has nothing to prune: exit 1");
    char *bad2[] = {"bench-model", "efficientecg-s", "--channel-scope", "most"};
    CHECK(ecg_cmd_bench_model(4, bad2) == 2, "bad scope: usage error");
    char *bad3[] = {"bench-model", "efficientecg-s", "--task", "nope"};
    CHECK(ecg_cmd_bench_model(4, bad3) == 1, "unknown task");
}

static void test_bad_inputs(void) {
    ecg_graph g;
    if (build("efficientecg-s", &g)) return;
    int64_t params = ecg_graph_param_count(&g);
    const double ratios[] = {-0.1, 1.0, 1.5, NAN};
    for (size_t i = 0; i < sizeof ratios / sizeof *ratios; i++) {
        ecg_channel_cfg cfg = {.ratio = ratios[i]};
        ecg_channel_count dummy, *cs = &dummy;
        int n = 7;
        char err[512] = "";
        CHECK(ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err) == -1 && strstr(err, "[0, 1)") && !cs && !n,
              "ratio %g accepted (%s)", ratios[i], err);
    }
    CHECK(ecg_graph_param_count(&g) == params, "a failed call changed the graph");
    ecg_channel_groups gs;
    char err[512];
    CHECK(ecg_channel_groups_find(&g, &gs, err, sizeof err) == 0, "%s", err);
    int k0[2] = {3, 1}, n_keep[64] = {2};
    const int *keep[64] = {k0};
    CHECK(gs.n <= 64 && ecg_channel_surgery(&g, &gs, keep, n_keep, err, sizeof err) == -1 && strstr(err, "ascend"),
          "descending keep list accepted");
    n_keep[0] = 0;
    CHECK(ecg_channel_surgery(&g, &gs, keep, n_keep, err, sizeof err) == -1, "empty keep list accepted");
    ecg_channel_groups_free(&gs);
    ecg_graph_free(&g);
    const char *none[] = {"lstm", "bilstm"};
    for (int i = 0; i < 2; i++) {
        if (build_len(none[i], 252, &g)) continue; /* a whole number of 12-sample frames */
        ecg_channel_cfg cfg = {.ratio = 0.5, .residual = 1};
        ecg_channel_count *cs = NULL;
        int n = 0;
        CHECK(ecg_channel_prune(&g, &cfg, &cs, &n, err, sizeof err) == -1 && strstr(err, "no prunable channel groups"),
              "%s: '%s'", none[i], err);
        ecg_graph_free(&g);
    }
}

int main(void) {
    RUN(test_efficientecg_groups);
    RUN(test_pruned_graph_matches_reference_s);
    RUN(test_pruned_graph_matches_reference_b0);
    RUN(test_pruned_graph_matches_reference_resnet);
    RUN(test_ranking_keeps_the_largest);
    RUN(test_one_mbconv_block_by_hand);
    RUN(test_rebuild_round_trip);
    RUN(test_manifest_rebuild);
    RUN(test_cli_compress_channels);
    RUN(test_bench_model);
    RUN(test_bad_inputs);
    return test_done();
}
