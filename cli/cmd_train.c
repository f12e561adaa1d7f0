/* `ecgbench train MODEL --task TASK`: trains on the task's train split, selects the epoch with
 * the best validation macro-F1, evaluates it on val and test through the XNNPACK executor, and
 * writes OUT/weights.safetensors and OUT/manifest.json (config, seed, data version, run
 * metadata, metrics). Checkpoints and epochs.csv go to OUT too; --resume continues a killed run. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "runs/files.h"
#include "runs/manifest.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench train MODEL --task TASK [options]\n"
            "  --data DIR          data folder (default $ECG_DATA_DIR, else data/; datasets/sample works too)\n"
            "  --out DIR           results (default models/weights/MODEL-TASK)\n"
            "  --epochs N          default 30        --batch N        default 64\n"
            "  --lr X              default 1e-3      --weight-decay X default 0.01 (weights only)\n"
            "  --patience N        early stopping on validation macro-F1, default 8\n"
            "  --threads N         data-parallel shards (default: all cores)\n"
            "  --seed N            default " ECG_DEFAULT_SEED_STR " (initialisation, shuffles, augmentation, dropout)\n"
            "  --no-augment        --class-weights none|inverse|sqrt (default sqrt: inverse frequency, square root)\n"
            "  --class-weight-cap X  no class weighs more than X times the most common one (default: no cap)\n"
            "  --crop N            train on N-sample windows of each example (a random one per epoch, inside\n"
            "                      the signal); validation and test see whole examples: for long records\n"
            "                      (cinc2017's 30 s) and models that do not depend on the input length\n"
            "  --resume            continue from OUT's last checkpoint\n"
            "  --epoch-limit N     stop after N epochs in this call (resume later)\n"
            "  --quiet             no progress bar\n"
            "  --no-test           do not load or score the test split (recipe candidates, chosen on val alone;\n"
            "                      the manifest then has no test metrics)\n");
}

typedef struct {
    const char *model, *task, *data, *out;
    ecg_train_cfg cfg;
    int quiet, no_test;
} opts;

static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {
        {"task", 1, 0, 't'},       {"data", 1, 0, 'd'},        {"out", 1, 0, 'o'},     {"epochs", 1, 0, 'e'},
        {"batch", 1, 0, 'b'},      {"lr", 1, 0, 'l'},          {"weight-decay", 1, 0, 'w'},
        {"patience", 1, 0, 'p'},   {"threads", 1, 0, 'j'},     {"seed", 1, 0, 's'},    {"no-augment", 0, 0, 'A'},
        {"class-weights", 1, 0, 'C'}, {"class-weight-cap", 1, 0, 'K'}, {"resume", 0, 0, 'r'}, {"epoch-limit", 1, 0, 'L'}, {"quiet", 0, 0, 'q'},
        {"crop", 1, 0, 'c'},       {"no-test", 0, 0, 'T'},
        {"help", 0, 0, 'h'},       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->data = ecg_default_data_dir();
    o->cfg = ecg_train_defaults();
    int c;
    long long n = 0;
    double v = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 't': o->task = optarg; break;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'e': bad = ecg_arg_int("train", "--epochs", optarg, 1, 100000, &n); o->cfg.epochs = (int)n; break;
        case 'b': bad = ecg_arg_int("train", "--batch", optarg, 1, 65536, &n); o->cfg.batch = (int)n; break;
        case 'l': bad = ecg_arg_num("train", "--lr", optarg, 1e-8, 10, &v); o->cfg.lr = (float)v; break;
        case 'w': bad = ecg_arg_num("train", "--weight-decay", optarg, 0, 10, &v); o->cfg.adamw.weight_decay = (float)v; break;
        case 'p': bad = ecg_arg_int("train", "--patience", optarg, 1, 100000, &n); o->cfg.patience = (int)n; break;
        case 'j': bad = ecg_arg_int("train", "--threads", optarg, 0, 1024, &n); o->cfg.threads = (int)n; break;
        case 's': bad = ecg_arg_int("train", "--seed", optarg, 0, 1000000000000000LL, &n); o->cfg.seed = (uint64_t)n; break;
        case 'A': o->cfg.augment = 0; break;
        case 'C':
            o->cfg.class_weighted = !strcmp(optarg, "none") ? 0 : !strcmp(optarg, "inverse") ? 1 : !strcmp(optarg, "sqrt") ? 2 : -1;
            if (o->cfg.class_weighted < 0) {
                fprintf(stderr, "ecgbench train: --class-weights is none, inverse or sqrt, got '%s'\n", optarg);
                bad = 1;
            }
            break;
        case 'K': bad = ecg_arg_num("train", "--class-weight-cap", optarg, 1, 1e6, &v); o->cfg.class_weight_cap = (float)v; break;
        case 'r': o->cfg.resume = 1; break;
        case 'L': bad = ecg_arg_int("train", "--epoch-limit", optarg, 1, 100000, &n); o->cfg.epoch_limit = (int)n; break;
        case 'q': o->quiet = 1; break;
        case 'T': o->no_test = 1; break;
        case 'c': bad = ecg_arg_int("train", "--crop", optarg, 1, 1 << 30, &n); o->cfg.crop = (int)n; break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
        if (bad) return 2;
    }
    if (optind != argc - 1 || !o->task) {
        fprintf(stderr, "ecgbench train: give one MODEL and --task TASK\n");
        usage(stderr);
        return 2;
    }
    o->model = argv[optind];
    return 0;
}

static int load_split(const opts *o, const char *split, ecg_dataset *d) {
    char err[1024];
    int hit;
    if (ecg_task_load_cached(o->task, split, o->data, o->cfg.seed, NULL, d, &hit, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        return -1;
    }
    return 0;
}

static cJSON *config_json(const opts *o, const ecg_train_cfg *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "epochs", c->epochs);
    cJSON_AddNumberToObject(j, "batch", c->batch);
    cJSON_AddNumberToObject(j, "warmup_epochs", c->warmup_epochs);
    cJSON_AddNumberToObject(j, "lr", c->lr);
    cJSON_AddNumberToObject(j, "min_lr", c->min_lr);
    cJSON_AddNumberToObject(j, "weight_decay", c->adamw.weight_decay);
    cJSON_AddNumberToObject(j, "patience", c->patience);
    cJSON_AddBoolToObject(j, "augment", c->augment);
    cJSON_AddStringToObject(j, "class_weights", c->class_weighted == 2 ? "sqrt" : c->class_weighted ? "inverse" : "none");
    if (c->class_weight_cap > 0) cJSON_AddNumberToObject(j, "class_weight_cap", c->class_weight_cap);
    if (c->crop > 0) cJSON_AddNumberToObject(j, "crop", c->crop);
    cJSON_AddStringToObject(j, "data_dir", o->data);
    return j;
}

/* What a split held: its examples and source records, listed when few (mitdb-aami's 4 validation
 * records), so a run's manifest says which patients chose its epoch and recipe. */
static cJSON *split_json(const ecg_dataset *d) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "split", d->split);
    cJSON_AddNumberToObject(j, "examples", d->n);
    if (!d->record) return j;
    enum { LISTED = 32 };
    int ids[LISTED], distinct = 0; /* the loaders read record by record, so a record's examples are contiguous */
    for (int i = 0; i < d->n; i++)
        if (i == 0 || d->record[i] != d->record[i - 1]) {
            if (distinct < LISTED) ids[distinct] = d->record[i];
            distinct++;
        }
    cJSON_AddNumberToObject(j, "records", distinct);
    if (distinct <= LISTED) cJSON_AddItemToObject(j, "record_ids", cJSON_CreateIntArray(ids, distinct));
    return j;
}

int ecg_cmd_train(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : rc;
    char out[1024], err[1024], path[1200];
    if (o.out) snprintf(out, sizeof out, "%s", o.out);
    else snprintf(out, sizeof out, "models/weights/%s-%s", o.model, o.task);
    if (ecg_mkdir_p(out, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        return 1;
    }
    o.cfg.out_dir = out;
    o.cfg.progress = o.quiet ? 0 : isatty(STDERR_FILENO) ? 2 : 1;
    ecg_dataset tr = {0}, val = {0}, test = {0};
    ecg_graph g = {0}, win = {0};
    cJSON *man = NULL;
    rc = 1;
    if (load_split(&o, "train", &tr) || load_split(&o, "val", &val) || (!o.no_test && load_split(&o, "test", &test)))
        goto done;
    ecg_model_cfg mc = ecg_model_cfg_default(tr.length, tr.channels, tr.n_classes);
    mc.seed = o.cfg.seed;
    mc.n_features = tr.n_features;
    mc.feature_names = tr.feature_names;
    if (ecg_model_build(o.model, &mc, &g, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        goto done;
    }
    if (o.cfg.crop == tr.length) o.cfg.crop = 0; /* a window of the whole example */
    if (o.cfg.crop > 0 && o.cfg.crop < tr.length) { /* the same model for the training windows */
        mc.length = o.cfg.crop;
        if (ecg_model_build(o.model, &mc, &win, err, sizeof err)) {
            fprintf(stderr, "ecgbench train: %s (for --crop %d)\n", err, o.cfg.crop);
            goto done;
        }
        o.cfg.crop_graph = &win;
    }
    printf("%s on %s: %d train / %d val / %d test examples%s [%d, %d], %lld parameters\ndata: %s\n", o.model, o.task,
           tr.n, val.n, test.n, o.no_test ? " (not loaded: --no-test)" : "", tr.length, tr.channels, (long long)ecg_graph_param_count(&g), tr.data_version);
    ecg_train_result res;
    if (ecg_train(&g, &o.cfg, &tr, &val, &res, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        goto done;
    }
    ecg_metrics mv, mt;
    if (ecg_evaluate(&g, &val, o.cfg.eval_batch, o.cfg.threads, &mv, NULL, err, sizeof err) ||
        (!o.no_test && ecg_evaluate(&g, &test, o.cfg.eval_batch, o.cfg.threads, &mt, NULL, err, sizeof err))) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        goto done;
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o.cfg.seed);
    const char *meta[] = {"model", o.model, "task", o.task, "seed", seed};
    snprintf(path, sizeof path, "%s/weights.safetensors", out);
    if (ecg_safetensors_save(&g, path, meta, 3, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        goto done;
    }
    ecg_run_info ri;
    ecg_run_info_collect(&ri, ecg_threads_for(o.cfg.threads), argc, argv);
    man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "model", o.model);
    cJSON_AddStringToObject(man, "task", o.task);
    cJSON_AddStringToObject(man, "weights", "weights.safetensors");
    cJSON_AddNumberToObject(man, "seed", (double)o.cfg.seed);
    cJSON_AddNumberToObject(man, "params", (double)ecg_graph_param_count(&g));
    cJSON_AddNumberToObject(man, "flops_per_example", (double)ecg_graph_flops(&g));
    cJSON_AddItemToObject(man, "config", config_json(&o, &o.cfg));
    cJSON_AddNumberToObject(man, "epochs_run", res.epochs_run);
    cJSON_AddNumberToObject(man, "best_epoch", res.best_epoch);
    cJSON_AddNumberToObject(man, "train_examples_per_second", res.examples_per_second);
    cJSON_AddStringToObject(man, "data_version", tr.data_version);
    cJSON *splits = cJSON_AddObjectToObject(man, "splits");
    cJSON_AddItemToObject(splits, "train", split_json(&tr));
    cJSON_AddItemToObject(splits, "val", split_json(&val));
    if (!o.no_test) cJSON_AddItemToObject(splits, "test", split_json(&test));
    cJSON_AddItemToObject(man, "run", ecg_run_info_json(&ri));
    cJSON *metrics = cJSON_CreateObject();
    cJSON_AddItemToObject(metrics, "val", ecg_metrics_json(&mv, val.class_names));
    if (!o.no_test) cJSON_AddItemToObject(metrics, "test", ecg_metrics_json(&mt, test.class_names));
    cJSON_AddItemToObject(man, "metrics", metrics);
    const ecg_task *tk = ecg_task_find(o.task);
    if (tk && tk->score_name) {
        cJSON *sc = cJSON_AddObjectToObject(man, "score");
        cJSON_AddStringToObject(sc, "name", tk->score_name);
        cJSON_AddNumberToObject(sc, "val", ecg_metrics_mean_f1(&mv, tk->score_classes));
        if (!o.no_test) cJSON_AddNumberToObject(sc, "test", ecg_metrics_mean_f1(&mt, tk->score_classes));
    }
    snprintf(path, sizeof path, "%s/manifest.json", out);
    if (ecg_write_json(path, man, err, sizeof err)) {
        fprintf(stderr, "ecgbench train: %s\n", err);
        goto done;
    }
    /* the figures shown: the test split's, or the validation split's when the test split was not loaded */
    const ecg_dataset *shown_split = o.no_test ? &val : &test;
    const ecg_metrics *shown = o.no_test ? &mv : &mt;
    printf("best epoch %d of %d (validation macro-F1 %.4f); trained at %.0f examples/s on %d threads\n\n%s (%s):\n",
           res.best_epoch, res.epochs_run, mv.macro_f1, res.examples_per_second, ri.threads,
           o.no_test ? "validation" : "test", shown_split->split);
    ecg_metrics_print(stdout, shown, shown_split->class_names);
    if (tk && tk->score_name) printf("%s %.4f\n", tk->score_name, ecg_metrics_mean_f1(shown, tk->score_classes));
    printf("\nwrote %s/weights.safetensors, %s/manifest.json\n", out, out);
    rc = 0;
done:
    cJSON_Delete(man);
    ecg_graph_free(&g);
    ecg_graph_free(&win);
    ecg_dataset_free(&tr);
    ecg_dataset_free(&val);
    ecg_dataset_free(&test);
    return rc;
}
