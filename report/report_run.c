/* ecg_report_run, the pipeline of `ecgbench report` (report/report.h): evaluates every finished run
 * (trained and compressed) on the data at hand and writes the reports under --out: results.csv, per_class.csv, confusion.csv, layers.csv (with each
 * layer's latency and bytes), sweep.csv, tables.md, tables.tex and run.json (with one core's measured
 * FMA peak and memory read rate). Every figure comes from this run's evaluation or from measuring the run's files; nothing
 * is copied from a manifest's metrics, except a further seed whose weights are not committed (large
 * runs): its manifest's test metrics, marked so. Every trained run's further seeds
 * (models/seeds/RUN/seedN, report/report_seeds.c) are evaluated too: the tables show mean +- sd over
 * seeds. Full data when present (`make data`), else the bundled sample, which every table then
 * says at its top. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/latency_check.h"
#include "compress/compress.h"
#include "ops/atomic_file.h"
#include "ops/timing.h"
#include "report/report.h"
#include "runs/files.h"
#include "runs/manifest.h"

#define SAMPLE_DIR "datasets/sample"

static int has_task_data(const char *dir, const ecg_task *t) {
    char p[1200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, t->data_subdir ? t->data_subdir : "");
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bundled sample, however the folder is named: SAMPLE_DIR itself, or a folder whose mitdb/
 * is marked SAMPLE (its cinc2017 records carry no mark of their own). */
static int is_sample_dir(const char *dir) {
    char a[PATH_MAX], b[PATH_MAX], p[1200];
    if (realpath(dir, a) && realpath(SAMPLE_DIR, b) && !strcmp(a, b)) return 1;
    snprintf(p, sizeof p, "%s/mitdb/SAMPLE", dir);
    return access(p, F_OK) == 0;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* MAC FLOPs of conv/linear/LSTM/attention nodes scaled by the density of their weight matrices:
 * what a kernel that skips zeros would do. */
static int64_t nonzero_flops(const ecg_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        int64_t numel = 0, nz = 0, f = ecg_node_flops(g, n);
        for (int j = 0; j < n->n_param; j++) {
            const ecg_param *p = &g->params[n->param[j]];
            if (!p->trainable || p->shape.rank < 2 || n->kind == ECG_OP_EMBEDDING || n->kind == ECG_OP_TOKENS) continue;
            int64_t m = ecg_shape_numel(&p->shape);
            numel += m;
            for (int64_t k = 0; k < m; k++) nz += p->data[k] != 0.0f;
        }
        total += numel ? (int64_t)((double)f * (double)nz / (double)numel + 0.5) : f;
    }
    return total;
}

static double pass_sparsity(const cJSON *man) {
    const cJSON *passes = cJSON_GetObjectItemCaseSensitive(man, "passes"), *p;
    cJSON_ArrayForEach(p, passes) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "pass"));
        if (name && !strcmp(name, "magnitude_prune")) return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "sparsity"));
    }
    return 0;
}

/* Per-layer latency of a run (batch 1, 1 thread): its executor and the median time of each of
 * the executor's nodes (ecg_xnn_profile). */
typedef struct {
    ecg_xnn *x;
    double *us;
} layer_times;

static void layer_times_free(layer_times *lt) {
    ecg_xnn_free(lt->x);
    free(lt->us);
}

static int time_layers(const ecg_run_model *m, int reps, layer_times *lt, char *err, size_t errlen) {
    if (!(lt->x = ecg_run_executor(m, 1, 1, err, errlen))) return -1;
    ecg_run_fill_inputs(m, lt->x, 1);
    int n = ecg_xnn_n_nodes(lt->x);
    double t0 = ecg_now_s(), sum = 0;
    if (ecg_xnn_run(lt->x)) { /* also a warm-up */
        snprintf(err, errlen, "per-layer timing failed (an XNNPACK run failed)");
        return -1;
    }
    double per_run = ecg_now_s() - t0;
    if (reps > ECG_REPORT_LAYER_MIN_REPS && per_run * reps > ECG_REPORT_LAYER_BUDGET_S)
        reps = per_run * ECG_REPORT_LAYER_MIN_REPS > ECG_REPORT_LAYER_BUDGET_S ? ECG_REPORT_LAYER_MIN_REPS : (int)(ECG_REPORT_LAYER_BUDGET_S / per_run);
    if (!(lt->us = malloc((size_t)n * sizeof *lt->us)) || ecg_xnn_profile(lt->x, reps, lt->us)) {
        snprintf(err, errlen, "per-layer timing failed (%s)", lt->us ? "an XNNPACK run failed" : "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) sum += isnan(lt->us[i]) ? 0 : lt->us[i];
    fprintf(stderr, "report:   layers sum to %.1f us (batch 1, 1 thread, median of %d runs)\n", sum, reps);
    return 0;
}

/* A layer's time, NaN when the executor has no step for it (batchnorm folded, dropout removed). */
static double layer_us(const layer_times *lt, const char *name) {
    int i = ecg_xnn_find_node(lt->x, name);
    return i < 0 ? NAN : lt->us[i];
}

static void csv_num_or_empty(ecg_csv *w, double v) {
    if (isnan(v)) ecg_csv_str(w, "");
    else ecg_csv_num(w, v);
}

/* Bytes a layer moves at batch 1 when nothing is cached: its weights as the run keeps them (an int8
 * run's weight matrices one byte a value) and its input and output values as f32. */
static int64_t layer_bytes(const ecg_graph *g, const ecg_node *n, int int8) {
    int64_t b = 4 * ecg_shape_numel(&g->values[n->out].shape);
    for (int j = 0; j < n->n_in; j++) b += 4 * ecg_shape_numel(&g->values[n->in[j]].shape);
    for (int j = 0; j < n->n_param; j++) {
        const ecg_param *p = &g->params[n->param[j]];
        b += (int8 && p->shape.rank >= 2 ? 1 : 4) * ecg_shape_numel(&p->shape);
    }
    return b;
}

/* The run's layers into layers.csv: name, op, output shape, params (and nonzero), FLOPs, the
 * layer's latency with the GFLOP/s it achieves, its bytes, and the GFLOP/s it would reach if it
 * only waited for those bytes at the measured memory rate (mem_gbps): its roofline on this
 * machine beside the core's FMA peak. */
static void write_layers(ecg_csv *w, const ecg_report_row *row, const ecg_graph *g, int int8, const layer_times *lt,
                         double mem_gbps) {
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        int64_t nz = 0;
        for (int j = 0; j < n->n_param; j++) {
            const ecg_param *p = &g->params[n->param[j]];
            for (int64_t k = 0; p->trainable && k < ecg_shape_numel(&p->shape); k++) nz += p->data[k] != 0.0f;
        }
        char shape[64];
        ecg_csv_str(w, row->task->name);
        ecg_csv_str(w, row->run->model);
        ecg_csv_str(w, row->run->variant);
        ecg_csv_str(w, row->run_name);
        ecg_csv_int(w, i);
        ecg_csv_str(w, n->name);
        ecg_csv_str(w, ecg_op_get(n->kind)->name);
        ecg_csv_str(w, ecg_shape_str(&g->values[n->out].shape, shape, sizeof shape));
        ecg_csv_int(w, ecg_node_param_count(g, n));
        ecg_csv_int(w, nz);
        ecg_csv_int(w, ecg_node_flops(g, n));
        double us = layer_us(lt, n->name);
        csv_num_or_empty(w, us);
        csv_num_or_empty(w, us > 0 ? (double)ecg_node_flops(g, n) / (us * 1e3) : NAN);
        int64_t bytes = layer_bytes(g, n, int8);
        ecg_csv_int(w, bytes);
        csv_num_or_empty(w, bytes > 0 && mem_gbps > 0 ? (double)ecg_node_flops(g, n) * mem_gbps / (double)bytes : NAN);
        ecg_csv_end_row(w);
    }
}

/* The bytes of the run's weights file; an ensemble's, its members' files summed (as its manifest
 * records them). -1 when unknown. */
static long weights_bytes(const ecg_run *r) {
    struct stat st;
    if (!ecg_run_is_ensemble(r)) return stat(r->weights, &st) ? -1 : (long)st.st_size;
    long total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ecg_run_members(r)) {
        double b = ecg_json_num(e, "weights_bytes");
        if (!(b >= 0)) return -1;
        total += (long)b;
    }
    return total;
}

/* 1 when the run's weights are on this machine (an ensemble: every member's). */
static int has_weights(const ecg_run *r) {
    if (!ecg_run_is_ensemble(r)) return access(r->weights, R_OK) == 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ecg_run_members(r)) {
        char dir[1100], err[256];
        ecg_run m;
        snprintf(dir, sizeof dir, "%s/%s", r->dir, ecg_json_str(e, "run", "?"));
        if (ecg_run_read(dir, &m, err, sizeof err)) return 0;
        int ok = access(m.weights, R_OK) == 0;
        ecg_run_free(&m);
        if (!ok) return 0;
    }
    return 1;
}

/* Bytes the run's weights take in memory when it runs: f32 params and buffers, or the int8
 * model's weights, scales, biases and f32 params. */
static int64_t weights_in_memory(const ecg_run_model *m) {
    if (m->int8) return ecg_qmodel_bytes(&m->gi, &m->q);
    int64_t b = 0;
    for (int i = 0; i < m->g.n_params; i++) b += 4 * ecg_shape_numel(&m->g.params[i].shape);
    return b;
}

/* run.json: the machine and build (ecg_run_info), the core peak the GFLOP/s figures are set against
 * and the memory read rate layers.csv's memory-bound figures come from. */
/* The report's files: every regular file in out written since the report began (so neither an
 * earlier report's leftovers nor the plots gnuplot draws later), run.json itself left out. */
static int report_files(const char *out, const struct timespec *began, char ***names, int *n, char *err, size_t errlen) {
    DIR *d = opendir(out);
    *names = NULL, *n = 0;
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", out, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0, cap = 0;
    while (!rc && (e = readdir(d))) {
        char path[1400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "run.json") || strstr(e->d_name, ".tmp.") ||
            stat(path, &st) || !S_ISREG(st.st_mode) || st.st_mtim.tv_sec < began->tv_sec - 1)
            continue; /* a second's slack: the kernel stamps files with a coarser clock */
        if (*n == cap) {
            char **p = realloc(*names, sizeof *p * (size_t)(cap = cap ? 2 * cap : 32));
            if (!p) rc = -1;
            else *names = p;
        }
        if (!rc && !((*names)[*n] = strdup(e->d_name))) rc = -1;
        if (!rc) (*n)++;
    }
    closedir(d);
    if (rc) snprintf(err, errlen, "out of memory");
    return rc;
}

static int write_run_json(const char *out, const struct timespec *began, int threads, const ecg_peak *peak,
                          const ecg_bandwidth *bw, int argc, char **argv, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", out);
    ecg_run_info ri;
    ecg_run_info_collect(&ri, ecg_threads_for(threads), argc, argv);
    cJSON *j = ecg_run_info_json(&ri);
    if (!j || !cJSON_AddNumberToObject(j, "core_peak_gflops", peak->gflops) ||
        !cJSON_AddNumberToObject(j, "core_peak_spread_pct", peak->spread_pct) ||
        !cJSON_AddNumberToObject(j, "core_peak_rounds", peak->rounds) || !cJSON_AddStringToObject(j, "core_peak_isa", peak->isa) ||
        !cJSON_AddNumberToObject(j, "memory_read_gbps", bw->gbps) ||
        !cJSON_AddNumberToObject(j, "memory_read_spread_pct", bw->spread_pct) ||
        !cJSON_AddNumberToObject(j, "memory_read_buffer_bytes", (double)bw->bytes)) {
        cJSON_Delete(j);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char **names;
    int n;
    int rc = report_files(out, began, &names, &n, err, errlen) ||
                     ecg_manifest_add_files(j, out, (const char *const *)names, n, err, errlen) ||
                     ecg_write_json(path, j, err, errlen)
                 ? -1
                 : 0;
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    cJSON_Delete(j);
    return rc;
}

/* The data folder a run is evaluated on. */
static const char *data_for(const char *data_opt, const ecg_task *t) {
    const char *data = data_opt ? data_opt : ecg_default_data_dir();
    return !data_opt && !has_task_data(data, t) ? SAMPLE_DIR : data;
}

/* Evaluates one run into row (and its layers into layers). A further seed (extra_seed) gets its
 * accuracy figures only: latency, layers and peak RSS are the architecture's, measured on seed 1. */
static int evaluate_run(const ecg_run *r, const char *data_opt, int threads, int layer_reps, int extra_seed,
                        ecg_report_row *row, ecg_csv *layers, double mem_gbps, char *err, size_t errlen) {
    memset(row, 0, sizeof *row);
    row->run = r;
    row->seed = (int)r->seed;
    row->extra_seed = extra_seed;
    if (!(row->task = ecg_task_lookup(r->task, err, errlen))) return -1;
    const char *data = data_for(data_opt, row->task);
    row->sample = is_sample_dir(data);
    snprintf(row->run_name, sizeof row->run_name, "%s", base_name(r->dir));
    const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->man, "source"));
    snprintf(row->source_name, sizeof row->source_name, "%s", src ? base_name(src) : "");
    snprintf(row->split, sizeof row->split, "test");
    ecg_dataset d = {0};
    ecg_run_model rm = {0};
    layer_times lt = {0};
    const ecg_graph *g = &rm.g;
    int hit, rc = -1;
    if (ecg_task_load_cached(r->task, "test", data, r->seed, NULL, &d, &hit, err, errlen) ||
        ecg_run_open_any(r, &rm, err, errlen) || ecg_run_evaluate(&rm, &d, threads, &row->m, err, errlen))
        goto done;
    row->sample |= strstr(d.data_version, "SAMPLE") != NULL;
    snprintf(row->data_version, sizeof row->data_version, "%s", d.data_version);
    for (int c = 0; c < d.n_classes && c < ECG_MAX_CLASSES; c++)
        snprintf(row->class_names[c], sizeof row->class_names[c], "%s", d.class_names[c]);
    row->score = row->task->score_name ? ecg_metrics_mean_f1(&row->m, row->task->score_classes) : NAN;
    ecg_report_judge(row);
    /* counted on the model's f32 graph (an int8 run's file holds the same params, one byte each);
     * an ensemble's are its members' summed */
    for (int i = 0; i < ecg_run_model_parts(&rm); i++) {
        const ecg_run_model *part = ecg_run_model_part(&rm, i);
        g = part->int8 ? &part->gi : &part->g;
        int64_t params = ecg_graph_param_count(&part->g), flops = ecg_graph_flops(&part->g);
        row->params += params;
        row->nonzero_params += part->int8 ? params : ecg_nonzero_params(g);
        row->flops += flops;
        row->flops_nonzero += part->int8 ? flops : nonzero_flops(g);
        row->weights_in_memory += weights_in_memory(part);
    }
    row->size_bytes = weights_bytes(r);
    row->sparsity = pass_sparsity(r->man);
    /* an ensemble's layers are its members' (timed as their own runs); its latency and peak memory,
     * all members run in turn, are measured whole */
    if (ecg_run_is_ensemble(r)) row->activations_in_memory = -1;
    if (ecg_run_is_ensemble(r) && !extra_seed) {
        rc = (row->peak_rss_kb = ecg_peak_rss_kb(r->dir, 1, err, errlen)) < 0 ? -1 : 0;
        goto done;
    }
    if (extra_seed) {
        rc = 0;
        goto done;
    }
    if (time_layers(&rm, layer_reps, &lt, err, errlen)) goto done;
    row->activations_in_memory = (int64_t)ecg_xnn_get_stats(lt.x).value_bytes;
    write_layers(layers, row, g, rm.int8, &lt, mem_gbps);
    if ((row->peak_rss_kb = ecg_peak_rss_kb(r->dir, 1, err, errlen)) < 0) goto done;
    rc = 0;
done:
    layer_times_free(&lt);
    ecg_run_model_free(&rm);
    ecg_dataset_free(&d);
    return rc;
}

/* A further seed whose weights are not committed (large runs: only manifest.json, epochs.csv and
 * weights.sha256 are): its manifest's test metrics (ecg_report_row_from_manifest), computed on the full
 * data when it was trained. 1 when the report runs on the sample (its figures would not be
 * comparable) or the manifest has none, 0 with row filled, -1 with err. */
static int seed_from_manifest(const ecg_run *r, const char *data_opt, const char *run_name, ecg_report_row *row, char *err,
                              size_t errlen) {
    memset(row, 0, sizeof *row);
    const ecg_task *t = ecg_task_lookup(r->task, err, errlen);
    if (!t) return -1;
    if (is_sample_dir(data_for(data_opt, t))) return 1;
    return ecg_report_row_from_manifest(r, run_name, row, err, errlen);
}

int ecg_report_is_trained_run(const ecg_run *r) {
    return !strcmp(r->variant, "offsets") || ecg_run_is_ensemble(r) ||
           (!strcmp(r->variant, "f32") && !cJSON_GetObjectItemCaseSensitive(r->man, "source"));
}

/* One line naming the degenerate runs (report/report_degenerate.c), none when there are none. */
static void print_degenerate(const ecg_report_row *rows, int n) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!rows[i].degenerate) continue;
        char why[200];
        ecg_report_degenerate_reason(&rows[i], why, sizeof why);
        char seed[32] = "";
        if (rows[i].extra_seed) snprintf(seed, sizeof seed, " seed %d", rows[i].seed);
        printf("%s %s%s (%s)", k++ ? ";" : "report: degenerate, never on a Pareto front:", rows[i].run_name, seed, why);
    }
    if (k) printf("\n");
}

int ecg_report_run(const ecg_report_job *job, char *err, size_t errlen) {
    ecg_run *runs = NULL, *extra = NULL;
    int total = 0, rc = -1, n_rows = 0, n_extra = 0, n_skipped = 0;
    const char **extra_of = NULL; /* each further seed's run name */
    ecg_report_row *rows = NULL;
    ecg_report_latency_files lf = {0};
    ecg_csv layers = {0};
    ecg_bandwidth bw = {0};
    struct timespec began;
    clock_gettime(CLOCK_REALTIME, &began);
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", job->out);
    if (!job->force && access(path, F_OK) == 0) {
        snprintf(err, errlen, "%s holds a finished report (%s); --force overwrites it", job->out, path);
        return -1;
    }
    for (; lf.n < job->n_latency; lf.n++)
        if (ecg_csv_read(job->latency[lf.n], &lf.t[lf.n], err, errlen)) goto fail;
    if (ecg_runs_gather(job->roots, job->n_roots, &runs, &total, err, errlen)) goto fail;
    ecg_runs_keep_classifiers(runs, &total, "report");
    if (total == 0) {
        snprintf(err, errlen, "no finished runs (manifest.json) under the run folders; `make train` makes them");
        goto fail;
    }
    for (int k = 0; k < total && !job->no_seeds; k++) {
        ecg_run *s;
        int ns;
        if (!ecg_report_is_trained_run(&runs[k])) continue; /* the runs whose seeds are read */
        if (ecg_report_find_seeds(&runs[k], job->seeds_root, &s, &ns, err, errlen)) goto fail;
        if (ns == 0) continue;
        ecg_run *all = realloc(extra, sizeof *all * (size_t)(n_extra + ns));
        const char **names = realloc(extra_of, sizeof *names * (size_t)(n_extra + ns));
        if (all) extra = all;
        if (names) extra_of = names;
        if (!all || !names) {
            ecg_runs_free(s, ns);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        memcpy(extra + n_extra, s, sizeof *s * (size_t)ns); /* the manifests move over */
        for (int j = 0; j < ns; j++) extra_of[n_extra + j] = base_name(runs[k].dir);
        n_extra += ns;
        free(s);
    }
    if (!(rows = calloc((size_t)(total + n_extra), sizeof *rows)) || ecg_mkdir_p(job->out, err, errlen) ||
        ecg_atomic_sweep(job->out, err, errlen) < 0) { /* a killed report's temporary files go */
        if (!rows) snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* from here the folder is an unfinished report until the new run.json vouches for its files */
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        goto fail;
    }
    static const char *const layer_cols[] = {"dataset", "model", "variant", "run", "index", "layer", "op",
                                             "output_shape", "params", "nonzero_params", "flops",
                                             "latency_us", "gflops", "bytes", "memory_bound_gflops"};
    snprintf(path, sizeof path, "%s/layers.csv", job->out);
    if (ecg_csv_open(&layers, path) == 0) ecg_csv_header(&layers, layer_cols, 15);
    if (ecg_bandwidth_measure(&bw)) {
        snprintf(err, errlen, "out of memory measuring the memory read rate");
        goto fail;
    }
    fprintf(stderr, "report: one core reads memory at %.1f GB/s +- %.1f%% (%zu MiB, %d rounds)\n", bw.gbps,
            bw.spread_pct, bw.bytes >> 20, bw.rounds);
    for (int k = 0; k < total; k++, n_rows++) {
        fprintf(stderr, "report: [%d/%d] %s\n", k + 1, total + n_extra, runs[k].dir);
        if (evaluate_run(&runs[k], job->data, job->threads, job->layer_reps, 0, &rows[k], &layers, bw.gbps, err, errlen))
            goto fail;
    }
    for (int k = 0; k < n_extra; k++) {
        const ecg_run *s = &extra[k];
        fprintf(stderr, "report: [%d/%d] %s\n", total + k + 1, total + n_extra, s->dir);
        ecg_report_row *row = &rows[n_rows];
        if (has_weights(s)) {
            if (evaluate_run(s, job->data, job->threads, job->layer_reps, 1, row, &layers, bw.gbps, err, errlen)) goto fail;
            snprintf(row->run_name, sizeof row->run_name, "%s", extra_of[k]);
            row->torch_eager_us = row->torch_script_us = row->ort_us = NAN;
        } else {
            int got = seed_from_manifest(s, job->data, extra_of[k], row, err, errlen);
            if (got < 0) goto fail;
            if (got > 0) {
                fprintf(stderr, "report:   no weights and %s: left out\n",
                        row->from_manifest ? "no test metrics in its manifest (trained blind)"
                                           : "the report is on the sample data");
                n_skipped++;
                continue;
            }
            fprintf(stderr, "report:   no weights committed: its manifest's test metrics (not re-evaluated)\n");
        }
        n_rows++;
    }
    if (ecg_csv_close_err(&layers, err, errlen)) goto fail;
    if (ecg_report_attach_latency(&lf, rows, n_rows, err, errlen) ||
        (lf.n && ecg_report_write_latency(job->out, &lf, rows, n_rows, err, errlen)))
        goto fail;
    ecg_peak pk;
    ecg_peak_measure(&pk);
    double peak = pk.gflops;
    fprintf(stderr, "report: one core's f32 FMA peak %.1f GFLOP/s +- %.1f%% (%s, %d rounds)\n", peak, pk.spread_pct,
            pk.isa, pk.rounds);
    if (ecg_report_write_csv(job->out, rows, n_rows, peak, err, errlen) || ecg_report_write_by_run(job->out, rows, n_rows, err, errlen) ||
        ecg_report_write_ablation(job->out, rows, n_rows, err, errlen) ||
        ecg_report_write_tables(job->out, rows, n_rows, peak, pk.spread_pct, err, errlen) ||
        ecg_report_write_plot_labels(job->out, rows, n_rows, err, errlen) ||
        write_run_json(job->out, &began, job->threads, &pk, &bw, job->argc, job->argv, err, errlen))
        goto fail;
    printf("report: %d runs and %d further seeds%s -> %s/{results,results_by_run,per_class,confusion,layers,sweep,ablation%s}.csv, "
           "tables.md, tables.tex, run.json\n", total, n_rows - total, n_skipped ? " (some left out, see above)" : "", job->out,
           lf.n ? ",latency" : "");
    print_degenerate(rows, n_rows);
    char first[600];
    fflush(stdout); /* the warning comes last, also when both go to one file */
    ecg_latency_warn(stderr, ecg_report_latency_flagged(&lf, rows, n_rows, first, sizeof first), first);
    if (!pk.stable)
        fprintf(stderr, "warning: the core peak did not settle (its best timings %.1f%% apart after %d rounds); "
                        "re-run on a quiet machine\n", pk.spread_pct, pk.rounds);
    rc = 0;
fail:
    ecg_csv_abort(&layers); /* a report that failed leaves the earlier layers.csv */
    for (int i = 0; i < lf.n; i++) ecg_csv_table_free(&lf.t[i]);
    free(rows);
    ecg_runs_free(runs, total);
    ecg_runs_free(extra, n_extra);
    free(extra_of);
    return rc;
}
