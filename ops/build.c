/* Graph builders: one call per PyTorch module, creating its parameters with PyTorch names,
 * layouts and default initialisation bounds. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

ecg_attrs ecg_attrs_default(void) {
    ecg_attrs a;
    memset(&a, 0, sizeof a);
    a.stride = a.dilation = a.groups = a.kernel = 1;
    a.eps = 1e-5f;
    a.momentum = 0.1f;
    return a;
}

static int param(ecg_graph *g, const char *prefix, const char *leaf, ecg_shape s, float bound, float fill,
                 int trainable) {
    char name[ECG_NAME_LEN];
    snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", leaf);
    return ecg_param_add(g, name, s, bound, fill, trainable);
}

static int channels(const ecg_graph *g, int x) {
    const ecg_shape *s = &g->values[x].shape;
    return (int)s->d[s->rank - 1];
}

void ecg_same_pad(int kernel, int dilation, int *left, int *right) {
    int total = dilation * (kernel - 1);
    *left = total / 2;
    *right = total - *left;
}

int ecg_conv_out_len(int t, int kernel, int stride, int dilation, int pad_left, int pad_right) {
    int span = dilation * (kernel - 1) + 1;
    int padded = t + pad_left + pad_right;
    return padded < span ? 0 : (padded - span) / stride + 1;
}

int ecg_conv1d_pad(ecg_graph *g, const char *name, int x, int out_ch, int kernel, int stride, int dilation,
                   int groups, int bias, int pad_left, int pad_right) {
    if (x < 0 || g->err[0]) return -1;
    int in_ch = channels(g, x);
    if (groups < 1 || in_ch % groups || out_ch % groups)
        return ecg_graph_fail(g, "%s: channels %d -> %d not divisible by groups %d", name, in_ch, out_ch, groups);
    float bound = 1.0f / sqrtf((float)(in_ch / groups * kernel));
    int p[2], np = 0;
    p[np++] = param(g, name, "weight", ecg_shape3(out_ch, in_ch / groups, kernel), bound, 0, 1);
    if (bias) p[np++] = param(g, name, "bias", ecg_shape1(out_ch), bound, 0, 1);
    ecg_attrs a = ecg_attrs_default();
    a.out_features = out_ch;
    a.kernel = kernel;
    a.stride = stride;
    a.dilation = dilation;
    a.groups = groups;
    a.has_bias = bias;
    a.pad_left = pad_left;
    a.pad_right = pad_right;
    return ecg_node_add(g, ECG_OP_CONV1D, name, &x, 1, p, np, &a);
}

int ecg_conv1d(ecg_graph *g, const char *name, int x, int out_ch, int kernel, int stride, int dilation, int groups,
               int bias) {
    int l, r;
    ecg_same_pad(kernel, dilation, &l, &r);
    return ecg_conv1d_pad(g, name, x, out_ch, kernel, stride, dilation, groups, bias, l, r);
}

int ecg_dwconv1d(ecg_graph *g, const char *name, int x, int kernel, int stride, int dilation, int bias) {
    if (x < 0 || g->err[0]) return -1;
    int c = channels(g, x);
    return ecg_conv1d(g, name, x, c, kernel, stride, dilation, c, bias);
}

int ecg_linear(ecg_graph *g, const char *name, int x, int out_features, int bias) {
    if (x < 0 || g->err[0]) return -1;
    int in = channels(g, x);
    float bound = 1.0f / sqrtf((float)in);
    int p[2], np = 0;
    p[np++] = param(g, name, "weight", ecg_shape2(out_features, in), bound, 0, 1);
    if (bias) p[np++] = param(g, name, "bias", ecg_shape1(out_features), bound, 0, 1);
    ecg_attrs a = ecg_attrs_default();
    a.out_features = out_features;
    a.has_bias = bias;
    return ecg_node_add(g, ECG_OP_LINEAR, name, &x, 1, p, np, &a);
}

int ecg_batchnorm(ecg_graph *g, const char *name, int x, float eps, float momentum) {
    if (x < 0 || g->err[0]) return -1;
    int c = channels(g, x);
    int p[4] = {
        param(g, name, "weight", ecg_shape1(c), 0, 1.0f, 1),
        param(g, name, "bias", ecg_shape1(c), 0, 0.0f, 1),
        param(g, name, "running_mean", ecg_shape1(c), 0, 0.0f, 0),
        param(g, name, "running_var", ecg_shape1(c), 0, 1.0f, 0),
    };
    ecg_attrs a = ecg_attrs_default();
    a.eps = eps;
    a.momentum = momentum;
    return ecg_node_add(g, ECG_OP_BATCHNORM, name, &x, 1, p, 4, &a);
}

int ecg_unary(ecg_graph *g, ecg_op_kind kind, const char *name, int x) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    return ecg_node_add(g, kind, name, &x, 1, NULL, 0, &a);
}

int ecg_binary(ecg_graph *g, ecg_op_kind kind, const char *name, int x, int y) {
    if (x < 0 || y < 0) return -1;
    int in[2] = {x, y};
    ecg_attrs a = ecg_attrs_default();
    return ecg_node_add(g, kind, name, in, 2, NULL, 0, &a);
}

int ecg_gap(ecg_graph *g, const char *name, int x) { return ecg_unary(g, ECG_OP_GAP, name, x); }

int ecg_maxpool(ecg_graph *g, const char *name, int x, int kernel, int stride, int pad) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.kernel = kernel;
    a.stride = stride;
    a.pad_left = a.pad_right = pad;
    return ecg_node_add(g, ECG_OP_MAXPOOL, name, &x, 1, NULL, 0, &a);
}

int ecg_dropout(ecg_graph *g, const char *name, int x, float p) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.p = p;
    return ecg_node_add(g, ECG_OP_DROPOUT, name, &x, 1, NULL, 0, &a);
}

/* One draw per sample; kept samples scaled by 1/(1-p) unless unscaled. */
static int per_sample_drop(ecg_graph *g, const char *name, int x, float p, int unscaled) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.p = p;
    a.per_sample = 1;
    a.unscaled = unscaled;
    return ecg_node_add(g, ECG_OP_DROPOUT, name, &x, 1, NULL, 0, &a);
}

int ecg_drop_path(ecg_graph *g, const char *name, int x, float p) { return per_sample_drop(g, name, x, p, 0); }

int ecg_modality_drop(ecg_graph *g, const char *name, int x, float p) { return per_sample_drop(g, name, x, p, 1); }

int ecg_lstm(ecg_graph *g, const char *name, int x, int hidden, int layers, int bidirectional, int last_only) {
    if (x < 0 || g->err[0]) return -1;
    int dirs = bidirectional ? 2 : 1;
    if (layers < 1 || layers * dirs * 4 > ECG_MAX_PARAMS)
        return ecg_graph_fail(g, "%s: %d layers x %d directions is over the limit", name, layers, dirs);
    float bound = 1.0f / sqrtf((float)hidden);
    int p[ECG_MAX_PARAMS], np = 0;
    /* PyTorch order per layer and direction: weight_ih, weight_hh, bias_ih, bias_hh. */
    for (int l = 0; l < layers; l++) {
        int in = l == 0 ? channels(g, x) : hidden * dirs;
        for (int d = 0; d < dirs; d++) {
            char leaf[64];
            const char *sfx = d ? "_reverse" : "";
            snprintf(leaf, sizeof leaf, "weight_ih_l%d%s", l, sfx);
            p[np++] = param(g, name, leaf, ecg_shape2(4 * hidden, in), bound, 0, 1);
            snprintf(leaf, sizeof leaf, "weight_hh_l%d%s", l, sfx);
            p[np++] = param(g, name, leaf, ecg_shape2(4 * hidden, hidden), bound, 0, 1);
            snprintf(leaf, sizeof leaf, "bias_ih_l%d%s", l, sfx);
            p[np++] = param(g, name, leaf, ecg_shape1(4 * hidden), bound, 0, 1);
            snprintf(leaf, sizeof leaf, "bias_hh_l%d%s", l, sfx);
            p[np++] = param(g, name, leaf, ecg_shape1(4 * hidden), bound, 0, 1);
        }
    }
    ecg_attrs a = ecg_attrs_default();
    a.hidden = hidden;
    a.layers = layers;
    a.bidirectional = bidirectional;
    a.last_only = last_only;
    return ecg_node_add(g, ECG_OP_LSTM, name, &x, 1, p, np, &a);
}

int ecg_mha(ecg_graph *g, const char *name, int query, int kv, int heads) {
    if (query < 0 || g->err[0]) return -1;
    int e = channels(g, query);
    char sub[ECG_NAME_LEN];
    snprintf(sub, sizeof sub, "%s.out_proj", name);
    int p[4] = {
        param(g, name, "in_proj_weight", ecg_shape2(3 * e, e), sqrtf(6.0f / (float)(4 * e)), 0, 1),
        param(g, name, "in_proj_bias", ecg_shape1(3 * e), 0, 0.0f, 1),
        param(g, sub, "weight", ecg_shape2(e, e), 1.0f / sqrtf((float)e), 0, 1),
        param(g, sub, "bias", ecg_shape1(e), 0, 0.0f, 1),
    };
    ecg_attrs a = ecg_attrs_default();
    a.heads = heads;
    int in[2] = {query, kv < 0 ? query : kv};
    return ecg_node_add(g, ECG_OP_MHA, name, in, 2, p, 4, &a);
}

int ecg_layernorm(ecg_graph *g, const char *name, int x, float eps) {
    if (x < 0 || g->err[0]) return -1;
    int c = channels(g, x);
    int p[2] = {param(g, name, "weight", ecg_shape1(c), 0, 1.0f, 1), param(g, name, "bias", ecg_shape1(c), 0, 0.0f, 1)};
    ecg_attrs a = ecg_attrs_default();
    a.eps = eps;
    return ecg_node_add(g, ECG_OP_LAYERNORM, name, &x, 1, p, 2, &a);
}

int ecg_embedding(ecg_graph *g, const char *name, int idx, int num_embeddings, int dim) {
    if (idx < 0 || g->err[0]) return -1;
    int p = param(g, name, "weight", ecg_shape2(num_embeddings, dim), sqrtf(3.0f), 0, 1);
    ecg_attrs a = ecg_attrs_default();
    a.num_embeddings = num_embeddings;
    a.dim = dim;
    return ecg_node_add(g, ECG_OP_EMBEDDING, name, &idx, 1, &p, 1, &a);
}

int ecg_slice(ecg_graph *g, const char *name, int x, int axis, int start, int length) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.axis = axis;
    a.start = start;
    a.length = length;
    return ecg_node_add(g, ECG_OP_SLICE, name, &x, 1, NULL, 0, &a);
}

int ecg_reshape(ecg_graph *g, const char *name, int x, ecg_shape shape) {
    if (x < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.shape = shape;
    return ecg_node_add(g, ECG_OP_RESHAPE, name, &x, 1, NULL, 0, &a);
}

int ecg_tokens(ecg_graph *g, const char *name, int length, int dim) {
    if (g->err[0]) return -1;
    if (length < 1 || dim < 1) return ecg_graph_fail(g, "%s: tokens [%d, %d] must be positive", name, length, dim);
    int p = ecg_param_add(g, name, ecg_shape3(1, length, dim), 0.02f, 0, 1);
    ecg_attrs a = ecg_attrs_default();
    a.length = length; /* infer cannot see the param: the output shape [L, D] comes from attrs */
    a.dim = dim;
    return ecg_node_add(g, ECG_OP_TOKENS, name, NULL, 0, &p, 1, &a);
}

/* An op takes at most ECG_MAX_IN inputs: more are joined in steps, each step's result the first
 * input of the next (NAME.first, NAME.next1, NAME.next2, ..., the last one NAME). */
int ecg_concat(ecg_graph *g, const char *name, const int *xs, int n, int axis) {
    for (int i = 0; i < n; i++)
        if (xs[i] < 0) return -1;
    ecg_attrs a = ecg_attrs_default();
    a.axis = axis;
    int in[ECG_MAX_IN], done = 0, joined = -1;
    for (int step = 0; n - done > ECG_MAX_IN - (joined >= 0); step++) {
        int k = 0;
        if (joined >= 0) in[k++] = joined;
        while (k < ECG_MAX_IN) in[k++] = xs[done++];
        char part[ECG_NAME_LEN];
        int len = step ? snprintf(part, sizeof part, "%s.next%d", name, step)
                       : snprintf(part, sizeof part, "%s.first", name);
        if (len >= (int)sizeof part) return ecg_graph_fail(g, "concat %s: name too long for its steps", name);
        if ((joined = ecg_node_add(g, ECG_OP_CONCAT, part, in, ECG_MAX_IN, NULL, 0, &a)) < 0) return -1;
    }
    int k = 0;
    if (joined >= 0) in[k++] = joined;
    while (done < n) in[k++] = xs[done++];
    return ecg_node_add(g, ECG_OP_CONCAT, name, in, k, NULL, 0, &a);
}
