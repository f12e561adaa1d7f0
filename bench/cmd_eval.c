/* `ecgbench eval`: accuracy, macro-F1, per-class Se/PPV/Sp/F1 and the confusion matrix of a
 * model on a task split, through the XNNPACK executor (the path the benchmarks time).
 *   ecgbench eval DIR                        DIR/manifest.json + weights; checks the manifest's
 *                                            test metrics are reproduced exactly
 *   ecgbench eval MODEL --weights FILE --task TASK [--split S] */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "compress/compress.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench eval DIR [--data D] [--threads N]\n"
               "       ecgbench eval MODEL --weights FILE --task TASK [--split S] [--data D] [--seed N] [--threads N]\n"
               "  DIR holds manifest.json and the weights `ecgbench train` (f32) or `ecgbench compress --int8`\n"
               "  wrote (an int8 file runs on the int8 path); its test metrics must be\n"
               "  reproduced exactly (exit 1 if not). --data defaults to the manifest's, else $ECG_DATA_DIR or data/.\n");
}

static const char *str_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int ecg_cmd_eval(int argc, char **argv) {
    static const struct option lo[] = {{"weights", 1, 0, 'w'}, {"task", 1, 0, 't'}, {"split", 1, 0, 's'},
                                       {"data", 1, 0, 'd'},    {"seed", 1, 0, 'S'}, {"threads", 1, 0, 'j'},
                                       {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    const char *weights = NULL, *task = NULL, *split = "test", *data = NULL;
    uint64_t seed = 1;
    int threads = 0, c;
    long long n = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'w': weights = optarg; break;
        case 't': task = optarg; break;
        case 's': split = optarg; break;
        case 'd': data = optarg; break;
        case 'S':
            if (ecg_arg_int("eval", "--seed", optarg, 0, 1000000000000000LL, &n)) return 2;
            seed = (uint64_t)n;
            break;
        case 'j':
            if (ecg_arg_int("eval", "--threads", optarg, 0, 1024, &n)) return 2;
            threads = (int)n;
            break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    char err[1024], wpath[1200];
    cJSON *man = NULL;
    const char *model = argv[optind];
    struct stat st;
    if (stat(model, &st) == 0 && S_ISDIR(st.st_mode)) { /* a trained run's folder */
        char mpath[1200];
        snprintf(mpath, sizeof mpath, "%s/manifest.json", argv[optind]);
        if (!(man = ecg_read_json(mpath, err, sizeof err))) {
            fprintf(stderr, "ecgbench eval: %s\n", err);
            return 1;
        }
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(man, "config"), *sd = cJSON_GetObjectItemCaseSensitive(man, "seed");
        model = str_of(man, "model");
        task = str_of(man, "task");
        const char *wname = str_of(man, "weights");
        if (!data) data = str_of(cfg, "data_dir");
        if (!model || !task || !wname || !cJSON_IsNumber(sd)) {
            fprintf(stderr, "ecgbench eval: %s lacks model, task, weights or seed\n", mpath);
            cJSON_Delete(man);
            return 1;
        }
        seed = (uint64_t)sd->valuedouble;
        split = "test";
        snprintf(wpath, sizeof wpath, "%s/%s", argv[optind], wname);
        weights = wpath;
    }
    if (!weights || !task) {
        fprintf(stderr, "ecgbench eval: give a trained run's folder, or MODEL with --weights and --task\n");
        cJSON_Delete(man);
        return 2;
    }
    if (!data) data = ecg_default_data_dir();
    ecg_dataset d = {0};
    ecg_graph g = {0}, gi = {0};
    ecg_qmodel q = {0};
    int rc = 1, hit;
    if (ecg_task_load_cached(task, split, data, seed, NULL, &d, &hit, err, sizeof err)) goto fail;
    ecg_model_cfg mc = ecg_model_cfg_default(d.length, d.channels, d.n_classes);
    mc.n_features = d.n_features;
    mc.feature_names = d.feature_names;
    int is8 = ecg_int8_file_is(weights, err, sizeof err);
    ecg_metrics m;
    /* a channel-pruned run's graph is rebuilt from its manifest (man NULL: the registry's model) */
    if (is8 < 0 || ecg_manifest_model_build(man, model, &mc, &g, err, sizeof err)) goto fail;
    if (is8) { /* an `ecgbench compress --int8` file: the int8 path */
        if (ecg_inference_graph(&gi, &g, err, sizeof err) || ecg_int8_load(&gi, &q, weights, err, sizeof err) ||
            ecg_evaluate_q(&gi, &q, &d, 256, threads, &m, NULL, err, sizeof err))
            goto fail;
    } else if (ecg_weights_load(&g, weights, err, sizeof err) ||
               ecg_evaluate(&g, &d, 256, threads, &m, NULL, err, sizeof err)) {
        goto fail;
    }
    printf("%s on %s/%s (%s), %sweights %s\n", model, task, split, d.data_version, is8 ? "int8 " : "", weights);
    ecg_metrics_print(stdout, &m, d.class_names);
    const ecg_task *tk = ecg_task_find(task);
    if (tk && tk->score_name) printf("%s %.4f\n", tk->score_name, ecg_metrics_mean_f1(&m, tk->score_classes));
    rc = 0;
    if (man) {
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "metrics"), "test");
        ecg_metrics mm;
        if (ecg_metrics_from_json(want, d.n_classes, &mm)) {
            fprintf(stderr, "ecgbench eval: the manifest has no readable test confusion matrix\n");
            rc = 1;
        } else if (ecg_metrics_equal(&m, &mm)) {
            printf("reproduces the manifest's test metrics exactly\n");
        } else {
            fprintf(stderr, "ecgbench eval: DIFFERENT from the manifest (accuracy %.6f there, %.6f here)\n",
                    mm.accuracy, m.accuracy);
            rc = 1;
        }
    }
    goto done;
fail:
    fprintf(stderr, "ecgbench eval: %s\n", err);
done:
    cJSON_Delete(man);
    ecg_qmodel_free(&q);
    ecg_graph_free(&gi);
    ecg_graph_free(&g);
    ecg_dataset_free(&d);
    return rc;
}
