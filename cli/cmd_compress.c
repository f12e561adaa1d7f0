/* `ecgbench compress DIR --out OUT [passes] [options]`: its options into a compression job;
 * ecg_compress_run (runs/compress_run.c) applies the passes in their order and writes the run. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runs/pipelines.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench compress DIR --out OUT [passes] [options]\n"
            "       ecgbench compress MODEL --task T --weights W [--seed N] --out OUT [passes] [options]\n"
            "  DIR                 a trained run (manifest.json + weights), e.g. models/weights/efficientecg-s-mitdb-aami\n"
            "  MODEL               a registry model with an f32 weights file; its splits use --seed (default "
            ECG_DEFAULT_SEED_STR "),\n"
            "                      its fine-tuning batch 64 and an unweighted loss (a run DIR records its own)\n"
            "passes (applied in this order):\n"
            "  --channels R        channel (structured) pruning: remove fraction R in [0, 1) of the channels of every\n"
            "                      prunable group, giving a smaller dense graph (rebuilt from the manifest on load)\n"
            "    --channel-rank l1|bn   rank channels by filter L1 norm (default) or BN |gamma|\n"
            "    --channel-scope local|all   local (default): groups not tied by a residual add; all: those too\n"
            "  --prune S           unstructured magnitude pruning to sparsity S in [0, 1), then fine-tuning\n"
            "    --scope global|layer   one threshold across layers (default) or S in every layer\n"
            "    --gradual          Zhu & Gupta cubic schedule over the first 2/3 of fine-tuning (default one-shot)\n"
            "    --dense-first      keep the first layer (stem) dense;  --dense-last: the classifier\n"
            "    --finetune-epochs N    default 2 (0: no fine-tuning)   --lr X  default 1e-4\n"
            "  --fp16              weights stored as fp16 (size only: inference stays f32 on the rounded values)\n"
            "  --int8              post-training int8 quantization (conv1d per-channel, linear per-tensor weights;\n"
            "                      asymmetric per-tensor activations), lowered onto XNNPACK's int8 operators\n"
            "    --calib N          calibration examples from the train split (default 512)\n"
            "    --calib-method M   minmax | percentile | auto (default auto: the better validation macro-F1)\n"
            "    --percentile P     for the percentile method (default 99.99)\n"
            "  --offsets FILE      alone: add the decision offsets of FILE (`ecgbench offsets`, fitted on the run's\n"
            "                      recipe's cross-validation folds or on its own validation split) to the\n"
            "                      classifier's bias; variant \"offsets\"\n"
            "options: --data DIR (default: the run's)  --threads N  --batch N (default: the run's)  --quiet\n"
            "  --force             overwrite a finished run in OUT (default: refused)\n"
            "  --no-test           never load the test split (a candidate compared on validation data);\n"
            "                      `ecgbench eval OUT --record` scores the one chosen, once\n");
}

static int parse(int argc, char **argv, ecg_compress_job *o) {
    static const struct option lo[] = {
        {"out", 1, 0, 'o'},         {"prune", 1, 0, 'P'},      {"scope", 1, 0, 'S'},   {"gradual", 0, 0, 'g'},
        {"dense-first", 0, 0, 'F'}, {"dense-last", 0, 0, 'E'}, {"finetune-epochs", 1, 0, 'e'},
        {"lr", 1, 0, 'l'},          {"data", 1, 0, 'd'},       {"threads", 1, 0, 'j'}, {"batch", 1, 0, 'b'},
        {"quiet", 0, 0, 'q'},       {"help", 0, 0, 'h'},       {"int8", 0, 0, 'I'},    {"calib", 1, 0, 'c'},
        {"calib-method", 1, 0, 'm'}, {"percentile", 1, 0, 'p'}, {"channels", 1, 0, 'C'},
        {"channel-rank", 1, 0, 'R'}, {"channel-scope", 1, 0, 'K'}, {"fp16", 0, 0, 'H'}, {"task", 1, 0, 't'},
        {"weights", 1, 0, 'w'},      {"seed", 1, 0, 's'},       {"force", 0, 0, 'f'},  {"offsets", 1, 0, 'O'},
        {"no-test", 0, 0, 'N'},      {0, 0, 0, 0}};
    *o = ecg_compress_defaults();
    int c;
    long long n = 0;
    double v = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'f': o->force = 1; break;
        case 'N': o->no_test = 1; break;
        case 'O': o->offsets = optarg; break;
        case 'P': bad = ecg_arg_num("compress", "--prune", optarg, 0, 0.999999, &v); o->prune.sparsity = v, o->do_prune = 1; break;
        case 'S':
            o->prune.global = !strcmp(optarg, "global") ? 1 : !strcmp(optarg, "layer") ? 0 : -1;
            if (o->prune.global < 0) fprintf(stderr, "ecgbench compress: --scope is global or layer, got '%s'\n", optarg);
            bad = o->prune.global < 0;
            break;
        case 'g': o->gradual = 1; break;
        case 'F': o->prune.keep_first = 1; break;
        case 'E': o->prune.keep_last = 1; break;
        case 'e': bad = ecg_arg_int("compress", "--finetune-epochs", optarg, 0, 10000, &n); o->finetune_epochs = (int)n; break;
        case 'l': bad = ecg_arg_num("compress", "--lr", optarg, 1e-9, 1, &v); o->lr = (float)v; break;
        case 'd': o->data = optarg; break;
        case 'j': bad = ecg_arg_int("compress", "--threads", optarg, 0, 1024, &n); o->threads = (int)n; break;
        case 'b': bad = ecg_arg_int("compress", "--batch", optarg, 1, 65536, &n); o->batch = (int)n; break;
        case 'q': o->quiet = 1; break;
        case 'I': o->int8 = 1; break;
        case 'H': o->fp16 = 1; break;
        case 't': o->task = optarg; break;
        case 'w': o->weights = optarg; break;
        case 's': bad = ecg_arg_int("compress", "--seed", optarg, 0, 1000000000000000LL, &o->seed); break;
        case 'c': bad = ecg_arg_int("compress", "--calib", optarg, 1, 1000000, &n); o->calib = (int)n; break;
        case 'm':
            o->calib_method = optarg;
            bad = strcmp(optarg, "minmax") && strcmp(optarg, "percentile") && strcmp(optarg, "auto");
            if (bad) fprintf(stderr, "ecgbench compress: --calib-method is minmax, percentile or auto, got '%s'\n", optarg);
            break;
        case 'p': bad = ecg_arg_num("compress", "--percentile", optarg, 50.001, 100, &o->percentile); break;
        case 'C': bad = ecg_arg_num("compress", "--channels", optarg, 0, 0.999999, &v); o->ch.ratio = v, o->do_channels = 1; break;
        case 'R':
        case 'K': bad = ecg_channel_opt("compress", c == 'R' ? "--channel-rank" : "--channel-scope", optarg, &o->ch); break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
        if (bad) return 2;
    }
    if (optind != argc - 1 || !o->out) {
        fprintf(stderr, "ecgbench compress: give one trained run DIR and --out OUT\n");
        usage(stderr);
        return 2;
    }
    if (!o->task != !o->weights) {
        fprintf(stderr, "ecgbench compress: give a run DIR, or MODEL with both --task and --weights\n");
        return 2;
    }
    if (o->int8 && o->fp16) {
        fprintf(stderr, "ecgbench compress: --int8 and --fp16 are two storage formats: give one\n");
        return 2;
    }
    if (o->offsets && (o->do_prune || o->do_channels || o->int8 || o->fp16)) {
        fprintf(stderr, "ecgbench compress: --offsets moves a trained run's decision and takes no other pass\n");
        return 2;
    }
    if (!o->do_prune && !o->do_channels && !o->int8 && !o->fp16 && !o->offsets) {
        fprintf(stderr, "ecgbench compress: no pass given (--channels R, --prune S, --fp16, --int8, --offsets FILE)\n");
        return 2;
    }
    if (o->gradual && o->finetune_epochs < 1) {
        fprintf(stderr, "ecgbench compress: --gradual prunes during fine-tuning: give --finetune-epochs >= 1\n");
        return 2;
    }
    o->src = argv[optind];
    return 0;
}

int ecg_cmd_compress(int argc, char **argv) {
    ecg_compress_job job;
    int rc = parse(argc, argv, &job);
    if (rc) return rc == 1 ? 0 : rc;
    ecg_cli_args args = {argc, argv};
    job.run_info = ecg_cli_run_record(&args);
    job.log = stdout;
    char err[1024];
    if (ecg_compress_run(&job, err, sizeof err)) {
        fprintf(stderr, "ecgbench compress: %s\n", err);
        return 1;
    }
    return 0;
}
