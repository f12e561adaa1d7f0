/* Resumable checkpoints: the weights (last.safetensors, loadable as a PyTorch state_dict) and the
 * AdamW moments with the loop's state (last_optim.safetensors: exp_avg.<param>,
 * exp_avg_sq.<param>, as torch.optim names them; the state in the metadata). Both are written
 * atomically by ecg_safetensors_save, optimizer first; both carry the epoch, so a run killed
 * between the two writes is detected instead of resumed from a mismatched pair. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/safetensors.h"
#include "train/internal.h"

/* A graph used only as a named-tensor container for the optimizer moments. */
static int moments_graph(const ecg_adamw *opt, ecg_graph *m, char *err, size_t errlen) {
    ecg_graph_init(m, 0);
    for (int i = 0; i < opt->g->n_params; i++) {
        const ecg_param *p = &opt->g->params[i];
        if (!p->trainable) continue;
        for (int k = 0; k < 2; k++) {
            char name[ECG_NAME_LEN];
            if ((size_t)snprintf(name, sizeof name, "%s.%s", k ? "exp_avg_sq" : "exp_avg", p->name) >= sizeof name) {
                snprintf(err, errlen, "parameter name too long for a checkpoint: %s", p->name);
                ecg_graph_free(m);
                return -1;
            }
            if (ecg_param_add(m, name, p->shape, 0, 0, 0) < 0) {
                snprintf(err, errlen, "%s", m->err);
                ecg_graph_free(m);
                return -1;
            }
        }
    }
    return 0;
}

/* Moments in container order <-> optimizer. */
static void copy_moments(const ecg_adamw *opt, ecg_graph *m, int to_container) {
    int j = 0;
    for (int i = 0; i < opt->g->n_params; i++) {
        const ecg_param *p = &opt->g->params[i];
        if (!p->trainable) continue;
        size_t bytes = (size_t)ecg_shape_numel(&p->shape) * sizeof(float);
        float *mine[2] = {opt->m[i], opt->v[i]};
        for (int k = 0; k < 2; k++, j++) {
            if (to_container) memcpy(m->params[j].data, mine[k], bytes);
            else memcpy(mine[k], m->params[j].data, bytes);
        }
    }
}

static void path_in(char *buf, size_t n, const char *dir, const char *file) { snprintf(buf, n, "%s/%s", dir, file); }

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
                              "best_val_macro_f1", best_f1, "best_val_mse", best_mse, "adamw_step", step};
    ecg_graph m;
    if (moments_graph(opt, &m, err, errlen)) return -1;
    copy_moments(opt, &m, 1);
    path_in(path, sizeof path, dir, "last_optim.safetensors");
    int rc = ecg_safetensors_save(&m, path, state_kv, 6, err, errlen);
    ecg_graph_free(&m);
    if (rc) return -1;
    /* the weights carry the caller's metadata plus the epoch */
    const char **kv = malloc(sizeof(char *) * (size_t)(2 * n_meta + 2));
    if (!kv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < 2 * n_meta; i++) kv[i] = meta_kv[i];
    kv[2 * n_meta] = "epoch";
    kv[2 * n_meta + 1] = epoch;
    path_in(path, sizeof path, dir, "last.safetensors");
    rc = ecg_safetensors_save(g, path, kv, n_meta + 1, err, errlen);
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

int ecg_checkpoint_load(const char *dir, ecg_graph *g, ecg_adamw *opt, ecg_train_state *st, char *err,
                        size_t errlen) {
    char opath[1024], wpath[1024];
    path_in(opath, sizeof opath, dir, "last_optim.safetensors");
    path_in(wpath, sizeof wpath, dir, "last.safetensors");
    if (access(opath, F_OK) && access(wpath, F_OK)) return 1;
    ecg_st_file of = {0}, wf = {0};
    ecg_graph m = {0};
    long epoch, wepoch, best_epoch, bad, step;
    int rc = -1;
    if (ecg_st_read(&of, opath, err, errlen) || ecg_st_read(&wf, wpath, err, errlen)) goto done;
    if (meta_int(&of, "epoch", opath, MAX_EPOCHS, &epoch, err, errlen) ||
        meta_int(&wf, "epoch", wpath, MAX_EPOCHS, &wepoch, err, errlen) ||
        meta_int(&of, "best_epoch", opath, epoch, &best_epoch, err, errlen) ||
        meta_int(&of, "bad_epochs", opath, epoch, &bad, err, errlen) ||
        meta_int(&of, "adamw_step", opath, MAX_STEPS, &step, err, errlen))
        goto done;
    if (epoch != wepoch) {
        snprintf(err, errlen, "%s is from epoch %ld but %s from epoch %ld: the run stopped between the two writes; "
                 "delete both to start over", wpath, wepoch, opath, epoch);
        goto done;
    }
    /* the best validation macro-F1 so far: in [0, 1], or -1 before the first validation */
    const char *f1 = meta(&of, "best_val_macro_f1");
    char *end = NULL;
    double best_f1 = f1 ? strtod(f1, &end) : -1.0;
    if (f1 && (end == f1 || *end || !(best_f1 == -1.0 || (best_f1 >= 0 && best_f1 <= 1)))) {
        snprintf(err, errlen, "%s: metadata 'best_val_macro_f1' is '%.32s', not a number in [0, 1] (or -1)", opath, f1);
        goto done;
    }
    /* an autoencoder's lowest validation MSE so far: >= 0, or inf before the first validation (and
     * in a checkpoint older than autoencoders, which has no such key) */
    const char *mse = meta(&of, "best_val_mse");
    double best_mse = mse ? strtod(mse, &end) : INFINITY;
    if (mse && (end == mse || *end || !(best_mse >= 0))) {
        snprintf(err, errlen, "%s: metadata 'best_val_mse' is '%.32s', not a number >= 0 (or inf)", opath, mse);
        goto done;
    }
    if (moments_graph(opt, &m, err, errlen)) goto done;
    if (ecg_st_to_graph(g, &wf, wpath, 0, err, errlen) || ecg_st_to_graph(&m, &of, opath, 0, err, errlen)) goto done;
    copy_moments(opt, &m, 0);
    opt->step = step;
    *st = (ecg_train_state){(int)epoch, (int)best_epoch, (int)bad, best_f1, best_mse};
    rc = 0;
done:
    ecg_graph_free(&m);
    ecg_st_free(&of);
    ecg_st_free(&wf);
    return rc;
}
