/* `ecgbench eval`: accuracy, macro-F1, per-class Se/PPV/Sp/F1 and the confusion matrix of a
 * model on a task split, through the XNNPACK executor (the path the benchmarks time); for an
 * autoencoder (lstm-ae), its reconstruction MSE.
 *   ecgbench eval DIR                        DIR/manifest.json + weights; checks the manifest's
 *                                            test metrics are reproduced exactly
 *   ecgbench eval DIR --record               a run made with `train` or `compress --no-test` (chosen on validation):
 *                                            scores the test split once and writes it into the manifest
 *   ecgbench eval MODEL --weights FILE --task TASK [--split S] */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "runs/metrics_check.h"
#include "cli/cli.h"
#include "models/models.h"
#include "runs/files.h"
#include "runs/manifest.h"
#include "runs/runs.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench eval DIR [--record] [--data D] [--threads N]\n"
               "       ecgbench eval MODEL --weights FILE --task TASK [--split S] [--data D] [--seed N] [--threads N]\n"
               "  DIR holds manifest.json and the weights `ecgbench train` (f32) or `ecgbench compress --int8`\n"
               "  wrote (an int8 file runs on the int8 path); its test metrics must be\n"
               "  reproduced exactly (exit 1 if not). --data defaults to the manifest's, else $ECG_DATA_DIR or data/.\n"
               "  --record  for a run made with `train` or `compress --no-test` (a recipe chosen on validation data alone):\n"
               "            score the test split once and write its metrics into the manifest; refused when the\n"
               "            manifest already has test metrics (the blind protocol scores the test split once).\n");
}

/* Writes the test metrics (test: ecg_metrics_json's or ecg_reconstruction_json's, taken over) and
 * the task's score (when not NaN) into DIR's manifest, with the run info of this scoring: the one
 * time a blind run meets its test split. */
static int record_test(const char *dir, ecg_run *r, cJSON *test, double score, int threads, int argc, char **argv,
                       char *err, size_t errlen) {
    cJSON *metrics = cJSON_GetObjectItemCaseSensitive(r->man, "metrics");
    if (!cJSON_IsObject(metrics)) {
        cJSON_Delete(test);
        snprintf(err, errlen, "%s/manifest.json has no \"metrics\" object", dir);
        return -1;
    }
    cJSON_AddItemToObject(metrics, "test", test);
    cJSON *sc = cJSON_GetObjectItemCaseSensitive(r->man, "score");
    if (!isnan(score) && cJSON_IsObject(sc)) cJSON_AddNumberToObject(sc, "test", score);
    ecg_run_info ri;
    ecg_run_info_collect(&ri, ecg_threads_for(threads), argc, argv);
    cJSON_AddItemToObject(r->man, "test_scored", ecg_run_info_json(&ri));
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    return ecg_write_json(path, r->man, err, errlen) ? -1 : 0;
}

typedef struct {
    const char *target, *weights, *task, *split, *data;
    uint64_t seed;
    int threads, record;
} eval_opts;

static int parse(int argc, char **argv, eval_opts *o) {
    static const struct option lo[] = {{"weights", 1, 0, 'w'}, {"task", 1, 0, 't'}, {"split", 1, 0, 's'},
                                       {"data", 1, 0, 'd'},    {"seed", 1, 0, 'S'}, {"threads", 1, 0, 'j'},
                                       {"record", 0, 0, 'R'},  {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    *o = (eval_opts){.split = "test", .seed = ECG_DEFAULT_SEED};
    long long n = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'w': o->weights = optarg; break;
        case 't': o->task = optarg; break;
        case 's': o->split = optarg; break;
        case 'd': o->data = optarg; break;
        case 'S': bad = ecg_arg_int("eval", "--seed", optarg, 0, 1000000000000000LL, &n); o->seed = (uint64_t)n; break;
        case 'j': bad = ecg_arg_int("eval", "--threads", optarg, 0, 1024, &n); o->threads = (int)n; break;
        case 'R': o->record = 1; break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
        if (bad) return 2;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    o->target = argv[optind];
    return 0;
}

/* r from a run's folder (its data, seed and the test split; want = its stored test metrics, which
 * must be there for a re-check and absent for --record) or from MODEL --weights --task. Returns
 * 0, or the exit status after an error message. */
static int open_target(eval_opts *o, ecg_run *r, const cJSON **want) {
    char err[1300];
    struct stat st;
    if (!(stat(o->target, &st) == 0 && S_ISDIR(st.st_mode))) {
        if (o->record) return fprintf(stderr, "ecgbench eval: --record needs a run's folder\n"), 2;
        if (!o->weights || !o->task)
            return fprintf(stderr, "ecgbench eval: give a trained run's folder, or MODEL with --weights and --task\n"), 2;
        r->model = o->target, r->task = o->task, r->variant = "f32";
        snprintf(r->weights, sizeof r->weights, "%s", o->weights);
        return 0;
    }
    if (ecg_run_read(o->target, r, err, sizeof err)) return fprintf(stderr, "ecgbench eval: %s\n", err), 1;
    if (!ecg_model_find(r->model)) /* the classical baseline's runs hold discriminants, not a network */
        return fprintf(stderr, "ecgbench eval: %s: '%s' is not a network of the registry (ecgbench models); a "
                               "classical baseline's run is re-checked by its own command (ecgbench baseline "
                               "dechazal --eval DIR)\n", o->target, r->model), 1;
    if (!o->data) o->data = r->data_dir;
    o->seed = r->seed;
    o->split = "test";
    *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "metrics"), "test");
    const cJSON *fold = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->man, "config"), "fold");
    if (o->record && fold) /* a fold run was trained on part of the training data to score a recipe */
        return fprintf(stderr, "ecgbench eval: %s is cross-validation fold %d of a recipe candidate: it is never "
                               "scored on the test split (promote the chosen recipe's run trained on the whole "
                               "training split)\n", o->target, fold->valueint), 1;
    if (o->record && *want) /* the test split is scored once: --record only before, a re-check only after */
        return fprintf(stderr, "ecgbench eval: %s already has test metrics: the test split is scored once per run "
                               "(`ecgbench eval DIR` re-checks them)\n", o->target), 1;
    if (!o->record && !*want)
        return fprintf(stderr, "ecgbench eval: %s has no test metrics (made with --no-test, a candidate chosen on "
                               "validation data): `ecgbench eval DIR --record` scores the test split once\n",
                       o->target), 1;
    return 0;
}

/* The stored test metrics against the recomputed ones: the confusion matrix, every figure stored
 * beside it and the task's score must all follow. 0 when they do, else 1 after saying what differs. */
static int check_stored(const ecg_run *r, const cJSON *want, const ecg_metrics *m, const ecg_dataset *d,
                        const ecg_task *tk) {
    char err[1300];
    ecg_metrics mm;
    if (ecg_metrics_from_json(want, d->n_classes, &mm))
        return fprintf(stderr, "ecgbench eval: the manifest has no readable test confusion matrix\n"), 1;
    if (!ecg_metrics_equal(m, &mm))
        return fprintf(stderr, "ecgbench eval: DIFFERENT from the manifest (accuracy %.6f there, %.6f here)\n",
                       mm.accuracy, m->accuracy), 1;
    if (ecg_metrics_check_json(want, m, d->class_names, err, sizeof err))
        return fprintf(stderr, "ecgbench eval: the manifest's test metrics do not follow from its confusion matrix: "
                               "%s\n", err), 1;
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(r->man, "score");
    if (tk && tk->score_name && score) {
        double stored = ecg_json_num(score, "test"), recomputed = ecg_metrics_mean_f1(m, tk->score_classes);
        if (!(fabs(stored - recomputed) <= 1e-9))
            return fprintf(stderr, "ecgbench eval: the manifest's test %s is %.6g, recomputed %.6g\n", tk->score_name,
                           stored, recomputed), 1;
    }
    printf("reproduces the manifest's test metrics exactly\n");
    return 0;
}

static void print_metrics(const ecg_run *r, const ecg_run_model *rm, const ecg_dataset *d, const char *split,
                          const ecg_metrics *m, const ecg_task *tk) {
    printf("%s on %s/%s (%s), %sweights %s\n", r->model, r->task, split, d->data_version, rm->int8 ? "int8 " : "",
           r->weights);
    ecg_metrics_print(stdout, m, d->class_names);
    if (!tk || !tk->score_name) return;
    double score = ecg_metrics_mean_f1(m, tk->score_classes);
    if (isfinite(score)) printf("%s %.4f\n", tk->score_name, score);
    else printf("%s -\n", tk->score_name); /* as the tables print an undefined figure */
}

/* A classifier's run: its metrics on the split, recorded (--record) or checked against the manifest's. */
static int eval_classifier(const eval_opts *o, ecg_run *r, const ecg_run_model *rm, const ecg_dataset *d,
                           const cJSON *want, int argc, char **argv) {
    ecg_metrics m;
    char err[1300];
    if (ecg_run_evaluate(rm, d, o->threads, &m, err, sizeof err)) return fprintf(stderr, "ecgbench eval: %s\n", err), 1;
    const ecg_task *tk = ecg_task_find(r->task);
    print_metrics(r, rm, d, o->split, &m, tk);
    if (!o->record) return want ? check_stored(r, want, &m, d, tk) : 0;
    double score = tk && tk->score_name ? ecg_metrics_mean_f1(&m, tk->score_classes) : NAN;
    if (record_test(o->target, r, ecg_metrics_json(&m, d->class_names), score, o->threads, argc, argv, err, sizeof err))
        return fprintf(stderr, "ecgbench eval: %s\n", err), 1;
    printf("recorded the test metrics in %s/manifest.json\n", o->target);
    return 0;
}

/* An autoencoder's run: its reconstruction MSE on the split, recorded (--record) or checked against
 * the manifest's test MSE. The same weights, examples, batches and XNNPACK path give the same sum,
 * so the check allows only rounding (1e-9 relative). */
static int eval_reconstruction(const eval_opts *o, ecg_run *r, const ecg_run_model *rm, const ecg_dataset *d,
                               const cJSON *want, int argc, char **argv) {
    char err[1300];
    double mse;
    if (ecg_evaluate_mse(rm->int8 ? &rm->gi : &rm->g, rm->int8 ? &rm->q : NULL, d, 256, o->threads, &mse, err,
                         sizeof err))
        return fprintf(stderr, "ecgbench eval: %s\n", err), 1;
    printf("%s on %s/%s (%s), %sweights %s\nreconstruction MSE %.6f (all zeros: %.6f)\n", r->model, r->task, o->split,
           d->data_version, rm->int8 ? "int8 " : "", r->weights, mse, ecg_zero_mse(d));
    if (o->record) {
        if (record_test(o->target, r, ecg_reconstruction_json(d, mse), NAN, o->threads, argc, argv, err, sizeof err))
            return fprintf(stderr, "ecgbench eval: %s\n", err), 1;
        printf("recorded the test MSE in %s/manifest.json\n", o->target);
        return 0;
    }
    if (!want) return 0;
    double stored = ecg_json_num(want, "mse");
    if (!(fabs(stored - mse) <= 1e-9 * fabs(stored)))
        return fprintf(stderr, "ecgbench eval: DIFFERENT from the manifest (test MSE %.9g there, %.9g here)\n", stored,
                       mse), 1;
    printf("reproduces the manifest's test MSE\n");
    return 0;
}

int ecg_cmd_eval(int argc, char **argv) {
    eval_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    ecg_run r = {0}; /* a trained or compressed run's folder, or MODEL with its weights file */
    const cJSON *want = NULL;
    ecg_dataset d = {0};
    ecg_run_model rm = {0};
    char err[1300];
    int hit;
    if ((rc = open_target(&o, &r, &want))) goto done;
    rc = 1;
    if (!o.data) o.data = ecg_default_data_dir();
    /* f32 (dense, sparse, fp16) or int8, channel-pruned graphs rebuilt from the manifest */
    if (ecg_task_load_cached(r.task, o.split, o.data, o.seed, NULL, &d, &hit, err, sizeof err) ||
        ecg_run_open_any(&r, &rm, err, sizeof err)) {
        fprintf(stderr, "ecgbench eval: %s\n", err);
        goto done;
    }
    rc = ecg_model_objective(r.model) == ECG_OBJECTIVE_RECONSTRUCT
             ? eval_reconstruction(&o, &r, &rm, &d, want, argc, argv)
             : eval_classifier(&o, &r, &rm, &d, want, argc, argv);
done:
    ecg_run_model_free(&rm);
    ecg_run_free(&r);
    ecg_dataset_free(&d);
    return rc;
}
