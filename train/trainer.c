/* The training loop: seeded shuffles, augmentation, data-parallel steps, warm-up + cosine
 * learning rate, validation on the XNNPACK path every epoch, best-epoch selection on validation
 * macro-F1 (an autoencoder: validation MSE), early stopping, per-epoch CSV, resumable
 * checkpoints, a progress bar. The objective (cfg.objective) is switched on in three places: the
 * step's loss (train/shards.c), validation and selection (validate, improves), and the epoch's
 * line, row and header (epoch_report, open_epochs_csv). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/atomic_file.h"
#include "ops/rng.h"
#include "ops/safetensors.h"
#include "ops/timing.h"
#include "train/internal.h"

ecg_train_cfg ecg_train_defaults(void) {
    ecg_train_cfg c = {0};
    c.epochs = 30;
    c.batch = 64;
    c.warmup_epochs = 1;
    c.patience = 8;
    c.threads = 0;
    c.eval_batch = 256;
    c.lr = 1e-3f;
    c.min_lr = 1e-5f;
    c.adamw = ecg_adamw_defaults();
    c.class_weighted = 2;
    c.augment = 1;
    c.seed = ECG_DEFAULT_SEED;
    return c;
}

/* One class's cap from caps ("NAME=X[,NAME=X...]", X > 0): X, or 0 when caps does not name it.
 * -1 with err when caps is malformed or names a class the task does not have. */
static int class_cap_parse(const char *caps, const ecg_dataset *d, double *cap, char *err, size_t errlen) {
    for (int c = 0; c < d->n_classes; c++) cap[c] = 0;
    for (const char *p = caps; p;) {
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        int c = 0;
        while (eq && eq < end && c < d->n_classes &&
               !(strlen(d->class_names[c]) == (size_t)(eq - p) && !strncmp(d->class_names[c], p, (size_t)(eq - p))))
            c++;
        char *num_end = NULL;
        double x = eq && eq < end ? strtod(eq + 1, &num_end) : 0;
        if (!eq || eq >= end || c == d->n_classes || num_end != end || !(x > 0 && x <= 1e6)) {
            snprintf(err, errlen, "class weight cap '%.*s': give CLASS=X with one of the task's classes and 0 < X <= 1e6",
                     (int)(end - p), p);
            return -1;
        }
        cap[c] = x;
        p = *end ? end + 1 : NULL;
    }
    return 0;
}

int ecg_train_class_weights(const ecg_dataset *d, int mode, double cap, const char *caps, float *w, char *err,
                            size_t errlen) {
    long count[ECG_MAX_CLASSES] = {0};
    double raw[ECG_MAX_CLASSES], class_cap[ECG_MAX_CLASSES], sum = 0, least = 0;
    if (class_cap_parse(caps, d, class_cap, err, errlen)) return -1;
    for (int i = 0; i < d->n; i++) count[d->y[i]]++;
    int present = 0;
    for (int c = 0; c < d->n_classes; c++) {
        raw[c] = count[c] ? (double)d->n / (double)count[c] : 0;
        if (mode == 2) raw[c] = sqrt(raw[c]);
        if (count[c] && (least == 0 || raw[c] < least)) least = raw[c];
    }
    for (int c = 0; c < d->n_classes; c++) {
        if (cap > 0 && raw[c] > cap * least) raw[c] = cap * least;
        if (class_cap[c] > 0 && raw[c] > class_cap[c] * least) raw[c] = class_cap[c] * least;
        sum += raw[c];
        present += count[c] > 0;
    }
    for (int c = 0; c < d->n_classes; c++) w[c] = (float)(raw[c] * present / sum);
    return 0;
}

/* Fisher-Yates with a generator seeded from (seed, epoch): the order depends on nothing else. */
static void shuffle(int *perm, int n, uint64_t seed, int epoch) {
    ecg_rng r = {ecg_hash64(seed, 0x5eed0000u + (uint64_t)epoch)};
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(ecg_rng_next(&r) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* The live bar, redrawn at most 5 times a second (and at the end of the epoch). */
static void progress(double *last, int epoch, int epochs, int step, int steps, double loss, double ex_s, double eta) {
    double now = ecg_now_s();
    if (step < steps && now - *last < 0.2) return;
    *last = now;
    int width = 24, done = steps ? step * width / steps : width;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < done ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\repoch %d/%d [%s] %d/%d loss %.4f %.0f ex/s ETA %d:%02d ", epoch, epochs, bar, step, steps,
            loss, ex_s, (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

/* epochs.csv, kept whole in memory and rewritten atomically after every epoch (ops/atomic_file.h): a
 * kill leaves the file of the last epoch or of the one before, never a torn line. A resumed run keeps
 * the rows up to its checkpoint's epoch (a row written just before a kill that the checkpoint missed
 * is done again, not repeated). */
typedef struct {
    char path[1024];
    char *text;
    size_t len, cap;
} epochs_csv;

static int csv_append(epochs_csv *c, const char *line) {
    size_t n = strlen(line);
    if (c->len + n + 1 > c->cap) {
        size_t cap = 2 * (c->len + n + 1) + 1024;
        char *t = realloc(c->text, cap);
        if (!t) return -1;
        c->text = t, c->cap = cap;
    }
    memcpy(c->text + c->len, line, n + 1);
    c->len += n;
    return 0;
}

/* The classifiers' columns; an autoencoder's file has them too (readers find columns by name:
 * reports/training.gp), with the accuracy and F1 ones empty, train_loss its training MSE, and one
 * more column, val_mse. */
static int open_epochs_csv(epochs_csv *c, const char *dir, ecg_objective o, int resumed_epoch, char *err,
                           size_t errlen) {
    snprintf(c->path, sizeof c->path, "%s/epochs.csv", dir);
    int bad = csv_append(c, o == ECG_OBJECTIVE_RECONSTRUCT
                                ? "epoch,lr,train_loss,train_accuracy,val_accuracy,val_macro_f1,seconds,"
                                  "examples_per_second,val_mse\n"
                                : "epoch,lr,train_loss,train_accuracy,val_accuracy,val_macro_f1,seconds,"
                                  "examples_per_second\n");
    FILE *f = resumed_epoch > 0 ? fopen(c->path, "r") : NULL;
    char line[512];
    for (int first = 1; !bad && f && fgets(line, sizeof line, f); first = 0) {
        char *end;
        long ep = strtol(line, &end, 10);
        if (!first && end != line && *end == ',' && ep >= 1 && ep <= resumed_epoch && strchr(line, '\n'))
            bad = csv_append(c, line);
    }
    if (f) fclose(f);
    if (bad) snprintf(err, errlen, "out of memory");
    return bad ? -1 : 0;
}

/* The run's training throughput over every epoch in epochs.csv, those before a resume too (a resume
 * whose checkpoint had already stopped early runs none). Each epoch trains the same number of
 * examples, so the rate over the epochs is the harmonic mean of their examples_per_second column (the
 * 8th in both headers). 0 when no row has one. */
static double csv_examples_per_second(const epochs_csv *c) {
    double inverse_sum = 0;
    int rows = 0;
    const char *line = c->text ? strchr(c->text, '\n') : NULL; /* skip the header */
    for (; line && line[1]; line = strchr(line + 1, '\n')) {
        const char *field = line + 1;
        for (int col = 0; col < 7 && field; col++)
            if ((field = strchr(field, ','))) field++;
        double ex_s = field ? strtod(field, NULL) : 0;
        if (ex_s > 0) inverse_sum += 1 / ex_s, rows++;
    }
    return rows ? rows / inverse_sum : 0;
}

static void copy_params(ecg_graph *dst, const ecg_graph *src) {
    for (int i = 0; i < src->n_params; i++)
        memcpy(dst->params[i].data, src->params[i].data,
               (size_t)ecg_shape_numel(&src->params[i].shape) * sizeof(float));
}

/* The crop graph must be the same model for a shorter input: the same parameters, in order. */
static int check_crop(const ecg_graph *g, const ecg_train_cfg *c, const ecg_dataset *tr, char *err, size_t errlen) {
    const ecg_graph *cg = c->crop_graph;
    if (c->crop > tr->length) {
        snprintf(err, errlen, "a crop of %d samples is longer than the examples (%d)", c->crop, tr->length);
        return -1;
    }
    if (!cg) {
        snprintf(err, errlen, "a crop of %d samples needs the model built for that length", c->crop);
        return -1;
    }
    ecg_dataset win = *tr;
    win.length = c->crop;
    if (ecg_check_model_fits_for(cg, &win, c->objective, err, errlen)) return -1;
    int same = cg->n_params == g->n_params;
    for (int i = 0; same && i < g->n_params; i++)
        same = !strcmp(cg->params[i].name, g->params[i].name) &&
               ecg_shape_eq(&cg->params[i].shape, &g->params[i].shape);
    if (!same) {
        snprintf(err, errlen, "the model's parameters depend on its input length; it cannot train on %d-sample crops",
                 c->crop);
        return -1;
    }
    return 0;
}

typedef struct {
    ecg_parallel par;
    ecg_adamw opt;
    ecg_graph best;
    int *perm;
    epochs_csv csv;
    double last_bar;
} loop_res;

static void loop_free(loop_res *l) {
    ecg_parallel_free(&l->par);
    ecg_adamw_free(&l->opt);
    ecg_graph_free(&l->best);
    free(l->perm);
    free(l->csv.text);
}

typedef struct {
    double loss, accuracy, ex_s, lr; /* mean loss and accuracy over the epoch, throughput, last lr */
    double seconds;                  /* spent in training steps */
} epoch_stats;

/* One pass over the shuffled training set (the last incomplete batch is dropped). The loss is
 * NaN when it diverged. */
static epoch_stats run_epoch(loop_res *l, const ecg_train_cfg *c, const ecg_dataset *tr, int epoch, const float *cw,
                             long steps_total) {
    epoch_stats e = {NAN, NAN, 0, NAN, 0};
    ecg_parallel *p = &l->par;
    int steps = tr->n / c->batch;
    long step0 = (long)epoch * steps, warm = (long)c->warmup_epochs * steps;
    size_t ex = p->example_floats, nf = p->feature_floats, rec = (size_t)tr->length * (size_t)tr->channels;
    int length = c->crop > 0 ? c->crop : tr->length;
    shuffle(l->perm, tr->n, c->seed, epoch);
    double loss_sum = 0, t0 = ecg_now_s();
    long correct = 0;
    for (int s = 0; s < steps; s++) {
        for (int b = 0; b < c->batch; b++) {
            int i = l->perm[(size_t)s * c->batch + b];
            /* an autoencoder's target is the row as fed, so every rank prepares every row's */
            float *x = ecg_parallel_x(p, b), *target = ecg_parallel_target(p, b);
            p->labels[b] = tr->y[i];
            if (!x && !target) continue; /* another rank's row */
            float *row = x ? x : target;
            const float *src = tr->x + (size_t)i * rec;
            /* one draw per (step, row): every example of the run gets its own window and augmentation */
            uint64_t draw = (uint64_t)((step0 + s) * c->batch + b);
            if (c->crop > 0)
                src += (size_t)ecg_train_crop_start(src, tr->length, tr->channels, c->crop, c->augment,
                                                    ecg_hash64(c->seed ^ 0xc309u, draw)) * (size_t)tr->channels;
            if (c->augment && c->warp > 0)
                ecg_augment_warp(row, src, length, tr->channels, c->warp, ecg_hash64(c->seed ^ 0x3a4bu, draw));
            else
                memcpy(row, src, ex * sizeof(float));
            if (c->augment) ecg_augment(row, length, tr->channels, ecg_hash64(c->seed ^ 0xa09eu, draw));
            if (target && target != row) memcpy(target, row, ex * sizeof(float));
            if (nf && x) memcpy(ecg_parallel_features(p, b), tr->features + (size_t)i * nf, nf * sizeof(float));
        }
        e.lr = ecg_lr_cosine(step0 + s, warm, steps_total, c->lr, c->min_lr);
        int ok = 0;
        double loss = ecg_parallel_step(p, &l->opt, c->class_weighted ? cw : NULL, (float)e.lr,
                                        ecg_hash64(c->seed, (uint64_t)(step0 + s)), &ok);
        if (!isfinite(loss)) return e;
        if (c->after_step) c->after_step(l->par.master, step0 + s, c->after_step_ctx);
        loss_sum += loss;
        correct += ok;
        double el = ecg_now_s() - t0;
        e.ex_s = (s + 1) * (double)c->batch / (el > 0 ? el : 1e-9);
        if (c->progress >= 2)
            progress(&l->last_bar, epoch + 1, c->epochs, s + 1, steps, loss_sum / (s + 1), e.ex_s,
                     el / (s + 1) * (steps - s - 1));
    }
    e.seconds = ecg_now_s() - t0;
    if (steps) {
        e.accuracy = (double)correct / ((double)steps * c->batch);
        e.loss = loss_sum / steps;
    }
    return e;
}

/* Ranks must agree on what they train: the options, the training set, and the weights, moments
 * and loop state they start from (a resume reads OUT on every rank). Each rank hashes its own,
 * rank 0's are the reference; a difference is an error on every rank (none goes on to wait for
 * the others in a step). */
static int check_ranks_agree(const ecg_train_cfg *c, const ecg_parallel *p, const ecg_adamw *opt,
                             const ecg_train_state *st, const ecg_dataset *tr, const float *cw, char *err,
                             size_t errlen) {
    const ecg_train_comm *m = c->comm;
    double opts[] = {c->objective, c->epochs, c->batch, c->warmup_epochs, c->patience, p->n_shards, c->eval_batch,
                     c->lr,
                     c->min_lr, c->adamw.beta1, c->adamw.beta2, c->adamw.eps, c->adamw.weight_decay,
                     c->class_weighted, c->class_weight_cap, c->augment, c->warp, (double)c->seed, c->epoch_limit,
                     c->select_from_epoch, c->crop};
    uint64_t h[3] = {ecg_hash_bytes(ECG_HASH_INIT, opts, sizeof opts), ECG_HASH_INIT, ECG_HASH_INIT};
    h[0] = ecg_hash_bytes(h[0], cw, (size_t)tr->n_classes * sizeof(float)); /* the loss weights, caps applied */
    int shape[4] = {tr->n, tr->length, tr->channels, tr->n_features};
    h[1] = ecg_hash_bytes(h[1], shape, sizeof shape);
    h[1] = ecg_hash_bytes(h[1], tr->x, (size_t)tr->n * (size_t)tr->length * (size_t)tr->channels * sizeof(float));
    h[1] = ecg_hash_bytes(h[1], tr->y, (size_t)tr->n * sizeof(int));
    if (tr->features) h[1] = ecg_hash_bytes(h[1], tr->features, (size_t)tr->n * (size_t)tr->n_features * sizeof(float));
    const ecg_graph *g = opt->g;
    for (int i = 0; i < g->n_params; i++) {
        size_t n = (size_t)ecg_shape_numel(&g->params[i].shape) * sizeof(float);
        h[2] = ecg_hash_bytes(h[2], g->params[i].data, n);
        if (opt->m[i]) h[2] = ecg_hash_bytes(ecg_hash_bytes(h[2], opt->m[i], n), opt->v[i], n);
    }
    long state[4] = {st->epoch, st->best_epoch, st->bad_epochs, opt->step};
    h[2] = ecg_hash_bytes(ecg_hash_bytes(h[2], state, sizeof state), &st->best_f1, sizeof st->best_f1);
    h[2] = ecg_hash_bytes(h[2], &st->best_mse, sizeof st->best_mse);
    static const char *const what[3] = {
        "training options (every rank must get the same command line)",
        "training set (every rank must read the same data: the same --data, task and seed)",
        ("starting weights or optimizer state (a resume reads OUT's checkpoint on every rank: OUT must be on a file "
         "system every rank sees)")};
    uint64_t *all = calloc((size_t)m->ranks, sizeof(uint64_t));
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (int k = 0; k < 3 && !rc; k++) {
        if (m->gather_u64(m->ctx, h[k], all, err, errlen)) rc = -1;
        for (int r = 1; r < m->ranks && !rc; r++)
            if (all[r] != all[0]) {
                snprintf(err, errlen, "rank %d of %d has different %s than rank 0", r, m->ranks, what[k]);
                rc = -1;
            }
    }
    free(all);
    return rc;
}

/* One validation of the epoch's weights, by objective. */
typedef struct {
    ecg_metrics m;         /* classifiers */
    double mse;            /* autoencoders (NaN for classifiers) */
} val_result;

static int validate(const ecg_graph *g, const ecg_dataset *val, const ecg_train_cfg *c, val_result *v, char *err,
                    size_t errlen) {
    v->mse = NAN;
    switch (c->objective) {
    case ECG_OBJECTIVE_RECONSTRUCT:
        return ecg_evaluate_mse(g, NULL, val, c->eval_batch, c->threads, &v->mse, err, errlen);
    case ECG_OBJECTIVE_CLASSIFY:
        break;
    }
    return ecg_evaluate(g, val, c->eval_batch, c->threads, &v->m, NULL, err, errlen);
}

/* 1 when v is better than the best so far (a higher macro-F1, a lower MSE), then recorded in st. */
static int improves(ecg_train_state *st, ecg_objective o, const val_result *v) {
    if (o == ECG_OBJECTIVE_RECONSTRUCT) {
        if (!(v->mse < st->best_mse)) return 0;
        st->best_mse = v->mse;
        return 1;
    }
    double f1 = isnan(v->m.macro_f1) ? 0 : v->m.macro_f1;
    if (!(f1 > st->best_f1)) return 0;
    st->best_f1 = f1;
    return 1;
}

/* The epoch's progress line (stderr) and its epochs.csv row (open_epochs_csv's columns). */
static void epoch_report(const ecg_train_cfg *c, int epoch, const epoch_stats *e, const val_result *v, int best,
                         double seconds, char *row, size_t rowlen) {
    int ae = c->objective == ECG_OBJECTIVE_RECONSTRUCT;
    if (c->progress && ae)
        fprintf(stderr, "%sepoch %d/%d train MSE %.5f | val MSE %.5f%s | %.0f ex/s %.1f s\n", c->progress >= 2 ? "\r" : "",
                epoch, c->epochs, e->loss, v->mse, best ? " *" : "", e->ex_s, seconds);
    else if (c->progress)
        fprintf(stderr, "%sepoch %d/%d loss %.4f acc %.4f | val acc %.4f macro-F1 %.4f%s | %.0f ex/s %.1f s\n",
                c->progress >= 2 ? "\r" : "", epoch, c->epochs, e->loss, e->accuracy, v->m.accuracy, v->m.macro_f1,
                best ? " *" : "", e->ex_s, seconds);
    if (ae)
        snprintf(row, rowlen, "%d,%.6g,%.6f,,,,%.3f,%.1f,%.6f\n", epoch, e->lr, e->loss, seconds, e->ex_s, v->mse);
    else
        snprintf(row, rowlen, "%d,%.6g,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n", epoch, e->lr, e->loss, e->accuracy,
                 v->m.accuracy, v->m.macro_f1, seconds, e->ex_s);
}

int ecg_train(ecg_graph *g, const ecg_train_cfg *cfg, const ecg_dataset *tr, const ecg_dataset *val,
              ecg_train_result *res, char *err, size_t errlen) {
    ecg_train_cfg c = *cfg;
    memset(res, 0, sizeof *res);
    int writer = !c.comm || c.comm->rank == 0; /* rank 0 alone writes out_dir and the progress */
    if (!writer) c.progress = 0;
    if (ecg_check_model_fits_for(g, tr, c.objective, err, errlen) ||
        ecg_check_model_fits_for(g, val, c.objective, err, errlen))
        return -1;
    if (c.crop > 0 && check_crop(g, &c, tr, err, errlen)) return -1;
    ecg_graph *tg = c.crop > 0 ? c.crop_graph : g; /* the graph trained; g is validated */
    if (c.batch > tr->n) c.batch = tr->n;
    if (c.batch < 1 || c.epochs < 1) {
        snprintf(err, errlen, "nothing to train: %d examples, batch %d, %d epochs", tr->n, c.batch, c.epochs);
        return -1;
    }
    loop_res l = {0};
    float cw[ECG_MAX_CLASSES];
    if (ecg_train_class_weights(tr, c.class_weighted, c.class_weight_cap, c.class_weight_caps, cw, err, errlen)) return -1;
    ecg_train_state st = {0, 0, 0, -1.0, INFINITY};
    int rc = -1;
    if (ecg_graph_alloc_grads(tg) || ecg_adamw_init(&l.opt, tg, c.adamw) || ecg_graph_clone(&l.best, tg) ||
        !(l.perm = malloc(sizeof(int) * (size_t)tr->n))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (c.out_dir && c.resume) {
        int r = ecg_checkpoint_load(c.out_dir, tg, &l.opt, &st, err, errlen);
        if (r < 0) goto done;
        char best[1024];
        snprintf(best, sizeof best, "%s/best.safetensors", c.out_dir);
        if (r == 0 && access(best, F_OK) == 0 && ecg_safetensors_load(&l.best, best, 0, err, errlen)) goto done;
        if (r == 0 && c.progress) fprintf(stderr, "resuming after epoch %d (best %d)\n", st.epoch, st.best_epoch);
    }
    int length = c.crop > 0 ? c.crop : tr->length;
    if (ecg_parallel_init(&l.par, tg, c.objective, c.batch, c.threads, (size_t)length * (size_t)tr->channels,
                          (size_t)(tg->n_inputs > 1 ? tr->n_features : 0), c.comm, err, errlen))
        goto done;
    if (c.comm && check_ranks_agree(&c, &l.par, &l.opt, &st, tr, cw, err, errlen)) goto done;
    if (c.out_dir && writer && open_epochs_csv(&l.csv, c.out_dir, c.objective, c.resume ? st.epoch : 0, err, errlen)) goto done;
    long steps_total = (long)c.epochs * (tr->n / c.batch);
    double examples = 0, seconds = 0;
    int stop = c.epoch_limit > 0 && st.epoch + c.epoch_limit < c.epochs ? st.epoch + c.epoch_limit : c.epochs;
    for (int epoch = st.epoch; epoch < stop && st.bad_epochs < c.patience; epoch++) {
        double t0 = ecg_now_s();
        epoch_stats e = run_epoch(&l, &c, tr, epoch, cw, steps_total);
        if (l.par.comm_err[0]) {
            snprintf(err, errlen, "epoch %d: %s", epoch + 1, l.par.comm_err);
            goto done;
        }
        if (!isfinite(e.loss)) {
            snprintf(err, errlen, "epoch %d: the loss is not finite (%s)", epoch + 1,
                     l.par.loss_err[0] ? l.par.loss_err : "diverged; try a lower --lr");
            goto done;
        }
        examples += (double)(tr->n / c.batch) * c.batch;
        seconds += e.seconds;
        val_result v;
        if (tg != g) copy_params(g, tg);
        if (validate(g, val, &c, &v, err, errlen)) goto done;
        st.epoch = epoch + 1;
        if (epoch + 1 >= c.select_from_epoch && improves(&st, c.objective, &v)) {
            st.best_epoch = epoch + 1;
            st.bad_epochs = 0;
            copy_params(&l.best, tg);
            if (c.out_dir && writer) {
                char best[1024];
                snprintf(best, sizeof best, "%s/best.safetensors", c.out_dir);
                if (ecg_safetensors_save(g, best, NULL, 0, err, errlen)) goto done;
            }
        } else {
            st.bad_epochs++;
        }
        char row[512];
        epoch_report(&c, epoch + 1, &e, &v, st.best_epoch == epoch + 1, ecg_now_s() - t0, row, sizeof row);
        if (c.out_dir && writer) { /* before the checkpoint: a kill between the two redoes this epoch (open_epochs_csv) */
            if (csv_append(&l.csv, row)) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            if (ecg_atomic_write(l.csv.path, l.csv.text, l.csv.len, err, errlen)) goto done;
        }
        if (c.out_dir && writer && ecg_checkpoint_save(c.out_dir, tg, &l.opt, &st, NULL, 0, err, errlen)) goto done;
        res->last_train_loss = e.loss;
    }
    res->epochs_run = st.epoch;
    res->best_epoch = st.best_epoch;
    res->best_val_macro_f1 = st.best_f1;
    res->best_val_mse = st.best_mse;
    res->examples_per_second = l.csv.text ? csv_examples_per_second(&l.csv) : seconds > 0 ? examples / seconds : 0;
    res->step_seconds = seconds;
    res->wait_seconds = l.par.wait_seconds;
    res->allreduce_seconds = l.par.allreduce_seconds;
    res->gradient_bytes = (long)(l.par.grad_floats * sizeof(float));
    res->gather_seconds = l.par.gather_seconds;
    res->shards = l.par.n_shards;
    if (st.best_epoch > 0) copy_params(g, &l.best);
    rc = 0;
done:
    loop_free(&l);
    return rc;
}
