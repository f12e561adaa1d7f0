/* `ecgbench models` (the registry with sizes) and `ecgbench info MODEL` (per-layer table). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datasets/datasets.h"
#include "models/models.h"
#include "report/csv.h"
#include "runs/manifest.h"

/* Models are sized for a task's examples; the default is a mitdb-aami beat window (252 samples of
 * one lead, 5 AAMI classes, 12 patient features for the fusion models). */
#define DEFAULT_TASK "mitdb-aami"

int ecg_cmd_models(int argc, char **argv) {
    if (argc > 1) {
        int help = !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr, "usage: ecgbench models\n  lists every model with its parameters and FLOPs "
                                        "for a " DEFAULT_TASK " example\n");
        return help ? 0 : 2;
    }
    enum { MAX_MODELS = 64 };
    long long params[MAX_MODELS], flops[MAX_MODELS];
    int n = 0, wn = (int)strlen("model"), wp = (int)strlen("params"), wf = (int)strlen("FLOPs");
    for (; ecg_model_at(n) && n < MAX_MODELS; n++) {   /* measured first: the widths come from the content */
        const ecg_model_def *m = ecg_model_at(n);
        ecg_model_cfg c = ecg_task_model_cfg(ecg_task_find(DEFAULT_TASK));
        ecg_graph g;
        char err[512], num[32];
        if (ecg_model_build(m->name, &c, &g, err, sizeof err)) {
            fprintf(stderr, "ecgbench models: %s\n", err);
            return 1;
        }
        params[n] = (long long)ecg_graph_param_count(&g), flops[n] = (long long)ecg_graph_flops(&g);
        ecg_graph_free(&g);
        int l = (int)strlen(m->name);
        wn = l > wn ? l : wn;
        l = snprintf(num, sizeof num, "%lld", params[n]), wp = l > wp ? l : wp;
        l = snprintf(num, sizeof num, "%lld", flops[n]), wf = l > wf ? l : wf;
    }
    printf("%-*s  %*s  %*s  %s\n", wn, "model", wp, "params", wf, "FLOPs", "description");
    for (int i = 0; i < n; i++)
        printf("%-*s  %*lld  %*lld  %s\n", wn, ecg_model_at(i)->name, wp, params[i], wf, flops[i],
               ecg_model_at(i)->description);
    return 0;
}

static int write_layers_csv(const ecg_graph *g, const char *path) {
    static const char *const cols[] = {"layer", "op", "output_shape", "params", "flops"};
    ecg_csv w;
    if (ecg_csv_open(&w, path) == 0) {
        ecg_csv_header(&w, cols, 5);
        for (int i = 0; i < g->n_nodes; i++) {
            const ecg_node *n = &g->nodes[i];
            char shape[64];
            ecg_csv_str(&w, n->name);
            ecg_csv_str(&w, ecg_op_get(n->kind)->name);
            ecg_csv_str(&w, ecg_shape_str(&g->values[n->out].shape, shape, sizeof shape));
            ecg_csv_int(&w, (long long)ecg_node_param_count(g, n));
            ecg_csv_int(&w, (long long)ecg_node_flops(g, n));
            ecg_csv_end_row(&w);
        }
    }
    if (ecg_csv_close(&w)) {
        fprintf(stderr, "ecgbench info: %s\n", w.err);
        return -1;
    }
    return 0;
}

/* The per-layer table and the totals. */
static void print_layers(const ecg_graph *g) {
    printf("%-34s %-10s %-12s %10s %14s\n", "layer", "op", "output", "params", "FLOPs");
    for (int i = 0; i < g->n_nodes; i++) {
        const ecg_node *n = &g->nodes[i];
        char shape[64];
        printf("%-34s %-10s %-12s %10lld %14lld\n", n->name, ecg_op_get(n->kind)->name,
               ecg_shape_str(&g->values[n->out].shape, shape, sizeof shape), (long long)ecg_node_param_count(g, n),
               (long long)ecg_node_flops(g, n));
    }
    long long params = (long long)ecg_graph_param_count(g);
    printf("total: %lld parameters (%.2f MB as f32), %lld FLOPs\n", params, params * 4.0 / 1e6,
           (long long)ecg_graph_flops(g));
}

int ecg_cmd_info(int argc, char **argv) {
    static const struct option long_opts[] = {{"task", required_argument, 0, 't'},
                                              {"length", required_argument, 0, 'l'},
                                              {"channels", required_argument, 0, 'c'},
                                              {"classes", required_argument, 0, 'k'},
                                              {"csv", required_argument, 0, 'o'},
                                              {"help", no_argument, 0, 'h'},
                                              {0, 0, 0, 0}};
    const ecg_task *task = ecg_task_find(DEFAULT_TASK);
    int length = 0, channels = 0, classes = 0;   /* 0: the task's */
    const char *csv = NULL;
    char err[512];
    int opt;
    long long n = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case 't':
            if (!(task = ecg_task_lookup(optarg, err, sizeof err))) {
                fprintf(stderr, "ecgbench info: %s\n", err);
                return 2;
            }
            break;
        case 'l': rc = ecg_arg_int("info", "--length", optarg, 1, 1 << 24, &n); length = (int)n; break;
        case 'c': rc = ecg_arg_int("info", "--channels", optarg, 1, 1 << 24, &n); channels = (int)n; break;
        case 'k': rc = ecg_arg_int("info", "--classes", optarg, 1, 1 << 24, &n); classes = (int)n; break;
        case 'o': csv = optarg; break;
        case 'h':
            printf("usage: ecgbench info MODEL [--task T] [--length N] [--channels C] [--classes K] [--csv FILE]\n"
                   "  per-layer table (name, op, output shape, params, FLOPs) and totals for one example of the\n"
                   "  task (default " DEFAULT_TASK "); --length/--channels/--classes override its shape. FLOPs count\n"
                   "  a multiply-add as 2.\n");
            return 0;
        default: return 2;
        }
        if (rc) return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ecgbench info: give one model name (ecgbench models lists them)\n");
        return 2;
    }
    ecg_model_cfg c = ecg_task_model_cfg(task);
    if (length) c.length = length;
    if (channels) c.channels = channels;
    if (classes) c.classes = classes;
    ecg_graph g;
    if (ecg_model_build(argv[optind], &c, &g, err, sizeof err)) {
        fprintf(stderr, "ecgbench info: %s\n", err);
        return 1;
    }
    if (ecg_model_objective(argv[optind]) == ECG_OBJECTIVE_RECONSTRUCT) /* no classes: it rebuilds its input */
        printf("%s on %s, input [%d, %d] reconstructed\n", argv[optind], task->name, c.length, c.channels);
    else
        printf("%s on %s, input [%d, %d], %d classes\n", argv[optind], task->name, c.length, c.channels, c.classes);
    print_layers(&g);
    int rc = csv ? write_layers_csv(&g, csv) : 0;
    ecg_graph_free(&g);
    return rc ? 1 : 0;
}
