/* ecgbench command line: a thin dispatcher; each command lives in its own bench/ file. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "runs/runs.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"bench-op", ecg_cmd_bench_op, "time single operators (XNNPACK vs reference); the depthwise-conv study"},
    {"bench-sparse", ecg_cmd_bench_sparse, "time a pruned 1x1 conv: own sparse kernel vs XNNPACK dense, by sparsity"},
    {"bench-model", ecg_cmd_bench_model, "MODEL|DIR [--channels R]: whole-model XNNPACK latency, dense vs channel-pruned"},
    {"models", ecg_cmd_models, "list the models with their parameters and FLOPs"},
    {"info", ecg_cmd_info, "MODEL: per-layer table (output shape, params, FLOPs), optional CSV"},
    {"train", ecg_cmd_train, "MODEL --task TASK: train, select on validation macro-F1, write weights + manifest"},
    {"eval", ecg_cmd_eval, "DIR (a manifest) or MODEL --weights W --task T: metrics on the XNNPACK path"},
    {"select", ecg_cmd_select, "--out FILE DIR...: the blind choice between recipe candidates trained with --no-test (--chosen FILE: its recipe)"},
    {"offsets", ecg_cmd_offsets, "--out FILE DIR: per-class decision offsets fitted on a recipe's fold runs or a run's validation split"},
    {"ensemble", ecg_cmd_ensemble, "--out FILE DIR DIR...: does averaging a recipe's seeds beat one seed? judged on their fold runs"},
    {"compress", ecg_cmd_compress, "DIR --out OUT --channels R | --prune S | --int8: compress a trained run; sizes, test metrics"},
    {"results", ecg_cmd_results, "[DIR]: test results of the trained runs (models/weights) as Markdown tables"},
    {"latency", ecg_cmd_latency, "time every run through XNNPACK (Google Benchmark): batch x threads -> latency_ecgbench.csv"},
    {"report", ecg_cmd_report, "evaluate every trained and compressed run; results/per_class/sweep CSVs, tables.md/.tex"},
    {"compare", ecg_cmd_compare, "A.csv B.csv: two results.csv (two machines, commits) side by side with ratios"},
    {"rss-probe", ecg_cmd_rss_probe, "DIR [--batch N]: one inference in this process (what report measures peak RSS of)"},
    {"export-onnx", ecg_cmd_export_onnx, "DIR --out MODEL.onnx: a run as an ONNX model (int8 in QDQ form), for ONNX Runtime"},
    {"reconstruct", ecg_cmd_reconstruct, "DIR --out FILE.csv: an autoencoder's reconstruction MSE per class and each class's median beat"},
    {"predict", ecg_cmd_predict, "MODEL --task T --weights W --input F --out L: logits (an autoencoder: its reconstruction) for examples in a safetensors file"},
    {"baseline", ecg_cmd_baseline, "dechazal [--data D] [--out DIR]: de Chazal 2004 linear discriminants, DS1 -> DS2"},
    {"data", ecg_cmd_data, "datasets: class counts per split (info), a split as safetensors (export), QRS and P-wave detector checks (qrs-eval, p-eval)"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench [-v] COMMAND [options]   (ecgbench COMMAND --help for its options)\n"
               "  -v  also warn about runs whose manifest predates the files it vouches for\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "-v")) {
        ecg_runs_verbose = 1;
        argc--, argv++;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ecgbench: unknown command '%s' (try ecgbench --help)\n", argv[1]);
    return 2;
}
