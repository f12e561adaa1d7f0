/* `ecgbench baseline dechazal`: de Chazal et al. 2004's linear-discriminant classifier
 * (baselines/dechazal.h) on mitdb-aami's inter-patient split, as a run folder.
 *   ecgbench baseline dechazal [--data D] [--out DIR]
 *       features of DS1 and DS2; every candidate (baselines/dechazal.h's options) scored by leave-one-
 *       record-out cross-validation over DS1 (selection.csv), the best by macro-F1 refitted on
 *       all of DS1, then DS2 evaluated once; DIR gets manifest.json (metrics.test in the schema
 *       of the trained runs), lda.json (the discriminants) and selection.csv.
 *   ecgbench baseline dechazal --eval DIR [--data D]
 *       re-extracts DS2's features, applies DIR/lda.json, checks the manifest's test confusion
 *       is reproduced exactly (exit 1 if not).
 *   ecgbench baseline dechazal --export-ds1 FILE [--data D]
 *       DS1's feature rows (record, class, every feature at full precision) and the posteriors of
 *       the first candidate (the paper's choices, ridge 1e-3) fitted on all of DS1, as CSV: for an
 *       independent check of the discriminant and of the features. DS2 is not read. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baselines/dechazal.h"
#include "bench/bench.h"
#include "cli/cli.h"
#include "ops/atomic_file.h"
#include "report/csv.h"
#include "runs/files.h"
#include "runs/manifest.h"

#define DEFAULT_OUT "models/classical/dechazal-mitdb-aami"
#define PAPER_OUT "models/classical/dechazal-paper-mitdb-aami"
#define MODEL_NAME "dechazal-lda"
#define PAPER_MODEL_NAME "dechazal-lda-paper"
#define WEIGHTS_FILE "lda.json"

/* Candidates, in the order ties are broken: the paper's choices first (fusion, raw RR, with
 * the intervals, Q trained on), then our departures. */
static const char *const configs[] = {"fusion", "lead1", "all", "rr"};
static const char *const rr_forms[] = {"raw", "ratio"};
static const double ridges[] = {1e-3, 1e-1};
#define N_CONFIGS (int)(sizeof configs / sizeof configs[0])
#define N_RIDGES (int)(sizeof ridges / sizeof ridges[0])
#define N_CANDIDATES (N_CONFIGS * 2 * 2 * 2 * N_RIDGES)

/* The paper's own choices (--paper: only the ridge is left to DS1). */
static int is_paper(const ecg_dc_options *o) {
    return !strcmp(o->config, "fusion") && !strcmp(o->rr, "raw") && o->intervals && o->train_q;
}

static ecg_dc_options candidate(int i) {
    ecg_dc_options o;
    memset(&o, 0, sizeof o);
    o.ridge = ridges[i % N_RIDGES], i /= N_RIDGES;
    o.train_q = !(i % 2), i /= 2;
    o.intervals = !(i % 2), i /= 2;
    snprintf(o.rr, sizeof o.rr, "%s", rr_forms[i % 2]), i /= 2;
    snprintf(o.config, sizeof o.config, "%s", configs[i]);
    return o;
}

/* de Chazal et al. 2004, DS2, their chosen configuration (percent). */
static const double pub_acc = 86.2, pub_s_se = 75.9, pub_s_ppv = 38.5, pub_v_se = 77.7, pub_v_ppv = 81.9;

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench baseline dechazal [--paper] [--data D] [--out DIR]\n"
               "       ecgbench baseline dechazal --eval DIR [--data D]\n"
               "       ecgbench baseline dechazal --export-ds1 FILE [--data D]\n"
               "  de Chazal et al. 2004 linear discriminants on RR, interval and morphology features of both\n"
               "  MIT-BIH leads: choices by leave-one-record-out CV on DS1, trained on DS1, DS2 scored once.\n"
               "  --export-ds1: DS1's features and the paper's-choice posteriors as CSV (for an outside check;\n"
               "  DS2 is not read).\n"
               "  --paper: only the paper's choices (fusion of the two leads' discriminants, raw RR, the\n"
               "  intervals, Q trained on); the ridge still chosen on DS1. --out defaults to\n"
               "  " DEFAULT_OUT " (" PAPER_OUT " with --paper);\n"
               "  --data to $ECG_DATA_DIR or data/.\n");
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Features of a set, checked beat for beat against mitdb-aami's split of the same name (same
 * labels, same records, same order), whose data_version it copies. */
static int load_checked(const char *data, const char *set, ecg_dc_beats *b, char *version, size_t vlen, char *err,
                        size_t errlen) {
    double t0 = now_s();
    if (ecg_dechazal_load_set(data, set, b, err, errlen)) return -1;
    ecg_dataset d = {0};
    int hit, rc = -1;
    if (ecg_task_load_cached("mitdb-aami", set, data, 1, NULL, &d, &hit, err, errlen)) goto out;
    if (d.n != b->n) {
        snprintf(err, errlen, "%s: %d beats here, %d in mitdb-aami's split", set, b->n, d.n);
        goto out;
    }
    for (int i = 0; i < b->n; i++)
        if (d.y[i] != b->y[i] || d.record[i] != b->record[i]) {
            snprintf(err, errlen, "%s: beat %d differs from mitdb-aami's (record %d class %d here, record %d class "
                     "%d there)", set, i, b->record[i], b->y[i], d.record[i], d.y[i]);
            goto out;
        }
    snprintf(version, vlen, "%s", d.data_version);
    int counts[ECG_AAMI_N_CLASSES] = {0};
    for (int i = 0; i < b->n; i++) counts[b->y[i]]++;
    const int *ref = ecg_dechazal_counts(set);
    printf("%s: %d beats in %.1f s (N %d, S %d, V %d, F %d, Q %d; de Chazal's Table II: %d %d %d %d %d)\n", set, b->n,
           now_s() - t0, counts[0], counts[1], counts[2], counts[3], counts[4], ref[0], ref[1], ref[2], ref[3], ref[4]);
    rc = 0;
out:
    ecg_dataset_free(&d);
    return rc;
}

static void print_vs_paper(const ecg_metrics *m) {
    printf("vs de Chazal et al. 2004 (DS2): accuracy %.1f%% (theirs %.1f), S Se %.1f%% (%.1f), S PPV %.1f%% (%.1f), "
           "V Se %.1f%% (%.1f), V PPV %.1f%% (%.1f)\n",
           100 * m->accuracy, pub_acc, 100 * m->sensitivity[ECG_AAMI_S], pub_s_se, 100 * m->ppv[ECG_AAMI_S], pub_s_ppv,
           100 * m->sensitivity[ECG_AAMI_V], pub_v_se, 100 * m->ppv[ECG_AAMI_V], pub_v_ppv);
}

/* Every candidate (only the paper's choices when paper) scored by leave-one-record-out CV over
 * DS1 into cv[], printed as it goes; returns the best by macro-F1 (ties: the earlier), -1 with err. */
static int score_candidates(const ecg_dc_beats *ds1, int paper, ecg_metrics *cv, int *n_cand, char *err, size_t errlen) {
    int best = -1;
    *n_cand = 0;
    for (int i = 0; i < N_CANDIDATES; i++) {
        ecg_dc_options o = candidate(i);
        *n_cand += !paper || is_paper(&o);
    }
    printf("selection on DS1 (leave-one-record-out over its records; criterion macro-F1), %d candidates:\n"
           "%-28s %8s %8s %7s %7s %7s %7s\n", *n_cand, "config/rr/intervals/Q/ridge", "accuracy", "macro-F1",
           "S Se", "S PPV", "V Se", "V PPV");
    for (int i = 0; i < N_CANDIDATES; i++) {
        ecg_dc_options o = candidate(i);
        if (paper && !is_paper(&o)) continue;
        char name[64];
        ecg_dc_options_name(&o, name, sizeof name);
        if (ecg_dechazal_cv(ds1, &o, &cv[i], err, errlen)) return -1;
        const ecg_metrics *m = &cv[i];
        printf("%-28s %8.4f %8.4f %7.4f %7.4f %7.4f %7.4f\n", name, m->accuracy, m->macro_f1,
               m->sensitivity[ECG_AAMI_S], m->ppv[ECG_AAMI_S], m->sensitivity[ECG_AAMI_V], m->ppv[ECG_AAMI_V]);
        if (best < 0 || m->macro_f1 > cv[best].macro_f1) best = i;
    }
    return best;
}

/* The selection log: a row per candidate scored, with its CV figures and whether it was chosen. */
static int write_selection(const char *path, const ecg_metrics *cv, int paper, int best, char *err, size_t errlen) {
    static const char *const cols[] = {"config", "rr", "intervals", "train_q", "ridge", "cv_accuracy", "cv_macro_f1",
                                       "cv_s_se", "cv_s_ppv", "cv_v_se", "cv_v_ppv", "cv_f_se", "chosen"};
    ecg_csv w = {0};
    if (ecg_csv_open(&w, path) || ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof cols[0]))) {
        snprintf(err, errlen, "%s", w.err);
        if (w.f) ecg_csv_close(&w);
        return -1;
    }
    for (int i = 0; i < N_CANDIDATES; i++) {
        const ecg_metrics *m = &cv[i];
        ecg_dc_options o = candidate(i);
        if (paper && !is_paper(&o)) continue;
        ecg_csv_str(&w, o.config);
        ecg_csv_str(&w, o.rr);
        ecg_csv_int(&w, o.intervals);
        ecg_csv_int(&w, o.train_q);
        ecg_csv_num(&w, o.ridge);
        const double figures[] = {m->accuracy, m->macro_f1, m->sensitivity[ECG_AAMI_S], m->ppv[ECG_AAMI_S],
                                  m->sensitivity[ECG_AAMI_V], m->ppv[ECG_AAMI_V], m->sensitivity[ECG_AAMI_F]};
        for (size_t k = 0; k < sizeof figures / sizeof *figures; k++) ecg_csv_num(&w, figures[k]);
        ecg_csv_int(&w, i == best);
        ecg_csv_end_row(&w);
    }
    return ecg_csv_close_err(&w, err, errlen) ? -1 : 0;
}

/* The run's manifest: the chosen discriminant's config with every departure from the paper, the
 * selection protocol, DS1 (resubstitution), DS1 CV and DS2 metrics, and the published figures. */
static cJSON *manifest_json(const ecg_dechazal *m, const char *model_name, const char *data, const char *version,
                            int paper, int n_cand, const ecg_metrics *mtrain, const ecg_metrics *mcv,
                            const ecg_metrics *mtest, int argc, char **argv) {
    ecg_run_info ri;
    ecg_run_info_collect(&ri, 1, argc, argv);
    cJSON *man = cJSON_CreateObject(), *config = cJSON_CreateObject(), *metrics = cJSON_CreateObject(),
          *sel = cJSON_CreateObject(), *pub = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "model", model_name);
    cJSON_AddStringToObject(man, "task", "mitdb-aami");
    cJSON_AddStringToObject(man, "weights", WEIGHTS_FILE);
    cJSON_AddNumberToObject(man, "seed", 1); /* nothing is random; mitdb-aami's ds1/ds2 ignore the seed */
    cJSON_AddNumberToObject(man, "params", ecg_dechazal_params(m));
    cJSON_AddStringToObject(config, "classifier", m->opt.config);
    cJSON_AddStringToObject(config, "rr", m->opt.rr);
    cJSON_AddBoolToObject(config, "intervals", m->opt.intervals);
    cJSON_AddBoolToObject(config, "train_q", m->opt.train_q);
    cJSON_AddNumberToObject(config, "ridge", m->opt.ridge);
    cJSON_AddBoolToObject(config, "paper_choices", is_paper(&m->opt));
    cJSON_AddBoolToObject(config, "paper_only_candidates", paper);
    cJSON_AddStringToObject(config, "class_weights", "balanced (each class as if equally frequent; equal priors)");
    cJSON_AddStringToObject(config, "train", "ds1");
    cJSON_AddStringToObject(config, "filter", "0.5-40 Hz zero-phase Butterworth band-pass (paper: median filters "
                                              "200 + 600 ms, 35 Hz low-pass)");
    cJSON_AddStringToObject(config, "delineator", "datasets/fiducials.c (paper: ecgpuwave)");
    cJSON_AddNumberToObject(config, "avg_rr_half_window_s", ECG_DC_AVG_RR_HALF_S);
    cJSON_AddStringToObject(config, "data_dir", data);
    cJSON_AddItemToObject(man, "config", config);
    cJSON_AddStringToObject(man, "data_version", version);
    cJSON_AddItemToObject(man, "run", ecg_run_info_json(&ri));
    cJSON_AddStringToObject(sel, "protocol", "every candidate scored by leave-one-record-out cross-validation over "
                                             "DS1's 22 records; the best pooled macro-F1 (ties: the earlier in "
                                             "selection.csv) refitted on all of DS1; DS2 evaluated once, after");
    cJSON_AddStringToObject(sel, "chosen_on", "ds1");
    cJSON_AddStringToObject(sel, "log", "selection.csv");
    cJSON_AddNumberToObject(sel, "candidates", n_cand);
    cJSON_AddNumberToObject(sel, "test_evaluations", 1);
    cJSON_AddItemToObject(man, "selection", sel);
    cJSON_AddItemToObject(metrics, "train", ecg_metrics_json(mtrain, ecg_aami_class_names));
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(mcv, ecg_aami_class_names));
    cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(mtest, ecg_aami_class_names));
    cJSON_AddItemToObject(man, "metrics", metrics);
    cJSON_AddStringToObject(pub, "source", "de Chazal, O'Dwyer, Reilly, IEEE TBME 51(7):1196-1206, 2004; DS2");
    cJSON_AddNumberToObject(pub, "accuracy", pub_acc / 100);
    cJSON_AddNumberToObject(pub, "s_sensitivity", pub_s_se / 100);
    cJSON_AddNumberToObject(pub, "s_ppv", pub_s_ppv / 100);
    cJSON_AddNumberToObject(pub, "v_sensitivity", pub_v_se / 100);
    cJSON_AddNumberToObject(pub, "v_ppv", pub_v_ppv / 100);
    cJSON_AddItemToObject(man, "published", pub);
    return man;
}

/* Choose on DS1, fit on DS1, score DS2 once, write the run folder. */
static int select_and_train(const char *data, const char *out, int paper, int argc, char **argv) {
    const char *model_name = paper ? PAPER_MODEL_NAME : MODEL_NAME;
    char err[1400], v1[200], v2[200], path[1300], chosen_name[64];
    ecg_dc_beats ds1 = {0}, ds2 = {0};
    cJSON *man = NULL, *model = NULL;
    ecg_metrics cv[N_CANDIDATES], mtrain, mtest;
    ecg_dechazal m;
    int rc = 1, n_cand = 0, best;
    if (load_checked(data, "ds1", &ds1, v1, sizeof v1, err, sizeof err) || ecg_mkdir_p(out, err, sizeof err))
        goto fail;
    double t0 = now_s();
    snprintf(path, sizeof path, "%s/selection.csv", out);
    if ((best = score_candidates(&ds1, paper, cv, &n_cand, err, sizeof err)) < 0 ||
        write_selection(path, cv, paper, best, err, sizeof err))
        goto fail;
    ecg_dc_options chosen = candidate(best);
    ecg_dc_options_name(&chosen, chosen_name, sizeof chosen_name);
    printf("chosen: %s (DS1 CV macro-F1 %.4f) in %.1f s; log: %s\n", chosen_name, cv[best].macro_f1, now_s() - t0,
           path);
    if (ecg_dechazal_fit(&ds1, NULL, &chosen, &m, err, sizeof err)) goto fail;
    ecg_dechazal_evaluate(&m, &ds1, &mtrain);
    /* DS2: loaded and scored once, after every choice is fixed */
    if (load_checked(data, "ds2", &ds2, v2, sizeof v2, err, sizeof err)) goto fail;
    ecg_dechazal_evaluate(&m, &ds2, &mtest);
    printf("%s (%s) on mitdb-aami/ds2 (%s)\n", model_name, chosen_name, v2);
    ecg_metrics_print(stdout, &mtest, ecg_aami_class_names);
    print_vs_paper(&mtest);
    model = ecg_dechazal_to_json(&m);
    snprintf(path, sizeof path, "%s/" WEIGHTS_FILE, out);
    if (!model || ecg_write_json(path, model, err, sizeof err)) goto fail;
    man = manifest_json(&m, model_name, data, v2, paper, n_cand, &mtrain, &cv[best], &mtest, argc, argv);
    /* written last, naming the files it vouches for (runs/files.h) */
    const char *files[] = {WEIGHTS_FILE, "selection.csv"};
    snprintf(path, sizeof path, "%s/manifest.json", out);
    if (ecg_manifest_add_files(man, out, files, 2, err, sizeof err) || ecg_write_json(path, man, err, sizeof err))
        goto fail;
    printf("wrote %s (manifest.json, " WEIGHTS_FILE ", selection.csv)\n", out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench baseline dechazal: %s\n", err);
done:
    cJSON_Delete(man);
    cJSON_Delete(model);
    ecg_dc_beats_free(&ds1);
    ecg_dc_beats_free(&ds2);
    return rc;
}

/* DS1 only: the features and the posteriors of candidate 0 fitted on all of DS1. */
static int export_ds1(const char *data, const char *file) {
    char err[1400], version[200];
    ecg_dc_beats ds1 = {0};
    FILE *f = NULL;
    ecg_atomic_file af = {0};
    int rc = 1;
    if (load_checked(data, "ds1", &ds1, version, sizeof version, err, sizeof err)) goto fail;
    ecg_dc_options o = candidate(0);
    ecg_dechazal m;
    if (ecg_dechazal_fit(&ds1, NULL, &o, &m, err, sizeof err)) goto fail;
    if (ecg_atomic_open(&af, file, err, sizeof err)) goto fail;
    f = af.f;
    fprintf(f, "record,class");
    for (int j = 0; j < ECG_DC_N_FEATURES; j++) {
        char nm[32];
        ecg_dechazal_feature_name(j, nm, sizeof nm);
        fprintf(f, ",%s", nm);
    }
    for (int d = 0; d < m.n_lda; d++)
        for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) fprintf(f, ",post%d_%s", d, ecg_aami_class_names[c]);
    fprintf(f, ",predicted\n");
    for (int i = 0; i < ds1.n; i++) {
        const double *row = ds1.x + (size_t)i * ECG_DC_N_FEATURES;
        fprintf(f, "%d,%d", ds1.record[i], ds1.y[i]);
        for (int j = 0; j < ECG_DC_N_FEATURES; j++) fprintf(f, ",%.17g", row[j]);
        for (int d = 0; d < m.n_lda; d++) {
            double post[ECG_LDA_MAX_K];
            ecg_lda_posteriors(&m.lda[d], row, post);
            for (int c = 0; c < ECG_AAMI_N_CLASSES; c++) fprintf(f, ",%.17g", post[c]);
        }
        fprintf(f, ",%d\n", ecg_dechazal_predict(&m, row));
    }
    f = NULL;
    if (ecg_atomic_commit(&af, err, sizeof err)) goto fail; /* a write error shows here, with its reason */
    printf("wrote %s (%d DS1 beats, %d features, posteriors of the paper's choices, ridge %g)\n", file, ds1.n,
           ECG_DC_N_FEATURES, o.ridge);
    rc = 0;
    goto done;
fail:
    ecg_atomic_abort(&af);
    fprintf(stderr, "ecgbench baseline dechazal: %s\n", err);
done:
    ecg_dc_beats_free(&ds1);
    return rc;
}

static int reevaluate(const char *dir, const char *data) {
    char err[1400], path[1300], version[200];
    ecg_dc_beats ds2 = {0};
    cJSON *man = NULL, *mj = NULL;
    int rc = 1;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (!(man = ecg_read_json(path, err, sizeof err))) goto fail;
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(man, "model"));
    const char *weights = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(man, "weights"));
    if (!model || (strcmp(model, MODEL_NAME) && strcmp(model, PAPER_MODEL_NAME)) || !weights) {
        snprintf(err, sizeof err, "%s: not a %s run (model %s)", path, MODEL_NAME, model ? model : "missing");
        goto fail;
    }
    if (!data) data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(man, "config"), "data_dir"));
    if (!data) data = ecg_default_data_dir();
    snprintf(path, sizeof path, "%s/%s", dir, weights);
    ecg_dechazal m;
    char e2[600];
    if (!(mj = ecg_read_json(path, err, sizeof err))) goto fail;
    if (ecg_dechazal_from_json(mj, &m, e2, sizeof e2)) {
        snprintf(err, sizeof err, "%s: %s", path, e2);
        goto fail;
    }
    if (load_checked(data, "ds2", &ds2, version, sizeof version, err, sizeof err)) goto fail;
    ecg_metrics got, want;
    ecg_dechazal_evaluate(&m, &ds2, &got);
    char name[64];
    ecg_dc_options_name(&m.opt, name, sizeof name);
    printf("%s (%s) on mitdb-aami/ds2 (%s), %s\n", model, name, version, path);
    ecg_metrics_print(stdout, &got, ecg_aami_class_names);
    print_vs_paper(&got);
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "metrics"), "test");
    if (ecg_metrics_from_json(test, ECG_AAMI_N_CLASSES, &want)) {
        snprintf(err, sizeof err, "%s/manifest.json has no readable test confusion matrix", dir);
        goto fail;
    }
    if (!ecg_metrics_equal(&got, &want)) {
        snprintf(err, sizeof err, "DIFFERENT from the manifest (accuracy %.6f there, %.6f here)", want.accuracy,
                 got.accuracy);
        goto fail;
    }
    printf("reproduces the manifest's test metrics exactly\n");
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ecgbench baseline dechazal: %s\n", err);
done:
    cJSON_Delete(man);
    cJSON_Delete(mj);
    ecg_dc_beats_free(&ds2);
    return rc;
}

int ecg_cmd_baseline(int argc, char **argv) {
    static const struct option lo[] = {
        {"data", 1, 0, 'd'}, {"out", 1, 0, 'o'}, {"eval", 1, 0, 'e'}, {"paper", 0, 0, 'p'}, {"export-ds1", 1, 0, 'x'},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *data = NULL, *out = NULL, *eval_dir = NULL, *export_file = NULL;
    int c, paper = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'e': eval_dir = optarg; break;
        case 'p': paper = 1; break;
        case 'x': export_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1 || strcmp(argv[optind], "dechazal")) {
        if (optind < argc) fprintf(stderr, "ecgbench baseline: unknown baseline '%s' (known: dechazal)\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (eval_dir) return reevaluate(eval_dir, data);
    if (export_file) return export_ds1(data ? data : ecg_default_data_dir(), export_file);
    if (!out) out = paper ? PAPER_OUT : DEFAULT_OUT;
    return select_and_train(data ? data : ecg_default_data_dir(), out, paper, argc, argv);
}
