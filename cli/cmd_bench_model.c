/* `ecgbench bench-model`: whole-model latency through the XNNPACK executor (operators created once,
 * outside the timed loop) with Google Benchmark, optionally next to a channel-pruned copy, so the
 * speed-up structured pruning buys is measured on the path inference uses. Random-init weights
 * are enough for latency (the graph's shapes decide it); give --weights or a run DIR to time a
 * trained or compressed run. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "ops/rng.h"
#include "report/csv.h"
#include "runs/manifest.h"
#include "runs/runs.h"

#define MAX_PASS 32

static void usage(FILE *f) {
    fprintf(f,
            "usage: ecgbench bench-model MODEL|DIR [options] [--benchmark_* flags]\n"
            "  MODEL               a registry model (random-init unless --weights), or DIR: a run (manifest.json +\n"
            "                      weights; channel-pruned runs are rebuilt from their manifest)\n"
            "  --task T            input shape and classes (default mitdb-aami; a DIR's own task)\n"
            "  --weights FILE      weights for MODEL\n"
            "  --channels R        also time a copy with fraction R of the channels removed (compress --channels)\n"
            "    --channel-rank l1|bn    --channel-scope local|all   (defaults l1, local)\n"
            "  --batch N           default 1          --threads N   XNNPACK threads, default 1\n"
            "  --out FILE          also write the results as CSV\n"
            "Google Benchmark flags pass through (--benchmark_repetitions=N, default 10). Latency is per call of\n"
            "the whole batch; the ratio is the pruned median over the dense median.\n");
}

typedef struct {
    const char *model, *task, *weights, *out;
    ecg_channel_cfg ch;
    int channels, batch, threads;
    char *pass[MAX_PASS];
    int n_pass;
} opts;

/* Returns 0 ok, 1 help, 2 usage error. --benchmark_* flags are set aside for Google Benchmark. */
static int parse(int argc, char **argv, opts *o) {
    static const struct option lo[] = {{"task", 1, 0, 't'},          {"weights", 1, 0, 'w'},
                                       {"channels", 1, 0, 'C'},      {"channel-rank", 1, 0, 'R'},
                                       {"channel-scope", 1, 0, 'S'}, {"batch", 1, 0, 'b'},
                                       {"threads", 1, 0, 'j'},       {"out", 1, 0, 'o'},
                                       {"help", 0, 0, 'h'},          {0, 0, 0, 0}};
    *o = (opts){.task = NULL, .batch = 1, .threads = 1};
    int n = 0, c, rc = 0;
    char **rest = ecg_gbench_split("bench-model", argc, argv, o->pass, &o->n_pass, MAX_PASS, &n);
    if (!rest) return 2;
    long long v = 0;
    double x = 0;
    optind = 1;
    while (!rc && (c = getopt_long(n, rest, "", lo, NULL)) != -1) {
        switch (c) {
        case 't': o->task = optarg; break;
        case 'w': o->weights = optarg; break;
        case 'C':
            rc = ecg_arg_num("bench-model", "--channels", optarg, 0, 0.999999, &x) ? 2 : 0;
            o->ch.ratio = x, o->channels = 1;
            break;
        case 'R':
        case 'S':
            rc = ecg_channel_opt("bench-model", c == 'R' ? "--channel-rank" : "--channel-scope", optarg, &o->ch) ? 2 : 0;
            break;
        case 'b': rc = ecg_arg_int("bench-model", "--batch", optarg, 1, 65536, &v) ? 2 : 0; o->batch = (int)v; break;
        case 'j': rc = ecg_arg_int("bench-model", "--threads", optarg, 0, 1024, &v) ? 2 : 0; o->threads = (int)v; break;
        case 'o': o->out = optarg; break;
        case 'h': usage(stdout); rc = 1; break;
        default: rc = 2;
        }
    }
    if (!rc && optind != n - 1) {
        fprintf(stderr, "ecgbench bench-model: give one MODEL or run DIR\n");
        usage(stderr);
        rc = 2;
    }
    if (!rc) o->model = rest[optind];
    free(rest);
    return rc;
}

typedef struct {
    char name[160];
    ecg_graph g;
    ecg_xnn *x;
} model_case;

static int run_case(void *p) { return ecg_xnn_run(((model_case *)p)->x); }

/* The graph to time: a registry model (random-init or --weights) or a run DIR as its manifest says. */
static int load_dense(opts *o, ecg_graph *g, cJSON **man, char *err, size_t errlen) {
    struct stat st;
    ecg_run r = {0};
    const char *model = o->model, *weights = o->weights;
    if (stat(o->model, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (ecg_run_read(o->model, &r, err, errlen)) return -1;
        *man = r.man; /* the caller keeps it: the strings below point into it */
        model = r.model, weights = r.weights;
        if (!o->task) o->task = r.task;
    }
    const ecg_task *tk = ecg_task_lookup(o->task ? o->task : "mitdb-aami", err, errlen);
    if (!tk) return -1;
    o->task = tk->name;
    ecg_model_cfg mc = ecg_task_model_cfg(tk);
    if (ecg_manifest_model_build(*man, model, &mc, g, err, errlen)) return -1;
    if (weights && ecg_weights_load(g, weights, err, errlen)) return -1;
    return 0;
}

static int write_csv(const opts *o, const model_case *mc, const ecg_gbench_result *res, int n, char *err,
                     size_t errlen) {
    static const char *const cols[] = {"case", "task", "params", "flops", "batch", "threads", "repetitions",
                                       "median_us", "p90_us", "min_us", "max_us"};
    ecg_csv w;
    ecg_csv_open(&w, o->out);
    ecg_csv_header(&w, cols, (int)(sizeof cols / sizeof *cols));
    for (int i = 0; i < n; i++) {
        if (!res[i].ran) continue;
        ecg_csv_str(&w, mc[i].name);
        ecg_csv_str(&w, o->task);
        ecg_csv_int(&w, (long long)ecg_graph_param_count(&mc[i].g));
        ecg_csv_int(&w, (long long)ecg_graph_flops(&mc[i].g));
        ecg_csv_int(&w, o->batch);
        ecg_csv_int(&w, ecg_xnn_threads(mc[i].x));
        ecg_csv_int(&w, res[i].repetitions);
        const double s[] = {res[i].median, res[i].p90, res[i].min, res[i].max};
        for (size_t k = 0; k < sizeof s / sizeof *s; k++) ecg_csv_num(&w, s[k] * 1e6);
        ecg_csv_end_row(&w);
    }
    if (ecg_csv_close(&w)) {
        snprintf(err, errlen, "%s: %s", o->out, w.err);
        return -1;
    }
    return 0;
}

/* The XNNPACK executor of each case, its inputs filled (the ECG N(0, 1), seeded), and its shim case. */
static int make_cases(const opts *o, model_case *mc, ecg_gbench_case *gc, int n, char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        char msg[ECG_ERR_LEN];
        if (!(mc[i].x = ecg_xnn_create(&mc[i].g, o->batch, o->threads, 0, msg, sizeof msg))) {
            snprintf(err, errlen, "%s: XNNPACK executor: %s", mc[i].name, msg);
            return -1;
        }
        size_t numel = (size_t)o->batch * (size_t)ecg_shape_numel(&mc[i].g.values[mc[i].g.inputs[0]].shape);
        ecg_rng r = {42};
        float *in = ecg_xnn_input(mc[i].x, 0);
        for (size_t k = 0; k < numel; k++) in[k] = ecg_rng_normal(&r);
        for (int k = 1; k < mc[i].g.n_inputs; k++) /* patient features: zeros are valid inputs */
            memset(ecg_xnn_input(mc[i].x, k), 0,
                   sizeof(float) * (size_t)o->batch * (size_t)ecg_shape_numel(&mc[i].g.values[mc[i].g.inputs[k]].shape));
        gc[i] = (ecg_gbench_case){mc[i].name, run_case, &mc[i], (double)ecg_graph_flops(&mc[i].g) * o->batch, NULL, NULL};
    }
    return 0;
}

int ecg_cmd_bench_model(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc == 1 ? 0 : 2;
    char err[1024] = "";
    model_case mc[2] = {0};
    ecg_gbench_case gc[2];
    ecg_gbench_result res[2] = {0};
    cJSON *man = NULL;
    int n = o.channels ? 2 : 1;
    rc = 1;
    if (ecg_backend_init(err, sizeof err) || load_dense(&o, &mc[0].g, &man, err, sizeof err)) goto done;
    snprintf(mc[0].name, sizeof mc[0].name, "%s/%s", o.model, man ? "run" : o.weights ? "weights" : "dense");
    if (o.channels) {
        cJSON *rec = NULL;
        if (ecg_graph_clone(&mc[1].g, &mc[0].g)) {
            snprintf(err, sizeof err, "out of memory");
            goto done;
        }
        if (!(rec = ecg_channel_pass(&mc[1].g, &o.ch, err, sizeof err))) goto done;
        cJSON_Delete(rec);
        snprintf(mc[1].name, sizeof mc[1].name, "%s/channels-%g-%s-%s", o.model, o.ch.ratio, o.ch.residual ? "all" : "local",
                 o.ch.rank == ECG_CHANNEL_RANK_BN ? "bn" : "l1");
    }
    if (make_cases(&o, mc, gc, n, err, sizeof err)) goto done;
    ecg_gbench_opts go = {.repetitions = 10};
    if (ecg_gbench_run(o.n_pass, o.pass, gc, n, &go, res, err, sizeof err)) {
        rc = 2;
        goto done;
    }
    int w = 24; /* the case column fits the longest name */
    for (int i = 0; i < n; i++) w = (int)strlen(mc[i].name) > w ? (int)strlen(mc[i].name) : w;
    printf("\n%-*s %10s %12s %11s %11s\n", w, "case", "params", "FLOPs", "median_us", "p90_us");
    for (int i = 0; i < n; i++) {
        if (res[i].failed) {
            snprintf(err, sizeof err, "%s: %s", mc[i].name, res[i].error);
            goto done;
        }
        if (!res[i].ran) continue;
        printf("%-*s %10lld %12lld %11.1f %11.1f\n", w, mc[i].name, (long long)ecg_graph_param_count(&mc[i].g),
               (long long)ecg_graph_flops(&mc[i].g), res[i].median * 1e6, res[i].p90 * 1e6);
    }
    printf("task %s, batch %d, threads %d\n", o.task, o.batch, ecg_xnn_threads(mc[0].x));
    if (n == 2 && res[0].ran && res[1].ran && res[0].median > 0)
        printf("pruned / dense median latency: %.3f\n", res[1].median / res[0].median);
    if (o.out && write_csv(&o, mc, res, n, err, sizeof err)) goto done;
    rc = 0;
done:
    if (rc) fprintf(stderr, "ecgbench bench-model: %s\n", err);
    for (int i = 0; i < 2; i++) {
        if (mc[i].x) ecg_xnn_free(mc[i].x);
        ecg_graph_free(&mc[i].g);
    }
    cJSON_Delete(man);
    return rc;
}
