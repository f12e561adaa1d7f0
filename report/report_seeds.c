/* Seeds in `ecgbench report`: a trained run's seed 1 is its folder under models/weights/RUN,
 * further seeds of the same recipe live in models/seeds/RUN/seedN (scripts/train.sh SEEDS=N).
 * Here: finding them, grouping a run's rows, mean and sample sd over seeds, the paired t-test the
 * fusion ablation uses, and results_by_run.csv. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/run_guard.h"

/* "seed7" -> 7; 0 for any other name. */
static int seed_of_name(const char *name) {
    if (strncmp(name, "seed", 4) || !name[4]) return 0;
    char *end;
    long v = strtol(name + 4, &end, 10);
    return *end || v < 2 || v > 1000000 ? 0 : (int)v;
}

static int by_seed(const void *a, const void *b) {
    const ecg_run *x = a, *y = b;
    return (x->seed > y->seed) - (x->seed < y->seed);
}

/* dir's parent; "." when it has none. */
static void parent_of(const char *dir, char *out, size_t len) {
    snprintf(out, len, "%s", dir);
    size_t k = strlen(out);
    while (k > 1 && out[k - 1] == '/') out[--k] = 0;
    char *s = strrchr(out, '/');
    if (!s) snprintf(out, len, ".");
    else if (s == out) out[1] = 0;
    else *s = 0;
}

int ecg_report_find_seeds(const ecg_run *run, const char *seeds_root, ecg_run **seeds, int *n, char *err,
                      size_t errlen) {
    char root[1024], name[1024], dir[1200], tmp[1024];
    *seeds = NULL, *n = 0;
    parent_of(run->dir, tmp, sizeof tmp);             /* .../weights */
    if (seeds_root) snprintf(root, sizeof root, "%s", seeds_root);
    else parent_of(tmp, root, sizeof root), strncat(root, "/seeds", sizeof root - strlen(root) - 1);
    const char *base = strrchr(run->dir, '/');
    snprintf(name, sizeof name, "%s", base && base[1] ? base + 1 : run->dir);
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    DIR *d = opendir(dir);
    if (!d) return 0; /* no further seeds */
    int cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int s = seed_of_name(e->d_name);
        char sd[1300], man[1400];
        if (!s) continue;
        snprintf(sd, sizeof sd, "%s/%s", dir, e->d_name);
        snprintf(man, sizeof man, "%s/manifest.json", sd);
        FILE *f = fopen(man, "rb");
        if (!f) continue; /* still training */
        fclose(f);
        if (*n == REPORT_MAX_SEEDS - 1) {
            snprintf(err, errlen, "%s: more than %d seeds", dir, REPORT_MAX_SEEDS - 1);
            rc = -1;
            break;
        }
        if (*n == cap) {
            ecg_run *p = realloc(*seeds, sizeof *p * (size_t)(cap = cap ? 2 * cap : 4));
            if (!p) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            *seeds = p;
        }
        ecg_run *r = &(*seeds)[*n];
        if (ecg_run_read(sd, r, err, errlen)) {
            rc = -1;
            break;
        }
        (*n)++;
        if (strcmp(r->model, run->model) || strcmp(r->task, run->task) || r->seed != (uint64_t)s ||
            strcmp(r->variant, run->variant)) {
            snprintf(err, errlen, "%s: its manifest says %s on %s, seed %llu; the folder is seed %d of %s on %s", sd,
                     r->model, r->task, (unsigned long long)r->seed, s, run->model, run->task);
            rc = -1;
            break;
        }
        /* a seed of another recipe (train.sh skips a seed that has a manifest, so a recipe changed
         * after seed 1 was promoted leaves stale seeds) must not be averaged with it */
        char va[200], vb[200];
        const char *key = ecg_config_diff(cJSON_GetObjectItemCaseSensitive(run->man, "config"),
                                          cJSON_GetObjectItemCaseSensitive(r->man, "config"), ecg_same_recipe_setting, va,
                                          vb, sizeof va);
        if (key) {
            snprintf(err, errlen, "%s was trained with another recipe than %s (%s %s against %s): retrain it (make "
                     "train FORCE=1 ONLY=...) or remove it", sd, run->dir, key, va, vb);
            rc = -1;
            break;
        }
    }
    closedir(d);
    if (rc) ecg_runs_free(*seeds, *n), *seeds = NULL, *n = 0;
    else if (*n > 1) qsort(*seeds, (size_t)*n, sizeof **seeds, by_seed);
    return rc;
}

int ecg_report_row_from_manifest(const ecg_run *r, const char *run_name, ecg_report_row *row, char *err, size_t errlen) {
    memset(row, 0, sizeof *row);
    row->run = r;
    row->seed = (int)r->seed;
    row->extra_seed = row->from_manifest = 1;
    if (!(row->task = ecg_task_lookup(r->task, err, errlen))) return -1;
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "metrics"), "test");
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(test, "per_class"), *c;
    if (!test) return 1; /* trained blind (train --no-test): nothing to report without its weights */
    int k = cJSON_GetArraySize(pc);
    if (k < 2 || k > ECG_MAX_CLASSES || ecg_metrics_from_json(test, k, &row->m)) {
        snprintf(err, errlen, "%s/manifest.json: malformed metrics.test (per_class and confusion)", r->dir);
        return -1;
    }
    k = 0;
    cJSON_ArrayForEach(c, pc) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "class"));
        snprintf(row->class_names[k++], sizeof row->class_names[0], "%s", name ? name : "?");
    }
    const char *dv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->man, "data_version"));
    snprintf(row->data_version, sizeof row->data_version, "%s", dv ? dv : "");
    snprintf(row->run_name, sizeof row->run_name, "%s", run_name);
    snprintf(row->split, sizeof row->split, "test");
    row->score = row->task->score_name ? ecg_metrics_mean_f1(&row->m, row->task->score_classes) : NAN;
    ecg_report_judge(row);
    row->size_bytes = -1;
    row->torch_eager_us = row->torch_script_us = row->ort_us = NAN;
    return 0;
}

ecg_report_stat ecg_report_stat_of(const double *v, int n) {
    ecg_report_stat s = {0, NAN, NAN};
    double sum = 0, ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) sum += v[i], s.n++;
    if (!s.n) return s;
    s.mean = sum / s.n;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) ss += (v[i] - s.mean) * (v[i] - s.mean);
    if (s.n >= 2) s.sd = sqrt(ss / (s.n - 1));
    return s;
}

void ecg_report_stat_format(char *buf, size_t len, ecg_report_stat s, int percent) {
    double k = percent ? 100 : 1;
    const char *fmt = percent ? "%.1f" : "%.3f";
    if (s.n == 0 || !isfinite(s.mean)) snprintf(buf, len, "-");
    else if (s.n == 1 || !isfinite(s.sd)) snprintf(buf, len, fmt, k * s.mean);
    else {
        char m[24], d[24];
        snprintf(m, sizeof m, fmt, k * s.mean), snprintf(d, sizeof d, fmt, k * s.sd);
        snprintf(buf, len, "%s \u00b1 %s", m, d);
    }
}

static int same_run(const ecg_report_row *a, const ecg_report_row *b) {
    return !strcmp(a->task->name, b->task->name) && !strcmp(a->run_name, b->run_name);
}

int ecg_report_seeds_of(const ecg_report_row *rows, int n, const ecg_report_row *r, const ecg_report_row **out) {
    int k = 0;
    out[k++] = r;
    if (r->extra_seed) return k;
    for (int i = 0; i < n && k < REPORT_MAX_SEEDS; i++)
        if (rows[i].extra_seed && same_run(&rows[i], r)) out[k++] = &rows[i];
    /* by seed (they are gathered so; a made-up set need not be) */
    for (int i = 2; i < k; i++)
        for (int j = i; j > 1 && out[j - 1]->seed > out[j]->seed; j--) {
            const ecg_report_row *t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return k;
}

static int class_index(const ecg_report_row *r, const char *name) {
    for (int c = 0; name && c < r->m.classes; c++)
        if (!strcmp(r->class_names[c], name)) return c;
    return -1;
}

double ecg_report_figure_of(const ecg_report_row *r, ecg_report_figure f, const char *cls) {
    int c = class_index(r, cls);
    switch (f) {
    case REPORT_ACCURACY: return r->m.accuracy;
    case REPORT_BALANCED: return r->balanced;
    case REPORT_MACRO_F1: return r->m.macro_f1;
    case REPORT_SENSITIVITY: return c >= 0 ? r->m.sensitivity[c] : NAN;
    case REPORT_PPV: return c >= 0 ? r->m.ppv[c] : NAN;
    case REPORT_F1: return c >= 0 ? r->m.f1[c] : NAN;
    }
    return NAN;
}

const char *ecg_report_figure_name(ecg_report_figure f) {
    static const char *const names[] = {"accuracy", "balanced_score", "macro_f1", "sensitivity", "ppv", "f1"};
    return names[f];
}

ecg_report_stat ecg_report_seed_stat(const ecg_report_row *rows, int n, const ecg_report_row *r, ecg_report_figure f, const char *cls) {
    const ecg_report_row *s[REPORT_MAX_SEEDS];
    double v[REPORT_MAX_SEEDS];
    int k = ecg_report_seeds_of(rows, n, r, s);
    for (int i = 0; i < k; i++) v[i] = ecg_report_figure_of(s[i], f, cls);
    return ecg_report_stat_of(v, k);
}

int ecg_report_degenerate_seeds(const ecg_report_row *rows, int n, const ecg_report_row *r, char *buf, size_t len) {
    const ecg_report_row *s[REPORT_MAX_SEEDS];
    int k = ecg_report_seeds_of(rows, n, r, s), bad = 0;
    if (!len) return 0;
    buf[0] = 0;
    for (int i = 0; i < k; i++) {
        if (!s[i]->degenerate) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%d", bad++ ? ", " : "", s[i]->seed);
    }
    return bad;
}

ecg_report_paired ecg_report_paired_t(const double *a, const double *b, int k) {
    ecg_report_paired p = {0, NAN, NAN, NAN, NAN};
    double d[REPORT_MAX_SEEDS] = {0};
    for (int i = 0; i < k && p.k < REPORT_MAX_SEEDS; i++)
        if (isfinite(a[i]) && isfinite(b[i])) d[p.k++] = b[i] - a[i];
    ecg_report_stat s = ecg_report_stat_of(d, p.k);
    p.mean_diff = s.mean, p.sd_diff = s.sd;
    if (p.k < 3) return p;
    if (s.sd == 0) {
        p.t = s.mean == 0 ? 0 : copysign(INFINITY, s.mean);
        p.p = s.mean == 0 ? 1 : 0;
        return p;
    }
    p.t = s.mean / (s.sd / sqrt(p.k));
    p.p = 2 * gsl_cdf_tdist_Q(fabs(p.t), p.k - 1);
    return p;
}

ecg_report_paired ecg_report_paired_runs(const ecg_report_row *rows, int n, const ecg_report_row *a, const ecg_report_row *b,
                                 ecg_report_figure f, const char *cls) {
    const ecg_report_row *sa[REPORT_MAX_SEEDS], *sb[REPORT_MAX_SEEDS];
    double va[REPORT_MAX_SEEDS], vb[REPORT_MAX_SEEDS];
    int ka = ecg_report_seeds_of(rows, n, a, sa), kb = ecg_report_seeds_of(rows, n, b, sb), k = 0;
    for (int i = 0; i < ka; i++)
        for (int j = 0; j < kb; j++)
            if (sa[i]->seed == sb[j]->seed) va[k] = ecg_report_figure_of(sa[i], f, cls), vb[k++] = ecg_report_figure_of(sb[j], f, cls);
    return ecg_report_paired_t(va, vb, k);
}

static void num_or_empty(ecg_csv *w, double v) {
    if (isfinite(v)) ecg_csv_num(w, v);
    else ecg_csv_str(w, "");
}

/* One line of results_by_run.csv. */
static void by_run_line(ecg_csv *w, const ecg_report_row *rows, int n, const ecg_report_row *r, const char *seeds,
                        int k, const char *manifest, const char *degenerate, ecg_report_figure f, const char *cls) {
    ecg_report_stat s = ecg_report_seed_stat(rows, n, r, f, cls);
    ecg_csv_str(w, r->task->name);
    ecg_csv_str(w, r->split);
    ecg_csv_str(w, r->run->model);
    ecg_csv_str(w, r->run->variant);
    ecg_csv_str(w, r->run_name);
    ecg_csv_int(w, k);
    ecg_csv_str(w, seeds);
    ecg_csv_str(w, manifest);
    ecg_csv_str(w, degenerate);
    ecg_csv_str(w, f == REPORT_BALANCED ? ecg_report_balanced_name(r->task) : ecg_report_figure_name(f));
    ecg_csv_str(w, cls ? cls : "");
    ecg_csv_int(w, s.n);
    num_or_empty(w, s.mean);
    num_or_empty(w, s.sd);
    ecg_csv_end_row(w);
}

int ecg_report_write_by_run(const char *out, const ecg_report_row *rows, int n, char *err, size_t errlen) {
    static const char *const cols[] = {"dataset", "split", "model", "variant", "run", "n_seeds", "seeds",
                                       "seeds_from_manifest", "degenerate_seeds", "figure", "class", "n", "mean", "sd"};
    char path[1200];
    snprintf(path, sizeof path, "%s/results_by_run.csv", out);
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        const ecg_report_row *r = &rows[i], *s[REPORT_MAX_SEEDS];
        if (r->extra_seed) continue;
        int k = ecg_report_seeds_of(rows, n, r, s);
        char seeds[256] = "", manifest[256] = "", degenerate[256];
        for (int j = 0; j < k; j++) {
            size_t a = strlen(seeds), b = strlen(manifest);
            snprintf(seeds + a, sizeof seeds - a, "%s%d", j ? " " : "", s[j]->seed);
            if (s[j]->from_manifest) snprintf(manifest + b, sizeof manifest - b, "%s%d", b ? " " : "", s[j]->seed);
        }
        ecg_report_degenerate_seeds(rows, n, r, degenerate, sizeof degenerate);
        for (char *c = degenerate; *c; c++) /* one field, space separated like seeds */
            if (*c == ',') memmove(c, c + 1, strlen(c));
        /* the class-balanced score is macro-F1 unless the task has its own (cinc2017's challenge F1) */
        static const ecg_report_figure whole[] = {REPORT_ACCURACY, REPORT_MACRO_F1, REPORT_BALANCED};
        for (int f = 0; f < (r->task->score_name ? 3 : 2); f++)
            by_run_line(&w, rows, n, r, seeds, k, manifest, degenerate, whole[f], NULL);
        static const ecg_report_figure per_class[] = {REPORT_SENSITIVITY, REPORT_PPV, REPORT_F1};
        for (int c = 0; c < r->m.classes; c++)
            for (int f = 0; f < 3; f++)
                by_run_line(&w, rows, n, r, seeds, k, manifest, degenerate, per_class[f], r->class_names[c]);
    }
    return ecg_csv_close_err(&w, err, errlen);
}
