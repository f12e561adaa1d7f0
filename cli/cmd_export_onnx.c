/* `ecgbench export-onnx DIR --out model.onnx`: a run (trained or compressed) as an ONNX model
 * (export/onnx_export.h: opset, names, what each op becomes). f32, pruned (dense tensors) and
 * channel-pruned runs export their f32 graph; fp16 runs their f16 weights as FLOAT16 initializers
 * with a Cast each; int8 runs their inference graph with QDQ around every int8 conv1d and linear. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "export/onnx_export.h"
#include "models/models.h"
#include "runs/runs.h"

static void usage(FILE *f) {
    fprintf(f, "usage: ecgbench export-onnx DIR --out MODEL.onnx [--f32-weights]\n"
               "  DIR holds a run's manifest.json and weights (ecgbench train or compress). The model takes\n"
               "  x F32 [N, T, C] (and features F32 [N, F] for the fusion models) and gives logits F32 [N, K]\n"
               "  (an autoencoder, lstm-ae: reconstruction F32 [N, T, C]), as `ecgbench predict` names them,\n"
               "  N symbolic; ONNX opset %d. int8 runs export in QDQ form, fp16 runs with FLOAT16 weights\n"
               "  and a Cast each (--f32-weights: widened to F32 instead).\n",
            ECG_ONNX_OPSET);
}

int ecg_cmd_export_onnx(int argc, char **argv) {
    static const struct option lo[] = {{"out", 1, 0, 'o'}, {"f32-weights", 0, 0, 'f'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int f32_weights = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': f32_weights = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "ecgbench export-onnx: give one run DIR and --out\n");
        usage(stderr);
        return 2;
    }
    char err[1024];
    ecg_run r;
    ecg_run_model m;
    if (ecg_run_read(argv[optind], &r, err, sizeof err)) {
        fprintf(stderr, "ecgbench export-onnx: %s\n", err);
        return 1;
    }
    if (ecg_run_open(&r, &m, err, sizeof err)) {
        fprintf(stderr, "ecgbench export-onnx: %s\n", err);
        ecg_run_free(&r);
        return 1;
    }
    ecg_run_info ri; /* the producer version: the commit this binary was built from */
    ecg_run_info_collect(&ri, 1, argc, argv);
    char doc[1400];
    snprintf(doc, sizeof doc, "%s (%s, %s) from %s", r.model, r.task, r.variant, r.dir);
    ecg_onnx_opts o = {.q = m.int8 ? &m.q : NULL,
                       .fp16_weights = !f32_weights && !strcmp(r.variant, "fp16"),
                       .producer = ri.git_commit,
                       .doc = doc,
                       .output = ecg_objective_output(ecg_model_objective(r.model))};
    int rc = ecg_onnx_export(m.int8 ? &m.gi : &m.g, &o, out, err, sizeof err);
    if (rc) fprintf(stderr, "ecgbench export-onnx: %s: %s\n", r.dir, err);
    else
        printf("%s: %s (%s, %s) as ONNX opset %d%s\n", out, r.model, r.task, r.variant, ECG_ONNX_OPSET,
               o.q ? ", int8 in QDQ form" : o.fp16_weights ? ", FLOAT16 weights" : "");
    ecg_run_model_free(&m);
    ecg_run_free(&r);
    return rc ? 1 : 0;
}
