/* The int8 weights file: safetensors holding, per int8 node N, N.weight (I8, PyTorch layout),
 * N.weight_scale (F32), N.bias (I32), N.input_qparams and N.output_qparams (F32 [scale, zero
 * point]); and the F32 params of every node that stays f32. Its byte size is the model size the
 * reports give. A node is int8 in the file exactly when its N.weight is I8, so a file can hold a
 * partly quantized model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress/compress.h"
#include "ops/qmodel.h"
#include "ops/safetensors.h"

/* XNNPACK's smallest requantisation scale (in_scale * w_scale / out_scale): under it, its
 * operator setup asserts and the process aborts. */
#define ECG_MIN_REQUANT_SCALE 0x1p-32f

#define N_QT 5
static const char *const q_suffix[N_QT] = {".weight", ".weight_scale", ".bias", ".input_qparams", ".output_qparams"};

static int name_of(char *dst, const char *node, const char *suffix, char *err, size_t errlen) {
    if ((size_t)snprintf(dst, ECG_NAME_LEN, "%s%s", node, suffix) >= ECG_NAME_LEN) {
        snprintf(err, errlen, "tensor name '%s%s' is too long", node, suffix);
        return -1;
    }
    return 0;
}

int64_t ecg_qmodel_bytes(const ecg_graph *g, const ecg_qmodel *q) {
    int64_t bytes = 0;
    for (int i = 0; i < q->n; i++)
        bytes += q->nodes[i].n_w + 4 * ((int64_t)q->nodes[i].n_scale + q->nodes[i].n_out + 4);
    unsigned char *seen = calloc((size_t)g->n_params + 1, 1);
    if (!seen) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (ecg_qmodel_find(q, g->nodes[i].name)) continue;
        for (int j = 0; j < g->nodes[i].n_param; j++) {
            int p = g->nodes[i].param[j];
            int64_t numel = ecg_shape_numel(&g->params[p].shape);
            if (!seen[p]) bytes += ecg_is_weight_only_param(g, p) ? numel + 4 * g->params[p].shape.d[0] : 4 * numel;
            seen[p] = 1;
        }
    }
    free(seen);
    return bytes;
}

/* The weight-only int8 params of g as int8 rows + row scales (freed by the caller). */
typedef struct {
    int8_t *q;
    float *scale;
} wonly_buf;

static int wonly_quantize(const ecg_graph *g, int p, wonly_buf *b) {
    const ecg_param *w = &g->params[p];
    int64_t rows = w->shape.d[0], cols = w->shape.d[1];
    b->q = malloc((size_t)(rows * cols) + 1);
    b->scale = malloc((size_t)rows * sizeof(float) + 1);
    if (!b->q || !b->scale) return -1;
    for (int64_t r = 0; r < rows; r++) b->scale[r] = ecg_row_int8(w->data + r * cols, cols, b->q + r * cols);
    return 0;
}

static ecg_st_tensor *push(ecg_st_tensor *t, int *n, const char *name, ecg_dtype dt, int rank, const int64_t *d,
                           const void *data) {
    ecg_st_tensor *e = &t[(*n)++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->dtype = dt;
    e->rank = rank;
    size_t numel = 1;
    for (int k = 0; k < rank; k++) numel *= (size_t)(e->shape[k] = d[k]);
    e->data = data;
    e->nbytes = numel * ecg_dtype_size(dt);
    return e;
}

int ecg_int8_save(const ecg_graph *g, const ecg_qmodel *q, const char *path, const char *const *meta_kv, int n_meta,
                  char *err, size_t errlen) {
    int cap = N_QT * q->n + 2 * g->n_params + 1;
    ecg_st_tensor *t = calloc((size_t)cap, sizeof *t);
    float *qp = calloc((size_t)q->n * 4 + 1, sizeof(float));
    const char **meta = calloc((size_t)(n_meta + 1) * 2, sizeof *meta);
    wonly_buf *wb = calloc((size_t)g->n_params + 1, sizeof *wb);
    unsigned char *listed = calloc((size_t)g->n_params + 1, 1);
    int n = 0, rc = -1;
    char name[ECG_NAME_LEN];
    if (!t || !qp || !meta || !wb || !listed) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < q->n; i++) {
        const ecg_node *nd = NULL;
        for (int k = 0; k < g->n_nodes && !nd; k++)
            if (!strcmp(g->nodes[k].name, q->nodes[i].node)) nd = &g->nodes[k];
        if (!nd || ecg_shape_numel(&g->params[nd->param[0]].shape) != q->nodes[i].n_w) {
            snprintf(err, errlen, "%s: int8 node '%s' does not fit the graph", path, q->nodes[i].node);
            goto done;
        }
    }
    /* Two passes: 4-byte tensors first, int8 ones last, so every tensor stays aligned to its
     * element size. */
    for (int pass = 0; pass < 2; pass++) {
        memset(listed, 0, (size_t)g->n_params + 1);
        for (int i = 0; i < g->n_nodes; i++) {
            const ecg_node *nd = &g->nodes[i];
            const ecg_qnode *qn = ecg_qmodel_find(q, nd->name);
            if (qn) {
                const ecg_param *w = &g->params[nd->param[0]];
                if (pass == 1) {
                    if (name_of(name, qn->node, q_suffix[0], err, errlen)) goto done;
                    push(t, &n, name, ECG_DT_I8, w->shape.rank, w->shape.d, qn->w);
                    continue;
                }
                float *v = qp + 4 * (qn - q->nodes);
                v[0] = qn->in.scale;
                v[1] = (float)qn->in.zero_point;
                v[2] = qn->out.scale;
                v[3] = (float)qn->out.zero_point;
                int64_t ns = qn->n_scale, no = qn->n_out, two = 2;
                const struct { ecg_dtype dt; const int64_t *len; const void *data; } f[4] = {
                    {ECG_DT_F32, &ns, qn->w_scale}, {ECG_DT_I32, &no, qn->bias}, {ECG_DT_F32, &two, v},
                    {ECG_DT_F32, &two, v + 2}};
                for (int k = 0; k < 4; k++) {
                    if (name_of(name, qn->node, q_suffix[k + 1], err, errlen)) goto done;
                    push(t, &n, name, f[k].dt, 1, f[k].len, f[k].data);
                }
                continue;
            }
            for (int j = 0; j < nd->n_param; j++) {
                int pi = nd->param[j];
                const ecg_param *p = &g->params[pi];
                if (listed[pi]) continue;
                listed[pi] = 1;
                if (!ecg_is_weight_only_param(g, pi)) {
                    if (pass == 0) push(t, &n, p->name, ECG_DT_F32, p->shape.rank, p->shape.d, p->data);
                    continue;
                }
                if (pass == 1) {
                    push(t, &n, p->name, ECG_DT_I8, 2, p->shape.d, wb[pi].q);
                    continue;
                }
                if (wonly_quantize(g, pi, &wb[pi])) {
                    snprintf(err, errlen, "%s: out of memory", path);
                    goto done;
                }
                if (name_of(name, p->name, ".row_scale", err, errlen)) goto done;
                push(t, &n, name, ECG_DT_F32, 1, p->shape.d, wb[pi].scale);
            }
        }
    }
    meta[0] = "format";
    meta[1] = "ecgbench-int8";
    for (int i = 0; i < 2 * n_meta; i++) meta[2 + i] = meta_kv[i];
    rc = ecg_st_write(path, t, n, meta, n_meta + 1, err, errlen);
done:
    for (int i = 0; wb && i < g->n_params; i++) {
        free(wb[i].q);
        free(wb[i].scale);
    }
    free(wb);
    free(listed);
    free(t);
    free(qp);
    free(meta);
    return rc;
}

/* ------------------------------------------------------------------------------ loading */

static const char *meta_value(const ecg_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_kv[2 * i], key)) return f->meta_kv[2 * i + 1];
    return NULL;
}

int ecg_int8_file_is(const char *path, char *err, size_t errlen) {
    ecg_st_file f;
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    const char *fmt = meta_value(&f, "format");
    int is = fmt && !strcmp(fmt, "ecgbench-int8");
    ecg_st_free(&f);
    return is;
}

/* The file tensor `name` with dtype dt and shape (rank, d), or NULL with err. */
static const ecg_st_tensor *expect(const ecg_st_file *f, const char *path, const char *name, ecg_dtype dt, int rank,
                                   const int64_t *d, char *err, size_t errlen) {
    const ecg_st_tensor *t = ecg_st_find(f, name);
    if (!t) {
        snprintf(err, errlen, "%s: tensor '%s' is missing", path, name);
        return NULL;
    }
    int same = t->dtype == dt && t->rank == rank;
    for (int k = 0; same && k < rank; k++) same = t->shape[k] == d[k];
    if (!same) {
        char a[64] = "", b[64] = "";
        for (int k = 0, u = 0; k < t->rank && u < 60; k++) u += snprintf(a + u, sizeof a - (size_t)u, " %lld", (long long)t->shape[k]);
        for (int k = 0, u = 0; k < rank && u < 60; k++) u += snprintf(b + u, sizeof b - (size_t)u, " %lld", (long long)d[k]);
        snprintf(err, errlen, "%s: tensor '%s' is %s [%s ], expected %s [%s ]", path, name, ecg_dtype_name(t->dtype), a,
                 ecg_dtype_name(dt), b);
        return NULL;
    }
    return t;
}

static int32_t le_i32(const uint8_t *p) {
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static int qparams_from(const ecg_st_tensor *t, ecg_qparams *p, const char *path, char *err, size_t errlen) {
    float v[2];
    ecg_st_copy_f32(v, t->data, 2);
    /* XNNPACK takes only positive normal scales (a denormal one fails the executor's build) */
    if (!(v[0] > 0 && isnormal(v[0])) || !(v[1] >= -128 && v[1] <= 127) || v[1] != floorf(v[1])) {
        snprintf(err, errlen, "%s: tensor '%s' holds scale %g, zero point %g (need a positive normal scale, integer "
                              "zero point in [-128, 127])", path, t->name, (double)v[0], (double)v[1]);
        return -1;
    }
    *p = (ecg_qparams){v[0], (int32_t)v[1]};
    return 0;
}

static int load_qnode(const ecg_st_file *f, const char *path, const ecg_graph *g, const ecg_node *nd, ecg_qnode *qn,
                      char *err, size_t errlen) {
    const ecg_param *w = &g->params[nd->param[0]];
    int out = nd->a.out_features, ns = nd->kind == ECG_OP_CONV1D ? out : 1;
    char name[ECG_NAME_LEN];
    const ecg_st_tensor *t[N_QT];
    int64_t two = 2, o = out, s = ns;
    const int64_t *dims[N_QT] = {w->shape.d, &s, &o, &two, &two};
    const int ranks[N_QT] = {w->shape.rank, 1, 1, 1, 1};
    const ecg_dtype dts[N_QT] = {ECG_DT_I8, ECG_DT_F32, ECG_DT_I32, ECG_DT_F32, ECG_DT_F32};
    for (int k = 0; k < N_QT; k++)
        if (name_of(name, nd->name, q_suffix[k], err, errlen) ||
            !(t[k] = expect(f, path, name, dts[k], ranks[k], dims[k], err, errlen)))
            return -1;
    snprintf(qn->node, sizeof qn->node, "%s", nd->name);
    if (qparams_from(t[3], &qn->in, path, err, errlen) || qparams_from(t[4], &qn->out, path, err, errlen)) return -1;
    qn->n_w = ecg_shape_numel(&w->shape);
    qn->n_scale = ns;
    qn->n_out = out;
    qn->w = malloc((size_t)qn->n_w);
    qn->w_scale = malloc((size_t)ns * sizeof(float));
    qn->bias = malloc((size_t)out * sizeof(int32_t));
    if (!qn->w || !qn->w_scale || !qn->bias) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(qn->w, t[0]->data, (size_t)qn->n_w);
    ecg_st_copy_f32(qn->w_scale, t[1]->data, (size_t)ns);
    for (int i = 0; i < ns; i++) {
        if (!(qn->w_scale[i] > 0 && isnormal(qn->w_scale[i]))) {
            snprintf(err, errlen, "%s: tensor '%s' holds a scale of %g (must be a positive normal float)", path,
                     t[1]->name, (double)qn->w_scale[i]);
            return -1;
        }
        /* XNNPACK asserts (aborts the process) on a requantisation scale under 2^-32, computed
         * in float as its operators do. */
        float rq = qn->in.scale * qn->w_scale[i] / qn->out.scale;
        if (!(rq >= ECG_MIN_REQUANT_SCALE)) {
            snprintf(err, errlen, "%s: tensor '%s' holds a scale of %g (element %d): with input scale %g and output "
                                  "scale %g the requantisation scale is %g, under the 2^-32 XNNPACK accepts",
                     path, t[1]->name, (double)qn->w_scale[i], i, (double)qn->in.scale, (double)qn->out.scale,
                     (double)rq);
            return -1;
        }
    }
    for (int i = 0; i < out; i++) qn->bias[i] = le_i32(t[2]->data + 4 * i);
    return 0;
}

int ecg_int8_load(ecg_graph *g, ecg_qmodel *q, const char *path, char *err, size_t errlen) {
    memset(q, 0, sizeof *q);
    ecg_st_file f;
    if (ecg_st_read(&f, path, err, errlen)) return -1;
    int rc = -1, used = 0;
    const char *fmt = meta_value(&f, "format");
    unsigned char *seen = calloc((size_t)g->n_params + 1, 1);
    if (!seen || !(q->nodes = calloc((size_t)g->n_nodes + 1, sizeof *q->nodes))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!fmt || strcmp(fmt, "ecgbench-int8")) {
        snprintf(err, errlen, "%s: not an ecgbench int8 weights file (metadata format is '%s', expected "
                              "'ecgbench-int8')", path, fmt ? fmt : "(none)");
        goto done;
    }
    /* Everything is checked before g's params are written. */
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *nd = &g->nodes[i];
        char name[ECG_NAME_LEN];
        const ecg_st_tensor *tw = NULL;
        if ((nd->kind == ECG_OP_CONV1D || nd->kind == ECG_OP_LINEAR) && !name_of(name, nd->name, ".weight", err, errlen))
            tw = ecg_st_find(&f, name);
        if (tw && tw->dtype == ECG_DT_I8) {
            if (load_qnode(&f, path, g, nd, &q->nodes[q->n++], err, errlen)) goto done;
            used += N_QT;
            continue;
        }
        for (int j = 0; j < nd->n_param; j++) {
            const ecg_param *p = &g->params[nd->param[j]];
            if (seen[nd->param[j]]) continue;
            const ecg_st_tensor *tp = ecg_st_find(&f, p->name);
            if (tp && tp->dtype == ECG_DT_I8 && ecg_is_weight_only_param(g, nd->param[j])) {
                const ecg_st_tensor *ts = NULL;
                if (!expect(&f, path, p->name, ECG_DT_I8, 2, p->shape.d, err, errlen) ||
                    name_of(name, p->name, ".row_scale", err, errlen) ||
                    !(ts = expect(&f, path, name, ECG_DT_F32, 1, p->shape.d, err, errlen)))
                    goto done;
                for (int64_t r = 0; r < p->shape.d[0]; r++) {
                    float sc;
                    ecg_st_copy_f32(&sc, ts->data + 4 * r, 1);
                    if (!(sc > 0 && isfinite(sc))) {
                        snprintf(err, errlen, "%s: tensor '%s' holds a scale of %g (must be positive)", path, name,
                                 (double)sc);
                        goto done;
                    }
                }
                seen[nd->param[j]] = 2;
                used += 2;
                continue;
            }
            if (!expect(&f, path, p->name, ECG_DT_F32, p->shape.rank, p->shape.d, err, errlen)) goto done;
            seen[nd->param[j]] = 1;
            used++;
        }
    }
    if (used != f.n) {
        for (int k = 0; k < f.n; k++) {
            int known = 0;
            for (int i = 0; i < q->n && !known; i++) {
                size_t len = strlen(q->nodes[i].node);
                known = !strncmp(f.t[k].name, q->nodes[i].node, len) && f.t[k].name[len] == '.';
            }
            char base[ECG_NAME_LEN];
            snprintf(base, sizeof base, "%s", f.t[k].name);
            char *suffix = strstr(base, ".row_scale");
            if (suffix && !suffix[strlen(".row_scale")]) *suffix = 0;
            int p = ecg_param_find(g, base);
            if (!known && (p < 0 || !seen[p])) {
                snprintf(err, errlen, "%s: unexpected tensor '%s' (not used by this model's int8 graph)", path,
                         f.t[k].name);
                goto done;
            }
        }
        snprintf(err, errlen, "%s: %d tensors, the model's int8 graph uses %d", path, f.n, used);
        goto done;
    }
    for (int p = 0; p < g->n_params; p++) {
        ecg_param *gp = &g->params[p];
        const ecg_st_tensor *t = seen[p] ? ecg_st_find(&f, gp->name) : NULL;
        if (seen[p] == 1) ecg_st_copy_f32(gp->data, t->data, t->nbytes / sizeof(float));
        if (seen[p] != 2) continue;
        /* weight-only int8: dequantised to the f32 the node runs on */
        char name[ECG_NAME_LEN];
        snprintf(name, sizeof name, "%s.row_scale", gp->name);
        const ecg_st_tensor *ts = ecg_st_find(&f, name);
        int64_t rows = gp->shape.d[0], cols = gp->shape.d[1];
        for (int64_t r = 0; r < rows; r++) {
            float s;
            ecg_st_copy_f32(&s, ts->data + 4 * r, 1);
            for (int64_t c = 0; c < cols; c++) gp->data[r * cols + c] = (float)(int8_t)t->data[r * cols + c] * s;
        }
    }
    rc = 0;
done:
    if (rc) ecg_qmodel_free(q);
    free(seen);
    ecg_st_free(&f);
    return rc;
}
