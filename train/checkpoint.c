/* Resumable checkpoints. last_optim.safetensors is the checkpoint, one file written atomically
 * (ecg_safetensors_save): the weights under their own names, the AdamW moments (exp_avg.<param>,
 * exp_avg_sq.<param>, as torch.optim names them) and the loop's state in the metadata, so a kill
 * at any point leaves a whole checkpoint, the new one or the one before. last.safetensors, written
 * after it, is a copy of the weights alone for PyTorch (a state_dict); a resume never reads it.
 * Runs checkpointed before the one-file layout (no "checkpoint" metadata key) kept the weights in
 * last.safetensors only; they still resume when the pair carries the same epoch. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/safetensors.h"
#include "train/internal.h"

/* The metadata key and value that mark the one-file layout. */
#define LAYOUT_KEY "checkpoint"
#define LAYOUT_ONE_FILE "weights+adamw"

/* A graph used only as a named-tensor container: g's params under their names (with_weights),
 * then exp_avg.<param> and exp_avg_sq.<param> of every one it updates of the optimizer's graph. */
static int container(const ecg_graph *g, const ecg_adamw *opt, int with_weights, ecg_graph *c, char *err,
                     size_t errlen) {
    ecg_graph_init(c, 0);
    for (int i = 0; with_weights && i < g->n_params; i++)
        if (ecg_param_add(c, g->params[i].name, g->params[i].shape, 0, 0, 0) < 0) goto fail;
    for (int i = 0; i < opt->g->n_params; i++) {
        const ecg_param *p = &opt->g->params[i];
        if (!ecg_param_learns(p)) continue;
        for (int k = 0; k < 2; k++) {
            char name[ECG_NAME_LEN];
            if ((size_t)snprintf(name, sizeof name, "%s.%s", k ? "exp_avg_sq" : "exp_avg", p->name) >= sizeof name) {
                snprintf(err, errlen, "parameter name too long for a checkpoint: %s", p->name);
                ecg_graph_free(c);
                return -1;
            }
            if (ecg_param_add(c, name, p->shape, 0, 0, 0) < 0) goto fail;
        }
    }
    return 0;
fail:
    snprintf(err, errlen, "%s", c->err);
    ecg_graph_free(c);
    return -1;
}

/* Container (laid out by container()) <-> the weights (with_weights) and the optimizer's moments.
 * The arrays written are the params' and moments' data, not the structs, hence the const. */
static void copy_state(const ecg_graph *g, const ecg_adamw *opt, const ecg_graph *c, int with_weights,
                       int to_container) {
    int j = 0;
    for (int i = 0; with_weights && i < g->n_params; i++, j++) {
        size_t bytes = (size_t)ecg_shape_numel(&g->params[i].shape) * sizeof(float);
        if (to_container) memcpy(c->params[j].data, g->params[i].data, bytes);
        else memcpy(g->params[i].data, c->params[j].data, bytes);
    }
    for (int i = 0; i < opt->g->n_params; i++) {
        const ecg_param *p = &opt->g->params[i];
        if (!ecg_param_learns(p)) continue;
        size_t bytes = (size_t)ecg_shape_numel(&p->shape) * sizeof(float);
        float *mine[2] = {opt->m[i], opt->v[i]};
        for (int k = 0; k < 2; k++, j++) {
            if (to_container) memcpy(c->params[j].data, mine[k], bytes);
            else memcpy(mine[k], c->params[j].data, bytes);
        }
    }
}

static void path_in(char *buf, size_t n, const char *dir, const char *file) { snprintf(buf, n, "%s/%s", dir, file); }

/* meta_kv (n pairs) followed by more pairs (m), in a new array; NULL when out of memory. */
static const char **join_meta(const char *const *meta_kv, int n, const char *const *more, int m) {
    const char **kv = malloc(sizeof(char *) * (size_t)(2 * (n + m)));
    if (!kv) return NULL;
    for (int i = 0; i < 2 * n; i++) kv[i] = meta_kv[i];
    for (int i = 0; i < 2 * m; i++) kv[2 * n + i] = more[i];
    return kv;
}

int ecg_checkpoint_save(const char *dir, const ecg_graph *g, const ecg_adamw *opt, const ecg_train_state *st,
                        const char *const *meta_kv, int n_meta, char *err, size_t errlen) {
    char epoch[32], best_epoch[32], bad[32], best_f1[64], best_mse[64], step[32], path[1024];
    snprintf(epoch, sizeof epoch, "%d", st->epoch);
    snprintf(best_epoch, sizeof best_epoch, "%d", st->best_epoch);
    snprintf(bad, sizeof bad, "%d", st->bad_epochs);
    snprintf(best_f1, sizeof best_f1, "%.17g", st->best_f1);
    snprintf(best_mse, sizeof best_mse, "%.17g", st->best_mse);
    snprintf(step, sizeof step, "%ld", opt->step);
    const char *state_kv[] = {"epoch", epoch, "best_epoch", best_epoch, "bad_epochs", bad,
                              "best_val_macro_f1", best_f1, "best_val_mse", best_mse, "adamw_step", step,
                              LAYOUT_KEY, LAYOUT_ONE_FILE};
    /* the caller's metadata, then the state: its first n_meta + 1 pairs (to the epoch) also go with
     * the PyTorch copy */
    const char **kv = join_meta(meta_kv, n_meta, state_kv, 7);
    if (!kv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ecg_graph c;
    int rc = container(g, opt, 1, &c, err, errlen);
    if (!rc) {
        copy_state(g, opt, &c, 1, 1);
        path_in(path, sizeof path, dir, "last_optim.safetensors");
        rc = ecg_safetensors_save(&c, path, kv, n_meta + 7, err, errlen);
        ecg_graph_free(&c);
    }
    path_in(path, sizeof path, dir, "last.safetensors");
    if (!rc) rc = ecg_safetensors_save(g, path, kv, n_meta + 1, err, errlen);
    free(kv);
    return rc;
}

static const char *meta(const ecg_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta_kv[2 * i], key)) return f->meta_kv[2 * i + 1];
    return NULL;
}

/* A count from the metadata: a whole number in [0, max], digits only (a negative or wrapped epoch
 * or step would resume a loop that makes no sense). */
static int meta_int(const ecg_st_file *f, const char *key, const char *path, long max, long *out, char *err,
                    size_t errlen) {
    const char *v = meta(f, key);
    char *end = NULL;
    errno = 0;
    long x = v && *v >= '0' && *v <= '9' ? strtol(v, &end, 10) : -1;
    if (!end || *end || errno == ERANGE || x > max) {
        snprintf(err, errlen, "%s: metadata '%s' missing or not a whole number in [0, %ld]", path, key, max);
        return -1;
    }
    *out = x;
    return 0;
}

#define MAX_EPOCHS 1000000L
#define MAX_STEPS (1L << 48)

/* The loop's state and the AdamW step from the checkpoint's metadata, each checked. */
static int read_state(const ecg_st_file *of, const char *opath, ecg_train_state *st, long *step, char *err,
                      size_t errlen) {
    long epoch, best_epoch, bad;
    if (meta_int(of, "epoch", opath, MAX_EPOCHS, &epoch, err, errlen) ||
        meta_int(of, "best_epoch", opath, epoch, &best_epoch, err, errlen) ||
        meta_int(of, "bad_epochs", opath, epoch, &bad, err, errlen) ||
        meta_int(of, "adamw_step", opath, MAX_STEPS, step, err, errlen))
        return -1;
    /* the best validation macro-F1 so far: in [0, 1], or -1 before the first validation */
    const char *f1 = meta(of, "best_val_macro_f1");
    char *end = NULL;
    double best_f1 = f1 ? strtod(f1, &end) : -1.0;
    if (f1 && (end == f1 || *end || !(best_f1 == -1.0 || (best_f1 >= 0 && best_f1 <= 1)))) {
        snprintf(err, errlen, "%s: metadata 'best_val_macro_f1' is '%.32s', not a number in [0, 1] (or -1)", opath, f1);
        return -1;
    }
    /* an autoencoder's lowest validation MSE so far: >= 0, or inf before the first validation (and
     * in a checkpoint older than autoencoders, which has no such key) */
    const char *mse = meta(of, "best_val_mse");
    double best_mse = mse ? strtod(mse, &end) : INFINITY;
    if (mse && (end == mse || *end || !(best_mse >= 0))) {
        snprintf(err, errlen, "%s: metadata 'best_val_mse' is '%.32s', not a number >= 0 (or inf)", opath, mse);
        return -1;
    }
    *st = (ecg_train_state){(int)epoch, (int)best_epoch, (int)bad, best_f1, best_mse};
    return 0;
}

/* The layout before the one-file checkpoint: the weights in last.safetensors, which must be of the
 * checkpoint's epoch (a kill between the two writes left a pair that does not go together). */
static int load_old_weights(const char *dir, ecg_graph *g, int epoch, const char *opath, char *err, size_t errlen) {
    char wpath[1024];
    path_in(wpath, sizeof wpath, dir, "last.safetensors");
    ecg_st_file wf = {0};
    long wepoch;
    int rc = -1;
    if (ecg_st_read(&wf, wpath, err, errlen) || meta_int(&wf, "epoch", wpath, MAX_EPOCHS, &wepoch, err, errlen))
        goto done;
    if (wepoch != epoch) {
        snprintf(err, errlen, "%s is from epoch %ld but %s from epoch %d: the run stopped between the two writes "
                 "of a checkpoint from before the one-file layout; delete both to start over",
                 wpath, wepoch, opath, epoch);
        goto done;
    }
    rc = ecg_st_to_graph(g, &wf, wpath, 0, err, errlen);
done:
    ecg_st_free(&wf);
    return rc;
}

int ecg_checkpoint_load(const char *dir, ecg_graph *g, ecg_adamw *opt, ecg_train_state *st, char *err,
                        size_t errlen) {
    char opath[1024];
    path_in(opath, sizeof opath, dir, "last_optim.safetensors");
    if (access(opath, F_OK)) {
        char wpath[1024];
        path_in(wpath, sizeof wpath, dir, "last.safetensors");
        if (access(wpath, F_OK)) return 1; /* no checkpoint: the run starts at epoch 1 */
        /* the PyTorch copy alone cannot be resumed (no moments, no loop state); starting over
         * silently would not be what --resume asked for */
        snprintf(err, errlen, "%s has no last_optim.safetensors, the checkpoint a resume reads (last.safetensors is a "
                 "copy of the weights for PyTorch); start over without --resume", dir);
        return -1;
    }
    ecg_st_file of = {0};
    ecg_graph c = {0};
    ecg_train_state s;
    long step;
    int rc = -1;
    if (ecg_st_read(&of, opath, err, errlen) || read_state(&of, opath, &s, &step, err, errlen)) goto done;
    const char *layout = meta(&of, LAYOUT_KEY);
    if (layout && strcmp(layout, LAYOUT_ONE_FILE)) {
        snprintf(err, errlen, "%s: metadata '" LAYOUT_KEY "' is '%.32s', not '" LAYOUT_ONE_FILE "'", opath, layout);
        goto done;
    }
    int one_file = layout != NULL;
    /* every tensor checked before any is copied: on error g and opt are as they were (but for an
     * old layout's weights) */
    if (container(g, opt, one_file, &c, err, errlen) ||
        (!one_file && load_old_weights(dir, g, s.epoch, opath, err, errlen)) ||
        ecg_st_to_graph(&c, &of, opath, 0, err, errlen))
        goto done;
    copy_state(g, opt, &c, one_file, 0);
    opt->step = step;
    *st = s;
    rc = 0;
done:
    ecg_graph_free(&c);
    ecg_st_free(&of);
    return rc;
}
