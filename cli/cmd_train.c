/* `ecgbench train MODEL --task TASK`: its options into a training job; ecg_train_run
 * (runs/train_run.c) trains, selects, evaluates and writes the run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "runs/pipelines.h"

const ecg_train_comm *ecg_cli_train_comm;

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench train MODEL --task TASK [options]\n"
            "  --data DIR          data folder (default $ECG_DATA_DIR, else data/; datasets/sample works too)\n"
            "  --out DIR           results (default models/weights/MODEL-TASK)\n"
            "  --epochs N          default 30        --batch N        default 64\n"
            "  --lr X              default 1e-3      --weight-decay X default 0.01 (weights only)\n"
            "  --patience N        early stopping on validation macro-F1, default 8\n"
            "  --threads N         data-parallel shards (default: all cores; under mpirun: shards per rank,\n"
            "                      default the cores / the ranks on the machine)\n"
            "  --seed N            default " ECG_DEFAULT_SEED_STR " (initialisation, shuffles, augmentation, dropout)\n"
            "  --no-augment        --class-weights none|inverse|sqrt (default sqrt: inverse frequency, square root)\n"
            "  --warp X            augmentation also stretches each example in time by a factor in\n"
            "                      [1-X, 1+X] about its centre (0 < X <= 0.5; default off)\n"
            "  --ecg-drop P        efficientecg-fusion models: each training example's ECG tokens zeroed with\n"
            "                      probability P (modality dropout: the patient features must carry the\n"
            "                      class alone; 0 < P < 1; default off; inference always sees the ECG)\n"
            "  --class-weight-cap X  no class weighs more than X times the most common one (default: no cap)\n"
            "  --class-weight-cap CLASS=X[,CLASS=X...]  the same cap for the classes named (e.g. F=8); both\n"
            "                      forms can be given, each at most once\n"
            "  --crop N            train on N-sample windows of each example (a random one per epoch, inside\n"
            "                      the signal); validation and test see whole examples: for long records\n"
            "                      (cinc2017's 30 s) and models that do not depend on the input length\n"
            "  --resume            continue from OUT's last checkpoint (refused when a setting differs from\n"
            "                      OUT/config.json's, epochs included: the schedule spans them)\n"
            "  --force             start over in an OUT that holds a run (default: refused)\n"
            "  --epoch-limit N     stop after N epochs in this call (resume later)\n"
            "  --quiet             no progress bar\n"
            "  --no-test           do not load or score the test split (recipe candidates, chosen on val alone;\n"
            "                      the manifest then has no test metrics)\n"
            "  --fold K            train on cross-validation fold K's training records and validate on its\n"
            "                      own (mitdb-aami tasks: K = 1..5, DS1's records in fixed folds; for\n"
            "                      `ecgbench select`); implies --no-test\n"
            "  --init-from DIR     the trained part a model holds frozen (efficientecg-fusion-ae: lstm-ae's\n"
            "                      encoder), from a finished run of that model with this task and seed\n");
}

static int parse(int argc, char **argv, ecg_train_job *o, int *quiet) {
    static const struct option lo[] = {
        {"task", 1, 0, 't'},       {"data", 1, 0, 'd'},        {"out", 1, 0, 'o'},     {"epochs", 1, 0, 'e'},
        {"batch", 1, 0, 'b'},      {"lr", 1, 0, 'l'},          {"weight-decay", 1, 0, 'w'},
        {"patience", 1, 0, 'p'},   {"threads", 1, 0, 'j'},     {"seed", 1, 0, 's'},    {"no-augment", 0, 0, 'A'},
        {"class-weights", 1, 0, 'C'}, {"class-weight-cap", 1, 0, 'K'}, {"resume", 0, 0, 'r'}, {"epoch-limit", 1, 0, 'L'}, {"quiet", 0, 0, 'q'},
        {"crop", 1, 0, 'c'},       {"warp", 1, 0, 'W'},        {"no-test", 0, 0, 'T'}, {"force", 0, 0, 'f'}, {"init-from", 1, 0, 'I'},
        {"ecg-drop", 1, 0, 'D'},   {"fold", 1, 0, 'F'},        {"help", 0, 0, 'h'},       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    *quiet = 0;
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
        case 'W': bad = ecg_arg_num("train", "--warp", optarg, 1e-6, 0.5, &v); o->cfg.warp = (float)v; break;
        case 'D': bad = ecg_arg_num("train", "--ecg-drop", optarg, 1e-6, 0.99, &v); o->ecg_drop = (float)v; break;
        case 'C':
            o->cfg.class_weighted = !strcmp(optarg, "none") ? 0 : !strcmp(optarg, "inverse") ? 1 : !strcmp(optarg, "sqrt") ? 2 : -1;
            if (o->cfg.class_weighted < 0) {
                fprintf(stderr, "ecgbench train: --class-weights is none, inverse or sqrt, got '%s'\n", optarg);
                bad = 1;
            }
            break;
        case 'K': /* CLASS=X,... names classes (checked against the task's when training starts) */
            if (strchr(optarg, '=') ? o->cfg.class_weight_caps != NULL : o->cfg.class_weight_cap > 0) {
                fprintf(stderr, "ecgbench train: --class-weight-cap %s: that form was given already (list classes as "
                                "CLASS=X,CLASS=X)\n", optarg);
                bad = 1;
            } else if (strchr(optarg, '=')) {
                o->cfg.class_weight_caps = optarg;
            } else {
                bad = ecg_arg_num("train", "--class-weight-cap", optarg, 1, 1e6, &v);
                o->cfg.class_weight_cap = (float)v;
            }
            break;
        case 'r': o->cfg.resume = 1; break;
        case 'L': bad = ecg_arg_int("train", "--epoch-limit", optarg, 1, 100000, &n); o->cfg.epoch_limit = (int)n; break;
        case 'q': *quiet = 1; break;
        case 'T': o->no_test = 1; break;
        case 'F': bad = ecg_arg_int("train", "--fold", optarg, 1, 1000, &n); o->fold = (int)n; break;
        case 'f': o->force = 1; break;
        case 'I': o->init_from = optarg; break;
        case 'c': bad = ecg_arg_int("train", "--crop", optarg, 1, 1 << 30, &n); o->cfg.crop = (int)n; break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
        if (bad) return 2;
    }
    if (o->cfg.warp > 0 && !o->cfg.augment) {
        fprintf(stderr, "ecgbench train: --warp is an augmentation; it cannot go with --no-augment\n");
        return 2;
    }
    if (optind != argc - 1 || !o->task) {
        fprintf(stderr, "ecgbench train: give one MODEL and --task TASK\n");
        usage(stderr);
        return 2;
    }
    o->model = argv[optind];
    return 0;
}

int ecg_cmd_train(int argc, char **argv) {
    ecg_train_job job;
    int quiet, rc = parse(argc, argv, &job, &quiet);
    if (rc) return rc == 1 ? 0 : rc;
    char out[1024], err[1024];
    if (job.out) snprintf(out, sizeof out, "%s", job.out);
    else snprintf(out, sizeof out, "models/weights/%s-%s", job.model, job.task);
    job.out = out;
    job.cfg.progress = quiet ? 0 : isatty(STDERR_FILENO) ? 2 : 1;
    const ecg_train_comm *comm = job.cfg.comm = ecg_cli_train_comm;
    if (comm && job.cfg.threads == 0) { /* the ranks on one machine share its cores */
        int per_rank = ecg_threads_for(0) / (comm->local_ranks > 0 ? comm->local_ranks : 1);
        job.cfg.threads = per_rank > 0 ? per_rank : 1;
    }
    ecg_cli_args args = {argc, argv};
    job.run_info = ecg_cli_run_record(&args);
    job.log = comm && comm->rank ? NULL : stdout; /* rank 0 speaks for the run */
    if (ecg_train_run(&job, err, sizeof err)) {
        if (comm) fprintf(stderr, "ecgbench train (rank %d of %d): %s\n", comm->rank, comm->ranks, err);
        else fprintf(stderr, "ecgbench train: %s\n", err);
        return 1;
    }
    return 0;
}
